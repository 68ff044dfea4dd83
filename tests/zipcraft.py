"""Zips written byte by byte, for the tests that need what no zip library writes.

Members are stored (not compressed), with unix modes and UTF-8 names; each knob
makes one flaw: another name in the local header, a local size that lies,
extra fields, a local entry no central record lists, bytes put in front (as
``cat junk a.zip`` does: offsets unchanged), data after the end, zip64 end records.
Imported as ``from zipcraft import ...`` (``tests/`` is on ``sys.path``).
"""

from __future__ import annotations

import stat
import struct
import zlib
from dataclasses import dataclass

_UTF8 = 0x800
_DOS_DATE = 0x21  # 1980-01-01


@dataclass(frozen=True)
class Raw:
    name: str | bytes
    data: bytes = b""
    mode: int = stat.S_IFREG | 0o644
    local_name: bytes | None = None  # what the local header calls it, if not ``name``
    local_size: int | None = None  # the size the local header gives, if not the true one
    extra: bytes = b""  # extra fields, in both headers
    listed: bool = True  # False: no central directory record points at it


def unicode_path(name: str, header_name: str | bytes) -> bytes:
    """An Info-ZIP Unicode Path extra field (0x7075) saying ``name`` for ``header_name``."""
    header = header_name.encode() if isinstance(header_name, str) else header_name
    body = b"\x01" + struct.pack("<I", zlib.crc32(header)) + name.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def craft_zip(
    members: list[Raw], *, prefix: bytes = b"", trailer: bytes = b"", zip64: bool = False
) -> bytes:
    out = bytearray()
    central = bytearray()
    count = 0
    for member in members:
        name = member.name.encode() if isinstance(member.name, str) else member.name
        local_name = name if member.local_name is None else member.local_name
        crc, size = zlib.crc32(member.data), len(member.data)
        local_size = size if member.local_size is None else member.local_size
        offset = len(out)
        out += struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            _UTF8,
            0,
            0,
            _DOS_DATE,
            crc,
            local_size,
            local_size,
            len(local_name),
            len(member.extra),
        )
        out += local_name + member.extra + member.data
        if member.listed:
            count += 1
            central += struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                0x0314,
                20,
                _UTF8,
                0,
                0,
                _DOS_DATE,
                crc,
                size,
                size,
                len(name),
                len(member.extra),
                0,
                0,
                0,
                member.mode << 16,
                offset,
            )
            central += name + member.extra
    cd_offset = len(out)
    out += central
    if zip64:  # the zip64 end record and locator, and an end record that defers to them
        record_at = len(out)
        out += struct.pack(
            "<4sQHHIIQQQQ",
            b"PK\x06\x06",
            44,
            0x0314,
            45,
            0,
            0,
            count,
            count,
            len(central),
            cd_offset,
        )
        out += struct.pack("<4sIQI", b"PK\x06\x07", 0, record_at, 1)
        out += struct.pack(
            "<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
        )
    else:
        out += struct.pack(
            "<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), cd_offset, 0
        )
    return prefix + bytes(out) + trailer
