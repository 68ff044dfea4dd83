"""Several plugins in one build: ``build PATH...`` and directories of plugins."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from conftest import run_cli, sha256sum

from plugin_build.batch import OutputLayoutError, build_plugins, output_subdirs

EXAMPLES = Path(__file__).parent.parent / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "plugins"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "wind-chill", repo / "influxdata" / "wind-chill")
    shutil.copytree(EXAMPLES / "threshold-alert", repo / "influxdata" / "threshold-alert")
    shutil.copytree(EXAMPLES / "betty-lite", repo / "community" / "betty-lite")
    return repo


def test_a_directory_of_plugins_builds_each_into_its_own_directory(repository: Path) -> None:
    result = run_cli("build", "influxdata", "community", "--format", "all", cwd=repository)
    assert result.returncode == 0, result.stderr
    dist = repository / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        "SHA256SUMS",
        "betty-lite",
        "threshold-alert",
        "wind-chill",
    ]
    assert (dist / "wind-chill" / "wind-chill-1.2.0.tar.gz").is_file()
    assert (dist / "wind-chill" / "manifest.json").is_file()
    listed = (dist / "SHA256SUMS").read_text().splitlines()
    assert len(listed) == 6  # two archives for each of three plugins, by path below dist/
    assert any(line.endswith("  wind-chill/wind-chill-1.2.0.zip") for line in listed)
    check = subprocess.run(
        [*sha256sum(), "-c", "SHA256SUMS"], cwd=dist, capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout
    assert "Built 3 of 3 plugins into dist; SHA256SUMS lists 6 archives" in result.stderr


def test_one_plugin_builds_into_the_output_directory_itself(repository: Path) -> None:
    result = run_cli("build", "influxdata/wind-chill", cwd=repository)
    assert result.returncode == 0, result.stderr
    assert (repository / "dist" / "wind-chill-1.2.0.tar.gz").is_file()
    assert "Built" not in result.stderr  # no batch summary for one plugin


def test_exclude_skips_a_plugin_directory(repository: Path) -> None:
    result = run_cli("build", ".", "--exclude", "threshold-alert", "--json", cwd=repository)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [p["path"] for p in document["plugins"]] == [
        "community/betty-lite",
        "influxdata/wind-chill",
    ]
    assert document["ok"] is True
    assert document["checksums_path"] == str(repository / "dist" / "SHA256SUMS")


def test_a_failed_plugin_fails_the_run_and_the_others_still_build(repository: Path) -> None:
    shutil.copytree(FIXTURES / "async_trigger", repository / "influxdata" / "broken")
    result = run_cli("build", "influxdata", "--json", cwd=repository)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert [p["ok"] for p in document["plugins"]] == [False, True, True]
    assert "1 failed: influxdata/broken" in result.stderr
    with tarfile.open(repository / "dist" / "wind-chill" / "wind-chill-1.2.0.tar.gz") as archive:
        assert "wind-chill-1.2.0/manifest.toml" in archive.getnames()


def test_two_plugins_of_one_directory_name_are_refused_before_building(
    repository: Path, tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLES / "wind-chill", repository / "community" / "wind-chill")
    result = run_cli("build", "influxdata", "community", cwd=repository)
    assert result.returncode == 2
    assert "2 plugins would build into the output directory 'wind-chill'" in result.stderr
    assert not (repository / "dist").exists()
    with pytest.raises(OutputLayoutError):
        build_plugins(
            [repository / "influxdata" / "wind-chill", repository / "community" / "wind-chill"],
            formats=("tar.gz",),
            output_dir=tmp_path / "out",
        )


def test_a_plugin_named_twice_builds_once(repository: Path) -> None:
    plugin = "influxdata/wind-chill"
    result = run_cli("build", plugin, f"{plugin}/manifest.toml", plugin + "/", cwd=repository)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("🎉 BUILD COMPLETE") == 1


def test_unusual_directory_names_become_safe_output_directories() -> None:
    assert output_subdirs([Path("a b"), Path("ok.1"), Path("x\ny")]) == ["a_b", "ok.1", "x_y"]
