"""Advisory locks for a shared output directory and the temporaries written into it.

Several builds may write into one output directory at once (matrix jobs, a
release script building both formats in parallel). Their read-merge-write of
``SHA256SUMS`` and ``manifest.json`` runs under an exclusive lock on the
directory, so no build's lines are lost. Every temporary file is locked by the
build writing it from the moment it is created (under the directory lock), so a
later build can tell a temporary that a killed build left behind (nobody holds
it) from one that a running build is writing (held), and remove only the first.

POSIX: ``flock`` on the directory's own descriptor and on each temporary (no
lock file). Windows: a lock file ``.plugin-build.lock`` in the directory, locked
with ``msvcrt.locking``; an open temporary cannot be deleted there, which is
what "held" means.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

__all__ = ["TEMP_NAME", "HeldTemp", "locked", "remove_stale", "temp_name"]

# `.{final name}.{8 hex}.tmp`: hidden, so a partial file never has a final name.
TEMP_NAME: Final = re.compile(r"\..+\.[0-9a-f]{8}\.tmp\Z", re.DOTALL)
_WINDOWS: Final = sys.platform == "win32"
_LOCK_FILE: Final = ".plugin-build.lock"


def temp_name(final_name: str) -> str:
    return f".{final_name}.{secrets.token_hex(4)}.tmp"


_held = threading.local()  # the directories this thread holds the lock of


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``directory`` (blocking until it is free).

    Reentrant within a thread; other threads and processes wait.
    """
    key = os.path.realpath(directory)
    mine: set[str] = _held.__dict__.setdefault("keys", set())
    if key in mine:
        yield
        return
    with _acquired(directory):
        mine.add(key)
        try:
            yield
        finally:
            mine.discard(key)


@contextlib.contextmanager
def _acquired(directory: Path) -> Iterator[None]:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows runners only
        import msvcrt

        fd = os.open(directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)
        return
    import fcntl

    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class HeldTemp:
    """A new temporary file in a directory, held (locked) until :meth:`release`.

    Create it under :func:`locked` so that :func:`remove_stale` never sees it
    between its creation and its lock.
    """

    def __init__(self, directory: Path, final_name: str) -> None:
        self.path = directory / temp_name(final_name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.path, flags | getattr(os, "O_BINARY", 0), 0o644)
        if not _WINDOWS:
            import fcntl

            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BaseException:
                self.release()
                raise

    def release(self) -> None:
        """Close the holding descriptor (the file itself stays)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Release and delete the file, if it is still there."""
        self.release()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def remove_stale(directory: Path) -> list[str]:
    """Delete the temporaries of our naming in ``directory`` that nobody holds.

    Returns the names removed. Takes the directory lock, so temporaries being
    created right now are not mistaken for stale ones.
    """
    try:
        names = [n for n in os.listdir(directory) if TEMP_NAME.match(n)]
    except OSError:
        return []
    if not names:
        return []
    removed: list[str] = []
    with locked(directory):
        for name in names:
            if _remove_if_unheld(directory / name):
                removed.append(name)
    return removed


def _remove_if_unheld(path: Path) -> bool:
    if _WINDOWS:  # pragma: no cover - an open file cannot be deleted on Windows
        try:
            if not path.is_file() or path.is_symlink():
                return False
            path.unlink()
        except OSError:
            return False
        return True
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False  # gone, a link, or unreadable: not ours to judge
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False  # a live build holds it
            raise
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
