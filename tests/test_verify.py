"""verify: build outputs checked against SHA256SUMS, manifest.json and the source plugin.

The outputs are written by hand here (tarfile, zipfile, hashlib, json) in the
shape ``build`` writes them, so these tests do not depend on the build command.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from conftest import mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zipcraft import Raw, craft_zip, unicode_path

from plugin_build.diagnostics import Code
from plugin_build.members import LIMIT
from plugin_build.verify import VerifyResult, verify_outputs

MANIFEST = """\
manifest_schema_version = "1.3"

[plugin]
name = "{name}"
version = "{version}"
description = "Test plugin."
triggers = ["process_writes"]

[dependencies]
database_version = ">=3.0.0"
"""
SYNC = "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"

# archive path -> (bytes, executable); the top folder is added by the writers
Files = dict[str, tuple[bytes, bool]]
DEFAULT_FILES: Files = {
    "__init__.py": (SYNC.encode(), False),
    "manifest.toml": (MANIFEST.format(name="demo", version="1.0.0").encode(), False),
    "tools/run.sh": (b"#!/bin/sh\necho hi\n", True),
}


# -- writing outputs by hand -------------------------------------------------


def tar_member(
    name: str,
    data: bytes = b"",
    *,
    mode: int = 0o644,
    kind: bytes = tarfile.REGTYPE,
    linkname: str = "",
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def write_tar_gz(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    path.write_bytes(gzip.compress(tar_bytes(members), mtime=0))
    return path


def write_zip(path: Path, members: list[tuple[str, bytes, int]]) -> Path:
    """``members``: (name, data, unix st_mode with file type; 0 for none)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            # 0x20 is the DOS archive bit; without any bit zipfile would add 0600
            info.external_attr = mode << 16 if mode else 0x20
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def write_archive(path: Path, top: str, files: Files) -> Path:
    members = sorted(files.items())
    if path.name.endswith(".zip"):
        return write_zip(
            path,
            [
                (f"{top}/{rel}", data, stat.S_IFREG | (0o755 if ex else 0o644))
                for rel, (data, ex) in members
            ],
        )
    return write_tar_gz(
        path,
        [
            tar_member(f"{top}/{rel}", data, mode=0o755 if ex else 0o644)
            for rel, (data, ex) in members
        ],
    )


