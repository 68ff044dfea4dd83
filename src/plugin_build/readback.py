"""Read a built archive back, member by member, without extracting.

:func:`tar_entries` (and ``zipread.zip_entries``) yield one :class:`ArchiveEntry`
per member, with the bytes of a regular file as a stream to read before the
next entry; nothing is written to disk, and nothing is kept per member, so
memory does not grow with the member count. Damage the standard library would
pass over quietly (a broken tar header, data after the end-of-archive marker,
a missing marker) raises :class:`DamagedArchive`; :data:`UNREADABLE` is every
exception a damaged or hostile archive can raise while being read.
"""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

from .fileio import CHUNK, Readable, open_regular

__all__ = [
    "KIND_NAMES",
    "UNREADABLE",
    "ArchiveEntry",
    "DamagedArchive",
    "Inconsistency",
    "Kind",
    "tar_entries",
]

_END_OF_TAR: Final = 1024  # two zero blocks close a tar
_TAIL_KEEP: Final = 64 << 10  # well above tarfile's read-ahead (one 10 KiB record)

Kind = Literal["file", "directory", "symlink", "hardlink", "device", "fifo", "other"]


class ArchiveEntry(NamedTuple):  # a tuple: one is made for every member
    """One member as the archive stores it."""

    name: str
    kind: Kind
    mode: int | None  # permission bits; None for a zip entry without unix attributes
    stream: Readable | None  # the member's bytes, regular files only; read before the next
    # Other names some extractor would use: (name, "its local header, which ... read")
    aliases: tuple[tuple[str, str], ...] = ()
    # The SHA-256 of the bytes, where the reader was asked to hash them as it read them
    # through (``fastread``); the stream is then spent.
    sha256: str | None = None


@dataclass(frozen=True)
class Inconsistency:
    """Structure that extractors read differently (a zip's central directory and local
    headers disagree); reading goes on."""

    kind: str  # a fixed phrase naming the sort of problem, for grouping repeats
    message: str  # a sentence without a fix


class DamagedArchive(Exception):
    """An archive that the standard library reads without complaint but is not whole."""


UNREADABLE: Final = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,  # a gzip stream cut short
    ValueError,  # includes undecodable names
    RuntimeError,  # encrypted or unsupported zip members, runaway recursion
    DamagedArchive,
)
KIND_NAMES: Final[dict[Kind, str]] = {
    "file": "regular file",
    "directory": "directory",
    "symlink": "symbolic link",
    "hardlink": "hard link",
    "device": "device file",
    "fifo": "FIFO",
    "other": "special entry",
}


class _Tail(io.RawIOBase):
    """gzip's output as tarfile reads it, keeping the last bytes handed over.

    tarfile ends quietly at the first block that is not a valid header, so a
    damaged header would silently hide the rest. The kept tail lets the reader
    check that the block tarfile stopped at, and all after it, are zero padding.
    """

    def __init__(self, inner: gzip.GzipFile) -> None:
        super().__init__()
        self.inner = inner
        self.position = 0
        self.kept = bytearray()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        data = self.inner.read(size)
        self.position += len(data)
        self.kept += data
        if len(self.kept) > 2 * _TAIL_KEEP:
            del self.kept[:-_TAIL_KEEP]
        return data


def tar_entries(path: Path) -> Generator[ArchiveEntry, None, None]:
    with open_regular(path) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
        tail = _Tail(gz)
        with tarfile.open(fileobj=tail, mode="r|") as tar:
            while (info := tar.next()) is not None:
                # tarfile keeps every header it reads in .members; we need none.
                vars(tar)["members"].clear()
                kind = _tar_kind(info)
                stream = tar.extractfile(info) if kind == "file" else None
                yield ArchiveEntry(info.name, kind, stat.S_IMODE(info.mode), stream)
            end = tar.offset  # where the block that ended the listing starts
        start = len(tail.kept) - (tail.position - end)
        if start < 0:
            raise DamagedArchive("cannot inspect the end of the archive")
        rest = bytes(tail.kept[start:])
        padding = 0
        # Reading gz to its end also makes gzip check its CRC and length.
        while rest:
            if rest.count(0) != len(rest):
                raise DamagedArchive("a damaged header or data after the end-of-archive marker")
            padding += len(rest)
            rest = gz.read(CHUNK)
        if padding < _END_OF_TAR:
            raise DamagedArchive("it ends without the end-of-archive marker")


def _tar_kind(info: tarfile.TarInfo) -> Kind:
    if info.isreg():
        return "file"
    if info.isdir():
        return "directory"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk():
        return "device"
    if info.isfifo():
        return "fifo"
    return "other"
