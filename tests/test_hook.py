"""The pre-commit hook, driven by the real pre-commit against real git repositories."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ENV, native, needs_pre_commit

from plugin_build.hook import main as hook_main

REPO = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
HOOK = next(h for h in HOOKS if h["id"] == "plugin-validate")


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=check,
    )


# -- the hook definition ---------------------------------------------------------


def test_hook_definition_follows_the_rules() -> None:
    assert HOOK["language"] == "python"
    assert HOOK["pass_filenames"] is True
    assert HOOK["require_serial"] is True
    assert HOOK["entry"] == "plugin-build-hook"
    assert HOOK["always_run"] is True  # a commit that only deletes files must run it too
    assert HOOK["minimum_pre_commit_version"] == "3.2.0"  # always_run and language python
    assert HOOK["verbose"] is True  # warnings of a passing hook are shown


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("manifest.toml", True),
        ("plugins/a/manifest.toml", True),
        ("plugin.yaml", True),
        ("x/plugin.yaml", True),
        ("__init__.py", True),
        ("plugins/a/sub/helper.py", True),
        ("manifest.toml.bak", False),
        ("amanifest.toml", False),
        ("my-plugin.yaml", False),
        ("x.pyc", False),
        ("x.py.txt", False),
        ("plugins/a/requirements.txt", True),
        ("plugins/a/README.md", True),
        ("plugins/a/.env", True),
        ("plugins/a/.env.production", True),
        ("plugins/a/certs/server.key", True),
        ("plugins/a/id_ed25519", True),
        ("plugins/a/.netrc", True),
        ("plugins/a/README.rst", False),
        ("plugins/a/docs/guide.md", False),
        ("plugins/a/data.csv", False),
        ("plugins/a/envfile", False),
        ("plugins/a/key.txt", False),
    ],
)
def test_files_pattern(path: str, matches: bool) -> None:
    assert bool(re.search(HOOK["files"], path)) is matches


# -- the hook's own entry on example files ---------------------------------------


def test_entry_point_on_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("valid_plugin", "async_trigger"):
        shutil.copytree(FIXTURES / name, tmp_path / "plugins" / name)
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "script.py").write_text("print 'not a plugin'\n")
    monkeypatch.chdir(tmp_path)
    assert hook_main(["plugins/valid_plugin/__init__.py", "tools/script.py"]) == 0
    assert capsys.readouterr().out == ""
    assert (
        hook_main(["plugins/async_trigger/__init__.py", "plugins/async_trigger/manifest.toml"]) == 1
    )
    out = capsys.readouterr().out
    expected = native("plugins/async_trigger/__init__.py") + ":1:1: error[trigger-async]"
    assert out.count(expected) == 1


def test_entry_point_never_climbs_above_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "manifest.toml").write_text("broken [")
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "x.py").write_text("")
    monkeypatch.chdir(repo)
    assert hook_main(["src/x.py"]) == 0


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
def test_paths_outside_the_repository_or_through_a_link_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "async_trigger", tmp_path / "outside")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "linked").symlink_to(tmp_path / "outside")
    monkeypatch.chdir(repo)
    names = ["../outside/__init__.py", str(tmp_path / "outside" / "manifest.toml")]
    assert hook_main([*names, "linked/__init__.py", "linked/manifest.toml"]) == 0
    assert capsys.readouterr().out == ""
    shutil.copytree(FIXTURES / "async_trigger", repo / "real")
    assert hook_main(["real/__init__.py"]) == 1  # the same plugin inside is checked


def test_help_prints_usage_and_an_unknown_option_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        hook_main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: plugin-build-hook ")
    assert "The pre-commit hook of plugin-build" in out
    assert hook_main(["--bogus"]) == 2
    assert "Try 'plugin-build-hook --help'" in capsys.readouterr().err


def test_a_file_named_like_an_option_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "async_trigger", tmp_path, dirs_exist_ok=True)
    (tmp_path / "-x.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert hook_main(["-x.py"]) == 1  # the plugin of the file, validated
    assert "error[trigger-async]" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for git")
def test_a_git_in_the_repository_is_never_run_even_with_dot_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook asks git for staged deletions; a `git` committed to the repository (or
    any relative PATH entry) must not be what runs, with the user's environment."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "valid_plugin", repo / "good")
    git(repo, "init", "-q")
    marker = tmp_path / "planted-git-ran"
    planted = repo / "git"
    planted.write_text(f"#!/bin/sh\necho ran > {marker}\nexit 0\n")
    planted.chmod(0o755)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("PATH", "." + os.pathsep + os.environ.get("PATH", ""))
    assert hook_main(["good/manifest.toml"]) == 0
    assert not marker.exists()


def test_console_script_is_installed() -> None:
    # beside the interpreter in a venv; in Scripts\ beside python.exe without one on Windows
    where = dict.fromkeys([str(Path(sys.executable).parent), sysconfig.get_path("scripts")])
    script = shutil.which("plugin-build-hook", path=os.pathsep.join(where))
    assert script is not None


# -- the real pre-commit ------------------------------------------------------------


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout's working tree as a git repository pre-commit can clone."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("src", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hook")
    sha = git(repo, "rev-parse", "HEAD").stdout.strip()
    return repo, sha


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache per test run, so the hook environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def consumer(
    tmp_path: Path,
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A plugin repository with the hook installed: one good and one broken plugin."""
    repo = tmp_path / "plugins-repo"
    shutil.copytree(FIXTURES / "valid_plugin", repo / "good")
    shutil.copytree(FIXTURES / "valid_plugin", repo / "other")
    install_hooks(repo, hook_repo, [{"id": "plugin-validate"}], pre_commit_home, monkeypatch)
    return repo