def package(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    return {
        "filename": path.name,
        "format": "zip" if path.name.endswith(".zip") else "tar.gz",
        "size_bytes": len(data),
        "checksums": {
            "md5": hashlib.md5(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    }


def write_sums(directory: Path, names: list[str]) -> None:
    lines = [
        f"{hashlib.sha256((directory / n).read_bytes()).hexdigest()}  {n}\n" for n in sorted(names)
    ]
    (directory / "SHA256SUMS").write_text("".join(lines), newline="\n")


def write_manifest(directory: Path, name: str, version: str, archives: list[Path]) -> None:
    packages = [package(p) for p in archives]
    first = {k: v for k, v in packages[0].items() if k != "format"}
    document = {"name": name, "version": version, "package": first, "packages": packages}
    (directory / "manifest.json").write_text(json.dumps(document, indent=2))


def build_outputs(
    directory: Path,
    *,
    name: str = "demo",
    version: str = "1.0.0",
    files: Files | None = None,
    formats: tuple[str, ...] = ("tar.gz", "zip"),
) -> list[Path]:
    """Archives, SHA256SUMS and manifest.json for one plugin, as ``build`` writes them."""
    directory.mkdir(parents=True, exist_ok=True)
    top = f"{name}-{version}"
    archives = [
        write_archive(directory / f"{top}.{fmt}", top, files or DEFAULT_FILES) for fmt in formats
    ]
    listed = [p.name for p in directory.iterdir() if p.name.endswith((".tar.gz", ".zip"))]
    write_sums(directory, listed)
    write_manifest(directory, name, version, archives)
    return archives


def relist(directory: Path) -> None:
    """Rewrite SHA256SUMS and manifest.json for the archives as they are now."""
    archives = sorted(p for p in directory.iterdir() if p.name.endswith((".tar.gz", ".zip")))
    write_sums(directory, [p.name for p in archives])
    write_manifest(directory, "demo", "1.0.0", archives)


def codes(result: VerifyResult, severity: str = "error") -> list[str]:
    return [d.code for d in result.diagnostics if d.severity == severity]


def findings(result: VerifyResult, code: str) -> list[str]:
    return [f"{d.path}: {d.message}" for d in result.diagnostics if d.code == code]


# -- clean directories -------------------------------------------------------


def test_good_directory_verifies_clean(tmp_path: Path) -> None:
    build_outputs(tmp_path)
    (tmp_path / "demo-1.0.0-build-report.json").write_text("{not json")  # ignored
    (tmp_path / "plugin.preview.yaml").write_text(": : :")  # ignored

    result = verify_outputs(tmp_path)

    assert result.ok
    assert result.diagnostics == ()
    assert result.archives == ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")
    assert result.directory == tmp_path


def test_two_plugins_in_one_checksums_file_verify_clean(tmp_path: Path) -> None:
    build_outputs(tmp_path, name="alpha", version="0.1.0")
    build_outputs(tmp_path, name="beta", version="2.0.0-rc.1")  # manifest.json is beta's
    sums = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 4

    result = verify_outputs(tmp_path)

    assert result.diagnostics == ()
    assert result.archives == (
        "alpha-0.1.0.tar.gz",
        "alpha-0.1.0.zip",
        "beta-2.0.0-rc.1.tar.gz",
        "beta-2.0.0-rc.1.zip",
    )


def test_binary_marker_and_either_file_alone_verify_clean(tmp_path: Path) -> None:
    build_outputs(tmp_path, formats=("tar.gz",))
    sums = tmp_path / "SHA256SUMS"
    sums.write_bytes(sums.read_bytes().replace(b"  ", b" *"))  # LF kept: CRLF is malformed
    assert verify_outputs(tmp_path).diagnostics == ()

    (tmp_path / "manifest.json").unlink()
    assert verify_outputs(tmp_path).diagnostics == ()

    build_outputs(tmp_path, formats=("tar.gz",))
    sums.unlink()
    assert verify_outputs(tmp_path).diagnostics == ()


# -- checksums ---------------------------------------------------------------


def test_flipped_byte_mismatches_both_checksum_files(tmp_path: Path) -> None:
    tar_gz, _ = build_outputs(tmp_path)
    data = bytearray(tar_gz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tar_gz.write_bytes(bytes(data))

    result = verify_outputs(tmp_path)

    mismatches = [d for d in result.diagnostics if d.code == Code.CHECKSUM_MISMATCH]
    assert {d.path for d in mismatches} == {"demo-1.0.0.tar.gz"}
    assert len(mismatches) == 2
    assert "SHA256SUMS line 1" in mismatches[0].message
    assert "manifest.json packages[0]" in mismatches[1].message
    assert "SHA-256 and MD5" in mismatches[1].message
    assert not result.ok


def test_size_mismatch_in_manifest(tmp_path: Path) -> None:
    build_outputs(tmp_path, formats=("zip",))
    manifest = tmp_path / "manifest.json"
    document = json.loads(manifest.read_text())
    document["packages"][0]["size_bytes"] += 1
    document["package"]["size_bytes"] += 1
    manifest.write_text(json.dumps(document))

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.CHECKSUM_MISMATCH]
    assert "size" in result.diagnostics[0].message


def test_missing_archive(tmp_path: Path) -> None:
    build_outputs(tmp_path)
    (tmp_path / "demo-1.0.0.zip").unlink()

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.CHECKSUM_MISSING]
    (missing,) = result.diagnostics
    assert missing.path == "demo-1.0.0.zip"
    assert "SHA256SUMS and manifest.json" in missing.message
    assert result.archives == ("demo-1.0.0.tar.gz",)


def test_archive_of_this_plugin_missing_from_checksums_file(tmp_path: Path) -> None:
    build_outputs(tmp_path)
    write_sums(tmp_path, ["demo-1.0.0.tar.gz"])

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.CHECKSUM_MISSING]
    assert result.diagnostics[0].path == "SHA256SUMS"
    assert "demo-1.0.0.zip" in result.diagnostics[0].message
    assert result.archives == ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")  # still checked


@pytest.mark.parametrize(
    "line",
    [
        "not a checksum line",
        "abc123  demo-1.0.0.tar.gz",  # short hash
        "0" * 64 + " demo-1.0.0.tar.gz",  # one space: neither text nor binary form
        "0" * 64 + "  ../demo-1.0.0.tar.gz",
        "0" * 64 + "  sub/demo-1.0.0.tar.gz",
        "0" * 64 + "  ..",
        "0" * 64 + "  demo-1.0.0.tar.gz\r",
        "0" * 64 + "  " + "x" * 10_000,  # too long to be a checksum line
    ],
)
def test_malformed_checksum_line(tmp_path: Path, line: str) -> None:
    build_outputs(tmp_path, formats=("tar.gz",))
    sums = tmp_path / "SHA256SUMS"
    sums.write_bytes(sums.read_bytes() + line.encode() + b"\n")

    result = verify_outputs(tmp_path)

    (problem,) = result.diagnostics
    assert (problem.code, problem.path, problem.line) == (Code.READ_ERROR, "SHA256SUMS", 2)
    assert "line 2" in problem.message
    assert result.archives == ("demo-1.0.0.tar.gz",)  # the good line still counts


def test_binary_checksum_file_is_reported_briefly(tmp_path: Path) -> None:
    (tmp_path / "SHA256SUMS").write_bytes(b"\xff\xfe garbage\n" * 50)

    result = verify_outputs(tmp_path)

    assert set(codes(result)) == {Code.READ_ERROR}
    assert len(result.diagnostics) == 11  # ten lines, then one summary
    assert "40 more malformed lines" in result.diagnostics[-1].message


def test_invalid_manifest_json(tmp_path: Path) -> None:
    build_outputs(tmp_path)
    (tmp_path / "manifest.json").write_text('{"name": "demo",\n  "version": }')

    result = verify_outputs(tmp_path)

    (problem,) = result.diagnostics
    assert (problem.code, problem.path, problem.line) == (Code.READ_ERROR, "manifest.json", 2)
    assert "not valid JSON" in problem.message
    assert result.archives == ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")  # SHA256SUMS still used


def test_manifest_json_with_wrong_fields(tmp_path: Path) -> None:
    build_outputs(tmp_path, formats=("tar.gz",))
    manifest = tmp_path / "manifest.json"
    document = json.loads(manifest.read_text())
    document["packages"][0]["checksums"]["sha256"] = "xyz"
    document["packages"][0]["format"] = "zip"
    document["package"]["filename"] = "../elsewhere.tar.gz"
    del document["version"]
    manifest.write_text(json.dumps(document))

    result = verify_outputs(tmp_path)

    fields = sorted(d.field or "" for d in result.diagnostics if d.path == "manifest.json")
    assert fields == ["package", "packages[0].checksums.sha256", "packages[0].format", "version"]
    assert set(codes(result)) == {Code.READ_ERROR}


def test_nothing_to_verify(tmp_path: Path) -> None:
    (tmp_path / "demo-1.0.0.tar.gz").write_bytes(b"")

    result = verify_outputs(tmp_path)

    (problem,) = result.diagnostics
    assert problem.code == Code.CHECKSUM_MISSING
    assert "SHA256SUMS" in problem.message
    assert "manifest.json" in problem.message
    assert "plugin-build build" in problem.message
    assert result.archives == ()
    assert not result.ok


def test_not_a_directory(tmp_path: Path) -> None:
    result = verify_outputs(tmp_path / "nope")
    assert codes(result) == [Code.READ_ERROR]


# -- unsafe members ----------------------------------------------------------

TOP = "demo-1.0.0"
GOOD = tar_member(f"{TOP}/__init__.py", SYNC.encode())


@pytest.mark.parametrize(
    ("member", "shown"),
    [
        (tar_member("/etc/passwd", b"x"), "/etc/passwd"),
        (tar_member(f"{TOP}/../../evil.py", b"x"), "../../evil.py"),
        (tar_member("C:\\evil.py", b"x"), "C:\\evil.py"),
        (tar_member(f"{TOP}/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd"), "link"),
        (tar_member(f"{TOP}/hard", kind=tarfile.LNKTYPE, linkname=f"{TOP}/__init__.py"), "hard"),
        (tar_member(f"{TOP}/pipe", kind=tarfile.FIFOTYPE), "pipe"),
        (tar_member(f"{TOP}/tty", kind=tarfile.CHRTYPE), "tty"),
        (tar_member(f"{TOP}/disk", kind=tarfile.BLKTYPE), "disk"),
        (tar_member("other-1.0.0/__init__.py", b"x"), "other-1.0.0/__init__.py"),
        (tar_member(TOP, b"x"), TOP),  # a file where the top folder should be
        (tar_member(f"{TOP}/suid", b"x", mode=0o4755), "suid"),
        (GOOD, "__init__.py"),  # the same name twice
    ],
)
def test_unsafe_tar_member(
    tmp_path: Path, member: tuple[tarfile.TarInfo, bytes], shown: str
) -> None:
    write_tar_gz(tmp_path / f"{TOP}.tar.gz", [GOOD, member])
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    unsafe = findings(result, Code.ARCHIVE_UNSAFE_MEMBER)
    assert len(unsafe) == 1, result.diagnostics
    assert unsafe[0].startswith(f"{TOP}.tar.gz: member ")
    assert shown in unsafe[0]
    assert codes(result) == [Code.ARCHIVE_UNSAFE_MEMBER]


@pytest.mark.parametrize(
    ("name", "mode", "shown"),
    [
        (f"{TOP}/link", stat.S_IFLNK | 0o777, "symbolic link"),
        (f"{TOP}/pipe", stat.S_IFIFO | 0o644, "FIFO"),
        ("/abs.py", stat.S_IFREG | 0o644, "absolute"),
        (f"{TOP}/../up.py", stat.S_IFREG | 0o644, "'..'"),
        (f"{TOP}\\..\\up.py", stat.S_IFREG | 0o644, "'..'"),
        ("loose.py", stat.S_IFREG | 0o644, "top folder"),
    ],
)
def test_unsafe_zip_member(tmp_path: Path, name: str, mode: int, shown: str) -> None:
    good = (f"{TOP}/__init__.py", SYNC.encode(), stat.S_IFREG | 0o644)
    write_zip(tmp_path / f"{TOP}.zip", [good, (name, b"/etc/passwd", mode)])
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNSAFE_MEMBER]
    assert shown in result.diagnostics[0].message
    assert result.diagnostics[0].path == f"{TOP}.zip"


