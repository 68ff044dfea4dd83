"""The composite action, run for real by `act` in host mode, and linted.

The action under test is `uses: org/plugin-build@v1` mapped to a clean clone of
this repository's HEAD. act fetches every nested action before the job starts
(even a skipped one) and nothing can be fetched here, so each pinned nested
action is mapped to a stand-in whose only step fails if it ever runs: a job
that succeeds proves those steps were skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ENV

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STAND_IN_RAN = "stand-in for a nested action ran"

# Only the tests that run act need Linux; the checks of the workflow files run anywhere.
needs_act = pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("act") is None or shutil.which("git") is None,
    reason="act in host mode runs the Linux job here",
)


def nested_actions() -> list[str]:
    """Every `owner/name@sha` the composite action uses."""
    return [step["uses"] for step in ACTION["runs"]["steps"] if "uses" in step]


@pytest.fixture(scope="module")
def act_setup(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """act's --local-repository mappings: the action from HEAD, stand-ins for the rest."""
    base = tmp_path_factory.mktemp("act")
    checkout = base / "plugin-build"
    clone = subprocess.run(
        ["git", "clone", "--quiet", str(REPO), str(checkout)], capture_output=True, check=False
    )
    if clone.returncode != 0:
        pytest.skip("the action is taken from a clean clone of HEAD: needs a git checkout")
    stand_in = base / "stand-in"
    stand_in.mkdir()
    (stand_in / "action.yml").write_text(
        textwrap.dedent(
            f"""\
            name: stand-in
            description: replaces a nested action that must not run in these tests
            runs:
              using: composite
              steps:
                - shell: bash
                  run: echo "{STAND_IN_RAN}" && exit 1
            """
        )
    )
    mappings = ["--local-repository", f"org/plugin-build@v1={checkout}"]
    for uses in nested_actions():
        mappings += ["--local-repository", f"{uses}={stand_in}"]
    return mappings


WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Copy the plugin (and any other files) into the workspace
        run: |
          rm -rf plugin dist && cp -r "$PLUGIN_SRC" plugin
          if [ -n "${{WORKSPACE_FILES:-}}" ]; then cp -r "$WORKSPACE_FILES"/. .; fi
      - id: pb
        uses: org/plugin-build@v1
        with:
          path: plugin
          upload: "{upload}"
{extra}
      - name: Check
        if: always()
        env:
          OK: ${{{{ steps.pb.outputs.ok }}}}
          PACKAGES: ${{{{ steps.pb.outputs.packages }}}}
          CHECKSUMS: ${{{{ steps.pb.outputs.checksums-file }}}}
          MANIFEST: ${{{{ steps.pb.outputs.manifest }}}}
          ATTESTATION: ${{{{ steps.pb.outputs.attestation-url }}}}
        run: |
          echo "OUTPUT ok=$OK"
          echo "OUTPUT packages=$PACKAGES"
          echo "OUTPUT checksums-file=$CHECKSUMS"
          echo "OUTPUT manifest=$MANIFEST"
          echo "OUTPUT attestation-url=$ATTESTATION"
          echo "OUTPUT dist=$(ls dist 2>/dev/null | tr '\\n' ' ')"
          [ "$CHECK_DIST" = 0 ] && exit 0
          test -f dist/wind-chill-1.2.0.tar.gz
          test -f dist/wind-chill-1.2.0.zip
          test -f "$MANIFEST"
          cd "$(dirname "$CHECKSUMS")" && sha256sum -c "$(basename "$CHECKSUMS")"
