"""Canonical archives: the SDK's tar.gz byte for byte, and a canonical zip.

The tar is what the SDK's Rust ``tar`` crate (0.4) writes, so its headers are
built by hand here (``tarfile`` writes different bytes); gzip and deflate come
from the pinned ``cramjam`` so the bytes are the same on every machine.
Sources are read once, into the uncompressed tar; the zip is made from that.
"""

from __future__ import annotations

import errno
import hashlib
import os
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, NamedTuple, Protocol

import cramjam

from .fileio import CHUNK, Digests, NotRegularFileError, Tree, file_digests, open_regular
from .validate import ARCHIVE_PATH_LIMIT, path_too_long_message

if TYPE_CHECKING:
    from typing_extensions import Buffer

# CHUNK, Digests and file_digests live in fileio; build.py and the tests import them from here.
__all__ = [
    "ARCHIVE_PATH_LIMIT",
    "CHUNK",
    "ZIP_ENTRY_LIMIT",
    "ZIP_SIZE_LIMIT",
    "ArchiveError",
    "Cancelled",
    "Digests",
    "Entry",
    "HashingWriter",
    "Member",
    "PathTooLongError",
    "Writable",
    "file_digests",
    "gzip_file",
    "write_tar",
    "write_zip",
]


class Member(NamedTuple):
    """One file to archive: its path inside the archive and where to read it.

    NamedTuples (Member, Entry): one of each per file, made faster than dataclasses."""

    name: str  # full archive path, "{name}-{version}/{relpath}"
    source: str | Path  # regular file on disk (never followed if it became a link)
    executable: bool  # stored 0755 instead of 0644
    rel: str = ""  # the on-disk path below the plugin root, for opening through a Tree


