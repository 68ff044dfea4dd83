"""The archive writers: the SDK's tar.gz byte for byte, a canonical zip, checksums."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import cramjam
import pytest
from conftest import need, needs_symlinks, sha256sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_build import archive
from plugin_build.archive import (
    ArchiveError,
    Entry,
    HashingWriter,
    Member,
    PathTooLongError,
    file_digests,
    gzip_file,
    write_tar,
    write_zip,
)

MIB = 1 << 20
TOP = "p-0.1.0"
GOLDEN_FILES = {
    "manifest.toml": b'manifest_schema_version = "1.2"\n[plugin]\nname="p"\nversion="0.1.0"\n'
    b'description="x"\ntriggers=["process_writes"]\n[dependencies]\n'
    b'database_version=">=3.0.0"\n',
    "__init__.py": b"def process_writes(a, b, c):\n    pass\n",
}
GOLDEN_SHA256 = "9ec4a7ccb674b7f21178bc7dc8fbca65d51501e25ef8032fbd59b7c7ef39abf2"


# --- helpers ------------------------------------------------------------------------------


def make_members(
    root: Path, files: dict[str, bytes], executable: Iterable[str] = (), top: str = TOP
) -> list[Member]:
    """Write `files` (relative path -> bytes) under root/src; members sorted by path bytes."""
    execs = set(executable)
    members = []
    for rel, data in files.items():
        source = root / "src" / rel
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        members.append(Member(f"{top}/{rel}", source, rel in execs))
    return sorted(members, key=lambda m: m.name.encode())


def build(members: list[Member], out_dir: Path) -> tuple[Path, Path, Path, list[Entry]]:
    """tar, tar.gz and zip of `members` in out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tar, tgz, zip_ = out_dir / "a.tar", out_dir / "a.tar.gz", out_dir / "a.zip"
    with tar.open("wb") as f:
        entries = write_tar(members, f)
    gzip_file(tar, tgz)
    with zip_.open("wb") as f:
        write_zip(entries, tar, f)
    return tar, tgz, zip_, entries


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def headers(tar_bytes: bytes) -> list[bytes]:
    """Every 512-byte header block of an uncompressed tar (without the end blocks)."""
    blocks, pos = [], 0
    while tar_bytes[pos : pos + 512] != bytes(512):
        header = tar_bytes[pos : pos + 512]
        blocks.append(header)
        size = int(header[124:135], 8)
        pos += 512 + -(-size // 512) * 512
    return blocks


def field(header: bytes, start: int, end: int) -> bytes:
    return header[start:end]


# --- the SDK's golden archive ---------------------------------------------------------------


def test_golden_hash_of_the_sdk(tmp_path: Path) -> None:
    _, tgz, _, _ = build(make_members(tmp_path, GOLDEN_FILES), tmp_path / "out")
    assert sha256(tgz) == GOLDEN_SHA256


def test_exec_bit_changes_hash_and_gives_0755(tmp_path: Path) -> None:
    members = make_members(tmp_path, GOLDEN_FILES, executable=["__init__.py"])
    _, tgz, _, _ = build(members, tmp_path / "out")
    assert sha256(tgz) != GOLDEN_SHA256
    with tarfile.open(tgz) as tf:
        modes = {m.name: m.mode for m in tf.getmembers()}
    assert modes == {f"{TOP}/__init__.py": 0o755, f"{TOP}/manifest.toml": 0o644}


def test_source_permissions_and_mtimes_are_not_inputs(tmp_path: Path) -> None:
    members = make_members(tmp_path, GOLDEN_FILES)
    for member in members:
        Path(member.source).chmod(0o600)
        os.utime(member.source, (1e9, 1e9))
    _, tgz, _, _ = build(members, tmp_path / "out")
    assert sha256(tgz) == GOLDEN_SHA256


def test_gzip_header_is_the_sdks(tmp_path: Path) -> None:
    _, tgz, _, _ = build(make_members(tmp_path, GOLDEN_FILES), tmp_path / "out")
    # magic, deflate, no flags (no FNAME), MTIME 0, XFL 0, OS 255
    assert tgz.read_bytes()[:10] == bytes.fromhex("1f8b08000000000000ff")


def test_gzip_file_streams_the_same_bytes_as_one_shot(tmp_path: Path) -> None:
    data = b"".join(b"line %d of some text\n" % i for i in range(200_000)) + os.urandom(MIB)
    src, dst = tmp_path / "in", tmp_path / "out.gz"
    src.write_bytes(data)
    gzip_file(src, dst)
    assert dst.read_bytes() == bytes(cramjam.gzip.compress(data, level=6))
    assert zlib.decompress(dst.read_bytes(), 31) == data
    assert src.read_bytes() == data  # opened read/write, but untouched


# --- header bytes ---------------------------------------------------------------------------


def test_header_fields_are_the_canonical_ustar_bytes(tmp_path: Path) -> None:
    files = {"a.py": b"x" * 1000, "b.sh": b"", "c/d.txt": b"y" * 512}
    tar, _, _, _ = build(make_members(tmp_path, files, executable=["b.sh"]), tmp_path / "out")
    data = tar.read_bytes()
    blocks = headers(data)
    assert [field(h, 0, 100).rstrip(b"\0") for h in blocks] == [
        b"p-0.1.0/a.py",
        b"p-0.1.0/b.sh",
        b"p-0.1.0/c/d.txt",
    ]  # sorted, and no directory entries
    for header, mode, size in zip(
        blocks, [b"0000644", b"0000755", b"0000644"], [1000, 0, 512], strict=True
    ):
        assert field(header, 100, 108) == mode + b"\0"
        assert field(header, 108, 116) == b"0000000\0"  # uid
        assert field(header, 116, 124) == b"0000000\0"  # gid
        assert field(header, 124, 136) == f"{size:011o}".encode() + b"\0"
        assert field(header, 136, 148) == b"00000000000\0"  # mtime
        chksum = field(header, 148, 156)
        assert chksum[7:] == b"\0"
        assert chksum[:7].isdigit()
        unsummed = header[:148] + b" " * 8 + header[156:]
        assert int(chksum[:7], 8) == sum(unsummed)
        assert header[156:157] == b"0"
        assert field(header, 157, 257) == bytes(100)  # linkname
        assert field(header, 257, 263) == b"ustar\0"
        assert field(header, 263, 265) == b"00"
        assert field(header, 265, 297) == bytes(32)  # uname
        assert field(header, 297, 329) == bytes(32)  # gname
        assert field(header, 329, 345) == bytes(16)  # devmajor, devminor
        assert field(header, 345, 512) == bytes(167)  # prefix (unused here) and pad
    # 3 headers + 1024 + 0 + 512 bytes of data (padded) + exactly two zero blocks
    assert len(data) == 3 * 512 + 1024 + 512 + 1024
    assert data.endswith(bytes(1024))
    assert len(data) % 512 == 0
    assert len(data) % 10240 != 0


def test_entries_locate_the_data_in_the_tar(tmp_path: Path) -> None:
    files = {"a": b"hello", "b": os.urandom(3000), "c": b""}
    tar, _, _, entries = build(make_members(tmp_path, files), tmp_path / "out")
    data = tar.read_bytes()
    for entry, (rel, content) in zip(entries, sorted(files.items()), strict=True):
        assert entry.name == f"{TOP}/{rel}"
        assert entry.size == len(content)
        assert entry.crc32 == zlib.crc32(content)
        assert data[entry.offset : entry.offset + entry.size] == content
        assert not entry.executable


def test_on_bytes_reports_every_source_byte(tmp_path: Path) -> None:
    files = {"a": os.urandom(3 * MIB + 5), "b": b"xyz"}
    members = make_members(tmp_path, files)
    seen: list[int] = []
    with (tmp_path / "t.tar").open("wb") as f:
        entries = write_tar(members, f, on_bytes=seen.append)
    assert sum(seen) == 3 * MIB + 8
    assert max(seen) <= MIB  # read in chunks
    zipped: list[int] = []
    write_zip(entries, tmp_path / "t.tar", io.BytesIO(), on_bytes=zipped.append)
    assert sum(zipped) == 3 * MIB + 8


# --- paths: name/prefix split, GNU LongLink, the 255-byte limit ------------------------------


def test_split_uses_the_longest_parent_unlike_tarfile(tmp_path: Path) -> None:
    rel = "a" * 60 + "/" + "b" * 60 + "/" + "c" * 20
    members = make_members(tmp_path, {rel: b"data"})
    tar, _, _, _ = build(members, tmp_path / "out")
    (header,) = headers(tar.read_bytes())
    assert field(header, 345, 500).rstrip(b"\0") == f"{TOP}/{'a' * 60}/{'b' * 60}".encode()
    assert field(header, 0, 100).rstrip(b"\0") == b"c" * 20
    # Python's tarfile takes the shortest workable prefix: different bytes.
    theirs = tarfile.TarInfo(members[0].name).tobuf(tarfile.USTAR_FORMAT)
    assert field(theirs, 345, 500).rstrip(b"\0") == f"{TOP}/{'a' * 60}".encode()
    with tarfile.open(tar) as tf:
        assert tf.getnames() == [members[0].name]


def test_long_component_gets_a_gnu_longlink_entry(tmp_path: Path) -> None:
    rel = "d" * 150
    members = make_members(tmp_path, {rel: b"payload"})
    path = members[0].name.encode()
    tar, tgz, _, entries = build(members, tmp_path / "out")
    data = tar.read_bytes()
    link, body, real = data[:512], data[512:1024], data[1024:1536]
    assert field(link, 0, 100) == b"././@LongLink" + bytes(87)
    assert field(link, 100, 108) == b"0000644\0"
    assert field(link, 108, 124) == b"0000000\0" * 2
    assert field(link, 124, 136) == f"{len(path) + 1:011o}".encode() + b"\0"
    assert field(link, 136, 148) == b"00000000000\0"
    assert int(field(link, 148, 155), 8) == sum(link[:148] + b" " * 8 + link[156:])
    assert link[156:157] == b"L"
    assert field(link, 257, 265) == b"ustar  \0"  # GNU magic and version
    assert body == path + bytes(512 - len(path))
    assert field(real, 0, 100) == path[:100]
    assert field(real, 257, 265) == b"ustar\x0000"
    assert entries[0].offset == 1536
    with tarfile.open(tgz) as tf:
        assert tf.getnames() == [members[0].name]
        extracted = tf.extractfile(members[0].name)
        assert extracted is not None
        assert extracted.read() == b"payload"
    # a relative name: GNU tar (as in Git for Windows) takes "C:..." for a remote host
    listing = subprocess.run(
        [need("tar"), "-tzf", tgz.name], cwd=tgz.parent, capture_output=True, text=True, check=True
    )
    assert listing.stdout.splitlines() == [members[0].name]


def test_tricky_paths_match_tar_rs(tmp_path: Path) -> None:
    """The bytes tar-rs 0.4.38 (Debian's librust-tar-dev) wrote for these members, verified
    when this test was written: a split, LongLinks after a failed split (which leaves the
    prefix field filled, as tar-rs does), a UTF-8 boundary cut, and a 100-byte name."""
    rels = [
        "a" * 60 + "/" + "b" * 60 + "/" + "c" * 20,
        "d" * 150,
        "x" * 90 + "/" + "y" * 5 + "/" + "z" * 101,
        "a" * 91 + "é" * 60,
        "e" * 100,
    ]
    names = sorted((f"{TOP}/{rel}" for rel in rels), key=str.encode)
    members = []
    for i, name in enumerate(names):
        source = tmp_path / str(i)
        source.write_bytes(f"file {i}\n".encode())
        members.append(Member(name, source, i == 1))
    out = io.BytesIO()
    write_tar(members, out)
    digest = hashlib.sha256(out.getvalue()).hexdigest()
    assert digest == "9b28fba7d35c4dd204ddd66c46cd0495cf7a579a1578d429bc807183e6029a5b"
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tf:
        assert tf.getnames() == names


def test_path_over_255_bytes_fails_before_writing(tmp_path: Path) -> None:
    files = {"ok.py": b"x", "l" * 250: b"y", "m" * 251: b"z"}
    members = make_members(tmp_path, files)
    out = io.BytesIO()
    with pytest.raises(PathTooLongError) as caught:
        write_tar(members, out)
    assert out.getvalue() == b""
    assert caught.value.archive_path == f"{TOP}/{'l' * 250}"  # the first offending one
    assert caught.value.size == 258
    assert caught.value.path == caught.value.archive_path
    assert "258 bytes" in str(caught.value)
    assert "255" in str(caught.value)
    again = pickle.loads(pickle.dumps(caught.value))  # survives worker processes
    assert type(again) is PathTooLongError
    assert (again.archive_path, again.size, str(again)) == (
        caught.value.archive_path,
        258,
        str(caught.value),
    )


def test_exactly_255_bytes_is_accepted(tmp_path: Path) -> None:
    rel = "f" * 100 + "/" + "g" * (255 - len(TOP) - 2 - 100)
    members = make_members(tmp_path, {rel: b"ok"})
    assert len(members[0].name.encode()) == 255
    tar, _, _, _ = build(members, tmp_path / "out")
    with tarfile.open(tar) as tf:
        assert tf.getnames() == [members[0].name]


def test_archive_error_pickles(tmp_path: Path) -> None:
    error = ArchiveError("x.py changed while being packaged", "x.py")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.path) == (ArchiveError, str(error), "x.py")


