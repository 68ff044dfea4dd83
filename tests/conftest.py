"""What the test modules share so the suite runs alike on Linux, macOS and Windows.

CI runs it on all three (``.github/workflows/ci.yml``). The helpers are imported
explicitly (``from conftest import native``): ``tests/`` is not a package, so
pytest puts this directory on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import strategies as st

if sys.platform == "win32":
    # A child Python (the CLI, the action, the hook) writes its pipes in the ANSI code
    # page on Windows, where the build log's emoji become backslash escapes. Make it
    # write UTF-8, as on Linux and macOS; the tests decode child output as UTF-8.
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")

# Commits in throwaway repositories need an identity, whatever the machine's git config.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def native(path: str) -> str:
    """A '/'-separated relative path as the CLI prints it here (os.path.relpath)."""
    return path.replace("/", os.sep)


def need(tool: str) -> str:
    """The full path of ``tool``; skips the test where it is not installed."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


def sha256sum() -> list[str]:
    """A command that checks a SHA256SUMS file with ``-c``: GNU sha256sum, or macOS's shasum.

    Skips the test where there is neither.
    """
    if (tool := shutil.which("sha256sum")) is not None:
        return [tool]
    if (tool := shutil.which("shasum")) is not None:
        return [tool, "-a", "256"]
    pytest.skip("needs sha256sum or shasum")


def _can_symlink() -> bool:
    """Whether this process may create symbolic links (Windows needs a privilege)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            os.symlink(os.path.join(tmp, "target"), os.path.join(tmp, "link"))
        except (OSError, NotImplementedError):
            return False
    return True


needs_symlinks = pytest.mark.skipif(
    not _can_symlink(), reason="cannot create symbolic links here (Windows without the privilege)"
)
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
needs_pre_commit = pytest.mark.skipif(
    shutil.which("git") is None or importlib.util.find_spec("pre_commit") is None,
    reason="needs git and pre-commit",
)


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m plugin_build ARGS`` in a fresh process; output decoded as UTF-8."""
    return subprocess.run(
        [sys.executable, "-m", "plugin_build", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def on_a_terminal(
    args: list[str], env: dict[str, str], stream: Literal["stdout", "stderr"] = "stderr"
) -> str:
    """Run the CLI with ``stream`` on a pseudo-terminal (the other discarded); return what
    it printed there. POSIX only."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "plugin_build", *args],
        env=env,
        stdout=follower if stream == "stdout" else subprocess.DEVNULL,
        stderr=follower if stream == "stderr" else subprocess.DEVNULL,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def mutated(original: bytes) -> st.SearchStrategy[bytes]:
    """``original`` with a few bytes replaced and maybe cut short."""

    def apply(edits: list[tuple[int, int]], cut: int | None) -> bytes:
        data = bytearray(original)
        for position, value in edits:
            data[position % len(data)] = value
        return bytes(data[:cut] if cut is not None else data)

    edit = st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255))
    return st.builds(apply, st.lists(edit, max_size=4), st.none() | st.integers(0, len(original)))