class ArchiveError(Exception):
    """A build problem with one file or archive; str() is one sentence naming the file."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path  # archive path or source path concerned

    def __reduce__(self) -> tuple[type[ArchiveError], tuple[object, ...]]:
        # Builds may run in worker processes: keep the error picklable.
        return type(self), (str(self), self.path)


class PathTooLongError(ArchiveError):
    """An archive path over ARCHIVE_PATH_LIMIT bytes (raised before anything is written)."""

    def __init__(self, archive_path: str, size: int) -> None:
        super().__init__(path_too_long_message(archive_path, size), archive_path)
        self.archive_path = archive_path
        self.size = size

    def __reduce__(self) -> tuple[type[ArchiveError], tuple[object, ...]]:
        return type(self), (self.archive_path, self.size)


class Entry(NamedTuple):
    """What write_tar recorded for one member: enough for write_zip and for reports."""

    name: str  # archive path
    executable: bool
    size: int
    crc32: int  # zlib.crc32 of the data
    offset: int  # byte offset of the member's data inside the uncompressed tar


class Writable(Protocol):
    """What the writers need of `out`: a sequential binary sink (a file or a HashingWriter)."""

    def write(self, data: Buffer, /) -> object: ...


_BLOCK: Final = 512

# --- tar headers: a port of tar-rs 0.4 (header.rs, builder.rs) ----------------------------

# (start, end) of the header fields written here; all others stay NUL.
_NAME: Final = (0, 100)
_MODE: Final = (100, 108)
_UID: Final = (108, 116)
_GID: Final = (116, 124)
_SIZE: Final = (124, 136)
_MTIME: Final = (136, 148)
_CKSUM: Final = (148, 156)
_TYPEFLAG: Final = 156
_MAGIC: Final = 257  # magic[6] + version[2]
_PREFIX: Final = (345, 500)


class _NoFit(Exception):
    """tar-rs refused to put a path into a header field (too long, or not a plain path)."""


def _octal_into(header: bytearray, field: tuple[int, int], value: int) -> None:
    # Zero-padded octal in all but the last byte, which stays NUL (high digits would drop).
    start, end = field
    width = end - start - 1
    header[start : end - 1] = f"{value:o}".rjust(width, "0")[-width:].encode()


def _number_into(header: bytearray, field: tuple[int, int], value: int) -> None:
    # num_field_wrapper_into: base-256 once octal would overflow (8 GiB in a 12-byte field).
    start, end = field
    if value >= 8**11 or (value >= 8**7 and end - start == 8):
        header[start:end] = bytes(end - start - 8) + value.to_bytes(8, "big")
        header[start] |= 0x80
    else:
        _octal_into(header, field, value)


def _new_header(mode: int, size: int, typeflag: bytes, *, gnu: bool = False) -> bytearray:
    """Header::new_ustar()/new_gnu() then set_mode/uid/gid/mtime/size/entry_type."""
    header = bytearray(_BLOCK)
    header[_MAGIC : _MAGIC + 8] = b"ustar  \0" if gnu else b"ustar\x0000"
    _octal_into(header, _MODE, mode)
    _number_into(header, _UID, 0)
    _number_into(header, _GID, 0)
    _number_into(header, _MTIME, 0)
    _number_into(header, _SIZE, size)
    header[_TYPEFLAG : _TYPEFLAG + 1] = typeflag
    return header


def _set_cksum(header: bytearray) -> bytes:
    # The sum counts the checksum field as 8 spaces; 7 octal digits + NUL are written.
    start, end = _CKSUM
    _octal_into(header, _CKSUM, sum(header) - sum(header[start:end]) + 8 * ord(" "))
    return bytes(header)


def _copy_into(header: bytearray, start: int, end: int, data: bytes) -> int:
    """copy_into: `data` then one NUL if it fits; on failure the slot keeps what it had."""
    if len(data) > end - start or b"\0" in data:
        raise _NoFit
    header[start : start + len(data)] = data
    if start + len(data) < end:
        header[start + len(data)] = 0
    return start + len(data)


def _components(path: bytes) -> list[bytes]:
    # Rust's Path::components on Unix: "" and interior "." vanish, a leading "." stays.
    parts = [b"/"] if path.startswith(b"/") else []
    for i, part in enumerate(path.split(b"/")):
        if part and (part != b"." or (i == 0 and not parts)):
            parts.append(part)
    return parts


def _copy_path_into(
    header: bytearray, field: tuple[int, int], path: bytes, *, gnu_long: bool = False
) -> None:
    """copy_path_into(_inner): writes component by component, so a failure leaves a partial
    write behind, exactly as tar-rs does (it matters for the bytes of the LongLink case)."""
    start, end = field
    comps = _components(path)
    pos, emitted = start, False
    for i, comp in enumerate(comps):
        if comp == b"/" or (comp == b".." and (not gnu_long or i + 1 < len(comps))):
            raise _NoFit
        if comp == b"." and len(comps) > 1:
            continue
        if emitted:
            pos = _copy_into(header, pos, end, b"/")
        pos = _copy_into(header, pos, end, comp)
        emitted = True
    if not emitted:
        raise _NoFit
    if path.endswith(b"/"):
        _copy_into(header, pos, end, b"/")


def _set_path(header: bytearray, path: bytes) -> None:
    """UstarHeader::set_path: all in `name`, else split at the longest parent <= 155 bytes."""
    if len(path) <= _NAME[1]:
        _copy_path_into(header, _NAME, path)
        return
    prefix = path
    while True:
        if not prefix:  # Path::parent("") is None
            raise _NoFit
        prefix = prefix.rsplit(b"/", 1)[0] if b"/" in prefix else b""
        if len(prefix) <= _PREFIX[1] - _PREFIX[0]:
            break
    _copy_path_into(header, _PREFIX, prefix)
    _copy_path_into(header, _NAME, path[len(prefix) + 1 :])


# The fixed fields of a regular file's ustar header, for the common case that the path
# fits the name field: what _new_header + _set_path + _set_cksum produce, assembled from
# constants (a test checks both ways agree on every such path). Hand-built: it is the
# per-member hot path of a build, and tar-rs's bytes are not what tarfile writes.
_MODES: Final = {0o644: b"0000644\0", 0o755: b"0000755\0"}
_IDS: Final = b"0000000\0" * 2  # uid, gid
_MTIME0: Final = b"00000000000\0"
_TAIL: Final = b"0" + bytes(100) + b"ustar\x0000" + bytes(_BLOCK - 265)  # typeflag..end
_FIXED_SUM: Final = sum(_IDS) + sum(_MTIME0) + sum(_TAIL) + 8 * ord(" ")


def _plain_header(path: bytes, mode: int, size: int) -> bytes | None:
    """The header of a plain relative path of at most 100 bytes, or None (the general way)."""
    mode_field = _MODES.get(mode)
    if len(path) > _NAME[1] or mode_field is None or size >= 8**11:
        return None
    size_field = b"%011o\0" % size
    cksum = _FIXED_SUM + sum(path) + sum(mode_field) + sum(size_field)
    return b"".join(
        (
            path,
            bytes(_NAME[1] - len(path)),
            mode_field,
            _IDS,
            size_field,
            _MTIME0,
            b"%07o\0" % cksum,
            _TAIL,
        )
    )


def _header_blocks(name: str, mode: int, size: int) -> bytes:
    """prepare_header_path + set_cksum for one regular file: its header, preceded by a GNU
    ././@LongLink entry when the path cannot be split (a component over 100 bytes).

    ``name`` has passed _check_names: a plain relative path (no empty, ``.`` or ``..``
    component, no NUL), which tar-rs copies into the header unchanged."""
    path = name.encode("utf-8")
    fast = _plain_header(path, mode, size)
    if fast is not None:
        return fast
    header = _new_header(mode, size, b"0")
    try:
        _set_path(header, path)
        return _set_cksum(header)
    except _NoFit:
        if len(path) < _NAME[1]:
            raise ArchiveError(f"{name} cannot be stored in a tar header", name) from None
    link = _new_header(0o644, len(path) + 1, b"L", gnu=True)
    link[0:13] = b"././@LongLink"
    data = path + b"\0"
    cut = _NAME[1]
    while cut and path[cut] & 0xC0 == 0x80:  # back to a UTF-8 boundary
        cut -= 1
    try:
        _copy_path_into(header, _NAME, path[:cut], gnu_long=True)
    except _NoFit:
        raise ArchiveError(f"{name} cannot be stored in a tar header", name) from None
    return _set_cksum(link) + data + _padding(len(data)) + _set_cksum(header)


def _padding(size: int) -> bytes:
    return bytes(-size % _BLOCK)


def _check_names(members: Sequence[Member]) -> None:
    previous = None
    for member in members:
        if member.name == previous:
            raise ArchiveError(
                f"two files would both be stored as {member.name}; rename one", member.name
            )
        previous = member.name
        try:
            size = len(member.name.encode("utf-8"))
        except UnicodeEncodeError:
            raise ArchiveError(f"{member.name!r} is not valid UTF-8", member.name) from None
        if size > ARCHIVE_PATH_LIMIT:
            raise PathTooLongError(member.name, size)
        parts = member.name.split("/")
        if "\0" in member.name or any(p in ("", ".", "..") for p in parts):
            raise ArchiveError(f"{member.name} is not a plain relative archive path", member.name)


def _open_source(member: Member, tree: Tree | None) -> tuple[int, int]:
    """Open a source that must still be a regular file, never following a link it
    became (through ``tree``: nor a link any directory on its way became):
    (descriptor, size); the caller closes the descriptor."""
    source = member.source
    try:
        if tree is not None and member.rel:
            return tree.open_fd(member.rel)
        if not hasattr(os, "O_NOFOLLOW") and os.path.islink(source):
            raise OSError(errno.ELOOP, "symbolic link")
        with open_regular(source, follow=False, buffered=False) as file:
            fd = os.dup(file.fileno())
    except NotRegularFileError:
        raise ArchiveError(f"{source} is no longer a regular file", str(source)) from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):  # O_NOFOLLOW met a link
            raise ArchiveError(
                f"{source} is now a symbolic link or reached through one, not a regular file",
                str(source),
            ) from None
        raise ArchiveError(f"cannot read {source}: {exc.strerror or exc}", str(source)) from None
    try:
        return fd, os.fstat(fd).st_size
    except BaseException:
        os.close(fd)
        raise


def _read_exactly(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes (fewer only at end of file)."""
    data = os.read(fd, size)
    while len(data) < size:
        more = os.read(fd, size - len(data))
        if not more:
            break
        data += more
    return data