def test_zip_member_without_unix_attributes_is_a_regular_file(tmp_path: Path) -> None:
    path = write_zip(tmp_path / f"{TOP}.zip", [(f"{TOP}/__init__.py", SYNC.encode(), 0)])
    with zipfile.ZipFile(path) as archive:  # as a Windows zip tool writes it: DOS bits only
        assert archive.infolist()[0].external_attr >> 16 == 0
    relist(tmp_path)
    assert verify_outputs(tmp_path).diagnostics == ()


def test_directory_entries_and_odd_modes_are_warnings(tmp_path: Path) -> None:
    write_tar_gz(
        tmp_path / f"{TOP}.tar.gz",
        [tar_member(TOP, kind=tarfile.DIRTYPE, mode=0o755), GOOD],
    )
    write_zip(
        tmp_path / f"{TOP}.zip",
        [
            (f"{TOP}/", b"", stat.S_IFDIR | 0o755),
            (f"{TOP}/__init__.py", SYNC.encode(), stat.S_IFREG | 0o600),
        ],
    )
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert result.ok
    assert codes(result, "warning") == [Code.ARCHIVE_UNSAFE_MEMBER] * 3
    messages = [d.message for d in result.diagnostics]
    assert sum("directory entry" in m for m in messages) == 2
    assert sum("mode 0600" in m for m in messages) == 1


