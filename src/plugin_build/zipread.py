"""Read a zip as both kinds of extractor see it, one entry at a time, in bounded memory.

zipfile and unzip go by the central directory at the end of the file; a
streaming extractor (or one reading a pipe) goes by the local headers from the
start. Where the two views differ, what gets extracted depends on the tool. So
:func:`zip_entries` walks the central directory record by record and reads the
local header each record points at: the local entries must tile the file from
offset 0 up to the central directory, each right after the previous entry's
data (and data descriptor), with the name, method and sizes of its record.
Each difference is yielded as an :class:`~.readback.Inconsistency` and reading
goes on; a name only a local header or an Info-ZIP Unicode Path extra field
(0x7075) gives becomes one of the entry's aliases. Nothing is kept per entry,
and zip64 end records and extra fields are understood.
"""

from __future__ import annotations

import stat
import struct
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path

from .fileio import CHUNK, open_regular
from .readback import ArchiveEntry, DamagedArchive, Inconsistency, Kind
from .ziprecords import (
    DEFLATED,
    DESCRIPTOR,
    DESCRIPTOR_SIG,
    ENCRYPTED,
    STORED,
    UTF8,
    CentralDirectory,
    Header,
    RecordFile,
    central_record,
    decode_name,
    find_end,
    local_header,
    unicode_paths,
)

__all__ = ["zip_entries"]


def zip_entries(path: Path) -> Generator[ArchiveEntry | Inconsistency, None, None]:
    with open_regular(path) as raw:
        f = RecordFile(raw)
        end = find_end(f)
        if end.trailing:
            yield Inconsistency(
                "data after the end record",
                f"{end.trailing} bytes follow the end of central directory record"
                if end.trailing > 0
                else "the comment of the end of central directory record runs past the file",
            )
        cursor = CentralDirectory(f, end.start, end.start + end.size)
        expected = count = 0  # where the next local entry must start; records read
        while not cursor.done:
            central, offset, mode = central_record(cursor)
            count += 1
            at = offset + end.shift
            if at != expected:
                yield _gap(f, expected, at, f"the entry at offset {at}")
            found = local_header(f, at)
            if found is None:
                raise DamagedArchive(f"its central directory points at offset {at}, a non-header")
            local, data_start = found
            name = decode_name(central)
            yield from _disagreement(name, central, local)
            aliases = _distinct(_aliases(name, central, local))
            kind = _kind(name, stat.S_IFMT(mode))
            file_mode = stat.S_IMODE(mode) if mode else None
            if kind != "file":
                yield ArchiveEntry(name, kind, file_mode, None, aliases)
            else:
                # Only what the build writes; other methods would bring their own errors.
                if central.flags & ENCRYPTED:
                    raise DamagedArchive(f"member {name} is encrypted")
                if central.method not in (STORED, DEFLATED):
                    raise DamagedArchive(
                        f"member {name} uses compression method {central.method}, "
                        "not stored or deflate"
                    )
                data = _Data(f, data_start, central, name)
                yield ArchiveEntry(name, kind, file_mode, data, aliases)
                while data.read(CHUNK):  # to the end, where size and CRC are checked
                    pass
                if data.slack:
                    yield Inconsistency(
                        "deflate streams that end early",
                        f"member {name}'s deflate stream ends {data.slack} bytes before its "
                        "compressed size does, where a streaming extractor looks for what follows",
                    )
            expected = data_start + central.csize
            if central.flags & DESCRIPTOR:
                length, problem = _descriptor(f, expected, central, local.zip64)
                if problem is not None:
                    yield Inconsistency(
                        "data descriptors that disagree",
                        f"member {name}'s data descriptor {problem}; a streaming extractor "
                        "believes the descriptor, zipfile and unzip the central directory",
                    )
                expected += length
        if count != end.entries:
            yield Inconsistency(
                "a wrong entry count",
                f"the end record counts {end.entries} entries but the central directory "
                f"holds {count}",
            )
        if expected != end.start:
            yield _gap(f, expected, end.start, "the central directory")


def _aliases(name: str, central: Header, local: Header) -> Iterator[tuple[str, str]]:
    """Names other than ``name`` that some extractor gives this member, and who gives each."""
    field = "its Info-ZIP Unicode Path extra field (0x7075)"
    if local.name != central.name:
        yield (
            decode_name(local, errors="replace"),
            "its local header, which streaming extractors read",
        )
    for header, where in ((central, field), (local, f"its local header's {field[4:]}")):
        for text, matches in unicode_paths(header):
            if text == name:
                continue
            if not matches:
                yield text, f"{where} (its CRC is stale, so unzip ignores it; other tools may not)"
            elif header.flags & UTF8:  # unzip takes a name flagged UTF-8 as it stands
                yield text, f"{where}, which Python 3.12+ uses (unzip does not)"
            else:
                yield text, f"{where}, which unzip and Python 3.12+ use"