def write_tar(
    members: Sequence[Member],
    out: Writable,
    *,
    on_bytes: Callable[[int], None] | None = None,
    on_member: Callable[[Entry, bytes | None], None] | None = None,
    tree: Tree | None = None,
) -> list[Entry]:
    """Write the SDK's canonical uncompressed tar of `members` (already sorted) to `out`.

    Every path is checked before anything is written (PathTooLongError for the first
    path over the limit); after any other ArchiveError `out` holds a partial tar.
    With ``tree`` (the plugin root) each source is opened through it, by ``rel``.
    ``on_member(entry, data)`` follows each member's bytes into ``out``: ``data`` is
    the file's content when it was read in one piece (at most CHUNK bytes), else None.
    """
    _check_names(members)
    entries: list[Entry] = []
    offset = 0
    for member in members:
        fd, size = _open_source(member, tree)
        data: bytes | None = None
        try:
            header = _header_blocks(member.name, 0o755 if member.executable else 0o644, size)
            offset += len(header)
            if size <= CHUNK:
                data = _read_exactly(fd, size)
                crc = zlib.crc32(data)
                changed = len(data) != size
                if not changed:
                    out.write(header + data + _padding(size))
                    if on_bytes is not None:
                        on_bytes(size)
                    changed = os.read(fd, 1) != b""
            else:
                crc, changed = _copy_large(fd, size, header, out, on_bytes)
        except OSError as exc:
            raise ArchiveError(
                f"cannot read {member.source}: {exc.strerror or exc}", str(member.source)
            ) from None
        finally:
            os.close(fd)
        if changed:
            raise ArchiveError(
                f"{member.source} changed while being packaged; build again", str(member.source)
            )
        if data is None:
            out.write(_padding(size))
        entry = Entry(member.name, member.executable, size, crc, offset)
        entries.append(entry)
        offset += size + len(_padding(size))
        if on_member is not None:
            on_member(entry, data)
    out.write(bytes(2 * _BLOCK))  # Builder::finish; no padding to a 10240-byte record
    return entries