# -- names as extractors resolve them ----------------------------------------


def write_members(path: Path, names: list[str], data: bytes = b"X = 1\n") -> Path:
    """An archive (by its suffix) with one regular file under each name, in this order."""
    if path.name.endswith(".zip"):
        return write_zip(path, [(n, data, stat.S_IFREG | 0o644) for n in names])
    return write_tar_gz(path, [tar_member(n, data) for n in names])


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
@pytest.mark.parametrize(
    ("names", "odd", "because"),
    [
        ([f"{TOP}/./a.py", f"{TOP}/a.py"], f"{TOP}/./a.py", "'.' path component"),
        ([f"{TOP}//a.py", f"{TOP}/a.py"], f"{TOP}//a.py", "empty or '.' path component"),
        ([f"{TOP}/a.py", f"{TOP}\\a.py"], f"{TOP}\\a.py", "backslash"),
    ],
)
def test_members_that_extract_to_one_path(
    tmp_path: Path, fmt: str, names: list[str], odd: str, because: str
) -> None:
    write_members(tmp_path / f"{TOP}.{fmt}", names)
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNSAFE_MEMBER] * 2
    renamed, duplicate = sorted(
        (d.message for d in result.diagnostics), key=lambda m: "more than once" in m
    )
    assert renamed.startswith(f"member {odd} (extracted as {TOP}/a.py) has ")
    assert because in renamed
    assert "appears more than once" in duplicate
    assert "do not extract this archive" in duplicate


def test_member_name_cut_short_by_a_nul(tmp_path: Path) -> None:
    raw = f"{TOP}/a.py\0/../../evil.py"
    (tmp_path / f"{TOP}.zip").write_bytes(craft_zip([Raw(raw, b"x")]))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNSAFE_MEMBER]
    assert f"(extracted as {TOP}/a.py) has a NUL byte" in result.diagnostics[0].message


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_case_twins_are_a_warning(tmp_path: Path, fmt: str) -> None:
    # sorted: README.md and readme.md are not neighbours
    write_members(
        tmp_path / f"{TOP}.{fmt}", [f"{TOP}/README.md", f"{TOP}/b.py", f"{TOP}/readme.md"]
    )
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert result.ok
    assert codes(result, "warning") == [Code.ARCHIVE_CASE_CONFLICT]
    message = result.diagnostics[0].message
    assert message.startswith(f"member {TOP}/readme.md differs from an earlier member only in")
    assert "(macOS, Windows)" in message


