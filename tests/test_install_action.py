"""The action's locked install (src/plugin_build/install_action.py + action.lock)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from plugin_build import install_action
from plugin_build.install_action import (
    FALLBACK,
    LOCK,
    PLATFORMS,
    PYTHONS,
    environment_key,
    read_lock,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

REPO = Path(__file__).parent.parent
SECTIONS = read_lock(LOCK.read_text(encoding="utf-8"))


def _wheel(line: str) -> tuple[str, str, str, str]:
    """(name, version, url, sha256) of a locked line."""
    name, _, rest = line.partition(" @ ")
    url, _, digest = rest.partition(" --hash=sha256:")
    version = url.rsplit("/", 1)[-1].split("-")[1]
    return name, version, url, digest


def test_the_lock_covers_every_runner_interpreter_and_this_one() -> None:
    expected = {f"cp{v.replace('.', '')}-{p}" for v in PYTHONS for p in PLATFORMS}
    assert set(SECTIONS) == expected | {FALLBACK}
    key = environment_key()
    if key is not None and sys.platform in ("linux", "darwin", "win32"):
        assert key in SECTIONS, f"the lock does not cover {key}: refresh it"


@pytest.mark.parametrize("section", sorted(set(SECTIONS) - {FALLBACK}))
def test_every_locked_wheel_is_a_pinned_url_with_its_hash_and_fits_pyproject(section: str) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    python = f"{section[2]}.{section.split('-', maxsplit=1)[0][3:]}"
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    wanted = {}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["action"]]:
        requirement = Requirement(spec)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            wanted[canonicalize_name(requirement.name)] = requirement.specifier
    locked = {}
    for line in SECTIONS[section]:
        name, version, url, digest = _wheel(line)
        assert url.startswith("https://files.pythonhosted.org/packages/"), line
        assert url.endswith(".whl"), line  # nothing to build
        assert len(digest) == 64, line
        locked[canonicalize_name(name)] = version
    for name, specifier in wanted.items():
        assert name in locked, (section, name)
        assert specifier.contains(locked[name], prereleases=True), (section, name, locked[name])
    # what the action installs beyond pyproject's own dependencies: only what those
    # need (ada-url's cffi and pycparser), never actions-toolkit's GitHub-API helpers
    assert set(locked) - set(wanted) <= {"cffi", "pycparser"}


def test_actions_toolkit_is_locked_without_its_dependencies() -> None:
    for section, lines in SECTIONS.items():
        names = {canonicalize_name(line.split(" ")[0].split("==")[0]) for line in lines}
        assert not names & {"pygithub", "requests", "cryptography", "pynacl", "pyjwt"}, section


@pytest.mark.parametrize(
    ("system", "machine", "key"),
    [
        ("linux", "x86_64", "linux-x86_64"),
        ("linux", "aarch64", "linux-arm64"),
        ("darwin", "arm64", "macos-arm64"),
        ("darwin", "x86_64", "macos-x86_64"),
        ("win32", "AMD64", "windows-x86_64"),
        ("linux", "riscv64", None),
        ("freebsd14", "amd64", None),
    ],
)
def test_environment_key(
    monkeypatch: pytest.MonkeyPatch, system: str, machine: str, key: str | None
) -> None:
    monkeypatch.setattr(sys, "platform", system)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    prefix = f"cp{sys.version_info.major}{sys.version_info.minor}-"
    assert environment_key() == (prefix + key if key else None)


def test_read_lock_sections_comments_and_blank_lines() -> None:
    text = "# c\n\n[a]\nx @ u --hash=sha256:1\n  # c\n[b]\n\ny==1 ; python_version == '3.10'\n"
    assert read_lock(text) == {
        "a": ["x @ u --hash=sha256:1"],
        "b": ["y==1 ; python_version == '3.10'"],
    }


def _install(target: Path, lock: Path = LOCK) -> subprocess.CompletedProcess[str]:
    script = REPO / "src" / "plugin_build" / "install_action.py"
    code = (
        "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import install_action as i; "
        "print('HOW', i.install(pathlib.Path(sys.argv[2]), source=pathlib.Path(sys.argv[3]), "
        "lock=pathlib.Path(sys.argv[4])))"
    )
    args = [str(script.parent), str(target), str(REPO / "src"), str(lock)]
    return subprocess.run(
        [sys.executable, "-I", "-c", code, *args], capture_output=True, text=True, check=False
    )


def _check_venv(target: Path) -> None:
    python = install_action.venv_python(target)
    probe = (
        "import importlib.util, plugin_build, plugin_build.action, actions_toolkit.file_command; "
        "print(plugin_build.__file__, importlib.util.find_spec('requests'))"
    )
    out = subprocess.run(
        [str(python), "-I", "-c", probe], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    where, requests = out.stdout.split()
    assert Path(where).is_relative_to(REPO / "src")  # the action's source, not a built copy
    assert requests == "None"  # actions-toolkit came without PyGithub and requests
    build = subprocess.run(
        [
            str(python),
            "-I",
            "-m",
            "plugin_build",
            "validate",
            str(REPO / "examples" / "wind-chill"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr


@pytest.mark.skipif(environment_key() not in SECTIONS, reason="an interpreter the lock lacks")
def test_the_locked_install_is_a_working_venv(tmp_path: Path) -> None:
    result = _install(tmp_path / "venv")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HOW locked (" in result.stdout
    _check_venv(tmp_path / "venv")


def test_without_a_section_for_this_interpreter_the_index_install_is_the_fallback(
    tmp_path: Path,
) -> None:
    text = LOCK.read_text(encoding="utf-8")
    lock = tmp_path / "action.lock"
    lock.write_text(text[text.index(f"[{FALLBACK}]") :], encoding="utf-8")
    result = _install(tmp_path / "venv", lock)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HOW index (pip)" in result.stdout
    _check_venv(tmp_path / "venv")
