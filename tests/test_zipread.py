"""zipread: a zip read as zipfile and unzip see it and as a streaming extractor sees it.

Zips come from zipfile (deflated, stored, data descriptors, zip64) and, for
what no library writes, from ``zipcraft``; unzip is run where it makes a point.
"""

from __future__ import annotations

import io
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import need
from zipcraft import Raw, craft_zip, unicode_path

from plugin_build.readback import ArchiveEntry, DamagedArchive, Inconsistency
from plugin_build.zipread import zip_entries

TOP = "demo-1.0.0"


def read(path: Path) -> tuple[list[tuple[str, bytes]], list[Inconsistency], list[ArchiveEntry]]:
    """((name, data) of each entry, the inconsistencies, the entries)."""
    members, problems, entries = [], [], []
    for item in zip_entries(path):
        if isinstance(item, Inconsistency):
            problems.append(item)
            continue
        entries.append(item)
        members.append((item.name, item.stream.read() if item.stream is not None else b""))
    return members, problems, entries


class _Unseekable(io.RawIOBase):
    """A write-only pipe, so zipfile must write data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def zipfile_zip(path: Path, *, unseekable: bool = False, force_zip64: bool = False) -> Path:
    sink: io.RawIOBase | Path = _Unseekable() if unseekable else path
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data, method in (
            (f"{TOP}/__init__.py", b"X = 1\n" * 100, zipfile.ZIP_DEFLATED),
            (f"{TOP}/data.bin", bytes(range(256)), zipfile.ZIP_STORED),
            (f"{TOP}/empty.py", b"", zipfile.ZIP_DEFLATED),
        ):
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            with archive.open(info, "w", force_zip64=force_zip64) as out:
                out.write(data)
    if isinstance(sink, _Unseekable):
        path.write_bytes(bytes(sink.data))
    return path


@pytest.mark.parametrize(
    ("unseekable", "force_zip64"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_zipfile_archives_read_whole_and_consistent(
    tmp_path: Path, unseekable: bool, force_zip64: bool
) -> None:
    path = zipfile_zip(tmp_path / "a.zip", unseekable=unseekable, force_zip64=force_zip64)
    with zipfile.ZipFile(path) as archive:
        if unseekable:  # data descriptors, as a streaming writer makes them
            assert all(i.flag_bits & 0x08 for i in archive.infolist())
        expected = [(i.filename, archive.read(i)) for i in archive.infolist()]

    members, problems, _ = read(path)

    assert problems == []
    assert members == expected


def test_zip64_end_records_with_many_entries(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    count = 65_536 + 10  # past the 16-bit entry count: zipfile writes zip64 end records
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(count):
            archive.writestr(f"{TOP}/f{i:06d}", b"")
    assert b"PK\x06\x06" in path.read_bytes()[-200:]

    members, problems, _ = read(path)

    assert problems == []
    assert len(members) == count
    assert members[-1][0] == f"{TOP}/f{count - 1:06d}"


def test_crafted_zip64_end_record_behind_junk(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"a")], prefix=b"junk", zip64=True))

    members, problems, _ = read(path)

    assert members == [(f"{TOP}/a.py", b"a")]
    assert [p.kind for p in problems] == ["data before the first entry"]


def test_junk_before_the_zip(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(b"#!/bin/sh\nexit 0\n" + zipfile_zip(tmp_path / "plain.zip").read_bytes())
    with zipfile.ZipFile(path) as archive:  # zipfile reads on, silently
        assert archive.testzip() is None

    members, problems, _ = read(path)

    assert len(members) == 3
    (problem,) = problems
    assert problem.kind == "data before the first entry"
    assert problem.message.startswith("17 bytes come before the first entry")


def test_local_entry_the_central_directory_does_not_list(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    hidden = Raw(f"{TOP}/evil.py", b"import os\n", listed=False)
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"a"), hidden, Raw(f"{TOP}/b.py", b"b")]))
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [f"{TOP}/a.py", f"{TOP}/b.py"]

    members, problems, _ = read(path)

    assert [name for name, _ in members] == [f"{TOP}/a.py", f"{TOP}/b.py"]
    (problem,) = problems
    assert problem.kind == "local entries the central directory does not list"
    assert f"({TOP}/evil.py)" in problem.message
    assert "a streaming extractor would extract it" in problem.message


def test_local_entry_after_the_last_listed_one(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"a"), Raw(f"{TOP}/z.py", b"z", listed=False)]))
    _, problems, _ = read(path)
    assert [p.kind for p in problems] == ["local entries the central directory does not list"]


def test_unicode_path_extra_field_is_an_alias(tmp_path: Path) -> None:
    unzip = need("unzip")
    path = tmp_path / "a.zip"
    name = f"{TOP}/a.py"
    with zipfile.ZipFile(path, "w") as archive:  # zipfile writes .extra into both headers
        info = zipfile.ZipInfo(name)
        info.extra = unicode_path("../../evil", name)
        archive.writestr(info, b"x")

    listing = subprocess.run([unzip, "-l", str(path)], check=True, capture_output=True, text=True)
    assert "../../evil" in listing.stdout  # unzip goes by the extra field
    assert name not in listing.stdout
    with zipfile.ZipFile(path) as archive:  # zipfile does from Python 3.12 on, not before
        honoured = archive.namelist() == ["../../evil"]
        assert honoured == (sys.version_info >= (3, 12))

    members, problems, (entry,) = read(path)

    assert problems == []
    assert members == [(name, b"x")]
    assert [alias for alias, _ in entry.aliases] == ["../../evil"]
    assert "which unzip and Python 3.12+ use" in entry.aliases[0][1]


def test_stale_unicode_path_is_still_an_alias(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    extra = unicode_path("../evil", "some other name")
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"a", extra=extra)]))
    *_, (entry,) = read(path)
    assert entry.aliases[0][0] == "../evil"
    assert "CRC is stale" in entry.aliases[0][1]


def test_unicode_path_beside_a_utf8_flagged_name(tmp_path: Path) -> None:
    unzip = need("unzip")
    path = tmp_path / "a.zip"
    name = f"{TOP}/a.py"  # zipcraft flags every name UTF-8
    path.write_bytes(craft_zip([Raw(name, b"a", extra=unicode_path("../evil", name))]))
    listing = subprocess.run([unzip, "-l", str(path)], check=True, capture_output=True, text=True)
    assert name in listing.stdout  # unzip keeps the flagged name
    *_, (entry,) = read(path)
    assert entry.aliases == (
        (
            "../evil",
            "its Info-ZIP Unicode Path extra field (0x7075), which Python 3.12+ uses "
            "(unzip does not)",
        ),
    )


def test_local_header_with_another_name_is_an_alias(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"a", local_name=b"../evil.py")]))
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile):
        archive.read(f"{TOP}/a.py")  # zipfile refuses the member; a streaming reader would not

    _, problems, (entry,) = read(path)

    assert problems == []
    assert entry.aliases == (("../evil.py", "its local header, which streaming extractors read"),)


def test_local_header_with_other_sizes(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"abc", local_size=2)]))
    _, problems, _ = read(path)
    (problem,) = problems
    assert problem.kind == "local headers that disagree with the central directory"
    assert "compressed size, size" in problem.message


def test_data_after_the_end_record(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(craft_zip([Raw(f"{TOP}/a.py", b"a")], trailer=b"PK\x03\x04 more"))
    _, problems, _ = read(path)
    assert [p.message for p in problems] == ["9 bytes follow the end of central directory record"]


@pytest.mark.parametrize(
    ("damage", "shown"),
    [
        (lambda data: data[:-10], "no end of central directory record"),
        (lambda data: data.replace(b"PK\x03\x04", b"PK\x03\x05", 1), "non-header"),
        (lambda data: data.replace(b"PK\x01\x02", b"PK\x01\x03", 1), "damaged record"),
        (lambda data: data.replace(b"abc", b"abd", 1), "CRC-32"),
    ],
)
def test_damage_raises(tmp_path: Path, damage: Callable[[bytes], bytes], shown: str) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(damage(craft_zip([Raw(f"{TOP}/a.py", b"abc")])))
    with pytest.raises(DamagedArchive, match=shown):
        read(path)
