"""The registry commands of the CLI: index new|yank|search|info, validate --index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli as cli

from plugin_build.index import new_index_json, parse_index

EXAMPLES = Path(__file__).parent.parent / "examples"
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
URL = "https://plugins.example.com/artifacts"


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A directory registry holding the two manifest.toml examples."""
    registry = tmp_path / "registry"
    assert cli("index", "new", str(registry), "--artifacts-url", URL).returncode == 0
    for name in ("wind-chill", "threshold-alert"):
        shutil.copytree(EXAMPLES / name, tmp_path / "src" / name)
    result = cli("publish", str(tmp_path / "src" / "*"), "--registry", str(registry), env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    return registry


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(result.stdout)
    return value


# -- index new -----------------------------------------------------------------------------


def test_index_new_writes_the_sdks_bytes(tmp_path: Path) -> None:
    result = cli("index", "new", str(tmp_path / "reg"), "--artifacts-url", URL, "--json")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reg" / "index.json").read_bytes() == new_index_json(URL)
    assert document(result) == {
        "ok": True,
        "kind": "index",
        "template": "index",
        "target_dir": str(tmp_path / "reg"),
        "files_written": ["index.json"],
    }
    again = cli("index", "new", str(tmp_path / "reg"), "--artifacts-url", URL)
    assert again.returncode == 1
    assert "--force" in again.stderr
    assert cli("index", "new", str(tmp_path / "reg"), "--force").returncode == 0
    index = parse_index((tmp_path / "reg" / "index.json").read_bytes()).index
    assert index is not None
    assert index.artifacts_url.startswith("file://")


@pytest.mark.parametrize("url", ["not a url", "s3://bucket/plugins", "ftp://example.com/x"])
def test_index_new_refuses_a_bad_url_as_a_usage_error(tmp_path: Path, url: str) -> None:
    result = cli("index", "new", str(tmp_path / "reg"), "--artifacts-url", url)
    assert result.returncode == 2
    assert "--artifacts-url" in result.stderr
    assert not (tmp_path / "reg" / "index.json").exists()


# -- index yank ----------------------------------------------------------------------------


def test_index_yank_replaces_the_file_atomically_and_undoes(published: Path) -> None:
    index_file = published / "index.json"
    result = cli("index", "yank", "wind-chill@1.2.0", "--index", str(index_file), "--json")
    assert result.returncode == 0, result.stderr
    assert document(result) == {
        "ok": True,
        "name": "wind-chill",
        "version": "1.2.0",
        "published_at": "2026-01-01T00:00:00Z",
        "outcome": "yanked",
        "index_path": str(index_file),
    }
    index = parse_index(index_file.read_bytes()).index
    assert index is not None
    entry = index.find("wind-chill", "1.2.0")
    assert entry is not None
    assert entry.yanked
    assert index_file.read_bytes() == index.to_json()
    assert not [p for p in published.iterdir() if p.name.endswith(".tmp")]
    again = cli("index", "yank", "wind-chill@1.2.0", "--index", str(index_file), "--json")
    assert document(again)["outcome"] == "already_yanked"
    undo = cli("index", "yank", "wind-chill@1.2.0", "--index", str(index_file), "--undo", "--json")
    assert document(undo)["outcome"] == "unyanked"


def test_index_yank_with_out_leaves_the_input_alone(published: Path, tmp_path: Path) -> None:
    before = (published / "index.json").read_bytes()
    out = tmp_path / "derived"
    args = ("--index", str(published / "index.json"), "--out", str(out))
    assert cli("index", "yank", "threshold-alert@0.3.1", *args).returncode == 0
    assert (published / "index.json").read_bytes() == before
    index = parse_index((out / "index.json").read_bytes()).index
    assert index is not None
    entry = index.find("threshold-alert", "0.3.1")
    assert entry is not None
    assert entry.yanked


def test_index_yank_through_a_registry(published: Path) -> None:
    result = cli("index", "yank", "wind-chill@1.2.0", "--registry", str(published), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    index = parse_index((published / "index.json").read_bytes()).index
    assert index is not None
    entry = index.find("wind-chill", "1.2.0")
    assert entry is not None
    assert entry.yanked


def test_index_yank_errors(published: Path) -> None:
    index_file = str(published / "index.json")
    missing = cli("index", "yank", "wind-chill@9.9.9", "--index", index_file)
    assert missing.returncode == 1
    assert "not in the index" in missing.stderr
    respelled = cli("index", "yank", "Wind-Chill@1.2.0", "--index", index_file)
    assert respelled.returncode == 1  # exact spelling, as the SDK
    for bad in ("wind-chill", "wind-chill@1.2", "1bad@1.0.0"):
        assert cli("index", "yank", bad, "--index", index_file).returncode == 2


# -- index search / info -------------------------------------------------------------------


def test_index_search_and_info_json_payloads(published: Path) -> None:
    index_file = str(published / "index.json")
    search = document(cli("index", "search", "wind", "--index", index_file, "--json"))
    assert search["ok"] is True
    (hit,) = search["hits"]
    assert (hit["name"], hit["version"], hit["visibility"]) == (
        "wind-chill",
        "1.2.0",
        {"status": "visible"},
    )
    info = document(cli("index", "info", "Wind_Chill", "--index", index_file, "--json"))
    assert info["outcome"] == "found"  # looked up by canonical name
    assert info["plugin"]["artifact_url"] == f"{URL}/wind-chill-1.2.0.tar.gz"
    missing = document(cli("index", "info", "nope", "--index", index_file, "--json"))
    assert missing["outcome"] == "not_found"
    text = cli("index", "search", "--index", index_file)
    assert "threshold-alert" in text.stdout
    assert "wind-chill" in text.stdout
    bad = cli("index", "search", "--index", index_file, "--database-version", "three")
    assert bad.returncode == 2


def test_index_commands_on_a_broken_index_report_its_fields(tmp_path: Path) -> None:
    broken = tmp_path / "index.json"
    broken.write_text('{"index_schema_version": "3.0", "artifacts_url": "x", "plugins": []}')
    result = cli("index", "search", "--index", str(broken), "--json")
    assert result.returncode == 1
    body = document(result)
    assert body["ok"] is False
    assert [d["code"] for d in body["diagnostics"]] == ["index-schema-version"]


# -- validate --index ------------------------------------------------------------------------


def test_validate_index_version_guard(published: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "src" / "wind-chill"
    index_file = str(published / "index.json")
    unchanged = cli("validate", str(plugin), "--index", index_file, "--json")
    assert unchanged.returncode == 0, unchanged.stdout
    (plugin / "README.md").write_text("changed without a bump\n")
    changed = cli("validate", str(plugin), "--index", index_file, "--json")
    assert changed.returncode == 1
    (diag,) = [
        d for d in document(changed)["plugins"][0]["diagnostics"] if d["severity"] == "error"
    ]
    assert (diag["code"], diag["field"]) == ("version-not-bumped", "plugin.version")
    text = cli("validate", str(plugin), "--index", index_file)
    assert "error[version-not-bumped] plugin.version 1.2.0 is published with different content" in (
        text.stdout
    )


def test_validate_index_name_collision_across_spellings(published: Path, tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind_chill")
    manifest = plugin / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('"wind-chill"', '"wind_chill"', 1))
    result = cli("validate", str(plugin), "--index", str(published / "index.json"), "--json")
    assert result.returncode == 1
    codes = [d["code"] for d in document(result)["plugins"][0]["diagnostics"]]
    assert "name-collision" in codes


def test_validate_with_an_unreadable_index(tmp_path: Path) -> None:
    result = cli("validate", str(EXAMPLES / "wind-chill"), "--index", str(tmp_path / "none.json"))
    assert result.returncode == 1
    assert "cannot read --index" in result.stderr