def _copy_large(
    fd: int, size: int, header: bytes, out: Writable, on_bytes: Callable[[int], None] | None
) -> tuple[int, bool]:
    """Stream one file of more than CHUNK bytes: (its crc32, whether it changed meanwhile)."""
    out.write(header)
    crc, remaining = 0, size
    while remaining:
        chunk = os.read(fd, min(CHUNK, remaining))
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
        out.write(chunk)
        remaining -= len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    return crc, remaining > 0 or os.read(fd, 1) != b""


def gzip_file(src: Path, dst: Path) -> None:
    """gzip `src` into `dst` as the SDK does (level 6, mtime 0, no name, OS 255).

    Streams file to file inside cramjam (bounded memory, GIL released). cramjam.File
    opens with create and write access, so only our own temp files may be passed.
    """
    try:
        cramjam.gzip.compress_into(
            cramjam.File(str(src), read=True, write=True, truncate=False),
            cramjam.File(str(dst), read=True, write=True, truncate=True),
            level=6,
        )
    except (OSError, cramjam.CompressionError) as exc:
        raise ArchiveError(f"cannot gzip {src} into {dst}: {exc}", str(dst)) from None


# --- zip: canonical, strictly sequential; zip64 records only where a limit needs them -------

ZIP_ENTRY_LIMIT = 0xFFFF  # this many entries or more: a zip64 end record
ZIP_SIZE_LIMIT = 0xFFFFFFFF  # a size or offset this large or more: zip64 fields
_DOS_DATE: Final = 0x0021  # 1980-01-01; time 00:00 is 0
_MADE_BY: Final = 0x0314  # unix, zip 2.0
_NEEDED: Final = 20
_NEEDED_64: Final = 45  # zip 4.5: zip64
_DEFLATE: Final = 8
_UTF8_FLAG: Final = 1 << 11
_DESCRIPTOR_FLAG: Final = 1 << 3
_ZIP64_EXTRA: Final = 0x0001


class Cancelled(Exception):
    """The build was interrupted while this archive was being written."""


