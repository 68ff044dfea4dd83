"""Fast readers for archives in the shape ``build`` writes, for ``verify``.

:func:`plain_tar` and :func:`plain_zip` yield the same :class:`~.readback.ArchiveEntry`
items as :func:`~.readback.tar_entries` and :func:`~.zipread.zip_entries` do, but
only for an archive with nothing unusual in it: plain ustar headers of regular
files and directories, an intact gzip stream and end-of-archive marker; zip
local headers that tile the file and agree with the central directory, without
extra fields, stored or deflated. At the first thing they do not take on
(anything either full reader would report, and much that it would not) they
raise :class:`Irregular`, and the caller reads the archive again with the full
reader, which has the last word, and the exact message, on everything. So these
readers never decide that an archive is damaged; they only skip the per-member
objects of ``tarfile`` and the general reader when there is nothing to find.

Each member's bytes are read through (and hashed, with ``hashed``) before it is
yielded, so its ``stream`` is spent; memory stays bounded (pieces of 256 KiB).
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import sys
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import Final

from .fileio import CHUNK, open_regular
from .readback import ArchiveEntry
from .ziprecords import DEFLATED, DESCRIPTOR, DESCRIPTOR_SIG, ENCRYPTED, STORED, UTF8, find_end

__all__ = ["Irregular", "plain_tar", "plain_zip"]


class Irregular(Exception):
    """The archive is not in the plain shape the fast readers take on."""


class _Spent:
    """The stream of a member whose bytes the reader has read already."""

    def read(self, size: int = -1, /) -> bytes:
        return b""


_SPENT: Final = _Spent()
_BLOCK: Final = 512
_ZERO_BLOCK: Final = bytes(_BLOCK)
_END_OF_TAR: Final = 2 * _BLOCK
# tarfile's name encoding for a stream (tarfile.ENCODING), without importing tarfile.
_ENCODING: Final = sys.getfilesystemencoding()
_PIECE: Final = 256 << 10  # decompressed, or read, at a time: bigger is no faster


def _number(width: int, group: bool) -> bytes:
    """An octal field as tarfile reads it without complaint: digits, then only spaces or
    NULs (tarfile accepts more, such as leading spaces or base-256: those are irregular)."""
    forms = b"|".join(b"[0-7]{%d}[ \\0]{%d}" % (k, width - k) for k in range(width, -1, -1))
    return (b"(" if group else b"(?:") + forms + b")"


# The ustar header fields tarfile reads (TarInfo.frombuf): name, mode, uid, gid, size,
# mtime, chksum, typeflag ('0' regular file or '5' directory only), linkname, magic,
# version, uname, gname, devmajor, devminor, prefix.
_HEADER: Final = re.compile(
    rb"(?s)(.{100})"
    + _number(8, True)
    + _number(8, False)
    + _number(8, False)
    + _number(12, True)
    + _number(12, False)
    + _number(8, True)
    + rb"([05]).{172}"
    + _number(8, False)
    + _number(8, False)
    + rb"(.{155}).{12}"
)


def _header_sum(buf: bytes, at: int) -> int:
    """tarfile's unsigned header checksum: the bytes, the checksum field as spaces.

    adler32's first half is 1 + the byte sum modulo 65521, exact for pieces of at
    most 256 bytes.
    """
    return (
        (zlib.adler32(buf[at : at + 148]) & 0xFFFF)
        + (zlib.adler32(buf[at + 156 : at + 412]) & 0xFFFF)
        + (zlib.adler32(buf[at + 412 : at + 512]) & 0xFFFF)
        - 3
        + 8 * 32
    )


class _Gunzip:
    """One gzip member's bytes, a piece at a time; the whole file must be that member."""

    def __init__(self, raw: int) -> None:
        self._fd = raw
        self._inflate = zlib.decompressobj(31)  # gzip: header, CRC-32 and length checked
        self._input = b""

    def more(self) -> bytes:
        """The next piece of output (at most _PIECE bytes); b"" at the member's clean end."""
        while True:
            if self._inflate.eof:
                if self._inflate.unused_data or self._input or os.read(self._fd, 1):
                    raise Irregular("data after the gzip member")
                return b""
            if not self._input:
                self._input = os.read(self._fd, _PIECE)
                if not self._input:
                    raise Irregular("the gzip stream is cut short")
            out = self._inflate.decompress(self._input, _PIECE)
            self._input = self._inflate.unconsumed_tail
            if out:
                return out


