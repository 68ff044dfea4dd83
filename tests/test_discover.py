"""Which plugins a command-line path names: one plugin, or every plugin of a repository."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from plugin_build.cli import main
from plugin_build.discover import find_plugins, plugin_roots

EXAMPLES = Path(__file__).parent.parent / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "plugins"


def _plugin(root: Path, relative: str) -> Path:
    shutil.copytree(EXAMPLES / "threshold-alert", root / relative)
    return root / relative


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository of plugins shaped like influxdata/influxdb3_plugins."""
    _plugin(tmp_path, "influxdata/alpha")
    _plugin(tmp_path, "influxdata/beta")
    _plugin(tmp_path, "examples/gamma")
    _plugin(tmp_path, ".github/hidden")  # hidden directories are not walked
    _plugin(tmp_path, "dist/built")  # nor build output
    _plugin(tmp_path, "influxdata/alpha/vendored")  # nor the inside of a found plugin
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# docs\n")
    return tmp_path


def test_a_repository_names_every_plugin_below_it(repository: Path) -> None:
    found = [p.relative_to(repository).as_posix() for p in find_plugins(repository)]
    assert found == ["examples/gamma", "influxdata/alpha", "influxdata/beta"]


def test_exclude_skips_a_directory_by_name_or_relative_path(repository: Path) -> None:
    by_name = find_plugins(repository, ["beta"])
    by_path = find_plugins(repository, ["examples"])
    assert [p.name for p in by_name] == ["gamma", "alpha"]
    assert [p.name for p in by_path] == ["alpha", "beta"]


def test_links_are_not_followed(repository: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = _plugin(tmp_path_factory.mktemp("outside"), "elsewhere")
    try:
        os.symlink(outside, repository / "influxdata" / "linked", target_is_directory=True)
    except OSError:
        pytest.skip("cannot create symlinks here")
    assert "linked" not in [p.name for p in find_plugins(repository)]


def test_a_plugin_or_a_path_inside_it_names_that_plugin(repository: Path) -> None:
    alpha = repository / "influxdata" / "alpha"
    assert plugin_roots([alpha / "manifest.toml", alpha, alpha / "vendored"]) == [
        alpha,
        alpha / "vendored",
    ]


def test_a_directory_without_plugins_names_itself(tmp_path: Path) -> None:
    assert plugin_roots([tmp_path]) == [tmp_path]


def test_validate_walks_a_repository(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "async_trigger", repository / "influxdata" / "broken")
    monkeypatch.chdir(repository)
    assert main(["validate", "influxdata"]) == 1
    out = capsys.readouterr().out
    assert "error[trigger-async]" in out
    assert out.endswith("checked 3 plugins: 1 invalid (1 error, 0 warnings)\n"), out
    assert main(["validate", "--exclude", "broken", "."]) == 0
    assert capsys.readouterr().out == "checked 3 plugins: all valid (0 errors, 0 warnings)\n"
