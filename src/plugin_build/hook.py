"""The pre-commit hook: the files a commit touches → their plugins → validate.

pre-commit passes file names relative to the repository root (the working
directory). Each file maps to the nearest directory at or above it that holds
a manifest, never above the repository root; files under no plugin are
ignored; each plugin is validated once. The hook never writes a file.

pre-commit passes no deleted files, so the hook also asks git for the staged
deletions: removing an entry point or a manifest must not commit a broken
plugin. (``always_run`` in ``.pre-commit-hooks.yaml`` makes pre-commit start the
hook even when a commit only deletes files.) A path outside the repository, or
reached through a symbolic link, is ignored.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from .cli import guarded

    args = list(sys.argv[1:] if argv is None else argv)

    def run() -> int:
        parsed = _parse(args)
        return _run(parsed.files, explorer=parsed.explorer)

    return guarded(run, prog="plugin-build-hook")


def _parse(args: list[str]) -> argparse.Namespace:
    from . import __version__
    from .cli import UsageError

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            raise UsageError(message)

    parser = Parser(
        prog="plugin-build-hook",
        description=(
            "The pre-commit hook of plugin-build: validates the plugins the given files "
            "belong to (the nearest directory holding manifest.toml or plugin.yaml, never "
            "above the repository root), and those that staged deletions touch. Exit 1 "
            "when one is invalid; never writes a file. Run by pre-commit as the "
            "'plugin-validate' hook of .pre-commit-hooks.yaml."
        ),
    )
    parser.add_argument("--version", action="version", version=f"plugin-build {__version__}")
    parser.add_argument(
        "--explorer",
        action="store_true",
        help="also check the InfluxDB 3 Explorer metadata docstring (args: [--explorer])",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="files of the commit")
    # pre-commit passes file names after the hook's args: a file whose name starts
    # with '-' is a file, not an option
    files = [f"./{a}" if a.startswith("-") and os.path.lexists(a) else a for a in args]
    return parser.parse_args(files)


def _run(files: list[str], *, explorer: bool = False) -> int:
    repo = Path.cwd()
    # git answers on another core while the validator is imported (most of a run).
    deletions = _start_git(repo, *_STAGED_DELETIONS)
    from .discover import find_plugin_root, unique_roots
    from .validate import MANIFEST_NAMES  # the whole validator: imported while git runs

    roots: list[Path] = []
    for name in files:
        path = Path(name)
        if _inside_without_links(repo, path):
            root = find_plugin_root(path, stop=repo)
            if root is not None:
                roots.append(root)
    for name in _git_output(deletions):
        path = Path(name)
        if not _inside_without_links(repo, path):
            continue
        directory = path.parent
        if path.name in MANIFEST_NAMES and _has_tracked_files(repo, directory):
            roots.append(directory)  # a plugin that lost its manifest: validate says so
            continue
        if directory.is_dir():
            root = find_plugin_root(directory, stop=repo)
            if root is not None:
                roots.append(root)
    if not roots:
        return 0
    return _report(unique_roots(roots), explorer=explorer)


def _report(roots: list[Path], *, explorer: bool) -> int:
    from .reporters import render_text, use_color
    from .validate import validate_plugins

    reports = validate_plugins(roots)
    if explorer:
        from .explorer import with_explorer

        reports = [with_explorer(r) for r in reports]
    if any(r.diagnostics for r in reports) or not all(r.ok for r in reports):
        sys.stdout.write(render_text(reports, color=use_color(sys.stdout)))
    return 0 if all(r.ok for r in reports) else 1


def _git(repo: Path, *args: str) -> list[str]:
    """NUL-separated output of a git command; empty when git or the repository is absent."""
    return _git_output(_start_git(repo, *args))


def _start_git(repo: Path, *args: str) -> subprocess.Popen[bytes] | None:
    from .programs import which

    git = which("git")
    if git is None:
        return None
    try:
        return subprocess.Popen(
            [git, *args], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None


def _git_output(proc: subprocess.Popen[bytes] | None) -> list[str]:
    if proc is None:
        return []
    try:
        out, _ = proc.communicate(timeout=60)
    except (OSError, subprocess.SubprocessError):
        proc.kill()
        proc.wait()
        return []
    if proc.returncode != 0:
        return []
    return [os.fsdecode(item) for item in out.split(b"\0") if item]


_STAGED_DELETIONS = ("diff", "--cached", "--name-only", "--no-renames", "--diff-filter=D", "-z")


def staged_deletions(repo: Path) -> list[str]:
    """Paths the index deletes relative to HEAD (renames count as deletions)."""
    return _git(repo, *_STAGED_DELETIONS)


def _has_tracked_files(repo: Path, directory: Path) -> bool:
    return bool(_git(repo, "ls-files", "-z", "--", os.fspath(directory) or "."))


def _inside_without_links(repo: Path, path: Path) -> bool:
    """Whether ``path`` (relative to ``repo``) stays inside it with no link on the way."""
    target = Path(os.path.normpath(repo / path))
    try:
        relative = target.relative_to(repo)
    except ValueError:
        return False
    current = repo
    for part in relative.parts[:-1]:
        current = current / part
        if current.is_symlink():
            return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