def plain_tar(path: Path, *, hashed: bool) -> Generator[ArchiveEntry, None, None]:
    """The members of a plain tar.gz, as :func:`~.readback.tar_entries` gives them."""
    with open_regular(path, buffered=False) as raw:
        gz = _Gunzip(raw.fileno())
        buf, at = b"", 0  # buf[at:] is output not yet parsed
        match, header_sum, encoding = _HEADER.match, _header_sum, _ENCODING
        while True:
            while len(buf) - at < _BLOCK:
                piece = gz.more()
                if not piece:
                    raise Irregular("the tar is cut short")
                buf, at = buf[at:] + piece, 0
            if buf.startswith(_ZERO_BLOCK, at):
                break
            found = match(buf, at)
            if found is None:
                raise Irregular("not a plain header")
            name, mode, size, chksum, kind, prefix = found.groups()
            if header_sum(buf, at) != int(chksum.rstrip(b" \0") or b"0", 8):
                raise Irregular("a checksum tarfile may read otherwise")
            at += _BLOCK
            text = name.partition(b"\0")[0].decode(encoding, "surrogateescape")
            before = prefix.partition(b"\0")[0].decode(encoding, "surrogateescape")
            permissions = int(mode.rstrip(b" \0") or b"0", 8) & 0o7777
            if kind == b"5":  # a directory: no data follows, whatever its size field says
                text = text.rstrip("/")
                if before:
                    text = f"{before}/{text}".rstrip("/")
                yield ArchiveEntry(text, "directory", permissions, None)
                continue
            if before:
                text = f"{before}/{text}"
            left = int(size.rstrip(b" \0") or b"0", 8)
            padding = -left % _BLOCK
            sha256 = hashlib.sha256() if hashed else None
            while left:
                if at == len(buf):
                    buf, at = gz.more(), 0
                    if not buf:
                        raise Irregular("a member is cut short")
                end = min(len(buf), at + left)
                if sha256 is not None:
                    sha256.update(buf[at:end])
                left -= end - at
                at = end
            at += padding  # checked below, with the next header, if it runs past buf
            while at > len(buf):
                at -= len(buf)
                buf = gz.more()
                if not buf:
                    raise Irregular("a member is cut short")
            digest = sha256.hexdigest() if sha256 is not None else None
            yield ArchiveEntry(text, "file", permissions, _SPENT, (), digest)
        # The end: zeros only, at least two blocks of them, to the end of the gzip member.
        rest, padding = buf[at:], 0
        while rest:
            if rest.count(0) != len(rest):
                raise Irregular("data after the end-of-archive marker")
            padding += len(rest)
            rest = gz.more()
        if padding < _END_OF_TAR:
            raise Irregular("a short end-of-archive marker")


_CENTRAL: Final = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL: Final = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL_SIZE: Final = _CENTRAL.size
_LOCAL_SIZE: Final = _LOCAL.size
_DESCRIPTOR: Final = struct.Struct("<III")
_CENTRAL_SIG: Final = b"PK\x01\x02"
_LOCAL_SIG: Final = b"PK\x03\x04"


class _Window:
    """Positioned reads through one forward-moving window of the file, up to ``end``."""

    def __init__(self, fd: int, end: int) -> None:
        self._fd, self._end = fd, end
        self.data, self.at = b"", 0  # data holds the bytes from offset self.at

    def need(self, offset: int, size: int) -> int:
        """Where the ``size`` bytes at ``offset`` start in :attr:`data`; they must exist."""
        start = offset - self.at
        if start < 0 or start + size > len(self.data):
            if offset + size > self._end:
                raise Irregular("a record runs past where it may")
            self.data = os.pread(self._fd, max(size, min(_PIECE, self._end - offset)), offset)
            self.at, start = offset, 0
            if len(self.data) < size:
                raise Irregular("the file is shorter than it was")
        return start