# --- readback by tarfile, zipfile and the system tools ---------------------------------------

READBACK_FILES = {
    "__init__.py": b"def process_writes(a, b, c):\n    pass\n",
    "manifest.toml": GOLDEN_FILES["manifest.toml"],
    "run.sh": b"#!/bin/sh\necho hi\n",
    "data/big.bin": os.urandom(2 * MIB + 123),
    "data/empty.txt": b"",
    "données/été.txt": "crème brûlée\n".encode(),
}


@pytest.fixture
def readback(tmp_path: Path) -> tuple[Path, Path]:
    members = make_members(tmp_path, READBACK_FILES, executable=["run.sh"])
    _, tgz, zip_, _ = build(members, tmp_path / "out")
    return tgz, zip_


def expected_mode(rel: str) -> int:
    return 0o755 if rel == "run.sh" else 0o644


def test_tarfile_reads_every_member(readback: tuple[Path, Path]) -> None:
    tgz, _ = readback
    with tarfile.open(tgz) as tf:
        members = tf.getmembers()
        assert [m.name for m in members] == sorted(
            (f"{TOP}/{rel}" for rel in READBACK_FILES), key=str.encode
        )
        for info in members:
            rel = info.name.removeprefix(f"{TOP}/")
            assert info.isfile()
            assert info.mode == expected_mode(rel)
            assert (info.uid, info.gid, info.uname, info.gname, info.mtime) == (0, 0, "", "", 0)
            extracted = tf.extractfile(info)
            assert extracted is not None
            assert extracted.read() == READBACK_FILES[rel]