def test_members_out_of_order(tmp_path: Path) -> None:
    write_members(tmp_path / f"{TOP}.tar.gz", [f"{TOP}/b.py", f"{TOP}/a.py"])
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNSORTED]
    assert f"member {TOP}/a.py comes after {TOP}/b.py" in result.diagnostics[0].message


# -- zip structure -----------------------------------------------------------


def test_zip_unicode_path_extra_field_is_checked(tmp_path: Path) -> None:
    name = f"{TOP}/__init__.py"
    path = tmp_path / f"{TOP}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        info.extra = unicode_path("../../evil.py", name)
        archive.writestr(info, SYNC)
    relist(tmp_path)
    if shutil.which("unzip"):  # unzip would write ../../evil.py
        listed = subprocess.run(["unzip", "-l", str(path)], check=True, capture_output=True)
        assert b"../../evil.py" in listed.stdout

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNSAFE_MEMBER]
    message = result.diagnostics[0].message
    assert message.startswith(f"member {name} is named ../../evil.py by its Info-ZIP Unicode Path")
    assert "(0x7075)" in message
    assert "'..' component" in message


def test_zip_unicode_path_extra_field_with_another_safe_name(tmp_path: Path) -> None:
    name = f"{TOP}/__init__.py"
    extra = unicode_path(f"{TOP}/other.py", name)
    (tmp_path / f"{TOP}.zip").write_bytes(craft_zip([Raw(name, SYNC.encode(), extra=extra)]))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_INCONSISTENT]
    assert "extractors disagree on its name" in result.diagnostics[0].message


def test_zip_with_junk_in_front(tmp_path: Path) -> None:
    _, zip_path = build_outputs(tmp_path)
    zip_path.write_bytes(b"MZ" + bytes(510) + zip_path.read_bytes())  # as a self-extractor
    relist(tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.testzip() is None  # zipfile reads past it without a word

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_INCONSISTENT]
    (problem,) = result.diagnostics
    assert problem.path == zip_path.name
    assert problem.message.startswith("512 bytes come before the first entry")


def test_zip_local_entry_missing_from_central_directory(tmp_path: Path) -> None:
    members = [
        Raw(f"{TOP}/__init__.py", SYNC.encode()),
        Raw(f"{TOP}/evil.py", b"import os\n", listed=False),
    ]
    zip_path = tmp_path / f"{TOP}.zip"
    zip_path.write_bytes(craft_zip(members))
    relist(tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == [f"{TOP}/__init__.py"]

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_INCONSISTENT]
    message = result.diagnostics[0].message
    assert f"({TOP}/evil.py) is not in the central directory" in message


def test_zip64_archive_verifies_clean(tmp_path: Path) -> None:
    files = [Raw(f"{TOP}/__init__.py", SYNC.encode()), Raw(f"{TOP}/b.py", b"b")]
    (tmp_path / f"{TOP}.zip").write_bytes(craft_zip(files, zip64=True))
    relist(tmp_path)
    assert verify_outputs(tmp_path).diagnostics == ()


# -- bounded output and memory -----------------------------------------------


def test_one_problem_in_many_members_is_reported_briefly(tmp_path: Path) -> None:
    count = 100_000
    header = tarfile.TarInfo()
    blocks = []
    for i in range(count):  # all outside the top folder
        header.name = f"other-1.0.0/f{i:06d}.py"
        blocks.append(header.tobuf(tarfile.GNU_FORMAT))
    tar_gz = tmp_path / f"{TOP}.tar.gz"
    tar_gz.write_bytes(gzip.compress(b"".join(blocks) + bytes(1024), compresslevel=1))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert len(result.diagnostics) == LIMIT + 1
    assert set(codes(result)) == {Code.ARCHIVE_UNSAFE_MEMBER}
    summary = result.diagnostics[-1].message
    assert summary.startswith(f"… and {count - LIMIT:,} more members like this (unsafe paths);")


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_memory_does_not_grow_with_members(tmp_path: Path, fmt: str) -> None:
    def peak(count: int) -> int:
        directory = tmp_path / str(count)
        directory.mkdir()
        names = [f"{TOP}/d{i // 1000:03d}/f{i:06d}.py" for i in range(count)]
        write_members(directory / f"{TOP}.{fmt}", names, b"")
        relist(directory)
        # SHA256SUMS alone: reading manifest.json allocates a 16 MiB buffer, which would
        # be the peak at either size and hide what the archive costs
        (directory / "manifest.json").unlink()
        tracemalloc.start()
        try:
            assert verify_outputs(directory).diagnostics == ()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)

    # before: tarfile's list of headers, or zipfile's of entries, ~10 MB more at 20,000
    assert large - small < 1 << 20, (small, large)


