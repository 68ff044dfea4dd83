"""The pre-commit hook: the files a commit touches → their plugins → validate.

pre-commit passes file names relative to the repository root (the working
directory). Each file maps to the nearest directory at or above it that holds
a manifest, never above the repository root; files under no plugin are
ignored; each plugin is validated once. The hook never writes a file.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import guarded

    files = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _run(files))


def _run(files: list[str]) -> int:
    from .discover import find_plugin_root, unique_roots
    from .reporters import render_text, use_color
    from .validate import validate_plugins

    repo = Path.cwd()
    roots = [root for f in files if (root := find_plugin_root(Path(f), stop=repo)) is not None]
    reports = validate_plugins(unique_roots(roots))
    if not reports:
        return 0
    problems = [r for r in reports if r.diagnostics]
    if problems or not all(r.ok for r in reports):
        sys.stdout.write(render_text(reports, color=use_color(sys.stdout)))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main())