def test_zipfile_reads_every_member(readback: tuple[Path, Path]) -> None:
    _, zip_ = readback
    with zipfile.ZipFile(zip_) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(
            (f"{TOP}/{rel}" for rel in READBACK_FILES), key=str.encode
        )
        for info in infos:
            rel = info.filename.removeprefix(f"{TOP}/")
            assert zf.read(info) == READBACK_FILES[rel]
            assert info.external_attr >> 16 == 0o100000 | expected_mode(rel)
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.skipif(sys.platform == "win32", reason="no exec bits to extract on Windows")
def test_system_tar_extracts_with_modes(readback: tuple[Path, Path], tmp_path: Path) -> None:
    tgz, _ = readback
    dest = tmp_path / "x"
    dest.mkdir()
    subprocess.run([need("tar"), "-xzf", str(tgz), "-C", str(dest)], check=True)
    for rel, data in READBACK_FILES.items():
        path = dest / TOP / rel
        assert path.read_bytes() == data
        assert bool(path.stat().st_mode & 0o111) == (rel == "run.sh")


def test_unzip_and_zipinfo_accept_the_zip(readback: tuple[Path, Path]) -> None:
    _, zip_ = readback
    tested = subprocess.run(  # relative names, like tar's: no "C:..." for the Unix tools
        [need("unzip"), "-t", zip_.name],
        cwd=zip_.parent,
        check=False,
        capture_output=True,
        text=True,
    )
    assert tested.returncode == 0, tested.stdout
    assert "No errors detected" in tested.stdout
    info = subprocess.run(
        [need("unzip"), "-Z", zip_.name],
        cwd=zip_.parent,
        check=False,
        capture_output=True,
        text=True,
    )
    assert info.returncode == 0
    lines = [line for line in info.stdout.splitlines() if f"{TOP}/" in line]
    assert len(lines) == len(READBACK_FILES)
    for line in lines:
        perms = "-rwxr-xr-x" if line.endswith("run.sh") else "-rw-r--r--"
        assert line.startswith(perms), line
        assert "2.0 unx" in line, line  # made by unix, zip 2.0
        assert "defN 80-Jan-01 00:00" in line, line