def _distinct(aliases: Iterator[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    first: dict[str, str] = {}
    for text, where in aliases:
        first.setdefault(text, where)
    return tuple(first.items())


def _disagreement(name: str, central: Header, local: Header) -> Iterator[Inconsistency]:
    fields = []
    if central.method != local.method:
        fields.append("compression method")
    if (central.flags ^ local.flags) & (ENCRYPTED | DESCRIPTOR | UTF8):
        fields.append("flags")
    elif not central.flags & DESCRIPTOR:  # with a descriptor the local sizes are zero
        for label, ours, theirs in (
            ("CRC-32", central.crc, local.crc),
            ("compressed size", central.csize, local.csize),
            ("size", central.usize, local.usize),
        ):
            if ours != theirs:
                fields.append(label)
    if fields:
        yield Inconsistency(
            "local headers that disagree with the central directory",
            f"member {name}: its local header and central directory record differ in the "
            f"{', '.join(fields)}; a streaming extractor believes the local header, "
            "zipfile and unzip the central directory",
        )


def _descriptor(f: RecordFile, at: int, central: Header, wide: bool) -> tuple[int, str | None]:
    """(length, problem or None) of the data descriptor at ``at``."""
    data = f.read(at, 24)
    skip = 4 if data[:4] == DESCRIPTOR_SIG else 0  # the signature is optional
    layout = struct.Struct("<IQQ" if wide else "<III")
    if len(data) < skip + layout.size:
        raise DamagedArchive("a data descriptor is cut short")
    found = layout.unpack_from(data, skip)
    if found != (central.crc, central.csize, central.usize):
        return skip + layout.size, "differs from its central directory record"
    return skip + layout.size, None


def _gap(f: RecordFile, start: int, end: int, what: str) -> Inconsistency:
    """What lies between the end of the last entry (``start``) and ``what`` at ``end``."""
    if end < start:
        return Inconsistency(
            "overlapping entries",
            f"{what} starts at offset {end}, inside the entry before it (which ends at {start})",
        )
    hidden = local_header(f, start)
    if hidden is not None:
        name = decode_name(hidden[0], errors="replace")
        return Inconsistency(
            "local entries the central directory does not list",
            f"a local entry at offset {start} ({name}) is not in the central directory: a "
            "streaming extractor would extract it, zipfile and unzip would not",
        )
    if start == 0:
        return Inconsistency(
            "data before the first entry",
            f"{end} bytes come before the first entry, where a zip has none (junk put in "
            "front of the zip): zipfile and unzip skip them, other tools need not",
        )
    return Inconsistency(
        "data between entries", f"{end - start} bytes at offset {start} belong to no entry"
    )


def _kind(name: str, file_type: int) -> Kind:
    if name.endswith("/") or file_type == stat.S_IFDIR:
        return "directory"
    if file_type in (0, stat.S_IFREG):  # 0: written without unix attributes
        return "file"
    if file_type == stat.S_IFLNK:
        return "symlink"
    if file_type in (stat.S_IFCHR, stat.S_IFBLK):
        return "device"
    if file_type == stat.S_IFIFO:
        return "fifo"
    return "other"


class _Data:
    """One member's bytes, inflated as read; the size and CRC-32 are checked at the end."""

    def __init__(self, f: RecordFile, start: int, header: Header, name: str) -> None:
        self._f, self._at, self._left = f, start, header.csize
        self._header, self._name = header, name
        self._inflate = zlib.decompressobj(-15) if header.method == DEFLATED else None
        self._pending = b""  # compressed input not yet inflated
        self._crc = self._size = 0
        self._done = self._checked = False
        self.slack = 0  # compressed bytes after the end of the deflate stream

    def read(self, size: int = -1, /) -> bytes:
        if size >= 0:
            return self._next(size)
        return b"".join(iter(lambda: self._next(CHUNK), b""))

    def _compressed(self, size: int) -> bytes:
        want = min(size, self._left)
        data = self._f.read(self._at, want)
        if len(data) < want:
            raise DamagedArchive(f"member {self._name} is cut short")
        self._at += want
        self._left -= want
        return data

    def _next(self, size: int) -> bytes:
        data = b""
        while size and not data and not self._done:
            if self._inflate is None:
                data = self._compressed(size)
                self._done = not self._left
            else:
                if not self._pending:
                    if not self._left:
                        raise DamagedArchive(f"member {self._name}'s deflate stream is cut short")
                    self._pending = self._compressed(CHUNK)
                data = self._inflate.decompress(self._pending, size)
                self._pending = self._inflate.unconsumed_tail
                if self._inflate.eof:
                    self.slack = len(self._inflate.unused_data) + self._left
                    self._done = True
            self._crc = zlib.crc32(data, self._crc)
            self._size += len(data)
            if self._size > self._header.usize:
                raise DamagedArchive(f"member {self._name} holds more than its stated size")
        if self._done and not self._checked:
            self._checked = True
            if (self._size, self._crc) != (self._header.usize, self._header.crc):
                raise DamagedArchive(f"member {self._name} fails its size or CRC-32 check")
        return data
