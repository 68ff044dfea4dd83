"""publish: the version guard, the plan, the directory and GitHub-release backends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli as cli

from plugin_build.index import parse_index
from plugin_build.publish import execute, plan_publish
from plugin_build.registry import DirectoryRegistry, RegistryChanged, RegistryError, open_registry
from plugin_build.validate import validate_plugin

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
STANDIN = Path(__file__).parent / "gh_standin"
PUBLISHABLE = ("wind-chill", "threshold-alert")
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    root = tmp_path / "plugins"
    for name in PUBLISHABLE:
        shutil.copytree(EXAMPLES / name, root / name)
    return root


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    where = tmp_path / "registry"
    result = cli("index", "new", str(where), "--artifacts-url", "https://plugins.example.com/a")
    assert result.returncode == 0, result.stderr
    return where


def publish(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "plugin_build", "publish", *args, "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env or ENV,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def bump(plugin: Path, old: str, new: str) -> None:
    manifest = plugin / "manifest.toml"
    manifest.write_text(manifest.read_text().replace(f'"{old}"', f'"{new}"', 1))


# -- the directory backend, end to end ---------------------------------------------------


def test_publish_then_again_then_a_change_without_a_bump_then_a_bump(
    plugins: Path, registry: Path, tmp_path: Path
) -> None:
    code, first = publish(str(plugins / "*"), "--registry", str(registry))
    assert code == 0, first
    assert sorted(p["name"] for p in first["published"]) == sorted(PUBLISHABLE)
    index = parse_index((registry / "index.json").read_bytes()).index
    assert index is not None
    for name in PUBLISHABLE:
        built = cli(
            "build", str(plugins / name), "--output-dir", str(tmp_path / f"b-{name}"), "--json"
        )
        package = json.loads(built.stdout)["packages"][0]
        entries = index.versions_of(name)
        assert [e.hash for e in entries] == [f"sha256:{package['checksums']['sha256']}"]
        artifact = registry / Path(package["path"]).name
        assert artifact.read_bytes() == Path(package["path"]).read_bytes()
        assert entries[0].published_at == "2026-01-01T00:00:00Z"  # SOURCE_DATE_EPOCH
    assert (registry / "index.json").read_bytes() == index.to_json()  # canonical
    published = {p["name"]: p for p in first["published"]}
    assert published["wind-chill"]["artifact_url"] == (
        "https://plugins.example.com/a/wind-chill-1.2.0.tar.gz"
    )

    before = snapshot(registry)
    code, again = publish(str(plugins / "*"), "--registry", str(registry))
    assert code == 0
    assert again["published"] == []
    assert sorted(u["name"] for u in again["unchanged"]) == sorted(PUBLISHABLE)
    assert snapshot(registry) == before  # index.json byte-identical, nothing uploaded

    (plugins / "wind-chill" / "README.md").write_text("changed, version not bumped\n")
    code, refused = publish(str(plugins / "*"), "--registry", str(registry))
    assert code == 1
    assert refused["published"] == []
    (item,) = refused["refused"]
    assert (item["name"], item["version"]) == ("wind-chill", "1.2.0")
    assert [d["code"] for d in item["diagnostics"]] == ["version-not-bumped"]
    assert (
        "plugin.version 1.2.0 is published with different content"
        in item["diagnostics"][0]["message"]
    )
    assert snapshot(registry) == before  # nothing uploaded, not even threshold-alert's nothing

    bump(plugins / "wind-chill", "1.2.0", "1.2.1")
    code, bumped = publish(str(plugins / "*"), "--registry", str(registry))
    assert code == 0, bumped
    assert [(p["name"], p["version"]) for p in bumped["published"]] == [("wind-chill", "1.2.1")]
    index = parse_index((registry / "index.json").read_bytes()).index
    assert index is not None
    assert [e.version for e in index.versions_of("wind-chill")] == ["1.2.0", "1.2.1"]


def test_dry_run_prints_the_plan_uploads_nothing_and_exits_as_the_real_run(
    plugins: Path, registry: Path
) -> None:
    before = snapshot(registry)
    code, plan = publish(str(plugins / "*"), "--registry", str(registry), "--dry-run")
    assert code == 0
    assert plan["dry_run"] is True
    assert sorted(p["name"] for p in plan["published"]) == sorted(PUBLISHABLE)
    assert snapshot(registry) == before
    text = cli("publish", str(plugins / "*"), "--registry", str(registry), "--dry-run")
    assert "publish    wind-chill@1.2.0  sha256:" in text.stdout
    assert "dry run: nothing uploaded" in text.stdout
    (plugins / "threshold-alert" / "threshold_alert.py").write_text("async def x(:\n")
    code, plan = publish(str(plugins / "*"), "--registry", str(registry), "--dry-run")
    assert code == 1  # as the real run would
    assert [r["name"] for r in plan["refused"]] == ["threshold-alert"]


def test_a_plugin_yaml_plugin_or_an_invalid_one_stops_the_whole_publish(
    plugins: Path, registry: Path
) -> None:
    shutil.copytree(EXAMPLES / "betty-lite", plugins / "betty-lite")
    before = snapshot(registry)
    code, result = publish(str(plugins / "*"), "--registry", str(registry))
    assert code == 1
    (refused,) = result["refused"]
    assert [d["code"] for d in refused["diagnostics"]] == ["not-publishable"]
    assert snapshot(registry) == before


def test_several_versions_of_one_plugin_in_one_run(
    plugins: Path, registry: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older"
    shutil.copytree(plugins / "wind-chill", older)
    bump(older, "1.2.0", "1.1.0")
    code, result = publish(str(plugins / "wind-chill"), str(older), "--registry", str(registry))
    assert code == 0, result
    index = parse_index((registry / "index.json").read_bytes()).index
    assert index is not None
    assert [e.version for e in index.versions_of("wind-chill")] == ["1.1.0", "1.2.0"]


def test_a_lower_version_than_published_is_a_warning(plugins: Path, registry: Path) -> None:
    assert publish(str(plugins / "wind-chill"), "--registry", str(registry))[0] == 0
    bump(plugins / "wind-chill", "1.2.0", "1.0.5")
    text = cli("validate", str(plugins / "wind-chill"), "--index", str(registry / "index.json"))
    assert text.returncode == 0
    assert "warning[version-lower] plugin.version 1.0.5 is lower than 1.2.0" in text.stdout
    code, result = publish(str(plugins / "wind-chill"), "--registry", str(registry))
    assert code == 0  # allowed: a fix to an older line, say
    assert [p["version"] for p in result["published"]] == ["1.0.5"]


def test_a_registry_without_an_index_says_how_to_create_one(plugins: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, result = publish(str(plugins / "*"), "--registry", str(tmp_path / "empty"))
    assert code == 1
    (problem,) = result["problems"]
    assert problem["code"] == "index-missing"
    assert "plugin-build index new" in problem["message"]
    code, result = publish(str(plugins / "*"), "--registry", str(tmp_path / "nowhere"))
    assert code == 1
    assert "does not exist; create one with `plugin-build index new" in result["error"]


def test_the_index_changed_meanwhile_is_detected_and_nothing_is_overwritten(
    plugins: Path, registry: Path, tmp_path: Path
) -> None:
    backend = DirectoryRegistry(registry, str(registry))
    reports = [validate_plugin(plugins / name) for name in PUBLISHABLE]
    work = tmp_path / "work"
    work.mkdir()
    plan = plan_publish(reports, backend, work, published="2026-01-01T00:00:00Z")
    assert plan.ok
    concurrent = (registry / "index.json").read_bytes().replace(b'"plugins": []', b'"plugins": [ ]')
    (registry / "index.json").write_bytes(concurrent)  # another publish got there first
    with pytest.raises(RegistryChanged, match="changed while this publish ran"):
        execute(plan, backend)
    assert (registry / "index.json").read_bytes() == concurrent


def test_an_artifact_with_other_bytes_is_never_replaced(plugins: Path, registry: Path) -> None:
    (registry / "wind-chill-1.2.0.tar.gz").write_bytes(b"someone else's bytes")
    code, result = publish(str(plugins / "wind-chill"), "--registry", str(registry))
    assert code == 1
    assert "never replaced" in result["refused"][0]["diagnostics"][0]["message"]
    assert (registry / "wind-chill-1.2.0.tar.gz").read_bytes() == b"someone else's bytes"


def test_a_file_url_names_a_directory_registry(plugins: Path, registry: Path) -> None:
    code, result = publish(str(plugins / "*"), "--registry", registry.as_uri())
    assert code == 0, result
    assert result["index"] == str(registry / "index.json")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("delay", [0.3, 0.7, 1.2, 2.0, 3.0])
def test_a_killed_publish_leaves_the_old_index_or_the_new_one(
    plugins: Path, registry: Path, delay: float
) -> None:
    with (plugins / "wind-chill" / "data.bin").open("wb") as f:
        for _ in range(48):
            f.write(os.urandom(1 << 20))
    old = (registry / "index.json").read_bytes()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugin_build",
            "publish",
            str(plugins / "*"),
            "--registry",
            str(registry),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    now = (registry / "index.json").read_bytes()
    index = parse_index(now).index
    assert index is not None  # never half an index
    assert now == old or len(index.plugins) == 2
    for entry in index.plugins:  # every artifact the index names exists, with its hash
        artifact = registry / f"{entry.name}-{entry.version}.tar.gz"
        assert artifact.is_file()
        import hashlib

        assert entry.hash == "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    code, _ = publish(str(plugins / "*"), "--registry", str(registry))  # finishes the job
    assert code == 0
    assert not [p for p in registry.iterdir() if p.name.endswith(".tmp")]  # nothing stale left


# -- the GitHub backend through the gh stand-in -----------------------------------------


def _gh_env(state: Path, **extra: str) -> dict[str, str]:
    return {
        **ENV,
        "PATH": f"{STANDIN}{os.pathsep}{os.environ['PATH']}",
        "GH_STANDIN_STATE": str(state),
        **extra,
    }


def _release(state: Path, tmp_path: Path) -> str:
    """github:o/r@registry with an empty index, created as the README says."""
    url = "https://github.com/o/r/releases/download/registry"
    assert cli("index", "new", str(tmp_path / "seed"), "--artifacts-url", url).returncode == 0
    subprocess.run(
        [
            str(STANDIN / "gh"),
            "release",
            "create",
            "registry",
            str(tmp_path / "seed" / "index.json"),
            "--repo",
            "o/r",
        ],
        env=_gh_env(state),
        check=True,
    )
    return "github:o/r@registry"


@pytest.mark.skipif(sys.platform == "win32", reason="the gh stand-in is a POSIX script")
def test_github_release_backend_first_publish_then_idempotent(
    plugins: Path, tmp_path: Path
) -> None:
    state = tmp_path / "gh"
    spec = _release(state, tmp_path)
    code, first = publish(str(plugins / "*"), "--registry", spec, env=_gh_env(state))
    assert code == 0, first
    assets = state / "o/r/registry/assets"
    assert sorted(p.name for p in assets.iterdir()) == [
        "index.json",
        "threshold-alert-0.3.1.tar.gz",
        "wind-chill-1.2.0.tar.gz",
    ]
    assert first["index"] == "https://github.com/o/r/releases/download/registry/index.json"
    calls = (state / "calls.log").read_text().splitlines()
    uploads = [c for c in calls if c.startswith("release\tupload")]
    assert uploads[-1].split("\t")[3].endswith("index.json")  # the index last
    assert "--clobber" in uploads[-1]
    assert all("--clobber" not in c for c in uploads[:-1])
    index_bytes = (assets / "index.json").read_bytes()
    code, again = publish(str(plugins / "*"), "--registry", spec, env=_gh_env(state))
    assert code == 0
    assert again["published"] == []
    assert (assets / "index.json").read_bytes() == index_bytes


@pytest.mark.skipif(sys.platform == "win32", reason="the gh stand-in is a POSIX script")
def test_github_release_backend_detects_a_concurrent_publish(plugins: Path, tmp_path: Path) -> None:
    state = tmp_path / "gh"
    spec = _release(state, tmp_path)
    # the first download is the plan's read; the index changes right after it
    env = _gh_env(state, GH_STANDIN_CHANGE_INDEX_AFTER="1")
    code, result = publish(str(plugins / "*"), "--registry", spec, env=env)
    assert code == 1
    assert "changed while this publish ran" in result["error"]
    assert result["published"] == []
    calls = (state / "calls.log").read_text()
    assert "index.json\t--repo\to/r\t--clobber" not in calls.replace("\n", "\t")


@pytest.mark.skipif(sys.platform == "win32", reason="the gh stand-in is a POSIX script")
def test_github_release_backend_missing_release_says_how_to_create_it(
    plugins: Path, tmp_path: Path
) -> None:
    code, result = publish(
        str(plugins / "*"), "--registry", "github:o/r@nope", env=_gh_env(tmp_path / "gh")
    )
    assert code == 1
    assert "release nope of o/r does not exist" in result["error"]
    assert "gh release create nope registry/index.json --repo o/r" in result["error"]


def test_registry_specs(tmp_path: Path) -> None:
    assert isinstance(open_registry(str(tmp_path)), DirectoryRegistry)
    with pytest.raises(RegistryError, match="not github:OWNER/REPO@TAG"):
        open_registry("github:nobody")
    with pytest.raises(RegistryError, match="a registry is a directory"):
        open_registry("https://example.com/index.json")
    with pytest.raises(RegistryError, match="not on PATH"):
        open_registry("github:o/r@t", environ={"PATH": str(tmp_path)})


def test_publishing_the_golden_plugin_writes_the_sdks_index_bytes(tmp_path: Path) -> None:
    """CONFORMANCE §3.4's golden plugin into an empty index: the archive is the SDK's
    (its golden SHA-256) and the index is §4.2's canonical form, written out here."""
    plugin = tmp_path / "p"
    plugin.mkdir()
    (plugin / "manifest.toml").write_bytes(
        b'manifest_schema_version = "1.2"\n[plugin]\nname="p"\nversion="0.1.0"\n'
        b'description="x"\ntriggers=["process_writes"]\n[dependencies]\n'
        b'database_version=">=3.0.0"\n'
    )
    (plugin / "__init__.py").write_bytes(b"def process_writes(a, b, c):\n    pass\n")
    for f in plugin.iterdir():
        f.chmod(0o644)
    registry = tmp_path / "registry"
    assert (
        cli(
            "index", "new", str(registry), "--artifacts-url", "https://plugins.example.com"
        ).returncode
        == 0
    )
    code, result = publish(str(plugin), "--registry", str(registry))
    assert code == 0, result
    golden = "9ec4a7ccb674b7f21178bc7dc8fbca65d51501e25ef8032fbd59b7c7ef39abf2"
    assert (registry / "index.json").read_text(encoding="utf-8") == (
        "{\n"
        '  "index_schema_version": "2.1",\n'
        '  "artifacts_url": "https://plugins.example.com/",\n'
        '  "plugins": [\n'
        "    {\n"
        '      "name": "p",\n'
        '      "version": "0.1.0",\n'
        '      "published_at": "2026-01-01T00:00:00Z",\n'
        '      "description": "x",\n'
        '      "triggers": [\n'
        '        "process_writes"\n'
        "      ],\n"
        '      "dependencies": {\n'
        '        "database_version": ">=3.0.0",\n'
        '        "python": []\n'
        "      },\n"
        f'      "hash": "sha256:{golden}"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
    assert result["published"][0]["artifact_url"] == "https://plugins.example.com/p-0.1.0.tar.gz"
