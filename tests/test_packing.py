"""packing.py: one read feeds the tar, the zip and the gzip child; every path gives the
bytes the plain writers give (write_tar + gzip_file + write_zip)."""

from __future__ import annotations

import os
import random
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_build import archive, packing
from plugin_build.archive import (
    Digests,
    Member,
    file_digests,
    gzip_file,
    write_tar,
    write_zip,
)
from plugin_build.fileio import Tree
from plugin_build.outputs import ArchiveFormat

MIB = 1 << 20
LARGE = 16 * MIB  # a data size for which the gzip child is started
TOP = "p-1.0.0"


def plugin(root: Path) -> list[Member]:
    """Small text files, an empty one, and two larger than a CHUNK (one random)."""
    rng = random.Random(7)
    files = {
        f"pkg{i % 5}/m{i:03d}.py": f"X = {i}\n".encode() * rng.randint(1, 90) for i in range(300)
    }
    files["empty.txt"] = b""
    files["data/big.bin"] = rng.randbytes(3 * MIB + 17)
    files["data/text.csv"] = b"".join(b"%d,temperature,%d\n" % (i, i % 97) for i in range(200_000))
    members = []
    for rel, data in files.items():
        source = root / rel
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        members.append(Member(f"{TOP}/{rel}", source, rel.endswith("0.py"), rel))
    return sorted(members, key=lambda m: m.name.encode())


def reference(members: list[Member], out: Path) -> dict[str, Digests]:
    out.mkdir()
    tar = out / "t.tar"
    with tar.open("wb") as f:
        entries = write_tar(members, f)
    gzip_file(tar, out / "t.tar.gz")
    with (out / "t.zip").open("wb") as f:
        write_zip(entries, tar, f)
    return {
        "tar": file_digests(tar),
        **{fmt: file_digests(out / f"t.{fmt}") for fmt in ("tar.gz", "zip")},
    }


def packed(
    members: list[Member], root: Path, out: Path, formats: tuple[ArchiveFormat, ...], estimate: int
) -> tuple[packing.Packed, dict[str, Digests]]:
    out.mkdir()
    temps: dict[ArchiveFormat, Path] = {fmt: out / f"t.{fmt}" for fmt in formats}
    with Tree(root) as tree:
        result = packing.pack(
            tuple(members),
            tree,
            out / "t.tar",
            temps,
            data_size=estimate,
            stop=threading.Event(),
        )
    on_disk: dict[str, Digests] = {"tar": file_digests(out / "t.tar")}
    on_disk.update({fmt: file_digests(path) for fmt, path in temps.items()})
    return result, on_disk


@pytest.fixture(scope="module")
def sources(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[Member], dict[str, Digests]]:
    root = tmp_path_factory.mktemp("plugin")
    members = plugin(root)
    return root, members, reference(members, tmp_path_factory.mktemp("reference") / "out")


@pytest.mark.parametrize(
    ("formats", "estimate"),
    [
        (("tar.gz", "zip"), 0),  # small: gzip in a thread after the tar
        (("tar.gz", "zip"), 1 << 40),  # past GZIP_CHILD_UPTO: no child either
        (("tar.gz", "zip"), LARGE),  # large: the gzip child, streamed
        (("tar.gz",), LARGE),
        (("zip",), LARGE),
        (("tar.gz",), 0),
    ],
)
def test_every_path_writes_the_plain_writers_bytes(
    sources: tuple[Path, list[Member], dict[str, Digests]],
    tmp_path: Path,
    formats: tuple[ArchiveFormat, ...],
    estimate: int,
) -> None:
    root, members, expected = sources
    result, on_disk = packed(members, root, tmp_path / "out", formats, estimate)
    assert on_disk["tar"] == expected["tar"]
    assert result.tar_size == expected["tar"].size
    for fmt in formats:
        assert result.digests[fmt] == expected[fmt] == on_disk[fmt], fmt
    assert [e.name for e in result.entries] == [m.name for m in members]


