"""membernames: member names resolved as extractors resolve them; clashes in bounded memory."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import need

from plugin_build.membernames import NameClashes, path_problem, resolved

TOP = "demo-1.0.0"


@pytest.mark.parametrize(
    ("name", "path"),
    [
        (f"{TOP}/a.py", f"{TOP}/a.py"),
        (f"{TOP}//a.py", f"{TOP}/a.py"),
        (f"{TOP}/./a.py", f"{TOP}/a.py"),
        (f"./{TOP}/a.py", f"{TOP}/a.py"),
        (f"{TOP}\\a.py", f"{TOP}/a.py"),  # Windows takes a backslash for a separator
        (f"{TOP}/a.py\0/../../evil", f"{TOP}/a.py"),  # C strings end at the NUL
        (f"{TOP}/lib/", f"{TOP}/lib/"),  # a directory keeps its slash
        (f"{TOP}/lib/.", f"{TOP}/lib"),
        ("//etc/passwd", "/etc/passwd"),  # still absolute
        (f"{TOP}/../x", f"{TOP}/../x"),  # '..' is refused, not resolved
        ("C:\\evil.py", "C:/evil.py"),
    ],
)
def test_resolved(name: str, path: str) -> None:
    assert resolved(name) == path


@pytest.mark.skipif(os.name == "nt", reason="GNU tar's file system semantics")
def test_resolved_is_where_gnu_tar_writes(tmp_path: Path) -> None:
    tar = need("tar")
    names = [f"{TOP}//a.py", f"{TOP}/./b.py", f"./{TOP}/c.py", f"{TOP}/d/./e.py"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "a.tar").write_bytes(buffer.getvalue())
    out = tmp_path / "out"
    out.mkdir()

    subprocess.run([tar, "-xf", str(tmp_path / "a.tar"), "-C", str(out)], check=True)

    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == {resolved(name) for name in names}


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (f"{TOP}/a.py", None),
        (TOP, "outside"),
        ("/etc/passwd", "absolute"),
        ("C:/x", "absolute"),
        (f"{TOP}/../x", "'..'"),
        ("other/a.py", "outside"),
        ("", "outside"),
    ],
)
def test_path_problem(path: str, problem: str | None) -> None:
    found = path_problem(path, TOP, directory=False)
    assert found is None if problem is None else problem in (found or "")


def test_duplicates_next_to_each_other_and_apart() -> None:
    clashes = NameClashes()
    assert clashes.add("t/a") == []
    assert [c.kind for c in clashes.add("t/a")] == ["duplicate"]
    assert clashes.add("t/b") == []
    # far from its twin, in an unsorted archive: found by the table, and out of order
    assert [c.kind for c in clashes.add("t/a")] == ["duplicate", "order"]


def test_case_twins_apart_in_sorted_order() -> None:
    clashes = NameClashes()
    found = [[c.kind for c in clashes.add(p)] for p in ("t/README", "t/b.py", "t/readme")]
    assert found == [[], [], ["case"]]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("t/e\u0301te\u0301", "t/\u00c9t\u00e9"),  # NFD small, NFC capital: one name on macOS
        ("t/strasse", "t/stra\u00dfe"),  # casefold: ß is ss
    ],
)
def test_unicode_case_and_normal_forms(first: str, second: str) -> None:
    clashes = NameClashes()
    assert clashes.add(first) == []
    assert [c.kind for c in clashes.add(second)] == ["case"]


def test_the_table_is_capped_and_says_so() -> None:
    clashes = NameClashes(tracked=2)
    for path in ("t/A", "t/B", "t/C", "t/D"):
        clashes.add(path)
    assert clashes.full
    assert [c.kind for c in clashes.add("t/a")] == ["case"]  # remembered
    assert [c.kind for c in clashes.add("t/d")] == []  # t/D came after the cap
    assert [c.kind for c in clashes.add("t/d")] == ["duplicate"]  # but neighbours always


def test_unsorted_names_are_out_of_order() -> None:
    clashes = NameClashes()
    clashes.add("t/b")
    (clash,) = clashes.add("t/a")
    assert (clash.kind, clash.earlier) == ("order", "t/b")
