"""The records of the zip format, read one at a time and checked for shape only.

The end of central directory record (and its zip64 counterpart), central
directory records, local headers and their extra fields (zip64 sizes, the
Info-ZIP Unicode Path); what they mean for extraction is ``zipread``'s business.
Reads are positioned and bounded, so nothing but the record at hand is in memory.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final, NamedTuple

from .readback import DamagedArchive

__all__ = [
    "DEFLATED",
    "DESCRIPTOR",
    "DESCRIPTOR_SIG",
    "ENCRYPTED",
    "STORED",
    "UTF8",
    "CentralDirectory",
    "EndRecord",
    "Header",
    "RecordFile",
    "central_record",
    "decode_name",
    "find_end",
    "local_header",
    "unicode_paths",
]

ENCRYPTED: Final = 1 << 0  # general purpose flag bits
DESCRIPTOR: Final = 1 << 3  # crc and sizes follow the data, in a data descriptor
UTF8: Final = 1 << 11  # the name is UTF-8, not cp437
STORED: Final = 0  # compression methods
DEFLATED: Final = 8
DESCRIPTOR_SIG: Final = b"PK\x07\x08"  # optional in front of a data descriptor

_EOCD: Final = struct.Struct("<4sHHHHIIH")  # end of central directory record
_LOCATOR: Final = struct.Struct("<4sIQI")  # zip64 end of central directory locator
_EOCD64: Final = struct.Struct("<4sQHHIIQQQQ")  # zip64 end of central directory record
_CENTRAL: Final = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL: Final = struct.Struct("<4sHHHHHIIIHH")
_EOCD_SIG: Final = b"PK\x05\x06"
_LOCATOR_SIG: Final = b"PK\x06\x07"
_EOCD64_SIG: Final = b"PK\x06\x06"
_CENTRAL_SIG: Final = b"PK\x01\x02"
_LOCAL_SIG: Final = b"PK\x03\x04"
_ZIP64_EXTRA: Final = 0x0001
_UNICODE_PATH: Final = 0x7075
_WIDE: Final = 0xFFFFFFFF  # a 32-bit field whose value is in the zip64 extra field
_READ_AHEAD: Final = 64 << 10  # headers are small: read them in pieces of this size

_Fields = tuple[tuple[int, bytes], ...]


class RecordFile:
    """Positioned reads, served from one read-ahead window where they fall in it (local
    entries are read front to back); short, never raising, outside the file."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.size = os.fstat(f.fileno()).st_size
        self._window, self._window_at = b"", 0

    def read(self, offset: int, size: int) -> bytes:
        if offset < 0 or offset >= self.size or size <= 0:
            return b""
        start = offset - self._window_at
        if start >= 0 and start + size <= len(self._window):
            return self._window[start : start + size]
        self._f.seek(offset)
        if size >= _READ_AHEAD:
            return self._f.read(min(size, self.size - offset))
        self._window, self._window_at = self._f.read(_READ_AHEAD), offset
        return self._window[:size]


@dataclass(frozen=True)
class EndRecord:
    entries: int
    start: int  # where the central directory is in the file
    size: int  # its length in bytes
    shift: int  # start minus the offset the end record gives: bytes put before the zip
    trailing: int  # bytes after the end record and its comment; < 0: the comment is cut


class Header(NamedTuple):  # a tuple: two are made for every entry
    """What a central record and a local header both say (sizes through zip64)."""

    name: bytes
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    fields: _Fields  # the extra fields, (header id, data)
    zip64: bool  # has a zip64 extra field (so a data descriptor has 8-byte sizes)


def find_end(f: RecordFile) -> EndRecord:
    """The end record: the last signature in the final 64 KiB (a comment's room), as
    zipfile and unzip look for it; with the zip64 end record where there is one."""
    tail_start = max(0, f.size - _EOCD.size - 0xFFFF)
    tail = f.read(tail_start, f.size - tail_start)
    at = tail.rfind(_EOCD_SIG, 0, max(0, len(tail) - _EOCD.size + len(_EOCD_SIG)))
    if at < 0:
        raise DamagedArchive("it has no end of central directory record: not a zip, or cut short")
    _, disk, cd_disk, on_disk, entries, cd_size, cd_offset, comment = _EOCD.unpack_from(tail, at)
    position = tail_start + at
    trailing = f.size - (position + _EOCD.size + comment)
    cd_end = position
    locator = f.read(position - _LOCATOR.size, _LOCATOR.size)
    if len(locator) == _LOCATOR.size and locator[:4] == _LOCATOR_SIG:
        _, locator_disk, record_offset, disks = _LOCATOR.unpack(locator)
        if locator_disk or disks > 1:
            raise DamagedArchive("it spans several disks, which is not supported")
        # Just before the locator, unless the record carries extensible data.
        for cd_end in (position - _LOCATOR.size - _EOCD64.size, record_offset):
            record = f.read(cd_end, _EOCD64.size)
            if len(record) == _EOCD64.size and record[:4] == _EOCD64_SIG:
                break
        else:
            raise DamagedArchive("its zip64 end of central directory record is missing")
        _, _, _, _, disk, cd_disk, on_disk, entries, cd_size, cd_offset = _EOCD64.unpack(record)
    if disk or cd_disk or on_disk != entries:
        raise DamagedArchive("it spans several disks, which is not supported")
    start = cd_end - cd_size
    if start < 0 or start < cd_offset:
        raise DamagedArchive("its end record places the central directory outside the file")
    return EndRecord(entries, start, cd_size, start - cd_offset, trailing)