# -- unreadable archives -----------------------------------------------------


def test_truncated_gzip_is_unreadable(tmp_path: Path) -> None:
    tar_gz, _ = build_outputs(tmp_path)
    tar_gz.write_bytes(tar_gz.read_bytes()[:-20])  # cuts the CRC trailer and some data
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNREADABLE]
    assert result.diagnostics[0].path == tar_gz.name


def test_gzip_with_bad_crc_is_unreadable(tmp_path: Path) -> None:
    tar_gz, _ = build_outputs(tmp_path)
    data = bytearray(tar_gz.read_bytes())
    data[-8] ^= 0xFF  # the CRC-32 in the trailer: tarfile alone would never notice
    tar_gz.write_bytes(bytes(data))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNREADABLE]
    assert "CRC" in result.diagnostics[0].message


def test_not_gzip_at_all_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / f"{TOP}.tar.gz").write_bytes(tar_bytes([GOOD]))  # an uncompressed tar
    relist(tmp_path)
    assert codes(verify_outputs(tmp_path)) == [Code.ARCHIVE_UNREADABLE]


def test_damaged_tar_header_inside_valid_gzip_is_unreadable(tmp_path: Path) -> None:
    raw = bytearray(tar_bytes([GOOD, tar_member(f"{TOP}/second.py", b"y = 2\n")]))
    raw[512 * 2 + 150] ^= 0xFF  # the second header's checksum field
    (tmp_path / f"{TOP}.tar.gz").write_bytes(gzip.compress(bytes(raw)))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNREADABLE]
    assert "damaged header" in result.diagnostics[0].message


def test_tar_without_end_marker_is_unreadable(tmp_path: Path) -> None:
    info, data = GOOD
    raw = info.tobuf(tarfile.USTAR_FORMAT) + data + b"\0" * (-len(data) % 512)
    (tmp_path / f"{TOP}.tar.gz").write_bytes(gzip.compress(raw))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNREADABLE]
    assert "end-of-archive" in result.diagnostics[0].message


def test_sdk_style_tar_with_exactly_two_zero_blocks_is_whole(tmp_path: Path) -> None:
    info, data = GOOD
    raw = info.tobuf(tarfile.USTAR_FORMAT) + data + b"\0" * (-len(data) % 512) + b"\0" * 1024
    (tmp_path / f"{TOP}.tar.gz").write_bytes(gzip.compress(raw))
    relist(tmp_path)
    assert verify_outputs(tmp_path).diagnostics == ()


@pytest.mark.parametrize("damage", ["truncate", "flip-data"])
def test_corrupt_zip_is_unreadable(tmp_path: Path, damage: str) -> None:
    _, zip_path = build_outputs(tmp_path)
    data = bytearray(zip_path.read_bytes())
    if damage == "truncate":
        del data[len(data) // 2 :]  # the central directory is gone
    else:
        # inside the first member's compressed bytes (its local header and name are 52 bytes;
        # a byte of the name would make another finding: the local header names it otherwise)
        data[60] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    relist(tmp_path)

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.ARCHIVE_UNREADABLE]
    assert result.diagnostics[0].path == zip_path.name


def test_checksum_file_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "SHA256SUMS").mkdir()
    result = verify_outputs(tmp_path)
    assert codes(result) == [Code.READ_ERROR]
    if sys.platform != "win32":  # Windows will not open a directory at all (EACCES)
        assert "not a regular file" in result.diagnostics[0].message


# -- against the source plugin -----------------------------------------------


