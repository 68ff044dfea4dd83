"""Safe reading of files we did not write.

A path that should name a regular file may name a FIFO, a device or (when
links are not to be followed) a symbolic link by the time it is opened.
:func:`open_regular` refuses all of those without blocking or reading them;
everything is then read in :data:`CHUNK`-sized pieces.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from typing import Final, Literal, Protocol, overload

__all__ = [
    "CHUNK",
    "Digests",
    "NotRegularFileError",
    "Readable",
    "file_digests",
    "first_line",
    "open_regular",
    "reason",
    "sha256_stream",
]

CHUNK: Final = 1 << 20  # read/compress granularity; also the zip streaming threshold

_OPEN_FLAGS: Final = (
    os.O_RDONLY
    # Never block on a FIFO, never make a terminal the controlling one.
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


@dataclass(frozen=True)
class Digests:
    md5: str
    sha256: str
    size: int


class Readable(Protocol):
    """What is read in chunks: a file, a tar member, a zip member's inflated bytes."""

    def read(self, size: int = -1, /) -> bytes: ...


class NotRegularFileError(OSError):
    """What :func:`open_regular` raises for a FIFO, device, directory or socket."""


@overload
def open_regular(
    path: str | os.PathLike[str], *, follow: bool = ..., buffered: Literal[True] = ...
) -> io.BufferedReader: ...
@overload
def open_regular(
    path: str | os.PathLike[str], *, follow: bool = ..., buffered: Literal[False]
) -> io.FileIO: ...
def open_regular(
    path: str | os.PathLike[str], *, follow: bool = True, buffered: bool = True
) -> io.BufferedReader | io.FileIO:
    """Open a regular file for reading; never block on a FIFO or read a device.

    With ``follow=False`` a symbolic link is refused (ELOOP) where the platform
    has ``O_NOFOLLOW``. Anything that is not a regular file raises
    :class:`NotRegularFileError` (errno EINVAL, "not a regular file").
    ``buffered=False`` gives the raw, unbuffered file.
    """
    flags = _OPEN_FLAGS if follow else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        # Windows refuses to open a directory with EACCES: say what it is.
        if os.path.isdir(path):
            raise NotRegularFileError(errno.EINVAL, "not a regular file") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # only needed to open safely; reads should block
        return os.fdopen(fd, "rb") if buffered else os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def sha256_stream(stream: Readable) -> str:
    """The SHA-256 hex digest of what is left in ``stream``, read in 1 MiB chunks."""
    sha256 = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        sha256.update(chunk)
    return sha256.hexdigest()


def file_digests(path: str | os.PathLike[str]) -> Digests:
    """md5, sha256 and size of a regular file, read in 1 MiB chunks."""
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with open_regular(path) as f:
        while chunk := f.read(CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return Digests(md5.hexdigest(), sha256.hexdigest(), size)


def reason(exc: OSError) -> str:
    """An OSError as a message fragment: its strerror ("Permission denied")."""
    return exc.strerror or str(exc)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text, or its type's name."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
