"""The validate command line: paths, output forms, exit codes, colour."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import native, on_a_terminal
from conftest import run_cli as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_build.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
EXAMPLES = Path(__file__).parent.parent / "examples"
LINE = re.compile(
    r"^(?P<path>[^:]+)(:(?P<line>\d+)(:(?P<col>\d+))?)?: "
    r"(?P<sev>error|warning)\[(?P<code>[a-z-]+)\] .+$"
)


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding copies of a few fixture plugins."""
    for name in ("valid_plugin", "async_trigger", "multi_cross_file_defect"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_valid_plugin_exits_0_with_a_summary(
    plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "valid_plugin"]) == 0
    assert capsys.readouterr().out == "checked 1 plugin: all valid (0 errors, 0 warnings)\n"


def test_default_path_is_the_working_directory(
    plugins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(plugins / "valid_plugin")
    assert main(["validate"]) == 0


def test_invalid_plugin_lines_are_clickable(
    plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "multi_cross_file_defect"]) == 1
    lines = capsys.readouterr().out.splitlines()
    where = native("multi_cross_file_defect/__init__.py")  # os.path.relpath: native separators
    assert lines[0].startswith(f"{where}:2:1: error[trigger-async] ")
    assert lines[1].startswith(f"{where}: error[trigger-missing] ")
    assert all(LINE.match(line) for line in lines[:-1])
    assert lines[-1] == "checked 1 plugin: 1 invalid (2 errors, 0 warnings)"


def test_a_file_inside_a_plugin_maps_to_the_plugin_once(
    plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["validate", "async_trigger/__init__.py", "async_trigger/manifest.toml", "async_trigger"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("error[trigger-async]") == 1
    assert "checked 1 plugin" in out


def test_a_subdirectory_maps_to_its_plugin(plugins: Path) -> None:
    (plugins / "valid_plugin" / "sub").mkdir()
    assert main(["validate", "valid_plugin/sub"]) == 0


def test_json_document(plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--json", "valid_plugin", "async_trigger"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    good, bad = document["plugins"]
    assert good == {
        "root": "valid_plugin",
        "format": "manifest.toml",
        "name": "valid-plugin",
        "version": "0.1.0",
        "entry_point": "__init__.py",
        "triggers": ["process_writes"],
        "ok": True,
        "diagnostics": [],
    }
    assert bad["diagnostics"] == [
        {
            "code": "trigger-async",
            "severity": "error",
            "message": bad["diagnostics"][0]["message"],
            "path": "__init__.py",
            "line": 1,
            "column": 1,
        }
    ]


def test_no_such_path_is_a_usage_error(plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no such file or directory: nope" in err


def test_unknown_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--frobnicate"]) == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2


def test_directory_without_any_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 1
    assert "error[manifest-missing]" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli() -> None:
    result = run("validate", str(EXAMPLES / "wind-chill"))
    assert result.returncode == 0, result.stderr
    assert "all valid" in result.stdout


def test_version_flag() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("plugin-build ")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_and_no_color_turns_it_off() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm"
    target = str(FIXTURES / "async_trigger")
    assert "\x1b[31;1m" in on_a_terminal(["validate", target], env, "stdout")
    assert "\x1b[" not in on_a_terminal(["validate", target], {**env, "NO_COLOR": "1"}, "stdout")


def test_no_colour_when_piped() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    result = run("validate", str(FIXTURES / "async_trigger"), env=env)
    assert "\x1b[" not in result.stdout


_argv_parts = st.one_of(
    st.sampled_from(
        [
            "validate",
            "--json",
            "--help",
            "-x",
            ".",
            "nope",
            "valid_plugin",
            "async_trigger/__init__.py",
            "--",
            "build",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=8
    ),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=st.lists(_argv_parts, max_size=4))
def test_arbitrary_arguments_never_raise(plugins: Path, argv: list[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # --help / --version exit through argparse
        code = exc.code if isinstance(exc.code, int) else 0
    assert code in (0, 1, 2)


def test_output_is_utf8_whatever_the_stream_encoding(tmp_path: Path) -> None:
    plugin = shutil.copytree(FIXTURES / "async_trigger", tmp_path / "plugïn-ü")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "plugin_build", "validate", str(plugin)],
        capture_output=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "plugïn-ü".encode() in result.stdout


# -- no name reaches a terminal raw (issue 7, class 5) ----------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="control characters in file names")
def test_names_are_escaped_in_every_text_output(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    shutil.copytree(FIXTURES / "valid_plugin", plugin)
    bad = "evil\n::error title=x::y\x1b[31m\x07\rname\u202e\x9b"
    (plugin / bad).mkdir()
    (plugin / bad / ".env").write_text("TOKEN=x\n")
    shown = "evil\\x0a::error title=x::y\\x1b[31m\\x07\\x0dname\\u202e\\x9b"
    outputs = {
        "validate": run("validate", str(plugin)).stdout,
        "build": run("build", str(plugin), "--output-dir", str(tmp_path / "out")).stderr,
        "hook": subprocess.run(
            [sys.executable, "-m", "plugin_build.hook", f"{bad}/.env", "__init__.py"],
            cwd=plugin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        ).stdout,
    }
    for face, text in outputs.items():
        assert shown in text, face
        for char in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
            assert char not in text, (face, repr(char))
        assert not any(line.startswith("::error title=x") for line in text.splitlines()), face
    document = run("validate", str(plugin), "--json").stdout
    assert "\\u009b" in document
    assert "\\u202e" in document
    assert "\x9b" not in document
    assert bad in json.loads(document)["plugins"][0]["diagnostics"][0]["message"]
