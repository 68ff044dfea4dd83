"""`plugin-build build`: outputs, schemas, reproducibility, robustness (SPEC §4, seed 000)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import need, on_a_terminal, sha256sum
from conftest import run_cli as cli

from plugin_build.build import build_plugin

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
GOLDEN_MANIFEST = (
    b'manifest_schema_version = "1.2"\n[plugin]\nname="p"\nversion="0.1.0"\ndescription="x"\n'
    b'triggers=["process_writes"]\n[dependencies]\ndatabase_version=">=3.0.0"\n'
)
GOLDEN_INIT = b"def process_writes(a, b, c):\n    pass\n"
GOLDEN_SHA256 = "9ec4a7ccb674b7f21178bc7dc8fbca65d51501e25ef8032fbd59b7c7ef39abf2"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def golden_plugin(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "manifest.toml").write_bytes(GOLDEN_MANIFEST)
    (root / "__init__.py").write_bytes(GOLDEN_INIT)
    for f in root.iterdir():
        f.chmod(0o644)
    return root


# -- outputs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wind_chill(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("dist")
    result = cli(
        "build", str(EXAMPLES / "wind-chill"), "--format", "all", "--output-dir", str(out), "--json"
    )
    return out, result


def test_build_all_writes_every_output(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, result = wind_chill
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "SHA256SUMS",
        "manifest.json",
        "plugin.preview.yaml",
        "wind-chill-1.2.0-build-report.json",
        "wind-chill-1.2.0.tar.gz",
        "wind-chill-1.2.0.zip",
    ]


def test_result_json_follows_seed_000(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, result = wind_chill
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert document["status"] == "success"
    assert document["package_path"] == str(out / "wind-chill-1.2.0.tar.gz")
    assert document["report_path"] == str(out / "wind-chill-1.2.0-build-report.json")
    assert document["manifest_path"] == str(out / "manifest.json")
    assert document["preview_path"] == str(out / "plugin.preview.yaml")
    assert [p["format"] for p in document["packages"]] == ["tar.gz", "zip"]
    assert document["build_report"]["plugin"]["name"] == "wind-chill"


def test_progress_log_goes_to_stderr_with_seed_000_lines(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = wind_chill
    lines = result.stderr.splitlines()
    assert lines[0] == "INFO: 🏗️ Starting plugin build..."
    assert "INFO: 🎉 BUILD COMPLETE" in lines
    assert any(line.startswith("INFO: 🔐 Calculating checksums...") for line in lines)
    assert "INFO: 📝 Files: 5" in lines
    assert "🗜️ " not in result.stderr.replace("🗜️ Creating", "")  # no progress line off a terminal


def test_sha256sums_verifies_with_the_system_tool(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = wind_chill
    text = (out / "SHA256SUMS").read_bytes().decode("utf-8")  # no newline translation
    assert text.endswith("\n")
    assert "\r" not in text
    assert [line.split("  ")[1] for line in text.splitlines()] == [
        "wind-chill-1.2.0.tar.gz",
        "wind-chill-1.2.0.zip",
    ]
    check = subprocess.run(
        [*sha256sum(), "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_archives_hold_the_selection_under_one_top_folder(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = wind_chill
    expected = [
        f"wind-chill-1.2.0/{n}"
        for n in ("README.md", "__init__.py", "chill.py", "manifest.toml", "summary.py")
    ]
    with tarfile.open(out / "wind-chill-1.2.0.tar.gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == expected  # tests/ and hidden files excluded
        assert all(m.isreg() and m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members)
        assert all(m.mode == 0o644 for m in members)
        data = {m.name: tar.extractfile(m).read() for m in members}  # type: ignore[union-attr]
    with zipfile.ZipFile(out / "wind-chill-1.2.0.zip") as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == expected
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert all(i.external_attr >> 16 == 0o100644 for i in infos)
        assert all(i.extra == b"" for i in infos)
        assert {i.filename: archive.read(i) for i in infos} == data
    assert data["wind-chill-1.2.0/chill.py"] == (EXAMPLES / "wind-chill" / "chill.py").read_bytes()
    listing = subprocess.run(  # a relative name: GNU tar takes "C:..." for a remote host
        [need("tar"), "-tzf", "wind-chill-1.2.0.tar.gz"],
        cwd=out,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listing.stdout.split() == expected
    unzip = subprocess.run(
        [need("unzip"), "-t", "wind-chill-1.2.0.zip"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unzip.returncode == 0
    assert "No errors detected" in unzip.stdout


def test_manifest_json_follows_seed_000(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = wind_chill
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for key in (
        "name",
        "version",
        "description",
        "metadata",
        "requirements",
        "permissions",
        "package",
        "packages",
        "entrypoints",
        "commands_count",
        "agents",
    ):
        assert key in manifest
    tar_gz = out / "wind-chill-1.2.0.tar.gz"
    assert manifest["package"] == {
        "filename": tar_gz.name,
        "size_bytes": tar_gz.stat().st_size,
        "checksums": {
            "md5": hashlib.md5(tar_gz.read_bytes()).hexdigest(),
            "sha256": sha256(tar_gz),
        },
    }
    assert [p["filename"] for p in manifest["packages"]] == [tar_gz.name, "wind-chill-1.2.0.zip"]
    assert manifest["packages"][1]["checksums"]["sha256"] == sha256(out / "wind-chill-1.2.0.zip")
    assert manifest["entrypoints"] == [
        {"command": "process_writes", "handler": "__init__.py", "runtime": "python"},
        {"command": "process_scheduled_call", "handler": "__init__.py", "runtime": "python"},
    ]
    assert manifest["commands_count"] == 2
    assert manifest["metadata"]["homepage"] == "https://github.com/example/wind-chill"


def test_manifest_json_of_a_manifest_toml_plugin_says_only_what_the_manifest_says(
    tmp_path: Path,
) -> None:
    plugin = tmp_path / "p"
    shutil.copytree(EXAMPLES / "wind-chill", plugin)
    text = (plugin / "manifest.toml").read_text()
    text = text.replace("python = []", 'python = ["requests>=2.31", "numpy"]')
    (plugin / "manifest.toml").write_text(
        text.replace('repository = "https://github.com/example/wind-chill"\n', "")
    )
    assert build_plugin(plugin, output_dir=tmp_path / "out").ok
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["requirements"] == {
        "database_version": ">=3.2.0, <4.0.0",
        "python": ["requests>=2.31", "numpy"],  # dependencies.python, verbatim
        "packages": ["requests>=2.31", "numpy"],  # seed 000's name for the same list
        "plugins": [],
    }
    assert "author" not in manifest  # manifest.toml has no such field
    assert "license" not in manifest
    assert set(manifest["metadata"]) == {"homepage", "generated_at"}

    def nulls(value: object, where: str = "") -> list[str]:
        if value is None:
            return [where]
        if isinstance(value, dict):
            return [n for k, v in value.items() for n in nulls(v, f"{where}.{k}")]
        if isinstance(value, list):
            return [n for i, v in enumerate(value) for n in nulls(v, f"{where}[{i}]")]
        return []

    assert nulls(manifest) == []


def test_build_report_follows_seed_000(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = wind_chill
    report = json.loads((out / "wind-chill-1.2.0-build-report.json").read_text(encoding="utf-8"))
    assert set(report) >= {"build_timestamp", "plugin", "validation", "package", "entrypoints"}
    assert report["validation"]["total_commands"] == 2
    assert report["validation"]["valid_entrypoints"] == 2
    assert report["validation"]["missing_files"] == []
    assert report["validation"]["has_errors"] is False
    package = report["package"]
    assert package["path"] == str(out / "wind-chill-1.2.0.tar.gz")
    assert package["files_count"] == 5
    assert package["format"] == "tar.gz"
    assert package["size_human"].endswith(" KB")
    assert [p["format"] for p in report["packages"]] == ["tar.gz", "zip"]


def test_preview_is_the_plugin_configuration(
    wind_chill: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = wind_chill
    preview = yaml.safe_load((out / "plugin.preview.yaml").read_text(encoding="utf-8"))
    assert preview["plugin"]["name"] == "wind-chill"
    assert preview["dependencies"]["database_version"] == ">=3.2.0, <4.0.0"


def test_default_format_is_tar_gz_into_dist(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "threshold-alert", tmp_path / "plugin")
    result = cli("build", cwd=plugin)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (plugin / "dist").iterdir()) == [
        "SHA256SUMS",
        "manifest.json",
        "plugin.preview.yaml",
        "threshold-alert-0.3.1-build-report.json",
        "threshold-alert-0.3.1.tar.gz",
    ]
    again = cli("build", cwd=plugin)  # dist/ lies inside the plugin: never packaged
    assert again.returncode == 0, again.stderr
    with tarfile.open(plugin / "dist" / "threshold-alert-0.3.1.tar.gz") as tar:
        assert not any("/dist/" in name for name in tar.getnames())


def test_path_may_name_the_manifest(tmp_path: Path) -> None:
    result = cli(
        "build",
        str(EXAMPLES / "wind-chill" / "manifest.toml"),
        "--format=zip",
        f"--output-dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wind-chill-1.2.0.zip").is_file()
    assert not (tmp_path / "wind-chill-1.2.0.tar.gz").exists()


def test_golden_archive_is_the_sdk_bytes(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.ok, result.error
    assert sha256(tmp_path / "out" / "p-0.1.0.tar.gz") == GOLDEN_SHA256


# -- plugin.yaml (seed 000) -------------------------------------------------------------


def test_betty_example_packages_seed_000_file_set(tmp_path: Path) -> None:
    result = build_plugin(EXAMPLES / "betty-lite", formats=("zip",), output_dir=tmp_path)
    assert result.status == "success", result.error
    with zipfile.ZipFile(tmp_path / "betty-lite-1.0.0.zip") as archive:
        names = [n.split("/", 1)[1] for n in archive.namelist()]
    assert names == [
        "CHANGELOG.md",
        "LICENSE",
        "README.md",
        "betty/__init__.py",
        "betty/config.py",
        "betty/errors.py",
        "plugin.yaml",
        "registry/commands.json",
        "registry/skills.json",
        "requirements.txt",
        "skills/api.define/SKILL.md",
        "skills/api.define/api_define.py",
        "skills/api.define/skill.yaml",
        "skills/api.validate/SKILL.md",
        "skills/api.validate/api_validate.py",
        "skills/api.validate/skill.yaml",
    ]  # skills/draft.idea is not referenced by any command
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["author"]["name"] == "Example Team"
    assert manifest["commands_count"] == 2
    assert manifest["agents"] == [
        {"name": "api.designer", "description": "Design APIs with iterative refinement"}
    ]
    assert manifest["entrypoints"][0] == {
        "command": "api/define",
        "handler": "skills/api.define/api_define.py",
        "runtime": "python",
    }


def test_betty_never_packages_caches_hidden_files_or_build_output(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "betty-lite", tmp_path / "betty-lite")
    junk = [
        "betty/__pycache__/config.cpython-312.pyc",
        "betty/.secret",
        "betty/old.pyc",
        "skills/api.define/build/out.txt",
        "skills/api.define/dist/x.whl",
        "skills/api.define/.vscode/settings.json",
        ".idea/workspace.xml",
        ".env",
        "registry/nested/x.json",
        "registry/notes.txt",
        "notes.md",
    ]
    for rel in junk:
        (plugin / rel).parent.mkdir(parents=True, exist_ok=True)
        (plugin / rel).write_text("x")
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.ok, result.error
    with tarfile.open(tmp_path / "out" / "betty-lite-1.0.0.tar.gz") as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames()}
    assert names.isdisjoint(junk)


def test_missing_handler_builds_with_warnings_and_exit_1(tmp_path: Path) -> None:
    result = cli(
        "build", str(FIXTURES / "betty_missing_handler"), "--output-dir", str(tmp_path), "--json"
    )
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert document["status"] == "success_with_warnings"
    report = document["build_report"]
    assert report["validation"]["missing_files"] == [
        "Command 'api/broken': handler not found at skills/api.broken/api_broken.py"
    ]
    assert report["validation"]["has_errors"] is True
    assert (report["validation"]["valid_entrypoints"], report["validation"]["total_commands"]) == (
        1,
        2,
    )
    assert (tmp_path / "betty-broken-0.2.0.tar.gz").is_file()
    assert "WARNING: ❌ api/broken: skills/api.broken/api_broken.py (not found)" in result.stderr
    assert "INFO: ⚠️ Warnings: 1" in result.stderr


def test_missing_plugin_yaml_is_a_failed_result(tmp_path: Path) -> None:
    result = cli("build", str(tmp_path / "plugin.yaml"), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document == {
        "ok": False,
        "status": "failed",
        "error": f"plugin.yaml not found: {tmp_path / 'plugin.yaml'}",
        "diagnostics": [],
    }


def test_invalid_manifest_toml_plugin_is_not_packaged(tmp_path: Path) -> None:
    result = cli(
        "build", str(FIXTURES / "async_trigger"), "--output-dir", str(tmp_path / "out"), "--json"
    )
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    assert [d["code"] for d in document["diagnostics"]] == ["trigger-async"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert cli("build", str(tmp_path / "nope")).returncode == 2
    bad = cli("build", str(EXAMPLES / "wind-chill"), "--format", "rar")
    assert bad.returncode == 2
    assert "Unsupported output format 'rar'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_output_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = cli(
        "build",
        str(EXAMPLES / "wind-chill"),
        "--output-dir",
        str(tmp_path / "file" / "d"),
        "--json",
    )
    assert result.returncode == 1
    assert "cannot create the output directory" in json.loads(result.stdout)["error"]


# -- shared output directories ------------------------------------------------------------


def test_another_plugins_metadata_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert build_plugin(EXAMPLES / "wind-chill", output_dir=out).ok
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = build_plugin(EXAMPLES / "threshold-alert", output_dir=out)
    assert result.status == "failed"
    assert result.error is not None
    assert "wind-chill" in result.error
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_new_version_keeps_the_old_archive_in_sha256sums(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    out = tmp_path / "dist"
    assert build_plugin(plugin, output_dir=out).ok
    manifest = plugin / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('"1.2.0"', '"1.3.0"'))
    assert build_plugin(plugin, output_dir=out).ok
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8")
    names = [line.split("  ")[1] for line in sums.splitlines()]
    assert names == ["wind-chill-1.2.0.tar.gz", "wind-chill-1.3.0.tar.gz"]
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["version"] == "1.3.0"


# -- reproducibility ----------------------------------------------------------------------


def test_source_date_epoch_fixes_the_metadata_timestamps(tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    first = build_plugin(EXAMPLES / "wind-chill", output_dir=tmp_path / "a", environ=env)
    second = build_plugin(EXAMPLES / "wind-chill", output_dir=tmp_path / "b", environ=env)
    assert first.build_report is not None
    assert first.build_report["build_timestamp"] == "2023-11-14T22:13:20+00:00"
    manifest_a = (tmp_path / "a" / "manifest.json").read_bytes()
    assert json.loads(manifest_a)["metadata"]["generated_at"] == "2023-11-14T22:13:20+00:00"
    assert manifest_a == (tmp_path / "b" / "manifest.json").read_bytes()
    assert second.ok


def test_bad_source_date_epoch_fails_clearly(tmp_path: Path) -> None:
    result = build_plugin(
        EXAMPLES / "wind-chill", output_dir=tmp_path, environ={"SOURCE_DATE_EPOCH": "yesterday"}
    )
    assert result.status == "failed"
    assert result.error is not None
    assert "SOURCE_DATE_EPOCH" in result.error


def _populate(root: Path, files: dict[str, bytes], *, reverse: bool, mtime: int, mode: int) -> None:
    items = sorted(files.items(), reverse=reverse)
    for rel, data in items:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode | (0o111 if rel.endswith(".sh") else 0))
        os.utime(target, (mtime, mtime))


PERTURBED_FILES = {
    "manifest.toml": GOLDEN_MANIFEST,
    "__init__.py": GOLDEN_INIT,
    "helpers/units.py": b"KELVIN = 273.15\n",
    "helpers/data/table.csv": b"a,b\n1,2\n" * 50,
    "scripts/run.sh": b"#!/bin/sh\necho hi\n",
    "Z-last.txt": b"z",
    "\u00e9t\u00e9.md": "\u00e9t\u00e9\n".encode(),
}


def test_archives_are_identical_under_perturbations(tmp_path: Path) -> None:
    a, b = tmp_path / "one" / "plugin", tmp_path / "elsewhere" / "deeper" / "plugin"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    _populate(a, PERTURBED_FILES, reverse=False, mtime=1_000_000, mode=0o644)
    old = os.umask(0o077)
    try:
        _populate(b, PERTURBED_FILES, reverse=True, mtime=1_900_000_000, mode=0o600)
    finally:
        os.umask(old)
    base = {k: v for k, v in os.environ.items() if k not in ("TZ", "LC_ALL", "SOURCE_DATE_EPOCH")}
    first = cli(
        "build",
        str(a),
        "--format",
        "all",
        "--output-dir",
        str(tmp_path / "out1"),
        cwd=tmp_path,
        env={**base, "TZ": "UTC", "LC_ALL": "C"},
    )
    second = cli(
        "build",
        "plugin",
        "--format",
        "all",
        "--output-dir",
        str(tmp_path / "out2"),
        cwd=b.parent,
        env={**base, "TZ": "Asia/Kolkata", "LC_ALL": "C.UTF-8", "SOURCE_DATE_EPOCH": "1"},
    )
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    for name in ("p-0.1.0.tar.gz", "p-0.1.0.zip"):
        assert (tmp_path / "out1" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()
    with tarfile.open(tmp_path / "out1" / "p-0.1.0.tar.gz") as tar:
        modes = {m.name.split("/", 1)[1]: m.mode for m in tar.getmembers()}
    # Windows has no exec bit: there every file is stored 0644, by design (CONFORMANCE)
    assert modes["scripts/run.sh"] == (0o644 if sys.platform == "win32" else 0o755)
    assert modes["manifest.toml"] == 0o644


def test_exec_bit_is_an_input(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    (plugin / "__init__.py").chmod(0o755)
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.ok
    if sys.platform == "win32":  # no exec bit: every file is stored 0644, by design
        assert sha256(tmp_path / "out" / "p-0.1.0.tar.gz") == GOLDEN_SHA256
    else:
        assert sha256(tmp_path / "out" / "p-0.1.0.tar.gz") != GOLDEN_SHA256


# -- robustness ---------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")
def test_links_and_fifos_are_never_packaged_nor_followed(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    secret_dir = tmp_path / "outside"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text("do not ship")
    (plugin / "link-to-file.txt").symlink_to(secret_dir / "secret.txt")
    (plugin / "link-to-dir").symlink_to(secret_dir)
    os.mkfifo(plugin / "pipe")
    result = cli(
        "build", str(plugin), "--format", "all", "--output-dir", str(tmp_path / "out"), timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert sha256(tmp_path / "out" / "p-0.1.0.tar.gz") == GOLDEN_SHA256
    with zipfile.ZipFile(tmp_path / "out" / "p-0.1.0.zip") as archive:
        assert archive.namelist() == ["p-0.1.0/__init__.py", "p-0.1.0/manifest.toml"]


def _without_root_powers() -> list[str]:
    """A command prefix under which file permissions bind (root bypasses them)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: chmod 000 would not bind")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def _build_without_root_powers(plugin: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``build PLUGIN --output-dir OUT --json`` where file permissions bind."""
    command = [sys.executable, "-m", "plugin_build", "build", str(plugin)]
    return subprocess.run(
        [*_without_root_powers(), *command, "--output-dir", str(out), "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_file_is_a_clear_failure(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    (plugin / "private.txt").write_text("x")
    (plugin / "private.txt").chmod(0o000)
    out = tmp_path / "out"
    result = _build_without_root_powers(plugin, out)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    assert "private.txt" in document["error"]
    assert "Traceback" not in result.stderr
    assert not [p for p in out.iterdir() if p.name.endswith((".tar.gz", ".zip"))]


def test_path_over_255_bytes_fails_before_writing(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    deep = "/".join(["d" * 60] * 4) + "/handler.py"
    (tmp_path / "b" / deep).parent.mkdir(parents=True)
    (tmp_path / "b" / deep).write_text("print('x')\n")
    (tmp_path / "b" / "plugin.yaml").write_text(
        f"name: deep\nversion: 1.0.0\ncommands:\n  - name: c\n    handler:\n"
        f"      runtime: python\n      script: {deep}\n"
    )
    result = build_plugin(tmp_path / "b", output_dir=tmp_path / "out")
    assert result.status == "failed"
    assert [d.code for d in result.diagnostics] == ["path-too-long"]
    assert not list((tmp_path / "out").glob("*.tar.gz"))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("delay", [0.15, 0.4, 0.8, 1.5])
def test_a_killed_build_leaves_no_partial_file_under_a_final_name(
    tmp_path: Path, delay: float
) -> None:
    import signal
    import time

    plugin = golden_plugin(tmp_path / "p")
    (plugin / "blob.bin").write_bytes(os.urandom(24 << 20))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugin_build",
            "build",
            str(plugin),
            "--format",
            "all",
            "--output-dir",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finals = [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
    clean = build_plugin(plugin, formats=("tar.gz", "zip"), output_dir=tmp_path / "clean")
    assert clean.ok
    for final in finals:  # whatever made it under a final name is complete
        reference = tmp_path / "clean" / final.name
        if final.suffix in (".gz", ".zip"):
            assert final.read_bytes() == reference.read_bytes()
    rebuilt = build_plugin(plugin, formats=("tar.gz", "zip"), output_dir=out)
    assert rebuilt.ok
    for name in ("p-0.1.0.tar.gz", "p-0.1.0.zip"):
        assert (out / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
    check = subprocess.run(
        [*sha256sum(), "-c", "SHA256SUMS"], cwd=out, capture_output=True, check=False
    )
    assert check.returncode == 0


def test_build_then_verify_round_trip(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    out = tmp_path / "dist"
    assert cli("build", str(plugin), "--format", "all", "--output-dir", str(out)).returncode == 0
    verified = cli("verify", str(out), "--source", str(plugin))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "verified 2 archives" in verified.stdout
    (plugin / "chill.py").write_text("changed = True\n")
    drifted = cli("verify", str(out), "--source", str(plugin))
    assert drifted.returncode == 1
    assert "archive-content-mismatch" in drifted.stdout


def test_executable_files_keep_0755(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    (plugin / "chill.py").chmod(0o755)
    assert build_plugin(plugin, formats=("tar.gz", "zip"), output_dir=tmp_path / "out").ok
    with zipfile.ZipFile(tmp_path / "out" / "wind-chill-1.2.0.zip") as archive:
        modes = {i.filename.split("/", 1)[1]: i.external_attr >> 16 for i in archive.infolist()}
    # Windows has no exec bit: there every file is stored 0644, by design (CONFORMANCE)
    assert modes["chill.py"] == stat.S_IFREG | (0o644 if sys.platform == "win32" else 0o755)
    assert modes["__init__.py"] == stat.S_IFREG | 0o644


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_large_builds_show_progress_on_a_terminal_but_not_in_ci(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    # big enough to still be compressing a second in, on a fast machine too
    (plugin / "blob.bin").write_bytes(os.urandom(96 << 20))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    args = ["build", str(plugin), "--format", "all", "--output-dir", str(tmp_path / "a")]
    shown = on_a_terminal(args, env)
    assert "\r🗜️" in shown
    assert "INFO: 🎉 BUILD COMPLETE" in shown
    args[-1] = str(tmp_path / "b")
    assert "\r🗜️" not in on_a_terminal(args, {**env, "CI": "true"})
    args[-1] = str(tmp_path / "c")
    assert "\r🗜️" not in on_a_terminal([*args, "--json"], env)


def test_verify_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = cli("verify", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert "no such directory" in missing.stderr
    assert cli("verify", str(tmp_path), "--source", str(tmp_path / "nope")).returncode == 2


def test_verify_json(tmp_path: Path) -> None:
    assert build_plugin(EXAMPLES / "wind-chill", output_dir=tmp_path).ok
    result = cli("verify", str(tmp_path), "--json")
    document = json.loads(result.stdout)
    assert result.returncode == 0
    assert document["ok"] is True
    assert document["archives"] == ["wind-chill-1.2.0.tar.gz"]
    assert document["diagnostics"] == []


# -- issue 7: hostile input, interruption and concurrency -------------------------------


def _async_plugin(root: Path) -> Path:
    golden_plugin(root)
    (root / "__init__.py").write_text("async def process_writes(a, b, c):\n    pass\n")
    return root


def test_an_output_dir_that_is_a_file_is_reported_before_validation(tmp_path: Path) -> None:
    plugin = _async_plugin(tmp_path / "p")  # invalid too: the output problem comes first
    (tmp_path / "out").write_text("x")
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.status == "failed"
    assert result.error == (
        f"the output directory {tmp_path / 'out'} exists but is not a directory; "
        "remove it or choose another --output-dir"
    )
    assert result.diagnostics == ()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_output_dir_is_named_with_the_fix_before_validation(tmp_path: Path) -> None:
    plugin = _async_plugin(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = _build_without_root_powers(plugin, out)
    finally:
        out.chmod(0o755)
    error = json.loads(result.stdout)["error"]
    assert result.returncode == 1
    assert error.startswith(f"cannot write into the output directory {out}: Permission denied")
    assert error.endswith("make it writable or choose another --output-dir")
    assert ".tmp" not in error
    assert json.loads(result.stdout)["diagnostics"] == []  # validation never ran


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX links")
def test_an_output_dir_linked_to_the_plugin_root_is_refused(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    (tmp_path / "out").symlink_to(plugin)
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.status == "failed"
    assert result.error is not None
    assert "is the plugin directory (through a symbolic link)" in result.error
    assert sorted(p.name for p in plugin.iterdir()) == ["__init__.py", "manifest.toml"]


_SWAPPER = """
import os, sys, time
plugin, outside, stop = sys.argv[1:4]
sub, real = os.path.join(plugin, "sub"), os.path.join(plugin, "sub.real")
while not os.path.exists(stop):
    os.rename(sub, real)
    os.symlink(outside, sub)
    time.sleep(0.0005)
    os.unlink(sub)
    os.rename(real, sub)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs directory descriptors (POSIX)")
def test_a_directory_swapped_for_a_link_mid_build_never_leaks_outside_files(
    tmp_path: Path,
) -> None:
    plugin = golden_plugin(tmp_path / "p")
    (plugin / "sub").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    for i in range(20):
        (plugin / "sub" / f"f{i}.txt").write_text("inside\n" * 100)
        (outside / f"f{i}.txt").write_text("OUTSIDE-SECRET\n" * 100)
    stop = tmp_path / "stop"
    racer = subprocess.Popen([sys.executable, "-c", _SWAPPER, str(plugin), str(outside), str(stop)])
    built = 0
    try:
        for i in range(150):
            result = build_plugin(plugin, formats=("tar.gz",), output_dir=tmp_path / f"o{i}")
            for package in result.packages:
                built += 1
                with tarfile.open(package.path) as tar:
                    for member in tar.getmembers():
                        data = tar.extractfile(member)
                        assert data is not None
                        assert b"OUTSIDE-SECRET" not in data.read(), member.name
    finally:
        stop.touch()
        racer.wait(10)
    assert built > 0  # some builds ran between swaps; none read outside the plugin


def test_an_earlier_builds_outputs_are_a_warning_naming_the_exclude(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    assert build_plugin(plugin, output_dir=plugin / "dist").ok
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.ok  # packaged, as the SDK would, but said out loud
    (warning,) = [d for d in result.diagnostics if d.path == "dist/"]
    assert (warning.code, warning.severity) == ("suspicious-file", "warning")
    assert "holds the outputs of an earlier build" in warning.message
    assert "add 'dist/' to plugin.exclude" in warning.message
    validate = cli("validate", str(plugin), "--json")
    assert validate.returncode == 0
    assert "holds the outputs of an earlier build" in validate.stdout
    manifest = plugin / "manifest.toml"
    manifest.write_text(
        manifest.read_text().replace("[dependencies]", 'exclude = ["dist/"]\n[dependencies]', 1)
    )
    assert not [
        d for d in build_plugin(plugin, output_dir=tmp_path / "o2").diagnostics if d.path == "dist/"
    ]


def test_builds_of_each_format_list_both_in_manifest_json(tmp_path: Path) -> None:
    """Seed 000's release workflow builds tar.gz, then zip, into one directory."""
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    out = tmp_path / "dist"
    assert build_plugin(plugin, formats=("tar.gz",), output_dir=out).ok
    assert build_plugin(plugin, formats=("zip",), output_dir=out).ok
    listed = json.loads((out / "manifest.json").read_bytes())["packages"]
    assert [p["format"] for p in listed] == ["tar.gz", "zip"]
    assert cli("verify", str(out), "--source", str(plugin)).returncode == 0
    # Same version, other content: the stale tar.gz is no longer listed as this build's.
    (plugin / "README.md").write_text("changed without a version bump\n")
    assert build_plugin(plugin, formats=("zip",), output_dir=out).ok
    listed = json.loads((out / "manifest.json").read_bytes())["packages"]
    assert [p["format"] for p in listed] == ["zip"]


_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3")


def test_eight_concurrent_builds_into_one_directory_lose_nothing(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    for _round in range(2):
        shutil.rmtree(out, ignore_errors=True)
        commands = []
        for version in _VERSIONS:
            copy = tmp_path / f"src-{version}-{_round}"
            shutil.copytree(EXAMPLES / "wind-chill", copy)
            manifest = copy / "manifest.toml"
            manifest.write_text(manifest.read_text().replace('"1.2.0"', f'"{version}"'))
            for fmt in ("tar.gz", "zip"):
                commands.append(
                    [
                        sys.executable,
                        "-m",
                        "plugin_build",
                        "build",
                        str(copy),
                        "--format",
                        fmt,
                        "--output-dir",
                        str(out),
                    ]
                )
        procs = [
            subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode("utf-8", "replace")
        lines = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 8, lines  # every line of every build
        check = subprocess.run(
            [*sha256sum(), "-c", "SHA256SUMS"], cwd=out, capture_output=True, check=False
        )
        assert check.returncode == 0, check.stdout
        listed = json.loads((out / "manifest.json").read_bytes())
        assert [p["format"] for p in listed["packages"]] == ["tar.gz", "zip"]
        assert listed["version"] in _VERSIONS
        assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left


def _big_plugin(root: Path, megabytes: int) -> Path:
    golden_plugin(root)
    with (root / "blob.bin").open("wb") as f:
        for _ in range(megabytes):
            f.write(os.urandom(1 << 20))
    return root


def _start_build(plugin: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugin_build",
            "build",
            str(plugin),
            "--format",
            "all",
            "--output-dir",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_compression(out: Path, proc: subprocess.Popen[bytes]) -> None:
    """Until the compressors have started writing (their temporaries hold data)."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        temps = [
            p
            for p in out.glob(".*.tmp")
            if p.name.endswith((".gz.", ".zip.")) or ".tar.gz." in p.name or ".zip." in p.name
        ]
        if any(p.stat().st_size > 0 for p in temps if p.exists()):
            return
        time.sleep(0.02)
    pytest.fail("the build never reached compression")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_an_interrupted_build_stops_at_once_and_leaves_nothing(
    tmp_path: Path, signame: str
) -> None:
    import signal
    import time

    plugin = _big_plugin(tmp_path / "p", 160)
    out = tmp_path / "out"
    proc = _start_build(plugin, out)
    _wait_for_compression(out, proc)
    sent = time.monotonic()
    proc.send_signal(getattr(signal, signame))
    proc.wait(60)
    stopped = time.monotonic() - sent
    assert proc.returncode == (130 if signame == "SIGINT" else 143)
    assert stopped < 1.0, f"took {stopped:.2f} s to stop"  # not after the compressors finish
    assert sorted(p.name for p in out.iterdir()) == []  # no temporary, no partial archive


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_later_build_removes_what_a_killed_one_left_but_not_a_live_ones(
    tmp_path: Path,
) -> None:
    import signal

    plugin = _big_plugin(tmp_path / "p", 96)
    out = tmp_path / "out"
    killed = _start_build(plugin, out)
    _wait_for_compression(out, killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    stale = sorted(p.name for p in out.glob(".*.tmp"))
    assert stale  # what SIGKILL leaves: nothing can clean up after it
    live = _start_build(plugin, out)
    _wait_for_compression(out, live)
    later = build_plugin(golden_plugin(tmp_path / "small"), output_dir=out / "other")
    assert later.ok
    small_out = out / "small-out"
    assert build_plugin(tmp_path / "small", output_dir=small_out).ok
    # A build into `out` itself: removes the killed build's temporaries, not the live ones.
    again = build_plugin(plugin, formats=("tar.gz",), output_dir=out)
    assert again.ok, again.error
    assert not set(stale) & {p.name for p in out.iterdir()}
    live.wait(120)
    assert live.returncode == 0  # its temporaries were left alone
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_metadata_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from plugin_build import build as build_module
    from plugin_build.outputs import MetadataError

    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    out = tmp_path / "dist"
    assert build_plugin(plugin, formats=("tar.gz", "zip"), output_dir=out).ok
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (plugin / "README.md").write_text("new content\n")

    def fail(document: object) -> bytes:
        raise MetadataError("a value cannot be written as YAML (test)")

    monkeypatch.setattr(build_module, "render_yaml", fail)
    result = build_plugin(plugin, formats=("tar.gz", "zip"), output_dir=out)
    assert result.status == "failed"
    assert (
        result.error == "cannot write the build metadata: a value cannot be written as YAML (test)"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing replaced


@pytest.mark.skipif(sys.platform != "linux", reason="file names of arbitrary bytes")
def test_undecodable_names_that_would_collide_are_refused_at_build(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    for raw in (b"bad\xff.txt", b"bad\xfe.txt"):
        with open(os.path.join(os.fsencode(plugin), raw), "wb") as f:
            f.write(raw)
    validate = cli("validate", str(plugin), "--json")
    assert validate.returncode == 0  # as the SDK's validate
    (warning,) = json.loads(validate.stdout)["plugins"][0]["diagnostics"]
    assert (warning["code"], warning["severity"]) == ("path-collision", "warning")
    assert "bad\\xff.txt" in warning["message"]
    assert "bad\\xfe.txt" in warning["message"]
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.status == "failed"
    assert [(d.code, d.severity) for d in result.diagnostics] == [("path-collision", "error")]
    assert not list((tmp_path / "out").glob("*.tar.gz"))
    os.unlink(os.path.join(os.fsencode(plugin), b"bad\xfe.txt"))
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.ok
    assert [d.code for d in result.diagnostics] == ["path-encoding"]
    with tarfile.open(result.packages[0].path) as tar:
        assert "p-0.1.0/bad\ufffd.txt" in tar.getnames()  # as the SDK stores it


def test_path_too_long_warns_at_validate_and_fails_the_build(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    deep = plugin / "/".join(["d" * 60] * 4) / "x.txt"
    deep.parent.mkdir(parents=True)
    deep.write_text("x")
    validate = cli("validate", str(plugin), "--json")
    assert validate.returncode == 0  # the SDK's validate accepts it
    (diag,) = json.loads(validate.stdout)["plugins"][0]["diagnostics"]
    assert (diag["code"], diag["severity"]) == ("path-too-long", "warning")
    result = build_plugin(plugin, output_dir=tmp_path / "out")
    assert result.status == "failed"  # the SDK's package refuses it
    assert [(d.code, d.severity) for d in result.diagnostics] == [("path-too-long", "error")]


# -- issue 10: one reporter everywhere ---------------------------------------------------


def test_build_prints_diagnostics_as_validate_does(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    (plugin / "__init__.py").write_text("async def process_writes(a, b, c):\n    pass\n")
    (plugin / ".env").write_text("TOKEN=x\n")
    result = cli("build", "p", "--output-dir", "out", cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "[" in line and "]" in line]
    diagnostics = [line for line in lines if not line.startswith(("INFO:", "ERROR:"))]
    assert diagnostics == [
        "p/.env: warning[suspicious-file] " + diagnostics[0].split("] ", 1)[1],
        "p/__init__.py:1:1: error[trigger-async] " + diagnostics[1].split("] ", 1)[1],
    ]  # relative to where the user stands, sorted by file, a warning not marked as failing
    validate = cli("validate", "p", cwd=tmp_path)
    assert validate.stdout.splitlines()[:2] == diagnostics


def test_progress_counts_the_plugin_once_with_both_formats(tmp_path: Path) -> None:
    plugin = golden_plugin(tmp_path / "p")
    (plugin / "data.bin").write_bytes(os.urandom(3 << 20))
    size = sum(f.stat().st_size for f in plugin.iterdir())
    seen: list[tuple[int, int]] = []
    result = build_plugin(
        plugin,
        formats=("tar.gz", "zip"),
        output_dir=tmp_path / "out",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.ok
    assert {total for _, total in seen} == {size}
    assert seen[-1][0] == size
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