def install_hooks(
    repo: Path,
    hook_repo: tuple[Path, str],
    hooks: list[dict[str, object]],
    pre_commit_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Make ``repo`` (its files as they are) a git repository with a first commit and
    pre-commit installed, running ``hooks`` of this checkout."""
    repo_path, sha = hook_repo
    git(repo, "init", "-q")
    config = {"repos": [{"repo": str(repo_path), "rev": sha, "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start", "--no-verify")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True
    )


def commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    env_path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    return subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-m", message],
        cwd=repo,
        env={**os.environ, **GIT_ENV, "PATH": env_path},
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


ASYNC = "async def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
SYNC = "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"


@needs_pre_commit
def test_commit_with_an_async_trigger_is_refused_then_fixed(consumer: Path) -> None:
    (consumer / "good" / "__init__.py").write_text("import os\n\n" + ASYNC)
    refused = commit(consumer, "break it")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert native("good/__init__.py") + ":3:1: error[trigger-async]" in output
    assert git(consumer, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    (consumer / "good" / "__init__.py").write_text("import os\n\n" + SYNC)
    fixed = commit(consumer, "fix it")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert git(consumer, "status", "--porcelain").stdout == ""  # the hook wrote nothing


@needs_pre_commit
def test_untouched_broken_plugin_does_not_block_a_healthy_commit(consumer: Path) -> None:
    (consumer / "other" / "__init__.py").write_text(ASYNC)
    git(consumer, "add", "-A")
    git(consumer, "commit", "-q", "-m", "broken other", "--no-verify")

    (consumer / "good" / "README.md").write_text("docs\n")
    (consumer / "good" / "__init__.py").write_text(SYNC + "\n# tweak\n")
    result = commit(consumer, "touch good only")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validate plugins" in result.stderr
    assert "Passed" in result.stderr


@needs_pre_commit
def test_a_plugin_yaml_commit_with_a_missing_handler_is_refused(consumer: Path) -> None:
    shutil.copytree(FIXTURES / "betty_missing_handler", consumer / "betty")
    result = commit(consumer, "add betty")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert native("betty/plugin.yaml") + ":12:" in output
    assert "error[handler-missing]" in output


@needs_pre_commit
@pytest.mark.parametrize(
    ("removed", "code"),
    [("good/__init__.py", "entry-point-missing"), ("good/manifest.toml", "manifest-missing")],
)
def test_removing_what_a_plugin_needs_is_refused(consumer: Path, removed: str, code: str) -> None:
    git(consumer, "rm", "-q", removed)
    refused = commit(consumer, f"remove {removed}")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert f"error[{code}]" in output
    assert git(consumer, "rev-list", "--count", "HEAD").stdout.strip() == "1"


@needs_pre_commit
def test_removing_a_whole_plugin_is_fine(consumer: Path) -> None:
    git(consumer, "rm", "-q", "-r", "other")
    result = commit(consumer, "drop other")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_pre_commit
def test_a_secret_added_to_a_plugin_warns_and_a_readme_change_validates_it_once(
    consumer: Path,
) -> None:
    (consumer / "good" / ".env").write_text("TOKEN=x\n")
    (consumer / "good" / "README.md").write_text("docs\n")
    result = commit(consumer, "a secret and docs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output  # a warning does not block the commit
    assert "warning[suspicious-file] .env looks like a secret" in output
    assert output.count("checked 1 plugin") == 1


# -- the catalogue hook and --explorer through pre-commit ------------------------------

CATALOG_HOOK = next(h for h in HOOKS if h["id"] == "plugin-catalog")
REPOSITORY = Path(__file__).parent / "fixtures" / "repository"
LIBRARY = "influxdata/library/plugin_library.json"


def test_catalog_hook_definition() -> None:
    assert CATALOG_HOOK["entry"] == "plugin-build catalog --check"
    assert CATALOG_HOOK["pass_filenames"] is False  # it checks the whole catalogue
    assert CATALOG_HOOK["language"] == "python"
    for path, matches in [
        ("influxdata/a/manifest.toml", True),
        ("influxdata/a/a.py", True),
        ("influxdata/a/README.md", True),
        (LIBRARY, True),
        ("influxdata/a/data.csv", False),
    ]:
        assert bool(re.search(CATALOG_HOOK["files"], path)) is matches


@pytest.fixture
def catalogued(
    tmp_path: Path,
    hook_repo: tuple[Path, str],
    pre_commit_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A plugin repository with its catalogue, both hooks installed (validate --explorer)."""
    repo = tmp_path / "catalogued"
    for name in ("downsampler", "notifier"):
        shutil.copytree(REPOSITORY / "influxdata" / name, repo / "influxdata" / name)
    written = subprocess.run(
        [sys.executable, "-m", "plugin_build", "catalog", "influxdata", "--out", LIBRARY],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    hooks: list[dict[str, object]] = [
        {"id": "plugin-validate", "args": ["--explorer"]},
        {"id": "plugin-catalog", "args": ["influxdata", "--out", LIBRARY, "--date", "2026-01-01"]},
    ]
    install_hooks(repo, hook_repo, hooks, pre_commit_home, monkeypatch)
    return repo


@needs_pre_commit
def test_a_manifest_change_without_the_catalogue_is_refused_with_the_diff(
    catalogued: Path,
) -> None:
    manifest = catalogued / "influxdata" / "downsampler" / "manifest.toml"
    text = manifest.read_text()
    old = next(line for line in text.splitlines() if line.startswith("description"))
    manifest.write_text(text.replace(old, 'description = "Downsamples, reworded."'))
    refused = commit(catalogued, "reword")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert re.search(r'^\+\s+"description": "Downsamples, reworded\.",$', output, re.MULTILINE)
    regenerate = [sys.executable, "-m", "plugin_build", "catalog", "influxdata", "--out", LIBRARY]
    subprocess.run(regenerate, cwd=catalogued, check=True, capture_output=True)
    accepted = commit(catalogued, "reword, with the catalogue")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


@needs_pre_commit
def test_the_validate_hook_with_explorer_refuses_a_broken_docstring(catalogued: Path) -> None:
    entry = catalogued / "influxdata" / "notifier" / "notifier_plugin.py"
    entry.write_text(entry.read_text().replace('"plugin_type"', '"plugin_typ"', 1))
    refused = commit(catalogued, "break the metadata")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "error[explorer-plugin-type]" in output