def write_zip(
    entries: Sequence[Entry],
    tar_path: Path,
    out: Writable,
    *,
    on_bytes: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Write a canonical zip of `entries`, reading their data back from the uncompressed
    tar at `tar_path`. `out` is written strictly sequentially (it may be hashing).

    Archives under every zip limit carry no extra field at all; past a limit the
    zip64 records that limit needs are written (an end record beyond 65,534
    entries, extra fields for sizes and offsets beyond 4 GiB), as Info-ZIP and
    Python's zipfile read them. ``cancelled()`` is polled between chunks.
    """
    with ZipWriter(tar_path, out, on_bytes=on_bytes, cancelled=cancelled) as writer:
        for entry in entries:
            writer.add(entry)
        writer.finish()


class ZipWriter:
    """The canonical zip, one member at a time, in tar order (see :func:`write_zip`).

    ``add(entry, data)`` takes the member's bytes when the caller has them (the tar
    writer read a small file in one piece), else reads them back from the tar at
    ``tar_path``, which must hold them by then. Output goes to ``out`` in CHUNK-sized
    writes (hashing is then cheap per byte).
    """

    def __init__(
        self,
        tar_path: Path,
        out: Writable,
        *,
        on_bytes: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self.tar_path = tar_path
        self.sink = _CountingSink(out)
        self.on_bytes = on_bytes
        self.cancelled = cancelled
        self.central: list[bytes] = []
        self._tar: BinaryIO | None = None

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tar is not None:
            self._tar.close()

    def add(self, entry: Entry, data: bytes | None = None) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled
        if self._tar is None and data is None:
            self._tar = open(self.tar_path, "rb")  # noqa: SIM115 - closed by __exit__
        self.central.append(
            _zip_member(
                entry,
                data,
                self._tar,
                self.sink,
                on_bytes=self.on_bytes,
                cancelled=self.cancelled,
            )
        )

    def finish(self) -> None:
        """The central directory and end records, then everything flushed to ``out``."""
        sink, n = self.sink, len(self.central)
        cd_offset = sink.pos
        for record in self.central:
            sink.write(record)
        cd_size = sink.pos - cd_offset
        if n >= ZIP_ENTRY_LIMIT or cd_size >= ZIP_SIZE_LIMIT or cd_offset >= ZIP_SIZE_LIMIT:
            end64 = sink.pos
            sink.write(
                struct.pack(
                    "<IQHHIIQQQQ",
                    0x06064B50,
                    44,
                    _MADE_BY,
                    _NEEDED_64,
                    0,
                    0,
                    n,
                    n,
                    cd_size,
                    cd_offset,
                )
            )
            sink.write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        sink.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                min(n, 0xFFFF),
                min(n, 0xFFFF),
                min(cd_size, 0xFFFFFFFF),
                min(cd_offset, 0xFFFFFFFF),
                0,
            )
        )
        sink.flush()


class _CountingSink:
    """Counts the bytes written; gathers small writes into CHUNK-sized ones."""

    def __init__(self, out: Writable) -> None:
        self.out, self.pos = out, 0
        self.pending = bytearray()

    def write(self, data: Buffer) -> int:
        n = memoryview(data).nbytes
        self.pending += data
        self.pos += n
        if len(self.pending) >= CHUNK:
            self.flush()
        return n

    def flush(self) -> None:
        if self.pending:
            self.out.write(self.pending)
            self.pending = bytearray()


def _zip_member(
    entry: Entry,
    data: bytes | None,
    tar: BinaryIO | None,
    sink: _CountingSink,
    *,
    on_bytes: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> bytes:
    """Write one member's local header, data (and descriptor); return its central record."""
    offset = sink.pos
    name = entry.name.encode("utf-8")
    flags = 0 if entry.name.isascii() else _UTF8_FLAG
    changed = ArchiveError(f"the tar data of {entry.name} changed while zipping", entry.name)
    if data is None and entry.size <= CHUNK:
        assert tar is not None
        tar.seek(entry.offset)
        data = tar.read(entry.size)
        if len(data) != entry.size or zlib.crc32(data) != entry.crc32:
            raise changed
    if data is not None:
        body = cramjam.deflate.compress(data, level=6)
        csize = len(body)
        big = csize >= ZIP_SIZE_LIMIT or entry.size >= ZIP_SIZE_LIMIT
        if big:
            extra = struct.pack("<HHQQ", _ZIP64_EXTRA, 16, entry.size, csize)
            sink.write(_local_header(name, flags, entry.crc32, 0xFFFFFFFF, 0xFFFFFFFF, extra=extra))
        else:
            sink.write(_local_header(name, flags, entry.crc32, csize, entry.size))
        sink.write(body)
        if on_bytes is not None:
            on_bytes(entry.size)
    else:
        assert tar is not None
        tar.seek(entry.offset)
        # Bounded memory: deflate 1 MiB at a time with a sync flush after each, so the
        # boundaries (hence the bytes) are fixed; crc and sizes follow in a data descriptor.
        flags |= _DESCRIPTOR_FLAG
        # Deflate can grow incompressible data a little: decide zip64 up front, as
        # zipfile does, from the uncompressed size with a margin.
        big = entry.size * 1.05 >= ZIP_SIZE_LIMIT
        extra = struct.pack("<HHQQ", _ZIP64_EXTRA, 16, 0, 0) if big else b""
        sink.write(_local_header(name, flags, 0, 0, 0, extra=extra))
        compressor = cramjam.deflate.Compressor(6)
        crc, csize, remaining = 0, 0, entry.size
        while remaining:
            if cancelled is not None and cancelled():
                raise Cancelled
            chunk = tar.read(min(CHUNK, remaining))
            if not chunk:
                raise changed
            crc = zlib.crc32(chunk, crc)
            compressor.compress(chunk)
            remaining -= len(chunk)
            csize += sink.write(compressor.flush() if remaining else compressor.finish())
            if on_bytes is not None:
                on_bytes(len(chunk))
        if crc != entry.crc32:
            raise changed
        if csize >= ZIP_SIZE_LIMIT and not big:
            raise ArchiveError(
                f"{entry.name} grew past 4 GiB when compressed; build tar.gz", entry.name
            )
        if big:
            sink.write(struct.pack("<IIQQ", 0x08074B50, crc, csize, entry.size))
        else:
            sink.write(struct.pack("<4I", 0x08074B50, crc, csize, entry.size))
    attrs = (0o100755 if entry.executable else 0o100644) << 16
    # Central record: each value too large for its 32-bit field moves to the zip64 extra.
    wide = [v for v in (entry.size, csize, offset) if v >= ZIP_SIZE_LIMIT]
    extra = struct.pack(f"<HH{len(wide)}Q", _ZIP64_EXTRA, 8 * len(wide), *wide) if wide else b""
    return (
        struct.pack("<IHH", 0x02014B50, _MADE_BY, _NEEDED_64 if wide else _NEEDED)
        + _common_fields(
            flags,
            entry.crc32,
            min(csize, 0xFFFFFFFF),
            min(entry.size, 0xFFFFFFFF),
            name,
            extra_len=len(extra),
        )
        # comment length, disk, internal attributes, external attributes, header offset
        + struct.pack("<HHHII", 0, 0, 0, attrs, min(offset, 0xFFFFFFFF))
        + name
        + extra
    )