def plain_zip(path: Path, *, hashed: bool) -> Generator[ArchiveEntry, None, None]:
    """The members of a plain zip, as :func:`~.zipread.zip_entries` gives them."""
    from .ziprecords import RecordFile

    with open_regular(path) as raw:
        end = find_end(RecordFile(raw))
        if end.trailing or end.shift:
            raise Irregular("bytes around the zip")
        fd = raw.fileno()
        stop = end.start + end.size
        central, local = _Window(fd, stop), _Window(fd, end.start)
        position, expected, count = end.start, 0, 0  # central record; next local entry
        unpack_central, unpack_local = _CENTRAL.unpack_from, _LOCAL.unpack_from
        # The windows' data is checked here first, and need() called only to move them.
        cdata, cat, ldata, lat = b"", 0, b"", 0
        while position < stop:
            at = position - cat
            if at + _CENTRAL_SIZE > len(cdata):
                at = central.need(position, _CENTRAL_SIZE)
                cdata, cat = central.data, central.at
            fields = unpack_central(cdata, at)
            sig, _, _, flags, method, _, _, crc, csize, usize, name_size = fields[:11]
            extra_size, comment_size, _, _, external, offset = fields[11:]
            if sig != _CENTRAL_SIG or extra_size or offset != expected:
                raise Irregular("not a plain central record")
            if at + _CENTRAL_SIZE + name_size > len(cdata):
                at = central.need(position, _CENTRAL_SIZE + name_size)
                cdata, cat = central.data, central.at
            name_bytes = cdata[at + _CENTRAL_SIZE : at + _CENTRAL_SIZE + name_size]
            position += _CENTRAL_SIZE + name_size + comment_size
            if position > stop:
                raise Irregular("the central directory is cut short")
            count += 1

            at = expected - lat
            if at < 0 or at + _LOCAL_SIZE + name_size > len(ldata):
                at = local.need(expected, _LOCAL_SIZE + name_size)
                ldata, lat = local.data, local.at
            fixed = unpack_local(ldata, at)
            descriptor = flags & DESCRIPTOR
            if (
                fixed[0] != _LOCAL_SIG
                or fixed[2] != flags
                or fixed[3] != method
                or fixed[9] != name_size
                or fixed[10]
                or (not descriptor and fixed[6:9] != (crc, csize, usize))
                or ldata[at + _LOCAL_SIZE : at + _LOCAL_SIZE + name_size] != name_bytes
                or flags & ENCRYPTED
                or method not in (STORED, DEFLATED)
            ):
                raise Irregular("not a plain local header")
            name = name_bytes.decode("utf-8" if flags & UTF8 else "cp437")
            mode = external >> 16
            file_type, permissions = mode & 0o170000, mode & 0o7777
            start = expected + _LOCAL_SIZE + name_size
            expected = start + csize
            if name.endswith("/") or file_type == 0o040000:
                if csize or usize or descriptor:
                    raise Irregular("a directory with data")
                yield ArchiveEntry(name, "directory", permissions if mode else None, None)
                continue
            if file_type not in (0, 0o100000):
                raise Irregular("a special file")
            at = start - lat
            if method == DEFLATED and not hashed and csize <= _PIECE and usize <= _PIECE:
                # The usual member, whole in the window (or after one move of it).
                if at + csize > len(ldata):
                    at = local.need(start, csize)
                    ldata, lat = local.data, local.at
                inflate = zlib.decompressobj(-15)
                out = inflate.decompress(ldata[at : at + csize], usize + 1)
                if (
                    not inflate.eof
                    or inflate.unused_data
                    or inflate.unconsumed_tail
                    or len(out) != usize
                    or zlib.crc32(out) != crc
                ):
                    raise Irregular("a deflate stream that does not match its record")
                digest = None
            else:
                digest = _member(local, start, csize, usize, crc, method == DEFLATED, hashed)
                ldata, lat = local.data, local.at
            if descriptor:
                at = local.need(expected, 16)
                ldata, lat = local.data, local.at
                skip = 4 if ldata[at : at + 4] == DESCRIPTOR_SIG else 0
                if _DESCRIPTOR.unpack_from(ldata, at + skip) != (crc, csize, usize):
                    raise Irregular("a data descriptor that disagrees")
                expected += skip + _DESCRIPTOR.size
            yield ArchiveEntry(name, "file", permissions if mode else None, _SPENT, (), digest)
        if count != end.entries or expected != end.start or position != stop:
            raise Irregular("entries that do not tile the file")


def _member(  # noqa: PLR0917 (one call, in the hot loop: keywords would cost)
    window: _Window, start: int, csize: int, usize: int, crc: int, deflated: bool, hashed: bool
) -> str | None:
    """Read one member's bytes through: its size and CRC-32 must match, its deflate
    stream must end exactly at its compressed size; its SHA-256 with ``hashed``."""
    sha256 = hashlib.sha256() if hashed else None
    inflate = zlib.decompressobj(-15) if deflated else None
    left, size, value = csize, 0, 0
    pending = b""
    while True:
        if not pending and left:
            piece = min(left, CHUNK)
            at = window.need(start, piece)
            pending = window.data[at : at + piece]
            start += piece
            left -= piece
        if inflate is None:
            out, pending = pending, b""
        else:
            out = inflate.decompress(pending, CHUNK)
            pending = inflate.unconsumed_tail
        size += len(out)
        if size > usize:
            raise Irregular("more bytes than the stated size")
        value = zlib.crc32(out, value)
        if sha256 is not None:
            sha256.update(out)
        if inflate is not None and inflate.eof:
            if inflate.unused_data or pending or left:
                raise Irregular("a deflate stream that ends early")
            break
        if inflate is None and not left:
            break
        if not out and not pending and not left:
            raise Irregular("a deflate stream that is cut short")
    if (size, value) != (usize, crc):
        raise Irregular("a size or CRC-32 that does not match")
    return sha256.hexdigest() if sha256 is not None else None