def test_python_zipfile_cli_accepts_the_zip(readback: tuple[Path, Path]) -> None:
    _, zip_ = readback
    result = subprocess.run(
        [sys.executable, "-m", "zipfile", "-t", str(zip_)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "Done testing" in result.stdout


def test_sha256sum_checks_the_digests(readback: tuple[Path, Path]) -> None:
    tgz, zip_ = readback
    lines = []
    for path in (tgz, zip_):
        digests = file_digests(path)
        data = path.read_bytes()
        assert digests.sha256 == hashlib.sha256(data).hexdigest()
        assert digests.md5 == hashlib.md5(data).hexdigest()
        assert digests.size == len(data)
        lines.append(f"{digests.sha256}  {path.name}\n")
    (tgz.parent / "SHA256SUMS").write_bytes("".join(lines).encode())  # LF on every OS
    result = subprocess.run(
        [*sha256sum(), "-c", "SHA256SUMS"],
        cwd=tgz.parent,
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert result.stdout.count(": OK") == 2


def test_hashing_writer_hashes_what_it_writes(tmp_path: Path) -> None:
    members = make_members(tmp_path, READBACK_FILES)
    tar = tmp_path / "t.tar"
    with tar.open("wb") as f:
        entries = write_tar(members, f)
    target = tmp_path / "t.zip"
    with target.open("wb") as f:
        hasher = HashingWriter(f)
        write_zip(entries, tar, hasher)
    data = target.read_bytes()
    assert hasher.sha256 == hashlib.sha256(data).hexdigest()
    assert hasher.md5 == hashlib.md5(data).hexdigest()
    assert hasher.size == len(data)
    assert hasher.digests() == file_digests(target)


# --- zip structure --------------------------------------------------------------------------


def parse_zip(data: bytes) -> dict[str, dict[str, int]]:
    """Walk the zip strictly: local records back to back, then the central directory, then
    the end record, every byte accounted for. Returns the central records by name."""
    sig, _, _, count, total, cd_size, cd_offset, comment = struct.unpack("<IHHHHIIH", data[-22:])
    assert (sig, count, comment) == (0x06054B50, total, 0)
    assert cd_offset + cd_size == len(data) - 22
    keys = "sig made needed flags method time date crc csize usize nlen xlen clen disk iattr"
    records: dict[str, dict[str, int]] = {}
    pos = cd_offset
    for _ in range(count):
        fields = struct.unpack("<IHHHHHHIIIHHHHHII", data[pos : pos + 46])
        record = dict(zip([*keys.split(), "xattr", "offset"], fields, strict=True))
        assert record["sig"] == 0x02014B50
        assert (record["xlen"], record["clen"]) == (0, 0)  # no extra fields, no comments
        records[data[pos + 46 : pos + 46 + record["nlen"]].decode("utf-8")] = record
        pos += 46 + record["nlen"]
    assert pos == len(data) - 22
    pos = 0
    for name, record in records.items():
        assert record["offset"] == pos
        local = struct.unpack("<IHHHHHIIIHH", data[pos : pos + 30])
        sig, needed, flags, method, time, date, crc, csize, usize, nlen, xlen = local
        assert (sig, needed, flags, method) == (0x04034B50, 20, record["flags"], 8)
        assert (time, date, xlen) == (0, 0x0021, 0)
        assert data[pos + 30 : pos + 30 + nlen] == name.encode("utf-8")
        pos += 30 + nlen
        body = data[pos : pos + record["csize"]]
        assert zlib.crc32(zlib.decompress(body, -15)) == record["crc"]
        pos += record["csize"]
        if flags & 8:
            assert (crc, csize, usize) == (0, 0, 0)
            descriptor = struct.unpack("<4I", data[pos : pos + 16])
            assert descriptor == (0x08074B50, record["crc"], record["csize"], record["usize"])
            pos += 16
        else:
            assert (crc, csize, usize) == (record["crc"], record["csize"], record["usize"])
    assert pos == cd_offset
    return records


def test_zip_headers_are_canonical(readback: tuple[Path, Path]) -> None:
    _, zip_ = readback
    by_name = parse_zip(zip_.read_bytes())
    for rel, data in READBACK_FILES.items():
        record = by_name[f"{TOP}/{rel}"]
        assert record["made"] == 0x0314
        assert record["needed"] == 20
        assert (record["time"], record["date"]) == (0, 0x0021)
        assert record["xattr"] == (0o100000 | expected_mode(rel)) << 16
        assert record["usize"] == len(data)
        assert bool(record["flags"] & 0x800) == (not rel.isascii())  # UTF-8 names only
        assert bool(record["flags"] & 0x8) == (len(data) > MIB)  # descriptor only when big


def test_one_mib_member_is_one_shot_and_larger_streams(tmp_path: Path) -> None:
    files = {"exact": os.urandom(MIB), "over": b"t" * (MIB + 1), "huge": os.urandom(5 * MIB)}
    _, _, zip_, _ = build(make_members(tmp_path, files), tmp_path / "out")
    records = parse_zip(zip_.read_bytes())
    assert records[f"{TOP}/exact"]["flags"] == 0
    assert records[f"{TOP}/over"]["flags"] == 0x8
    assert records[f"{TOP}/huge"]["flags"] == 0x8
    with zipfile.ZipFile(zip_) as zf:
        for rel, data in files.items():
            assert zf.read(f"{TOP}/{rel}") == data


def test_empty_files(tmp_path: Path) -> None:
    files = {"a": b"", "b/c": b""}
    tar, tgz, zip_, entries = build(make_members(tmp_path, files), tmp_path / "out")
    assert [e.size for e in entries] == [0, 0]
    assert len(tar.read_bytes()) == 2 * 512 + 1024
    with tarfile.open(tgz) as tf:
        assert [m.size for m in tf.getmembers()] == [0, 0]
    with zipfile.ZipFile(zip_) as zf:
        assert [zf.read(i) for i in zf.infolist()] == [b"", b""]
    parse_zip(zip_.read_bytes())


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    files = {"x.py": b"print(1)\n" * 1000, "y/z.bin": os.urandom(MIB + 7), "é.txt": b"e"}
    first = make_members(tmp_path / "one", files, executable=["x.py"])
    second = make_members(tmp_path / "elsewhere" / "two", files, executable=["x.py"])
    for member in second:  # different mtimes and non-exec permission bits
        os.utime(member.source, (12345, 12345))
        Path(member.source).chmod(0o600)
    a = build(first, tmp_path / "out1")
    b = build(second, tmp_path / "out2")
    for path_a, path_b in zip(a[:3], b[:3], strict=True):
        assert path_a.read_bytes() == path_b.read_bytes()


def _zip_bytes(entries: list[Entry], tar: Path) -> bytes:
    out = io.BytesIO()
    write_zip(entries, tar, out)
    return out.getvalue()


def _check_zip64(tmp_path: Path, data: bytes, members: list[Member]) -> None:
    """zipfile and Info-ZIP's unzip read every member back, CRCs checked."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [m.name for m in members]
        assert [zf.read(m.name) for m in members] == [Path(m.source).read_bytes() for m in members]
    path = tmp_path / "z64.zip"
    path.write_bytes(data)
    result = subprocess.run([need("unzip"), "-t", str(path)], capture_output=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_past_the_entry_limit_a_zip64_end_record_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = make_members(tmp_path, {"a": b"1", "b": b"2", "c": b"3"})
    with (tmp_path / "t.tar").open("wb") as f:
        entries = write_tar(members, f)
    plain = _zip_bytes(entries, tmp_path / "t.tar")
    monkeypatch.setattr(archive, "ZIP_ENTRY_LIMIT", 4)  # one under the limit: no zip64 at all
    assert _zip_bytes(entries, tmp_path / "t.tar") == plain
    assert b"PK\x06\x06" not in plain
    assert b"PK\x06\x07" not in plain
    parse_zip(plain)
    monkeypatch.setattr(archive, "ZIP_ENTRY_LIMIT", 3)
    data = _zip_bytes(entries, tmp_path / "t.tar")
    assert data.startswith(plain[: plain.index(b"PK\x05\x06")])  # same members, then zip64
    end64 = data.index(b"PK\x06\x06")
    _sig, size, _, needed, _, _, n, total, _, _ = struct.unpack(
        "<IQHHIIQQQQ", data[end64 : end64 + 56]
    )
    assert (size, needed, n, total) == (44, 45, 3, 3)
    locator = struct.unpack("<IIQI", data[end64 + 56 : end64 + 76])
    assert locator == (0x07064B50, 0, end64, 1)
    _check_zip64(tmp_path, data, members)


@pytest.mark.parametrize("crossing", ["size", "offset", "central directory"])
def test_sizes_and_offsets_past_the_limit_move_to_zip64_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crossing: str
) -> None:
    members = make_members(tmp_path, {"a": os.urandom(600), "b": b"b" * 50})
    with (tmp_path / "t.tar").open("wb") as f:
        entries = write_tar(members, f)
    full = _zip_bytes(entries, tmp_path / "t.tar")
    second_offset = parse_zip(full)[f"{TOP}/b"]["offset"]
    cd_offset = struct.unpack("<I", full[-6:-2])[0]
    # Shrink the zip64 threshold to exactly where each quantity reaches it.
    limit = {"size": 600, "offset": second_offset, "central directory": cd_offset}
    monkeypatch.setattr(archive, "ZIP_SIZE_LIMIT", limit[crossing])
    data = _zip_bytes(entries, tmp_path / "t.tar")
    assert data != full
    assert b"\x01\x00" in data  # a zip64 extra field (header id 0x0001)
    _check_zip64(tmp_path, data, members)
    monkeypatch.setattr(archive, "ZIP_SIZE_LIMIT", cd_offset + 1)
    assert _zip_bytes(entries, tmp_path / "t.tar") == full  # just under every limit: unchanged


def test_a_real_zip_of_65536_members(tmp_path: Path) -> None:
    files = {f"d{i // 1000}/f{i}": b"%d" % i for i in range(65_536)}
    members = make_members(tmp_path, files)
    tar = tmp_path / "t.tar"
    with tar.open("wb") as f:
        entries = write_tar(members, f)
    data = _zip_bytes(entries, tar)
    assert b"PK\x06\x06" in data[-200:]
    path = tmp_path / "big.zip"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as zf:
        assert len(zf.infolist()) == 65_536
        assert zf.read(f"{TOP}/d65/f65535") == b"65535"
    result = subprocess.run([need("unzip"), "-tq", str(path)], capture_output=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- robustness against sources that change under us -----------------------------------------


def run_with_deadline(members: list[Member], out: io.BytesIO) -> BaseException | None:
    """write_tar in a thread: a hang fails the test instead of blocking it."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            write_tar(members, out)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "write_tar hung"
    return outcome[0]


@needs_symlinks
def test_source_swapped_for_a_symlink_is_not_followed(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.py": b"fine", "b.py": b"was here"})
    outside = tmp_path / "outside-secret"
    outside.write_bytes(b"SECRET CONTENTS")
    Path(members[1].source).unlink()
    Path(members[1].source).symlink_to(outside)
    out = io.BytesIO()
    error = run_with_deadline(members, out)
    assert isinstance(error, ArchiveError)
    assert error.path == str(members[1].source)
    assert "symbolic link" in str(error)
    assert b"SECRET" not in out.getvalue()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_source_swapped_for_a_fifo_fails_without_hanging(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.py": b"fine"})
    Path(members[0].source).unlink()
    os.mkfifo(members[0].source)
    error = run_with_deadline(members, io.BytesIO())
    assert isinstance(error, ArchiveError)
    assert "no longer a regular file" in str(error)
    assert str(members[0].source) in str(error)


def test_source_swapped_for_a_directory(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.py": b"fine"})
    Path(members[0].source).unlink()
    Path(members[0].source).mkdir()
    with pytest.raises(ArchiveError) as caught:
        write_tar(members, io.BytesIO())
    assert caught.value.path == str(members[0].source)
    if sys.platform != "win32":  # Windows will not open a directory at all (EACCES)
        assert "no longer a regular file" in str(caught.value)


def test_missing_source(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.py": b"fine"})
    Path(members[0].source).unlink()
    with pytest.raises(ArchiveError) as caught:
        write_tar(members, io.BytesIO())
    assert str(caught.value) == f"cannot read {members[0].source}: No such file or directory"


def test_unreadable_source(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.py": b"secret"})
    Path(members[0].source).chmod(0)
    if os.access(members[0].source, os.R_OK):
        pytest.skip("running with privileges that ignore file modes")
    with pytest.raises(ArchiveError) as caught:
        write_tar(members, io.BytesIO())
    assert caught.value.path == str(members[0].source)
    assert str(caught.value) == f"cannot read {members[0].source}: Permission denied"


def test_source_that_grows_while_read(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.log": b"first line\n"})

    def append(_: int) -> None:
        with Path(members[0].source).open("ab") as f:
            f.write(b"more\n")

    with pytest.raises(ArchiveError, match="changed while being packaged") as caught:
        write_tar(members, io.BytesIO(), on_bytes=append)
    assert caught.value.path == str(members[0].source)


def test_source_that_shrinks_while_read(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a.bin": os.urandom(3 * MIB)})

    def truncate(_: int) -> None:
        os.truncate(members[0].source, MIB + MIB // 2)

    with pytest.raises(ArchiveError, match="changed while being packaged"):
        write_tar(members, io.BytesIO(), on_bytes=truncate)


def test_zip_refuses_a_tar_that_does_not_match_the_entries(tmp_path: Path) -> None:
    members = make_members(tmp_path, {"a": b"abc"})
    tar = tmp_path / "t.tar"
    with tar.open("wb") as f:
        entries = write_tar(members, f)
    data = bytearray(tar.read_bytes())
    data[entries[0].offset] ^= 1
    tar.write_bytes(data)
    with pytest.raises(ArchiveError, match="changed"):
        write_zip(entries, tar, io.BytesIO())


# --- memory ---------------------------------------------------------------------------------


def test_writers_stream_with_bounded_memory(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        for i in range(32):  # 64 MiB, half text, half random
            text = b"".join(b"row %d of some text\n" % (i * MIB + j) for j in range(MIB // 16))
            f.write(text[:MIB])
            f.write(os.urandom(MIB))
    assert source.stat().st_size == 64 * MIB
    members = [Member(f"{TOP}/big.bin", source, False)]
    tar = tmp_path / "t.tar"
    tracemalloc.start()
    try:
        with tar.open("wb") as f:
            entries = write_tar(members, f)
        _, tar_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        gzip_file(tar, tmp_path / "t.tar.gz")
        _, gzip_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with (tmp_path / "t.zip").open("wb") as f:
            write_zip(entries, tar, HashingWriter(f))
        _, zip_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tar_peak < 4 * MIB
    assert gzip_peak < 4 * MIB
    assert zip_peak < 4 * MIB
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        zipped_crc = zf.getinfo(f"{TOP}/big.bin").CRC
    assert zipped_crc == entries[0].crc32
    assert zlib.crc32(source.read_bytes()) == entries[0].crc32


# --- property: any small member set reads back exactly, and twice gives the same bytes --------

SAFE = "abcXYZ019_-.éßø€中"
component = st.text(SAFE, min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
member_sets = st.lists(
    st.tuples(
        st.lists(component, min_size=0, max_size=2),  # directories
        component,  # file name
        st.binary(max_size=3000),
        st.booleans(),
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member_sets)
def test_random_member_sets_round_trip(
    specs: list[tuple[list[str], str, bytes, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files: dict[str, tuple[bytes, bool]] = {}
        for dirs, name, data, executable in specs:
            # "d." / "f." prefixes keep file and directory names from colliding
            files["/".join([*(f"d.{d}" for d in dirs), f"f.{name}"])] = (data, executable)
        members = []
        for i, (rel, (data, executable)) in enumerate(files.items()):
            (root / str(i)).write_bytes(data)
            members.append(Member(f"{TOP}/{rel}", root / str(i), executable))
        members.sort(key=lambda m: m.name.encode())
        first = build(members, root / "one")
        second = build(members, root / "two")
        for a, b in zip(first[:3], second[:3], strict=True):
            assert a.read_bytes() == b.read_bytes()
        expected = {f"{TOP}/{rel}": spec for rel, spec in files.items()}
        with tarfile.open(first[1]) as tf:
            assert [m.name for m in tf.getmembers()] == [m.name for m in members]
            for info in tf.getmembers():
                data, executable = expected[info.name]
                extracted = tf.extractfile(info)
                assert extracted is not None
                assert extracted.read() == data
                assert info.mode == (0o755 if executable else 0o644)
        with zipfile.ZipFile(first[2]) as zf:
            assert zf.namelist() == [m.name for m in members]
            for zinfo in zf.infolist():
                data, executable = expected[zinfo.filename]
                assert zf.read(zinfo) == data
                assert zinfo.external_attr >> 16 == (0o100755 if executable else 0o100644)
        parse_zip(first[2].read_bytes())
