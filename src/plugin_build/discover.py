"""Map paths named on the command line (or by pre-commit) to plugin roots."""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .escape import printable
from .validate import MANIFEST_NAMES


class PluginPathError(ValueError):
    """A path (or glob) that names no plugin, or hides one; one sentence with the fix."""


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


# Directories a repository walk never enters: hidden ones, build output, caches.
_NOT_PLUGINS = frozenset({"dist", "node_modules", "__pycache__"})
_MAX_DEPTH = 12  # plugin repositories are shallow; this bounds a walk of anything else


def find_plugins(directory: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """Every plugin below ``directory`` (a repository of plugins, like ``influxdata/``):
    each directory holding a manifest, without descending into it, into hidden
    directories, ``dist/`` or caches, or into a directory named in ``exclude``
    (names or relative paths, fnmatch patterns). Links are never followed. Sorted."""
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(directory, 0)]
    while stack:
        current, depth = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _NOT_PLUGINS:
                continue
            if not entry.is_dir(follow_symlinks=False):
                continue
            path = Path(entry.path)
            relative = path.relative_to(directory).as_posix()
            if _excluded(relative, exclude):
                continue
            if holds_manifest(path):
                found.append(path)
            elif depth + 1 < _MAX_DEPTH:
                stack.append((path, depth + 1))
    return sorted(found)


def plugin_roots(paths: Sequence[Path], exclude: Sequence[str] = ()) -> list[Path]:
    """The plugins named by command-line paths, each once, in the order named.

    A plugin directory or its manifest names that plugin; a file or directory inside a
    plugin names the plugin above it; a directory that is neither (a repository of
    plugins) names every plugin below it (:func:`find_plugins`). A directory with no
    plugin anywhere names itself, so that validation says what is missing.
    """
    roots: list[Path] = []
    for path in paths:
        root = find_plugin_root(path)
        if root is not None:
            roots.append(root)
            continue
        directory = path if path.is_dir() else path.parent
        roots.extend(find_plugins(directory, exclude) or [directory])
    return unique_roots(roots)


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


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _inside(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # another drive on Windows
        return False


def _excluded(relative: str, exclude: Sequence[str]) -> bool:
    """``exclude`` lists directory names or workspace-relative paths (fnmatch patterns)."""
    name = relative.rstrip("/").rsplit("/", 1)[-1]
    return any(
        fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(relative, pattern.strip("/"))
        for pattern in exclude
    )


def _holds_python(directory: Path) -> bool:
    try:
        return any(
            entry.name.endswith(".py") and entry.is_file(follow_symlinks=False)
            for entry in os.scandir(directory)
        )
    except OSError:
        return False


def resolve_plugins(
    patterns: Sequence[str],
    workspace: Path,
    exclude: Sequence[str] = (),
    *,
    confined: bool = True,
    source: str = "path",
) -> list[Path]:
    """Each line a plugin directory (or its manifest) or a glob; each plugin once.

    A line that names no plugin fails loudly (a typo must not build nothing), and so
    does a matched directory holding Python files but no manifest (a plugin that
    lost its manifest.toml must not be skipped silently; ``exclude`` skips
    directories that are not plugins on purpose). ``confined`` (the action): nothing
    outside ``workspace`` is ever taken, whatever a pattern or a symbolic link says;
    unconfined (a person at a terminal), patterns are relative to ``workspace``.
    ``source`` names the input in messages.
    """
    real_workspace = os.path.realpath(workspace)
    roots: list[Path] = []
    manifestless: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, root_dir=workspace, recursive=True))
        found = []
        for match in matches or ([pattern] if not _is_glob(pattern) else []):
            candidate = workspace / match
            real = os.path.realpath(candidate)
            inside = _inside(real, real_workspace)
            if confined and not inside:
                raise PluginPathError(
                    f"{source}: {printable(pattern)!r} reaches {printable(match)}, which is "
                    "outside the workspace; plugins are built from the checkout only"
                )
            relative = Path(os.path.relpath(real, real_workspace)) if inside else Path(real)
            if _excluded(relative.as_posix(), exclude):
                continue
            if candidate.is_dir() and holds_manifest(candidate):
                found.append(candidate)
            elif candidate.name in MANIFEST_NAMES and candidate.is_file():
                found.append(candidate.parent)
            elif candidate.is_dir() and _holds_python(candidate):
                manifestless.append(Path(match).as_posix())
            elif not _is_glob(pattern) and candidate.exists():
                root = find_plugin_root(candidate, stop=workspace if confined else None)
                if root is not None:
                    found.append(root)
        if not found and not manifestless:
            raise PluginPathError(
                f"{source}: {printable(pattern)!r} matched no plugin (no directory holding "
                f"manifest.toml or plugin.yaml); check the {source}"
            )
        roots.extend(Path(os.path.normpath(r)) for r in found)
    if manifestless:
        listed = ", ".join(printable(m) for m in dict.fromkeys(manifestless))
        skip = "the exclude input" if source == "path" else "--exclude"
        raise PluginPathError(
            f"{source}: {listed} hold Python files but no manifest.toml or plugin.yaml; add "
            f"the manifest, or name the directory in {skip} if it is not a plugin"
        )
    return list(dict.fromkeys(roots))