"""


def run_act(
    tmp_path: Path,
    mappings: list[str],
    plugin: Path,
    *,
    upload: str = "false",
    extra: str = "",
    files: dict[str, str] | None = None,
    act_env: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    check_dist: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run the workflow under act; ``files`` are put into the job's workspace (which act
    in host mode starts empty) and ``act_env`` is given to the job's steps."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "test.yml").write_text(
        WORKFLOW.format(upload=upload, extra=textwrap.indent(extra, " " * 10))
    )
    act_env = {"CHECK_DIST": "1" if check_dist else "0", **(act_env or {})}
    if files:
        staged = tmp_path / "workspace-files"
        for rel, text in files.items():
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged / rel).write_text(text)
        act_env["WORKSPACE_FILES"] = str(staged)
    git_env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True, env=git_env)
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "https://github.com/o/r.git"],
        check=True,
        env=git_env,
    )
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=git_env)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "--quiet", "-m", "t"], check=True, env=git_env
    )
    return subprocess.run(
        [
            "act",
            "push",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--env",
            f"PLUGIN_SRC={plugin}",
            *(arg for k, v in act_env.items() for arg in ("--env", f"{k}={v}")),
            *mappings,
        ],
        cwd=repo,
        env={**git_env, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def outputs_in(log: str) -> dict[str, str]:
    return dict(re.findall(r"\| OUTPUT ([a-z-]+)=(.*)", log))


@needs_act
def test_the_action_builds_both_archives_and_sets_its_outputs(
    tmp_path: Path, act_setup: list[str]
) -> None:
    result = run_act(tmp_path, act_setup, EXAMPLES / "wind-chill")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Job succeeded" in log
    assert STAND_IN_RAN not in log  # setup-python and upload-artifact were skipped
    outputs = outputs_in(log)
    assert outputs["ok"] == "true"
    assert outputs["checksums-file"] == "dist/SHA256SUMS"
    assert outputs["manifest"] == "dist/manifest.json"
    packages = json.loads(outputs["packages"])
    assert [(p["path"], p["format"]) for p in packages] == [
        ("dist/wind-chill-1.2.0.tar.gz", "tar.gz"),
        ("dist/wind-chill-1.2.0.zip", "zip"),
    ]
    assert re.search(r"\| wind-chill-1\.2\.0\.tar\.gz: OK", log)  # sha256sum -c
    assert re.search(r"\| wind-chill-1\.2\.0\.zip: OK", log)


@needs_act
def test_a_broken_plugin_fails_the_job_with_an_annotation(
    tmp_path: Path, act_setup: list[str]
) -> None:
    result = run_act(tmp_path, act_setup, FIXTURES / "async_trigger")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Job failed" in log
    assert "::error file=plugin/__init__.py,line=1,col=1,title=trigger-async::" in log
    assert STAND_IN_RAN not in log


PWNED = "workspace code ran inside the action"
_SHADOW = f"import os, sys\nprint({PWNED!r}, os.environ.get('GH_TOKEN'))\nsys.exit(0)\n"


@needs_act
def test_the_action_never_runs_code_from_the_workspace(
    tmp_path: Path, act_setup: list[str]
) -> None:
    """A checkout can hold packages named like the ones the action starts (plugin_build,
    venv, pip, ensurepip): started from the workspace without -I, they would run, with the
    job's token in their environment, instead of ours."""
    shadows = {}
    for package in ("plugin_build", "venv", "pip", "ensurepip"):
        shadows[f"{package}/__init__.py"] = _SHADOW
        shadows[f"{package}/__main__.py"] = _SHADOW
    shadows["plugin_build/action.py"] = _SHADOW
    shadows["sitecustomize.py"] = _SHADOW
    shadows["usercustomize.py"] = _SHADOW
    result = run_act(
        tmp_path, act_setup, EXAMPLES / "wind-chill", files=shadows, act_env={"PYTHONPATH": "."}
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert PWNED not in log
    assert outputs_in(log)["ok"] == "true"


@needs_act
def test_upload_true_runs_the_pinned_upload_step(tmp_path: Path, act_setup: list[str]) -> None:
    result = run_act(tmp_path, act_setup, EXAMPLES / "wind-chill", upload="true")
    log = result.stdout + result.stderr
    assert result.returncode != 0  # the stand-in for actions/upload-artifact ran
    assert STAND_IN_RAN in log
    assert re.search(r"Failure - Main Upload archives and checksums", log)


@needs_act
def test_python_version_runs_setup_python(tmp_path: Path, act_setup: list[str]) -> None:
    extra = 'python-version: "3.12"'
    result = run_act(tmp_path, act_setup, EXAMPLES / "wind-chill", extra=extra)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"Failure - Main Set up Python", log)


# -- the workflow files themselves ------------------------------------------------------


def test_inputs_reach_shell_steps_only_through_env() -> None:
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")
            assert step["shell"] == "bash"


def test_nested_actions_are_pinned_to_a_full_commit_sha() -> None:
    text = (REPO / "action.yml").read_text()
    for uses in nested_actions():
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", uses), uses
        assert re.search(rf"uses: {re.escape(uses)} # v\d+\.\d+\.\d+", text), uses