@pytest.mark.parametrize("bound", ["GZIP_CHILD_RSS", "GZIP_CHILD_DATA"])
def test_past_the_memory_bound_the_tar_is_compressed_after_and_the_bytes_stay(
    sources: tuple[Path, list[Member], dict[str, Digests]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bound: str,
) -> None:
    """The child's own RSS bound (POSIX), and the parent's count of what it fed it
    (Windows): either way the finished tar is compressed file to file."""
    root, members, expected = sources
    monkeypatch.setattr(packing, bound, MIB)  # the child's start-up alone passes 1 MiB RSS
    if bound == "GZIP_CHILD_DATA":
        monkeypatch.setattr(packing, "_MEASURES_RSS", False)
    after: list[Path] = []
    original = packing._gzip_file

    def spy(tar_path: Path, temp: Path, stop: threading.Event) -> Digests:
        after.append(temp)
        return original(tar_path, temp, stop)

    monkeypatch.setattr(packing, "_gzip_file", spy)
    result, on_disk = packed(members, root, tmp_path / "out", ("tar.gz", "zip"), LARGE)
    assert after == [tmp_path / "out" / "t.tar.gz"]
    assert result.digests["tar.gz"] == expected["tar.gz"] == on_disk["tar.gz"]
    assert result.digests["zip"] == expected["zip"]


def test_the_streamed_child_is_used_when_it_can_be(
    sources: tuple[Path, list[Member], dict[str, Digests]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, members, expected = sources
    monkeypatch.setattr(packing, "_gzip_file", None)  # calling it would fail the test
    result, _ = packed(members, root, tmp_path / "out", ("tar.gz", "zip"), LARGE)
    assert result.digests["tar.gz"] == expected["tar.gz"]


def test_the_gzip_child_runs_isolated(
    sources: tuple[Path, list[Member], dict[str, Digests]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cramjam.py (or hashlib.py) where the caller's path or working directory points
    is never what the child imports: it runs with -I."""
    root, members, expected = sources
    planted = tmp_path / "planted"
    planted.mkdir()
    marker = tmp_path / "ran"
    for name in ("cramjam.py", "hashlib.py"):
        (planted / name).write_text(
            f"open({str(marker)!r}, 'w').write('shadowed')\nraise SystemExit(9)\n"
        )
    monkeypatch.setenv("PYTHONPATH", str(planted))
    monkeypatch.setenv("PYTHONSTARTUP", str(planted / "cramjam.py"))
    monkeypatch.chdir(planted)
    result, _ = packed(members, root, tmp_path / "out", ("tar.gz",), LARGE)
    assert not marker.exists()
    assert result.digests["tar.gz"] == expected["tar.gz"]


def _children() -> list[int]:
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(pid) for pid in text]
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc children")
def test_a_failed_pack_leaves_no_child_behind(tmp_path: Path) -> None:
    members = plugin(tmp_path / "src")
    Path(members[-1].source).unlink()  # the last member vanishes: the tar writer fails at the end
    before = set(_children())
    with pytest.raises(archive.ArchiveError, match="cannot read"):
        packed(members, tmp_path / "src", tmp_path / "out", ("tar.gz", "zip"), LARGE)
    assert set(_children()) <= before


@given(
    st.lists(
        st.text(
            st.characters(codec="utf-8", exclude_characters="/\0", exclude_categories=["Cs"]),
            min_size=1,
            max_size=30,
        ).filter(lambda part: part not in (".", "..")),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([0o644, 0o755]),
    st.integers(min_value=0, max_value=8**11 - 1),
)
def test_the_plain_header_is_the_general_one(parts: list[str], mode: int, size: int) -> None:
    path = "/".join(parts).encode()
    fast = archive._plain_header(path, mode, size)
    if len(path) > 100:
        assert fast is None
        return
    header = archive._new_header(mode, size, b"0")
    archive._set_path(header, path)
    assert fast == archive._set_cksum(header)


@pytest.mark.parametrize(
    "breakage",
    ["code", "interpreter"],
)
def test_without_a_working_child_the_tar_is_compressed_after(
    sources: tuple[Path, list[Member], dict[str, Digests]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    breakage: str,
) -> None:
    """A child that dies (it could not import cramjam, say) or cannot be started costs
    time, never the build."""
    root, members, expected = sources
    if breakage == "code":
        monkeypatch.setattr(
            packing, "_CHILD", "import sys\nsys.stdin.buffer.read(100)\nsys.exit(3)\n"
        )
    else:
        monkeypatch.setattr(sys, "executable", "")
    result, on_disk = packed(members, root, tmp_path / "out", ("tar.gz", "zip"), LARGE)
    assert result.digests["tar.gz"] == expected["tar.gz"] == on_disk["tar.gz"]
    assert result.digests["zip"] == expected["zip"]


def test_past_gzip_child_upto_no_child_is_started(
    sources: tuple[Path, list[Member], dict[str, Digests]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plugin whose compressed tar would pass the child's bound anyway is compressed
    from the finished tar while the zip is written (nothing compressed twice)."""
    root, members, expected = sources
    started: list[bool] = []
    monkeypatch.setattr(packing._GzipChild, "start", lambda *a: started.append(True))
    result, _ = packed(
        members, root, tmp_path / "out", ("tar.gz", "zip"), packing.GZIP_CHILD_UPTO + 1
    )
    assert started == []
    assert result.digests == {"tar.gz": expected["tar.gz"], "zip": expected["zip"]}
