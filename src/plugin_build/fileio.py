"""Safe reading of files we did not write.

A path that should name a regular file may name a FIFO, a device or (when
links are not to be followed) a symbolic link by the time it is opened.
:func:`open_regular` refuses all of those without blocking or reading them;
everything is then read in :data:`CHUNK`-sized pieces.

A :class:`Tree` is a directory opened once: every file below it is reached
component by component relative to its parent's descriptor, never following a
link, so swapping a directory for a symbolic link while we read cannot lead a
read outside the root (``O_NOFOLLOW`` on a whole path guards only its last
component).
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Final, Literal, NamedTuple, Protocol, overload

__all__ = [
    "CHUNK",
    "DIR_FD",
    "Digests",
    "NotRegularFileError",
    "Readable",
    "TooLargeError",
    "Tree",
    "TreeChangedError",
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


class Digests(NamedTuple):
    md5: str
    sha256: str
    size: int


class Readable(Protocol):
    """What is read in chunks: a file, a tar member, a zip member's inflated bytes."""

    def read(self, size: int = -1, /) -> bytes: ...


class NotRegularFileError(OSError):
    """What :func:`open_regular` raises for a FIFO, device, directory or socket."""


class TooLargeError(OSError):
    """A file over the size limit of :meth:`Tree.read`; ``size`` is what fstat said."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size} bytes, over the limit of {limit}")
        self.size = size
        self.limit = limit


class TreeChangedError(OSError):
    """The directory at the root path is no longer the one that was walked."""


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
    return _adopt(fd, buffered=buffered)


def sha256_stream(stream: Readable) -> str:
    """The SHA-256 hex digest of what is left in ``stream``, read in 1 MiB chunks."""
    import hashlib  # here: validating never hashes

    sha256 = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        sha256.update(chunk)
    return sha256.hexdigest()


def file_digests(
    path: str | os.PathLike[str], *, follow: bool = True, chunk_size: int = CHUNK
) -> Digests:
    """md5, sha256 and size of a regular file, read in 1 MiB chunks (or ``chunk_size``)."""
    import hashlib

    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with open_regular(path, follow=follow) as f:
        while chunk := f.read(chunk_size):
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


# Where the platform can open a file relative to a directory descriptor (every
# POSIX system); elsewhere (Windows) a Tree falls back to checked whole paths.
DIR_FD: Final = (
    os.open in os.supports_dir_fd
    and os.scandir in os.supports_fd
    and hasattr(os, "O_DIRECTORY")
    and hasattr(os, "O_NOFOLLOW")
    and sys.platform != "win32"
)
_DIR_OPEN: Final = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
_CACHED_DIRS: Final = 32  # files are read in sorted order, so a few open directories suffice


class Tree:
    """A directory opened once; everything below it is read without following links.

    Relative paths use ``/`` and hold the on-disk names (undecodable bytes as
    surrogate escapes). ``identity`` (``st_dev, st_ino`` of the root when it was
    walked) makes opening fail with :class:`TreeChangedError` if the root path
    now names another directory. Use as a context manager; not thread-safe.
    """

    def __init__(self, root: str | os.PathLike[str], identity: tuple[int, int] | None = None):
        self.root = Path(root)
        self._fd: int | None = None
        self._dirs: OrderedDict[str, int] = OrderedDict()
        if DIR_FD:
            self._fd = os.open(root, _DIR_OPEN)
            try:
                st = os.fstat(self._fd)
                self.identity = (st.st_dev, st.st_ino)
            except BaseException:
                os.close(self._fd)
                raise
        else:
            st = os.stat(root)
            if not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", os.fspath(root))
            self.identity = (st.st_dev, st.st_ino)
        if identity is not None and identity != self.identity:
            self.close()
            raise TreeChangedError(
                errno.ESTALE, "the directory was replaced while it was being read"
            )

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        while self._dirs:
            os.close(self._dirs.popitem()[1])
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @property
    def fd(self) -> int | None:
        """The root's descriptor (None where paths are used instead)."""
        return self._fd

    def _dir_fd(self, rel_dir: str) -> int:
        """A descriptor of ``rel_dir``, each component opened without following links."""
        assert self._fd is not None
        if not rel_dir:
            return self._fd
        cached = self._dirs.get(rel_dir)
        if cached is not None:
            self._dirs.move_to_end(rel_dir)
            return cached
        head, _, name = rel_dir.rpartition("/")
        parent = self._dir_fd(head)
        fd = open_dir_at(parent, name)
        self._dirs[rel_dir] = fd
        if len(self._dirs) > _CACHED_DIRS:
            os.close(self._dirs.popitem(last=False)[1])
        return fd

    def open(self, rel: str, *, buffered: bool = True) -> io.BufferedReader | io.FileIO:
        """Open the regular file at ``rel``; a link anywhere on the way is refused (ELOOP)."""
        if self._fd is None:
            return _open_checked_path(self.root, rel, buffered=buffered)
        return _adopt(self._open_at(rel), buffered=buffered)

    def _open_at(self, rel: str) -> int:
        """A raw descriptor of ``rel``, opened under the root's without following links."""
        head, _, name = rel.rpartition("/")
        return os.open(name, _OPEN_FLAGS | _NOFOLLOW, dir_fd=self._dir_fd(head))

    def open_fd(self, rel: str) -> tuple[int, int]:
        """``open`` for the hot path: (raw descriptor, size) of the regular file at
        ``rel``, without a file object; the caller closes the descriptor."""
        if self._fd is None:
            with _open_checked_path(self.root, rel, buffered=False) as file:
                fd = os.dup(file.fileno())
        else:
            fd = self._open_at(rel)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise NotRegularFileError(errno.EINVAL, "not a regular file")
            # O_NONBLOCK (set to open safely) does not change reads of a regular file.
            return fd, st.st_size
        except BaseException:
            os.close(fd)
            raise

    def read(self, rel: str, limit: int) -> bytes:
        """The whole regular file at ``rel``; :class:`TooLargeError` past ``limit`` bytes."""
        with self.open(rel) as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise TooLargeError(size, limit)
            data = f.read(limit + 1)
        if len(data) > limit:  # it grew since fstat
            raise TooLargeError(len(data), limit)
        return data


def open_dir_at(parent: int, name: str) -> int:
    """Open the directory ``name`` inside the directory descriptor ``parent``, never a link."""
    return os.open(name, _DIR_OPEN | _NOFOLLOW, dir_fd=parent)


def _adopt(fd: int, *, buffered: bool) -> io.BufferedReader | io.FileIO:
    """Wrap a freshly opened descriptor if it is a regular file; else close it and refuse."""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # only needed to open safely; reads should block
        return os.fdopen(fd, "rb") if buffered else os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def _open_checked_path(root: Path, rel: str, *, buffered: bool) -> io.BufferedReader | io.FileIO:
    """Without directory descriptors: refuse a link at any component, then open the path.

    A race between the checks and the open remains possible here (Windows).
    """
    current = root
    for part in rel.split("/"):
        current = current / part
        try:
            is_link = current.is_symlink() or _is_junction(current)
        except OSError:
            is_link = False
        if is_link:
            raise OSError(errno.ELOOP, "symbolic link on the way", os.fspath(current))
    if buffered:
        return open_regular(current, follow=False)
    return open_regular(current, follow=False, buffered=False)


def _is_junction(path: Path) -> bool:
    is_junction = getattr(os.path, "isjunction", None)  # Python 3.12+
    return bool(is_junction(path)) if is_junction is not None else False