def test_every_pin_everywhere_is_a_sha_with_its_version_and_one_per_action() -> None:
    """action.yml, the project's workflows and the README's recipes pin each action the
    same way: a full commit SHA and a # vX.Y.Z comment, one version of each action."""
    files = [
        REPO / "action.yml",
        REPO / "README.md",
        *(REPO / ".github" / "workflows").glob("*.yml"),
    ]
    seen: dict[str, set[str]] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"uses: (actions/[\w-]+)@(\S+)(.*)", line)
            if match is None:
                continue
            name, ref, rest = match.groups()
            assert re.fullmatch(r"[0-9a-f]{40}", ref), (path.name, line)
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", rest), (path.name, line)
            seen.setdefault(name, set()).add(ref + rest)
    assert {name: len(refs) for name, refs in seen.items()} == dict.fromkeys(seen, 1)
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact"} <= set(seen)


def test_the_interface_matches_the_contract() -> None:
    assert list(ACTION["inputs"]) == [
        "path",
        "formats",
        "output-dir",
        "upload",
        "artifact-name",
        "release-tag",
        "release-publish",
        "python-version",
        "exclude",
        "registry",
        "token",
        "dry-run",
        "attest",
        "build",
        "strict",
        "explorer",
    ]
    defaults = {name: spec.get("default") for name, spec in ACTION["inputs"].items()}
    assert defaults == {
        "path": ".",
        "formats": "tar.gz zip",
        "output-dir": "dist",
        "upload": "true",
        "artifact-name": "{name}-{version}",
        "release-tag": "",
        "release-publish": "true",
        "python-version": "",
        "exclude": "",
        "registry": "",
        "token": "${{ github.token }}",
        "dry-run": "false",
        "attest": "false",
        "build": "true",
        "strict": "false",
        "explorer": "false",
    }
    assert list(ACTION["outputs"]) == [
        "ok",
        "packages",
        "checksums-file",
        "manifest",
        "published",
        "unchanged",
        "index",
        "attestation-url",
    ]
    assert ACTION["runs"]["using"] == "composite"
    assert "branding" in ACTION


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="needs actionlint")
def test_actionlint_reports_nothing() -> None:
    result = subprocess.run(
        ["actionlint"], cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(shutil.which("zizmor") is None, reason="needs zizmor")
def test_zizmor_reports_nothing() -> None:
    result = subprocess.run(
        ["zizmor", "--offline", "--persona=pedantic", "action.yml", ".github/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


# -- the README's registry workflows, run as written --------------------------------------

STANDIN_GH = Path(__file__).parent / "gh_standin"


def readme_workflow(filename: str) -> str:
    """The README's YAML block whose first line is ``# .github/workflows/<filename>``."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# \.github/workflows/([\w.-]+)\n.*?)```", text, re.DOTALL)
    return next(str(body) for body, name in blocks if name == filename)


def plugin_repository(tmp_path: Path) -> Path:
    """A tree shaped like influxdata/influxdb3_plugins: plugins under influxdata/, and a
    library/ of shared Python that is not a plugin."""
    source = tmp_path / "plugins-src"
    for name in ("wind-chill", "threshold-alert"):
        shutil.copytree(EXAMPLES / name, source / "influxdata" / name)
    (source / "influxdata" / "library").mkdir()
    (source / "influxdata" / "library" / "shared.py").write_text("X = 1\n")
    return source


def run_recipe(
    tmp_path: Path,
    mappings: list[str],
    workflow: str,
    source: Path,
    state: Path,
    *,
    event: str = "push",
    env: dict[str, str] | None = None,
) -> str:
    """Run the README's ``workflow`` on a repository holding ``source``'s files (act in
    host mode copies the repository into the workspace for actions/checkout)."""
    repo = tmp_path / f"repo-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(source, repo)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / workflow).write_text(readme_workflow(workflow))
    git_env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True, env=git_env)
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "https://github.com/o/r.git"],
        check=True,
        env=git_env,
    )
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=git_env)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "--quiet", "-m", "t"], check=True, env=git_env
    )
    path = f"{STANDIN_GH}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["act", event, "-P", "ubuntu-latest=-self-hosted", *mappings],
        cwd=repo,
        env={**git_env, "PATH": path, "GH_STANDIN_STATE": str(state), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    return result.stdout + result.stderr


def create_registry_release(tmp_path: Path, state: Path) -> None:
    seed = tmp_path / "seed"
    url = "https://github.com/o/r/releases/download/registry"
    subprocess.run(
        [sys.executable, "-m", "plugin_build", "index", "new", str(seed), "--artifacts-url", url],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            str(STANDIN_GH / "gh"),
            "release",
            "create",
            "registry",
            str(seed / "index.json"),
            "--repo",
            "o/r",
        ],
        check=True,
        env={**os.environ, "GH_STANDIN_STATE": str(state)},
    )


@needs_act
def test_readme_publish_workflow_publishes_then_is_idempotent(
    tmp_path: Path, act_setup: list[str]
) -> None:
    state, source = tmp_path / "gh", plugin_repository(tmp_path)
    create_registry_release(tmp_path, state)
    log = run_recipe(tmp_path, act_setup, "publish-registry.yml", source, state)
    assert "Job succeeded" in log, log
    assert STAND_IN_RAN not in log
    assets = state / "o" / "r" / "registry" / "assets"
    assert sorted(p.name for p in assets.iterdir()) == [
        "index.json",
        "threshold-alert-0.3.1.tar.gz",
        "wind-chill-1.2.0.tar.gz",
    ]
    index = json.loads((assets / "index.json").read_bytes())
    assert [(e["name"], e["version"]) for e in index["plugins"]] == [
        ("threshold-alert", "0.3.1"),
        ("wind-chill", "1.2.0"),
    ]
    assert "| wind-chill | 1.2.0 | publish |" in log  # the plan in the job summary
    before = (assets / "index.json").read_bytes()
    again = run_recipe(tmp_path, act_setup, "publish-registry.yml", source, state)
    assert "Job succeeded" in again, again
    assert "| wind-chill | 1.2.0 | unchanged |" in again
    assert (assets / "index.json").read_bytes() == before


@needs_act
def test_readme_publish_workflow_detects_a_concurrent_publish(
    tmp_path: Path, act_setup: list[str]
) -> None:
    state, source = tmp_path / "gh", plugin_repository(tmp_path)
    create_registry_release(tmp_path, state)
    log = run_recipe(
        tmp_path,
        act_setup,
        "publish-registry.yml",
        source,
        state,
        env={"GH_STANDIN_CHANGE_INDEX_AFTER": "1"},
    )
    assert "Job failed" in log
    assert "changed while this publish ran" in log
    assets = state / "o" / "r" / "registry" / "assets"
    assert json.loads((assets / "index.json").read_bytes())["plugins"] == []  # not overwritten


@needs_act
def test_readme_publish_workflow_without_a_release_says_how_to_create_it(
    tmp_path: Path, act_setup: list[str]
) -> None:
    state, source = tmp_path / "gh", plugin_repository(tmp_path)
    log = run_recipe(tmp_path, act_setup, "publish-registry.yml", source, state)
    assert "Job failed" in log
    assert "release registry of o/r does not exist; create it with" in log


@needs_act
def test_readme_pull_request_check_refuses_a_change_without_a_version_bump(
    tmp_path: Path, act_setup: list[str]
) -> None:
    state, source = tmp_path / "gh", plugin_repository(tmp_path)
    create_registry_release(tmp_path, state)
    assert "Job succeeded" in run_recipe(tmp_path, act_setup, "publish-registry.yml", source, state)
    published = (state / "o" / "r" / "registry" / "assets" / "index.json").read_bytes()
    check = run_recipe(
        tmp_path, act_setup, "validate-registry-plugins.yml", source, state, event="pull_request"
    )
    assert "Job succeeded" in check, check  # unchanged plugins pass the check
    (source / "influxdata" / "wind-chill" / "README.md").write_text("edited, version not bumped\n")
    check = run_recipe(
        tmp_path, act_setup, "validate-registry-plugins.yml", source, state, event="pull_request"
    )
    assert "Job failed" in check
    assert (
        "title=version-not-bumped::plugin.version 1.2.0 is published with different content"
        in check
    )
    assert "file=influxdata/wind-chill/manifest.toml" in check
    assert (state / "o" / "r" / "registry" / "assets" / "index.json").read_bytes() == published


# -- releases: draft → upload → publish, immutable or not (issue 9) ------------------------


def gh_env(state: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{STANDIN_GH}{os.pathsep}{os.environ['PATH']}",
        "GH_STANDIN_STATE": str(state),
        **extra,
    }


def gh(state: Path, *args: str, **extra: str) -> None:
    subprocess.run(
        [str(STANDIN_GH / "gh"), "release", *args, "--repo", "o/r"],
        check=True,
        env={**os.environ, "GH_STANDIN_STATE": str(state), **extra},
    )


def release_meta(state: Path, tag: str) -> dict[str, object]:
    meta: dict[str, object] = json.loads((state / "o" / "r" / tag / "release.json").read_text())
    meta["assets"] = sorted(p.name for p in (state / "o" / "r" / tag / "assets").iterdir())
    return meta


def release_calls(state: Path) -> list[str]:
    """The `gh release` subcommands run, in order (act itself also runs `gh auth token`)."""
    lines = (state / "calls.log").read_text().splitlines()
    return [line.split("\t")[1] for line in lines if line.startswith("release\t")]


ARCHIVES = ["SHA256SUMS", "wind-chill-1.2.0.tar.gz", "wind-chill-1.2.0.zip"]


@needs_act
def test_a_tag_push_drafts_uploads_then_publishes_an_immutable_release(
    tmp_path: Path, act_setup: list[str]
) -> None:
    state = tmp_path / "gh"
    env = gh_env(state, GH_STANDIN_IMMUTABLE="1")
    result = run_act(
        tmp_path, act_setup, EXAMPLES / "wind-chill", extra="release-tag: v1.2.0", env=env
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    meta = release_meta(state, "v1.2.0")
    assert (meta["isDraft"], meta["isImmutable"], meta["assets"]) == (False, True, ARCHIVES)
    assert release_calls(state) == ["view", "create", "upload", "edit"]  # draft, fill, publish
    assert "--clobber" not in (state / "calls.log").read_text()
    # Run again: everything is there with the same bytes; nothing is uploaded.
    again = run_act(
        tmp_path / "again", act_setup, EXAMPLES / "wind-chill", extra="release-tag: v1.2.0", env=env
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already attached with the same bytes" in again.stdout
    assert release_calls(state).count("upload") == 1


@needs_act
def test_other_bytes_for_an_attached_asset_are_refused(
    tmp_path: Path, act_setup: list[str]
) -> None:
    state = tmp_path / "gh"
    env = gh_env(state, GH_STANDIN_IMMUTABLE="1")
    assert (
        run_act(
            tmp_path, act_setup, EXAMPLES / "wind-chill", extra="release-tag: v1.2.0", env=env
        ).returncode
        == 0
    )
    before = {p.name: p.read_bytes() for p in (state / "o" / "r" / "v1.2.0" / "assets").iterdir()}
    changed = tmp_path / "changed"
    shutil.copytree(EXAMPLES / "wind-chill", changed)
    (changed / "README.md").write_text("changed, same version\n")
    result = run_act(tmp_path / "again", act_setup, changed, extra="release-tag: v1.2.0", env=env)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "is already attached to release v1.2.0 with other bytes" in log
    after = {p.name: p.read_bytes() for p in (state / "o" / "r" / "v1.2.0" / "assets").iterdir()}
    assert after == before


@needs_act
def test_a_published_immutable_release_without_assets_says_how_to_release(
    tmp_path: Path, act_setup: list[str]
) -> None:
    """The old recipe (`on: release: published`, then upload) fails on immutable
    releases: the step says so and what to do instead."""
    state = tmp_path / "gh"
    gh(state, "create", "v1.2.0", "--title", "v1.2.0", GH_STANDIN_IMMUTABLE="1")
    result = run_act(
        tmp_path, act_setup, EXAMPLES / "wind-chill", extra="release-tag: v1.2.0", env=gh_env(state)
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "release v1.2.0 is published and immutable, so assets can no longer be added" in log
    assert release_meta(state, "v1.2.0")["assets"] == []


@needs_act
def test_a_mutable_published_release_gets_its_assets(tmp_path: Path, act_setup: list[str]) -> None:
    state = tmp_path / "gh"
    gh(state, "create", "v1.2.0", "--title", "v1.2.0")
    result = run_act(
        tmp_path, act_setup, EXAMPLES / "wind-chill", extra="release-tag: v1.2.0", env=gh_env(state)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert release_meta(state, "v1.2.0")["assets"] == ARCHIVES
    assert release_calls(state)[1:] == ["view", "upload"]  # after our create: no create, edit


@needs_act
def test_release_publish_false_leaves_the_draft(tmp_path: Path, act_setup: list[str]) -> None:
    state = tmp_path / "gh"
    extra = 'release-tag: v1.2.0\nrelease-publish: "false"'
    result = run_act(tmp_path, act_setup, EXAMPLES / "wind-chill", extra=extra, env=gh_env(state))
    assert result.returncode == 0, result.stdout + result.stderr
    meta = release_meta(state, "v1.2.0")
    assert (meta["isDraft"], meta["assets"]) == (True, ARCHIVES)


# -- attestations, validate-only, strict ----------------------------------------------------

ATTEST_RAN = "attest stand-in ran"


def with_attest_stand_in(act_setup: list[str], tmp_path: Path) -> list[str]:
    """actions/attest mapped to a stand-in that records its input and sets the output."""
    stand_in = tmp_path / "attest-stand-in"
    stand_in.mkdir()
    (stand_in / "action.yml").write_text(
        textwrap.dedent(
            f"""\
            name: attest stand-in
            description: records what actions/attest would attest
            inputs:
              subject-checksums:
                required: true
            outputs:
              attestation-url:
                value: ${{{{ steps.a.outputs.url }}}}
            runs:
              using: composite
              steps:
                - id: a
                  shell: bash
                  env:
                    CHECKSUMS: ${{{{ inputs.subject-checksums }}}}
                  run: |
                    echo "{ATTEST_RAN} subject-checksums=$CHECKSUMS"
                    sha256sum -c "$CHECKSUMS" --quiet --status --ignore-missing || true
                    echo "url=https://github.com/o/r/attestations/1" >> "$GITHUB_OUTPUT"
            """
        )
    )
    attest = next(u for u in nested_actions() if u.startswith("actions/attest@"))
    pairs = [act_setup[i : i + 2] for i in range(0, len(act_setup), 2)]
    kept = [arg for pair in pairs if not pair[1].startswith(attest + "=") for arg in pair]
    return [*kept, "--local-repository", f"{attest}={stand_in}"]


@needs_act
def test_attest_true_runs_actions_attest_on_sha256sums(
    tmp_path: Path, act_setup: list[str]
) -> None:
    mappings = with_attest_stand_in(act_setup, tmp_path)
    result = run_act(tmp_path, mappings, EXAMPLES / "wind-chill", extra='attest: "true"')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert f"{ATTEST_RAN} subject-checksums=dist/SHA256SUMS" in log
    assert outputs_in(log)["attestation-url"] == "https://github.com/o/r/attestations/1"


@needs_act
def test_attest_false_never_runs_actions_attest(tmp_path: Path, act_setup: list[str]) -> None:
    mappings = with_attest_stand_in(act_setup, tmp_path)
    result = run_act(tmp_path, mappings, EXAMPLES / "wind-chill")  # the default, 'false'
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert ATTEST_RAN not in log
    assert outputs_in(log)["attestation-url"] == ""


@needs_act
def test_build_false_validates_and_builds_nothing(tmp_path: Path, act_setup: list[str]) -> None:
    good = run_act(
        tmp_path, act_setup, EXAMPLES / "wind-chill", extra='build: "false"', check_dist=False
    )
    log = good.stdout + good.stderr
    assert good.returncode == 0, log
    outputs = outputs_in(log)
    assert (outputs["ok"], outputs["packages"], outputs["dist"].strip()) == ("true", "[]", "")
    assert "validated (build: false)" in log
    bad = run_act(
        tmp_path / "bad",
        act_setup,
        FIXTURES / "async_trigger",
        extra='build: "false"',
        check_dist=False,
    )
    assert bad.returncode != 0
    assert (
        "::error file=plugin/__init__.py,line=1,col=1,title=trigger-async::"
        in bad.stdout + bad.stderr
    )


@needs_act
def test_strict_true_fails_on_a_warning_and_builds_nothing(
    tmp_path: Path, act_setup: list[str]
) -> None:
    plugin = tmp_path / "with-secret"
    shutil.copytree(EXAMPLES / "wind-chill", plugin)
    (plugin / "certs").mkdir()
    (plugin / "certs" / "server.key").write_text("KEY\n")  # selected: a warning
    relaxed = run_act(tmp_path, act_setup, plugin)
    assert relaxed.returncode == 0  # a warning alone passes
    assert "title=suspicious-file::certs/server.key looks like a secret" in relaxed.stdout
    strict = run_act(
        tmp_path / "strict", act_setup, plugin, extra='strict: "true"', check_dist=False
    )
    log = strict.stdout + strict.stderr
    assert strict.returncode != 0
    assert "title=strict::strict mode: 1 warning(s) (suspicious-file) refuse the build" in log
    assert outputs_in(log)["dist"].strip() == ""