def _local_header(
    name: bytes, flags: int, crc: int, csize: int, usize: int, *, extra: bytes = b""
) -> bytes:
    return (
        struct.pack("<IH", 0x04034B50, _NEEDED_64 if extra else _NEEDED)
        + _common_fields(flags, crc, csize, usize, name, extra_len=len(extra))
        + name
        + extra
    )


def _common_fields(
    flags: int, crc: int, csize: int, usize: int, name: bytes, *, extra_len: int = 0
) -> bytes:
    """Flags .. extra-field length, shared by local and central headers."""
    return struct.pack(
        "<HHHHIIIHH", flags, _DEFLATE, 0, _DOS_DATE, crc, csize, usize, len(name), extra_len
    )


# --- checksums ------------------------------------------------------------------------------


class HashingWriter:
    """Wraps a binary file; every write also feeds md5, sha256 and the size."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._size = 0

    def write(self, data: Buffer, /) -> int:
        self._out.write(data)
        self._md5.update(data)
        self._sha256.update(data)
        n = memoryview(data).nbytes
        self._size += n
        return n

    @property
    def md5(self) -> str:
        return self._md5.hexdigest()

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def size(self) -> int:
        return self._size

    def digests(self) -> Digests:
        return Digests(self.md5, self.sha256, self._size)
