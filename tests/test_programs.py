"""programs.which: the programs we run are found on absolute PATH entries only."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from plugin_build.programs import which

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def program(folder: Path, name: str, mode: int = 0o755) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


def test_the_first_absolute_entry_holding_an_executable_wins(tmp_path: Path) -> None:
    program(tmp_path / "a", "tool", 0o644)  # not executable: skipped
    found = program(tmp_path / "b", "tool")
    program(tmp_path / "c", "tool")
    path = os.pathsep.join(str(tmp_path / d) for d in "abc")
    assert which("tool", {"PATH": path}) == str(found)


def test_relative_entries_never_name_the_working_directorys_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    program(tmp_path, "gh")
    program(tmp_path / "bin", "gh")
    real = program(tmp_path / "real", "gh")
    path = os.pathsep.join([".", "", "bin", str(tmp_path / "real")])
    assert which("gh", {"PATH": path}) == str(real)
    assert which("gh", {"PATH": "." + os.pathsep + "bin"}) is None


def test_a_directory_of_that_name_is_not_a_program(tmp_path: Path) -> None:
    (tmp_path / "a" / "git").mkdir(parents=True)
    assert which("git", {"PATH": str(tmp_path / "a")}) is None
