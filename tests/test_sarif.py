"""SARIF 2.1.0 output (``--output-format sarif``): valid against the OASIS schema, and
shaped as GitHub code scanning takes it (rule ids are our codes, one location per
result with a line, paths relative to the repository root)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import run_cli

from plugin_build.diagnostics import DESCRIPTIONS, Code, Diagnostic
from plugin_build.sarif import render_sarif, repository_root

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text("utf-8"))
EXAMPLES = Path(__file__).parent.parent / "examples"


def check_schema(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git work tree (a ``.git`` directory is all the root lookup needs) with plugins
    in a subdirectory: one with errors, one without a manifest, one valid with a warning."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    plugins = repo / "plugins"
    shutil.copytree(FIXTURES / "plugins" / "multi_cross_file_defect", plugins / "defect")
    shutil.copytree(FIXTURES / "plugins" / "missing_manifest", plugins / "bare")
    shutil.copytree(EXAMPLES / "threshold-alert", plugins / "warned")
    (plugins / "warned" / ".env").write_text("TOKEN=x\n")  # suspicious-file: a warning
    return repo


def _sarif(*args: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli(*args, "--output-format", "sarif", cwd=cwd)
    assert result.stdout.endswith("\n"), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_validate_sarif_passes_the_schema_with_codes_as_rules(repository: Path) -> None:
    code, log = _sarif("validate", "defect", "bare", "warned", cwd=repository / "plugins")
    assert code == 1
    check_schema(log)
    (run,) = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert sorted(rules) == sorted({r["ruleId"] for r in results})
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["region"]["startLine"] >= 1
    places = {
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in results
    }
    assert ("trigger-async", "error", "plugins/defect/__init__.py") in places
    assert ("manifest-missing", "error", "plugins/bare/manifest.toml") in places  # on its manifest
    assert ("suspicious-file", "warning", "plugins/warned/.env") in places
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.as_uri() + "/"
    async_result = next(r for r in results if r["ruleId"] == "trigger-async")
    assert async_result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 1,
    }
    by_id = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert by_id["trigger-async"]["shortDescription"]["text"] == DESCRIPTIONS[Code.TRIGGER_ASYNC]


def test_json_is_the_alias_of_output_format_json(repository: Path) -> None:
    alias = run_cli("validate", "plugins/defect", "--json", cwd=repository)
    named = run_cli("validate", "plugins/defect", "--output-format", "json", cwd=repository)
    assert alias.stdout == named.stdout
    assert json.loads(alias.stdout)["ok"] is False


def test_build_sarif_holds_the_build_diagnostics(repository: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    code, log = _sarif("build", "plugins/warned", "--output-dir", str(out), cwd=repository)
    assert code == 0
    check_schema(log)
    (result,) = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("suspicious-file", "warning")
    code, log = _sarif("build", "plugins/defect", "--output-dir", str(out / "d"), cwd=repository)
    assert code == 1
    check_schema(log)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"trigger-async", "trigger-missing"}


def test_paths_are_relative_to_the_repository_root_wherever_the_user_stands(
    repository: Path,
) -> None:
    _, inside = _sarif("validate", ".", cwd=repository / "plugins" / "defect")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in inside["runs"][0]["results"]
    }
    assert uris == {"plugins/defect/__init__.py"}
    assert repository_root(repository / "plugins" / "defect") == repository


def test_outside_the_repository_a_path_is_an_absolute_file_uri(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = json.loads(
        render_sarif(
            [(elsewhere, (Diagnostic(Code.TRIGGER_MISSING, "m", path="x.py"),), "manifest.toml")],
            base=tmp_path / "repo",
        )
    )
    check_schema(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": (elsewhere / "x.py").as_uri()}


@pytest.mark.skipif(sys.platform == "win32" or sys.platform == "darwin", reason="needs bytes names")
def test_a_name_that_is_not_utf8_is_percent_encoded(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    log = json.loads(
        render_sarif(
            [
                (
                    tmp_path,
                    (Diagnostic(Code.PATH_ENCODING, "m", path=name, severity="warning"),),
                    None,
                )
            ],
            base=tmp_path,
        )
    )
    check_schema(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "caf%E9.py"


def test_every_code_has_a_description() -> None:
    codes = {value for key, value in vars(Code).items() if key.isupper()}
    assert codes == set(DESCRIPTIONS)