def make_plugin(root: Path, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "manifest.toml").write_text(MANIFEST.format(name="demo", version="1.0.0"))
    for rel, text in (files if files is not None else {"__init__.py": SYNC}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def pack_plugin(root: Path, dist: Path) -> None:
    """Archive every file of ``root`` outside ``dist``, as ``build`` would."""
    files: Files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and dist not in path.parents:
            executable = bool(path.stat().st_mode & 0o111)
            files[path.relative_to(root).as_posix()] = (path.read_bytes(), executable)
    build_outputs(dist, files=files)


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    root = make_plugin(tmp_path / "demo", {"__init__.py": SYNC, "lib/helpers.py": "X = 1\n"})
    (root / "bin").mkdir()
    (root / "bin" / "run.sh").write_text("#!/bin/sh\n")
    (root / "bin" / "run.sh").chmod(0o755)
    pack_plugin(root, root / "dist")  # dist inside the plugin: verify must not count it
    return root


def test_identical_source_passes(plugin: Path) -> None:
    result = verify_outputs(plugin / "dist", source=plugin)
    assert result.diagnostics == ()
    assert result.archives == ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")


def mismatches(result: VerifyResult) -> set[tuple[str | None, str]]:
    return {
        (d.path, d.message.split()[1]) for d in result.diagnostics if d.is_error
    }  # (archive, member)


def test_extra_file_in_source(plugin: Path) -> None:
    (plugin / "lib" / "new.py").write_text("Y = 2\n")

    result = verify_outputs(plugin / "dist", source=plugin)

    assert set(codes(result)) == {Code.ARCHIVE_CONTENT_MISMATCH}
    assert mismatches(result) == {
        ("demo-1.0.0.tar.gz", "demo-1.0.0/lib/new.py"),
        ("demo-1.0.0.zip", "demo-1.0.0/lib/new.py"),
    }
    assert "not in the archive" in result.diagnostics[0].message


def test_file_missing_from_source(plugin: Path) -> None:
    (plugin / "lib" / "helpers.py").unlink()

    result = verify_outputs(plugin / "dist", source=plugin)

    assert set(codes(result)) == {Code.ARCHIVE_CONTENT_MISMATCH}
    assert mismatches(result) == {
        ("demo-1.0.0.tar.gz", "demo-1.0.0/lib/helpers.py"),
        ("demo-1.0.0.zip", "demo-1.0.0/lib/helpers.py"),
    }
    assert "not a file of the source plugin" in result.diagnostics[0].message


def test_changed_byte_in_source(plugin: Path) -> None:
    (plugin / "lib" / "helpers.py").write_text("X = 2\n")

    result = verify_outputs(plugin / "dist", source=plugin)

    assert set(codes(result)) == {Code.ARCHIVE_CONTENT_MISMATCH}
    assert mismatches(result) == {
        ("demo-1.0.0.tar.gz", "demo-1.0.0/lib/helpers.py"),
        ("demo-1.0.0.zip", "demo-1.0.0/lib/helpers.py"),
    }
    assert "differs from the source file" in result.diagnostics[0].message


@pytest.mark.skipif(os.name == "nt", reason="no exec bit on Windows")
def test_changed_exec_bit_in_source(plugin: Path) -> None:
    (plugin / "bin" / "run.sh").chmod(0o644)
    (plugin / "__init__.py").chmod(0o755)

    result = verify_outputs(plugin / "dist", source=plugin)

    assert set(codes(result)) == {Code.ARCHIVE_CONTENT_MISMATCH}
    assert mismatches(result) == {
        (archive, member)
        for archive in ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")
        for member in ("demo-1.0.0/__init__.py", "demo-1.0.0/bin/run.sh")
    }
    messages = [d.message for d in result.diagnostics]
    assert any("stored 0755 but the source file is not executable" in m for m in messages)
    assert any("stored 0644 but the source file is executable" in m for m in messages)


def test_invalid_source_reports_its_diagnostics(plugin: Path) -> None:
    (plugin / "__init__.py").write_text("x = 1\n")  # the declared trigger is gone

    result = verify_outputs(plugin / "dist", source=plugin)

    assert codes(result)[0] == Code.ARCHIVE_CONTENT_MISMATCH
    assert "is not valid" in result.diagnostics[0].message
    trigger = [d for d in result.diagnostics if d.code == Code.TRIGGER_MISSING]
    assert len(trigger) == 1
    assert trigger[0].path == (plugin / "__init__.py").as_posix()
    assert result.archives == ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")  # still checked


def test_source_plugin_without_archive_in_directory(plugin: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-dist"
    build_outputs(other, name="another", version="1.0.0")

    result = verify_outputs(other, source=plugin)

    assert codes(result) == [Code.CHECKSUM_MISSING]
    assert "no archive of demo-1.0.0" in result.diagnostics[0].message


def test_other_plugins_archives_are_not_compared_with_source(plugin: Path) -> None:
    build_outputs(plugin / "dist", name="another", version="3.0.0")

    result = verify_outputs(plugin / "dist", source=plugin)

    assert result.diagnostics == ()
    assert len(result.archives) == 4


def test_archive_of_another_version_is_reported_with_source(plugin: Path) -> None:
    build_outputs(plugin / "dist", name="demo", version="0.9.0")  # SHA256SUMS lists all four

    result = verify_outputs(plugin / "dist", source=plugin)

    assert codes(result) == [Code.ARCHIVE_CONTENT_MISMATCH] * 2
    assert [d.path for d in result.diagnostics] == ["demo-0.9.0.tar.gz", "demo-0.9.0.zip"]
    message = result.diagnostics[0].message
    assert "is an archive of demo 0.9.0, not of the source's version 1.0.0" in message
    assert len(result.archives) == 4  # still checked, against their own listing


def test_unlisted_archive_is_reported(tmp_path: Path) -> None:
    build_outputs(tmp_path)
    write_archive(tmp_path / "demo-1.0.1.zip", "demo-1.0.1", DEFAULT_FILES)
    (tmp_path / ".demo-1.0.0.zip.1a2b3c4d.tmp.zip").write_bytes(b"")  # hidden: a temp file
    (tmp_path / "folder.tar.gz").mkdir()  # not a file

    result = verify_outputs(tmp_path)

    assert codes(result) == [Code.CHECKSUM_MISSING]
    (problem,) = result.diagnostics
    assert problem.path == "demo-1.0.1.zip"
    assert "neither SHA256SUMS nor manifest.json lists it" in problem.message
    assert result.archives == ("demo-1.0.0.tar.gz", "demo-1.0.0.zip")  # not opened


def test_verify_loads_the_validator_only_for_a_source() -> None:
    probe = "import sys, plugin_build.verify; print('plugin_build.validate' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True)
    assert done.stdout.strip() == b"False"


# -- robustness --------------------------------------------------------------


def _valid_tar() -> bytes:
    return tar_bytes([GOOD, tar_member(f"{TOP}/bin/run.sh", b"#!/bin/sh\n", mode=0o755)])


def _valid_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{TOP}/__init__.py", SYNC)
        archive.writestr(f"{TOP}/bin/run.sh", "#!/bin/sh\n")
    return buffer.getvalue()


_TAR = _valid_tar()
_ARCHIVE_BYTES = st.one_of(
    st.binary(max_size=2048),
    mutated(gzip.compress(_TAR)),
    mutated(_TAR).map(gzip.compress),  # tar damage behind an intact gzip layer
    mutated(_valid_zip()),
)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
_PACKAGE = st.fixed_dictionaries(
    {},
    optional={
        "filename": st.sampled_from([f"{TOP}.tar.gz", f"{TOP}.zip", "../x", "SHA256SUMS"]) | _JSON,
        "format": st.sampled_from(["tar.gz", "zip"]) | _JSON,
        "size_bytes": st.integers(-1, 10**6) | _JSON,
        "checksums": st.fixed_dictionaries(
            {}, optional={"md5": st.text("0123456789abcdef", max_size=40), "sha256": _JSON}
        )
        | _JSON,
    },
)
_MANIFEST_JSON = st.fixed_dictionaries(
    {},
    optional={
        "name": st.just("demo") | _JSON,
        "version": st.just("1.0.0") | _JSON,
        "package": _PACKAGE | _JSON,
        "packages": st.lists(_PACKAGE | _JSON, max_size=3) | _JSON,
    },
).map(lambda document: json.dumps(document).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sums=st.one_of(st.binary(max_size=512), st.none()),
    manifest=st.one_of(st.binary(max_size=512), _MANIFEST_JSON, st.none()),
    tar_gz=_ARCHIVE_BYTES,
    zip_bytes=_ARCHIVE_BYTES,
)
def test_arbitrary_bytes_never_raise(
    sums: bytes | None, manifest: bytes | None, tar_gz: bytes, zip_bytes: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / f"{TOP}.tar.gz").write_bytes(tar_gz)
        (directory / f"{TOP}.zip").write_bytes(zip_bytes)
        relist(directory)  # well-formed listings, so the archives themselves are read
        if sums is not None:
            (directory / "SHA256SUMS").write_bytes(sums)
        if manifest is not None:
            (directory / "manifest.json").write_bytes(manifest)

        result = verify_outputs(directory)

        assert isinstance(result, VerifyResult)
        assert all(d.message for d in result.diagnostics)


def test_member_names_are_escaped_in_verify_text_output(tmp_path: Path) -> None:
    """A member name is untrusted text: it reaches the terminal escaped (issue 7, class 5)."""
    hostile = "demo-1.0.0/\x1b[2J\n::error title=forged::x\x07"
    build_outputs(tmp_path, files={"a.py": (b"x", False)}, formats=("tar.gz",))
    write_tar_gz(
        tmp_path / "demo-1.0.0.tar.gz",
        [tar_member("demo-1.0.0/a.py", b"x"), tar_member(hostile, b"y")],
    )
    relist(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "plugin_build", "verify", str(tmp_path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 1
    assert "demo-1.0.0/\\x1b[2J\\x0a::error title=forged::x\\x07" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert not any(line.startswith("::error") for line in result.stdout.splitlines())
