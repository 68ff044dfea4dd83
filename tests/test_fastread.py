"""fastread: verify's fast readers agree with the full readers, or step aside.

Every archive is checked both ways, with the fast readers (falling back to the
full ones at anything irregular) and with the full readers alone: the findings
must be the same, for intact archives as for damaged and hostile ones.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_build import membernames
from plugin_build.fastread import Irregular, plain_tar, plain_zip
from plugin_build.membernames import NameClashes, TopFolder, path_problem, resolved, taken_apart
from plugin_build.members import check_members
from plugin_build.readback import ArchiveEntry, tar_entries
from plugin_build.zipread import zip_entries

TOP = "demo-1.0.0"
FILES = {
    f"{TOP}/__init__.py": (b"def process_writes(a, b, args=None):\n    pass\n" * 3, 0o644),
    f"{TOP}/bin/run.sh": (b"#!/bin/sh\necho hi\n", 0o755),
    f"{TOP}/data/big.bin": (bytes(range(256)) * 9000, 0o644),  # over one piece
    f"{TOP}/empty.txt": (b"", 0o644),
}


def tar_gz(fmt: int = tarfile.USTAR_FORMAT, files: dict[str, tuple[bytes, int]] = FILES) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def zip_bytes(files: dict[str, tuple[bytes, int]] = FILES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def both_ways(directory: Path, name: str) -> list[str]:
    fast = check_members(directory, name, TOP)
    full = check_members(directory, name, TOP, fast=False)
    assert [d.as_dict() for d in fast] == [d.as_dict() for d in full]
    return [d.message for d in fast]


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT])
def test_plain_tar_reads_what_tar_entries_reads(tmp_path: Path, fmt: int) -> None:
    path = tmp_path / f"{TOP}.tar.gz"
    path.write_bytes(tar_gz(fmt))
    fast = list(plain_tar(path, hashed=True))
    full = [
        (e.name, e.kind, e.mode, hashlib.sha256(e.stream.read()).hexdigest())
        for e in tar_entries(path)
        if e.stream is not None
    ]
    assert [(e.name, e.kind, e.mode, e.sha256) for e in fast] == full
    assert [e.sha256 for e in plain_tar(path, hashed=False)] == [None] * len(FILES)


def test_plain_zip_reads_what_zip_entries_reads(tmp_path: Path) -> None:
    path = tmp_path / f"{TOP}.zip"
    path.write_bytes(zip_bytes())
    fast = list(plain_zip(path, hashed=True))
    full = [
        (e.name, e.kind, e.mode, hashlib.sha256(e.stream.read()).hexdigest())
        for e in zip_entries(path)
        if isinstance(e, ArchiveEntry) and e.stream is not None
    ]
    assert [(e.name, e.kind, e.mode, e.sha256) for e in fast] == full


def test_what_build_writes_is_plain(tmp_path: Path) -> None:
    """build's own archives take the fast path: no Irregular from either reader."""
    plugin = tmp_path / "plugin"
    (plugin / "lib").mkdir(parents=True)
    (plugin / "manifest.toml").write_text(
        'manifest_schema_version = "1.3"\n\n[plugin]\nname = "demo"\nversion = "1.0.0"\n'
        'description = "Test plugin."\ntriggers = ["process_writes"]\n\n'
        '[dependencies]\ndatabase_version = ">=3.0.0"\n'
    )
    (plugin / "__init__.py").write_text(
        "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
    )
    deep = plugin / "lib" / ("d" * 40) / ("e" * 40) / ("f" * 40)  # stored with a ustar prefix
    deep.mkdir(parents=True)
    (deep / "x.txt").write_text("long path\n")
    (plugin / "lib" / "big.bin").write_bytes(bytes(range(256)) * 8192)  # a zip data descriptor
    out = tmp_path / "dist"
    command = [sys.executable, "-m", "plugin_build", "build", str(plugin), "--format", "all"]
    subprocess.run([*command, "--output-dir", str(out)], check=True, capture_output=True)
    tar_names = [e.name for e in plain_tar(out / f"{TOP}.tar.gz", hashed=False)]
    zip_names = [e.name for e in plain_zip(out / f"{TOP}.zip", hashed=False)]
    assert tar_names == zip_names
    assert len(tar_names) == 4


def test_irregular_archives_fall_back(tmp_path: Path) -> None:
    path = tmp_path / f"{TOP}.tar.gz"
    path.write_bytes(tar_gz() + b"junk")  # data after the gzip member
    with pytest.raises(Irregular):
        list(plain_tar(path, hashed=False))
    assert len(both_ways(tmp_path, path.name)) == 1  # unreadable, as the full reader says


_SMALL = {k: v for k, v in FILES.items() if not k.endswith("big.bin")}
_TAR = gzip.decompress(tar_gz(files=_SMALL))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        mutated(tar_gz(files=_SMALL)),
        mutated(_TAR).map(gzip.compress),  # tar damage behind an intact gzip layer
        mutated(zip_bytes(_SMALL)),
    )
)
def test_fast_and_full_readers_find_the_same(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    directory = tmp_path_factory.mktemp("archives")
    name = f"{TOP}.zip" if data.startswith(b"PK") else f"{TOP}.tar.gz"
    (directory / name).write_bytes(data)
    both_ways(directory, name)


@given(st.text(alphabet="a./\\\0", max_size=12))
def test_resolved_fast_path_changes_nothing(name: str) -> None:
    assert resolved(name) == taken_apart(name)


@given(
    top=st.text(alphabet="a./\\:C", max_size=4),
    path=st.text(alphabet="a./\\:C", max_size=10),
    directory=st.booleans(),
)
def test_top_folder_quick_path_changes_nothing(top: str, path: str, directory: bool) -> None:
    assert TopFolder(top).problem(path, directory) == path_problem(path, top, directory)
    below = f"{top}/{path}"
    assert TopFolder(top).problem(below, directory) == path_problem(below, top, directory)


@pytest.mark.parametrize("secret_hash", [True, False])
def test_clashes_with_either_digest(monkeypatch: pytest.MonkeyPatch, secret_hash: bool) -> None:
    monkeypatch.setattr(membernames, "_SECRET_HASH", secret_hash)
    clashes = NameClashes()
    assert clashes.add(f"{TOP}/a") == []
    assert [c.kind for c in clashes.add(f"{TOP}/A")] == ["case", "order"]
    assert [c.kind for c in clashes.add(f"{TOP}/a")] == ["duplicate"]


def test_a_fixed_hash_seed_is_not_a_key() -> None:
    probe = "from plugin_build import membernames; print(membernames._SECRET_HASH)"
    for seed, expected in (("0", b"False"), ("123", b"False"), ("random", b"True")):
        env = {"PYTHONHASHSEED": seed, "PYTHONPATH": ":".join(sys.path)}
        done = subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, env=env
        )
        assert done.stdout.strip() == expected
