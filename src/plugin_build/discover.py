"""Map paths named on the command line (or by pre-commit) to plugin roots."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .validate import MANIFEST_NAMES


def holds_manifest(directory: Path) -> bool:
    return any(os.path.lexists(directory / name) for name in MANIFEST_NAMES)


def find_plugin_root(path: Path, *, stop: Path | None = None) -> Path | None:
    """The nearest directory at or above ``path`` that holds a manifest.

    A manifest file names its own directory. The search never climbs above
    ``stop`` (the repository root for the hook); ``None`` means no limit.
    """
    start = path.parent if path.name in MANIFEST_NAMES or not path.is_dir() else path
    stop_abs = Path(os.path.abspath(stop)) if stop is not None else None
    current = Path(os.path.abspath(start))
    while True:
        if holds_manifest(current):
            return current
        if current in (stop_abs, current.parent):
            return None
        current = current.parent


def unique_roots(roots: Iterable[Path]) -> list[Path]:
    """Each plugin once, in the order first named."""
    seen: set[Path] = set()
    out: list[Path] = []
    for root in roots:
        key = Path(os.path.abspath(root))
        if key not in seen:
            seen.add(key)
            out.append(root)
    return out


def display_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to the working directory when below it, else absolute."""
    absolute = os.path.abspath(path)
    base = os.path.abspath(cwd if cwd is not None else os.getcwd())
    try:
        common = os.path.commonpath([absolute, base])
    except ValueError:  # different drives on Windows
        return absolute
    if common == base:
        return os.path.relpath(absolute, base)
    return absolute