class CentralDirectory:
    """Reads the central directory forward a chunk at a time, between reads elsewhere."""

    def __init__(self, f: RecordFile, start: int, end: int) -> None:
        self._f, self._end = f, end
        self._position = self._buffer_at = start
        self._buffer = b""

    @property
    def done(self) -> bool:
        return self._position >= self._end

    def take(self, size: int) -> bytes:
        offset = self._position - self._buffer_at
        if offset + size > len(self._buffer):
            self._buffer_at, offset = self._position, 0
            want = min(max(size, _READ_AHEAD), self._end - self._position)
            self._buffer = self._f.read(self._position, want)
        if self._position + size > self._end or offset + size > len(self._buffer):
            raise DamagedArchive("its central directory is cut short")
        self._position += size
        return self._buffer[offset : offset + size]


def central_record(cursor: CentralDirectory) -> tuple[Header, int, int]:
    """(header, local header offset, unix mode) of the next central directory record."""
    fixed = _CENTRAL.unpack(cursor.take(_CENTRAL.size))
    sig, _, _, flags, method, _, _, crc, csize, usize = fixed[:10]
    name_size, extra_size, comment_size, _, _, external, offset = fixed[10:]
    if sig != _CENTRAL_SIG:
        raise DamagedArchive("its central directory has a damaged record")
    name = cursor.take(name_size)
    fields = _extra_fields(cursor.take(extra_size))
    cursor.take(comment_size)
    usize, csize, wide_offset, zip64 = _widen(fields, usize, csize, offset)
    assert wide_offset is not None
    header = Header(name, flags, method, crc, csize, usize, fields, zip64)
    return header, wide_offset, external >> 16


def local_header(f: RecordFile, at: int) -> tuple[Header, int] | None:
    """(header, where its data starts) of the local header at ``at``; None if there is none."""
    fixed = f.read(at, _LOCAL.size)
    if len(fixed) < _LOCAL.size or fixed[:4] != _LOCAL_SIG:
        return None
    _, _, flags, method, _, _, crc, csize, usize, name_size, extra_size = _LOCAL.unpack(fixed)
    rest = f.read(at + _LOCAL.size, name_size + extra_size)
    if len(rest) < name_size + extra_size:
        return None
    fields = _extra_fields(rest[name_size:])
    usize, csize, _, zip64 = _widen(fields, usize, csize, None)
    header = Header(rest[:name_size], flags, method, crc, csize, usize, fields, zip64)
    return header, at + _LOCAL.size + name_size + extra_size


def _extra_fields(extra: bytes) -> _Fields:
    fields: list[tuple[int, bytes]] = []
    at = 0
    while at + 4 <= len(extra):  # zipfile, too, ignores 1-3 stray bytes at the end
        kind, size = struct.unpack_from("<HH", extra, at)
        if at + 4 + size > len(extra):
            raise DamagedArchive(f"it has a corrupt extra field {kind:#06x}")
        fields.append((kind, extra[at + 4 : at + 4 + size]))
        at += 4 + size
    return tuple(fields)


def _widen(
    fields: _Fields, usize: int, csize: int, offset: int | None
) -> tuple[int, int, int | None, bool]:
    """Sizes (and offset) with each 0xFFFFFFFF replaced from the zip64 extra field, in
    the field's order; and whether there is one."""
    data = next((value for kind, value in fields if kind == _ZIP64_EXTRA), None)
    if data is None:
        return usize, csize, offset, False
    at = 0

    def wide(value: int) -> int:
        nonlocal at
        if value != _WIDE:
            return value
        if at + 8 > len(data):
            raise DamagedArchive("its zip64 extra field is cut short")
        at += 8
        return int.from_bytes(data[at - 8 : at], "little")

    usize = wide(usize)
    csize = wide(csize)
    return usize, csize, None if offset is None else wide(offset), True


def decode_name(header: Header, *, errors: str = "strict") -> str:
    # As zipfile does: UTF-8 when flagged, else the historical cp437.
    return header.name.decode("utf-8" if header.flags & UTF8 else "cp437", errors)


def unicode_paths(header: Header) -> Iterator[tuple[str, bool]]:
    """Each Info-ZIP Unicode Path (0x7075) name, and whether its CRC matches the name.

    unzip and Python 3.12+ extract a member under this name when the CRC matches;
    zipfile raises for a damaged field, and so does this.
    """
    for kind, data in header.fields:
        if kind != _UNICODE_PATH:
            continue
        if len(data) < 5:
            raise DamagedArchive("it has a corrupt Info-ZIP Unicode Path extra field (0x7075)")
        if data[0] != 1:  # the only version there is; unzip skips others
            continue
        text = data[5:].decode("utf-8")
        if text:
            yield text, int.from_bytes(data[1:5], "little") == zlib.crc32(header.name)
