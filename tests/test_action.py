"""The action's Python side, run as action.yml runs it: env in, GITHUB_OUTPUT and summary out."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import sha256sum

from plugin_build.action import (
    ANNOTATION_CAP,
    InputError,
    read_inputs,
    release_assets,
)
from plugin_build.discover import PluginPathError, resolve_plugins

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "plugins"


def parse_github_output(text: str) -> dict[str, str]:
    """The `name<<delimiter ... delimiter` records of $GITHUB_OUTPUT."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        body = []
        for value_line in lines:
            if value_line == delimiter:
                break
            body.append(value_line)
        values[name] = "\n".join(body)
    return values


def run_action(
    workspace: Path, inputs: dict[str, str], *command: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    output = workspace.parent / f"{workspace.name}-output"
    summary = workspace.parent / f"{workspace.name}-summary"
    output.write_text("")
    summary.write_text("")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLUGIN_BUILD_")},
        **{f"PLUGIN_BUILD_{k}": v for k, v in inputs.items()},
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(workspace.parent),
    }
    result = subprocess.run(
        [sys.executable, "-m", "plugin_build.action", *(command or ("build",))],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    return (
        result,
        parse_github_output(output.read_text(encoding="utf-8")),
        summary.read_text(encoding="utf-8"),
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    shutil.copytree(EXAMPLES / "wind-chill", root / "plugins" / "wind-chill")
    shutil.copytree(EXAMPLES / "threshold-alert", root / "plugins" / "threshold-alert")
    return root


# -- inputs ------------------------------------------------------------------------------


def test_defaults_follow_the_interface() -> None:
    inputs = read_inputs({})
    assert inputs.paths == (".",)
    assert inputs.formats == ("tar.gz", "zip")
    assert inputs.output_dir == Path("dist")
    assert inputs.upload is True
    assert inputs.artifact_name == "{name}-{version}"
    assert inputs.release_tag == ""


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FORMATS", "tar.gz rar", "unsupported format 'rar'"),
        ("FORMATS", " ", "at least one"),
        ("UPLOAD", "yes", "expected 'true' or 'false'"),
    ],
)
def test_bad_inputs_are_refused(variable: str, value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_inputs({f"PLUGIN_BUILD_{variable}": value})


def test_paths_one_per_line_with_globs(workspace: Path) -> None:
    roots = resolve_plugins(["plugins/*", "plugins/wind-chill/manifest.toml"], workspace)
    assert [r.name for r in roots] == ["threshold-alert", "wind-chill"]


def test_a_file_inside_a_plugin_names_the_plugin(workspace: Path) -> None:
    roots = resolve_plugins(["plugins/wind-chill/chill.py"], workspace)
    assert [r.name for r in roots] == ["wind-chill"]


@pytest.mark.parametrize("pattern", ["plugins/nope", "plugins/*/nothing-*", "plugins"])
def test_a_pattern_that_matches_no_plugin_fails_loudly(workspace: Path, pattern: str) -> None:
    with pytest.raises(PluginPathError, match="matched no plugin"):
        resolve_plugins([pattern], workspace)


# -- the build step ----------------------------------------------------------------------


def test_one_plugin_builds_into_the_output_dir(workspace: Path) -> None:
    result, outputs, summary = run_action(workspace, {"PATH": "plugins/wind-chill"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["ok"] == "true"
    assert outputs["checksums-file"] == "dist/SHA256SUMS"
    assert outputs["manifest"] == "dist/manifest.json"
    packages = json.loads(outputs["packages"])
    assert [(p["path"], p["format"]) for p in packages] == [
        ("dist/wind-chill-1.2.0.tar.gz", "tar.gz"),
        ("dist/wind-chill-1.2.0.zip", "zip"),
    ]
    for package in packages:
        assert set(package) == {"path", "format", "sha256", "md5", "size_bytes"}
        assert (workspace / package["path"]).stat().st_size == package["size_bytes"]
    assert outputs["artifact-name"] == "wind-chill-1.2.0"
    assert outputs["artifact-paths"].splitlines() == [
        "dist/wind-chill-1.2.0.tar.gz",
        "dist/wind-chill-1.2.0.zip",
        "dist/SHA256SUMS",
        "dist/manifest.json",
    ]
    check = subprocess.run([*sha256sum(), "-c", "SHA256SUMS"], cwd=workspace / "dist", check=False)
    assert check.returncode == 0
    assert "| plugin | version | format | size | SHA-256 |" in summary
    assert f"`{packages[0]['sha256']}`" in summary


def test_several_plugins_build_into_one_directory_each(workspace: Path) -> None:
    result, outputs, _ = run_action(
        workspace, {"PATH": "plugins/wind-chill\nplugins/threshold-alert", "FORMATS": "tar.gz"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs["manifest"].splitlines() == [
        "dist/wind-chill/manifest.json",
        "dist/threshold-alert/manifest.json",
    ]
    assert outputs["checksums-file"] == "dist/SHA256SUMS"
    assert outputs["artifact-name"] == "wind-chill-1.2.0_threshold-alert-0.3.1"
    combined = (workspace / "dist" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert [line.split("  ")[1] for line in combined] == [
        "threshold-alert/threshold-alert-0.3.1.tar.gz",
        "wind-chill/wind-chill-1.2.0.tar.gz",
    ]
    check = subprocess.run([*sha256sum(), "-c", "SHA256SUMS"], cwd=workspace / "dist", check=False)
    assert check.returncode == 0


def test_an_invalid_plugin_fails_with_annotations_and_a_summary(workspace: Path) -> None:
    shutil.copytree(FIXTURES / "multi_cross_file_defect", workspace / "plugins" / "broken")
    result, outputs, summary = run_action(workspace, {"PATH": "plugins/broken"})
    assert result.returncode == 1
    assert outputs["ok"] == "false"
    assert outputs["packages"] == "[]"
    assert outputs["artifact-paths"] == ""
    lines = result.stdout.splitlines()
    assert (
        "::error file=plugins/broken/__init__.py,line=2,col=1,title=trigger-async::"
        in "\n".join(lines)
    )
    assert any(
        line.startswith("::error file=plugins/broken/__init__.py,title=trigger-missing::")
        for line in lines
    )
    assert "| `plugins/broken/__init__.py:2` | error | `trigger-async` |" in summary


def test_annotations_are_capped_per_severity(workspace: Path) -> None:
    plugin = workspace / "plugins" / "many"
    shutil.copytree(FIXTURES / "valid_plugin", plugin)
    triggers = ", ".join(['"on_x"'] * (ANNOTATION_CAP + 3))
    manifest = (plugin / "manifest.toml").read_text()
    (plugin / "manifest.toml").write_text(
        manifest.replace('triggers = ["process_writes"]', f"triggers = [{triggers}]")
    )
    result, _, summary = run_action(workspace, {"PATH": "plugins/many"})
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == ANNOTATION_CAP
    assert (
        "::notice title=plugin-build::3 more errors are listed in the job summary" in result.stdout
    )
    assert summary.count("`manifest-field`") == ANNOTATION_CAP + 3


def test_a_bad_input_fails_the_step_with_a_message(workspace: Path) -> None:
    result, outputs, summary = run_action(workspace, {"PATH": "nowhere/*"})
    assert result.returncode == 1
    assert "::error title=plugin-build::path: 'nowhere/*' matched no plugin" in result.stdout
    assert "matched no plugin" in summary
    assert outputs == {}


def test_artifact_name_template_is_rendered_and_made_safe(workspace: Path) -> None:
    _, outputs, _ = run_action(
        workspace, {"PATH": "plugins/wind-chill", "ARTIFACT_NAME": "pkg/{name}:{version}"}
    )
    assert outputs["artifact-name"] == "pkg-wind-chill-1.2.0"


# -- the release step --------------------------------------------------------------------


def test_release_assets_never_hold_names_github_would_rename(tmp_path: Path) -> None:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "ws" / "wind-chill")
    manifest = plugin / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('"1.2.0"', '"1.2.0+build.7"'))
    result, outputs, _ = run_action(tmp_path / "ws", {"PATH": "wind-chill"})
    assert result.returncode == 0, result.stdout
    packages = json.loads(outputs["packages"])
    assets = release_assets(packages, tmp_path / "ws", tmp_path / "release")
    assert [a.name for a in assets] == [
        "wind-chill-1.2.0_build.7.tar.gz",
        "wind-chill-1.2.0_build.7.zip",
        "SHA256SUMS",
    ]
    check = subprocess.run(
        [*sha256sum(), "-c", "SHA256SUMS"], cwd=tmp_path / "release", check=False
    )
    assert check.returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="a shell-script stand-in for gh")
@pytest.mark.skipif(sys.platform == "win32", reason="the gh stand-in is a POSIX script")
def test_release_step_drafts_attaches_and_publishes_with_gh(workspace: Path) -> None:
    _, outputs, _ = run_action(workspace, {"PATH": "plugins/wind-chill"})
    state = workspace.parent / "gh-state"
    standin = Path(__file__).parent / "gh_standin"
    os.environ["PATH"] = f"{standin}{os.pathsep}{os.environ['PATH']}"
    os.environ.update(GH_STANDIN_STATE=str(state), GITHUB_REPOSITORY="o/r")
    try:
        result, _, summary = run_action(
            workspace,
            {"RELEASE_TAG": "v1.2.0", "PACKAGES": outputs["packages"]},
            "release",
        )
    finally:
        os.environ["PATH"] = os.environ["PATH"].split(os.pathsep, 1)[1]
        del os.environ["GH_STANDIN_STATE"], os.environ["GITHUB_REPOSITORY"]
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [line.split("\t") for line in (state / "calls.log").read_text().splitlines()]
    assert [c[1] for c in calls] == ["view", "create", "upload", "edit"]
    assert "--draft" in calls[1]
    assert "--draft=false" in calls[3]
    assert [Path(a).name for a in calls[2][3:-2]] == [
        "wind-chill-1.2.0.tar.gz",
        "wind-chill-1.2.0.zip",
        "SHA256SUMS",
    ]
    assert not any("--clobber" in c for c in calls)
    assert "Created release v1.2.0 as a draft." in summary
    assert "Published release v1.2.0." in summary


def test_release_step_without_a_tag_does_nothing(workspace: Path) -> None:
    result, _, _ = run_action(workspace, {"RELEASE_TAG": ""}, "release")
    assert result.returncode == 0
    assert "nothing to attach" in result.stdout


def test_unknown_subcommand_is_refused(workspace: Path) -> None:
    result, _, _ = run_action(workspace, {}, "deploy")
    assert result.returncode == 1
    assert re.search(r"::error title=plugin-build::usage: ", result.stdout)


# -- hostile names and layouts (issue 7, classes 5, 6, 13) ----------------------------------

FORGED = "x\n::error title=forged::pwned\x1b[2J\x07\r"


@pytest.mark.skipif(sys.platform == "win32", reason="control characters in file names")
def test_no_name_can_forge_a_workflow_command_or_add_an_output_line(workspace: Path) -> None:
    hostile = workspace / "plugins" / FORGED
    shutil.copytree(EXAMPLES / "threshold-alert", hostile)
    (hostile / ".env").write_text("TOKEN=x\n")  # a warning annotated on plugins/<name>/.env
    result, outputs, summary = run_action(workspace, {"PATH": "plugins/*"})
    assert result.returncode == 0, result.stdout + result.stderr
    for line in result.stdout.splitlines():
        assert not line.startswith("::error title=forged"), line
        assert "\x1b" not in line
        assert "\x07" not in line
    assert "\r" not in result.stdout
    # escaped by us, then ':' by the workflow-command encoding of a property
    assert "file=plugins/x\\x0a%3A%3Aerror title=forged%3A%3Apwned\\x1b[2J\\x07\\x0d/.env" in (
        result.stdout
    )
    for name in ("artifact-paths", "manifest"):
        for line in outputs[name].splitlines():
            assert (workspace / line).is_file(), (name, line)  # every line an existing file
    assert "\x1b" not in summary
    assert "\n::error" not in summary


def test_a_glob_match_with_python_files_but_no_manifest_fails_unless_excluded(
    workspace: Path,
) -> None:
    lost = workspace / "plugins" / "lost"
    shutil.copytree(EXAMPLES / "threshold-alert", lost)
    (lost / "manifest.toml").unlink()  # a plugin that lost its manifest
    (workspace / "plugins" / "docs").mkdir()  # not a plugin, holds no Python: skipped
    (workspace / "plugins" / "docs" / "index.md").write_text("docs\n")
    with pytest.raises(PluginPathError, match="plugins/lost hold Python files but no manifest"):
        resolve_plugins(["plugins/*"], workspace)
    roots = resolve_plugins(["plugins/*"], workspace, exclude=["lost"])
    assert [r.name for r in roots] == ["threshold-alert", "wind-chill"]
    result, _outputs, _ = run_action(workspace, {"PATH": "plugins/*", "EXCLUDE": "lost docs"})
    assert result.returncode == 0, result.stdout
    result, _, summary = run_action(workspace, {"PATH": "plugins/*"})
    assert result.returncode == 1
    assert "::error title=plugin-build::path: plugins/lost hold Python files" in result.stdout
    assert "name the directory in the exclude input" in summary


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
@pytest.mark.parametrize("pattern", ["../elsewhere/*", "linked/*", "linked"])
def test_the_action_never_takes_a_plugin_from_outside_the_workspace(
    workspace: Path, pattern: str
) -> None:
    elsewhere = workspace.parent / "elsewhere"
    shutil.copytree(EXAMPLES / "wind-chill", elsewhere / "wind-chill")
    (workspace / "linked").symlink_to(
        elsewhere / "wind-chill" if pattern == "linked" else elsewhere
    )
    with pytest.raises(PluginPathError, match="outside the workspace"):
        resolve_plugins([pattern], workspace)
