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
    # reading order: what concerns the whole file first, then by line
    assert lines[0].startswith(f"{where}: error[trigger-missing] ")
    assert lines[1].startswith(f"{where}:2:1: error[trigger-async] ")
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


# -- no tree makes it crash (issue 7) -----------------------------------------------------

_NAME = st.binary(min_size=1, max_size=12).filter(
    lambda b: b not in (b".", b"..") and b"/" not in b and b"\0" not in b
)
_GLOB = st.text(alphabet="*?[]{},!/\\#ab.\u00e9 \t", max_size=10)
_KINDS = st.sampled_from(["file", "dir", "link-in", "link-out", "fifo", "exec"])


@st.composite
def _trees(draw: st.DrawFn) -> tuple[list[tuple[list[bytes], str, bytes]], list[str], bytes]:
    entries = []
    for _ in range(draw(st.integers(0, 8))):
        depth = draw(st.integers(1, 3))
        parts = [
            draw(st.sampled_from([b"a", b"sub", b"dist", b"__pycache__", b".git"]))
            for _ in range(depth - 1)
        ]
        parts.append(
            draw(
                _NAME
                | st.sampled_from(
                    [b"__init__.py", b"x.py", b".env", b"manifest.json", b"SHA256SUMS"]
                )
            )
        )
        entries.append((parts, draw(_KINDS), draw(st.binary(max_size=40))))
    patterns = draw(st.lists(_GLOB, max_size=4))
    entry = draw(
        st.sampled_from(
            [b"def process_writes(a, b, c):\n    pass\n", b"async def process_writes(", b"\xff\xfe"]
        )
    )
    return entries, patterns, entry


_YAML = st.sampled_from(
    [
        "name: t\nversion: 1.10\n",
        "name: t\nversion: '1.0'\ncommands:\n"
        "  - name: c\n    handler: {runtime: python, script: x.py}\n",
        "name: t\nversion: '1.0'\nmetadata: {d: 2024-01-01, b: !!binary aGk=, s: !!set {a}}\n",
        "name: t\nversion: '1.0'\na: &a [x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n",
        "name: t\nversion: '1.0'\nx: &x [*x]\n",
        "name: t\nversion: '1.0'\nx: " + "[" * 3000 + "]" * 3000 + "\n",
        "[: not yaml\n",
        "",
    ]
)


def _plant(root: Path, tree: tuple[list[tuple[list[bytes], str, bytes]], list[str], bytes]) -> None:
    entries, patterns, entry = tree
    base = os.fsencode(root)
    os.makedirs(base)
    exclude = json.dumps(patterns, ensure_ascii=False)
    manifest = (
        'manifest_schema_version = "1.3"\n[plugin]\nname = "t"\nversion = "0.1.0"\n'
        f'description = "d"\ntriggers = ["process_writes"]\nexclude = {exclude}\n'
        '[dependencies]\ndatabase_version = ">=3.0.0"\n'
    )
    with open(os.path.join(base, b"manifest.toml"), "w", encoding="utf-8") as f:
        f.write(manifest)
    with open(os.path.join(base, b"__init__.py"), "wb") as f:
        f.write(entry)
    for parts, kind, data in entries:
        parent = os.path.join(base, *parts[:-1]) if len(parts) > 1 else base
        target = os.path.join(parent, parts[-1])
        try:
            os.makedirs(parent, exist_ok=True)
            if os.path.lexists(target):
                continue  # planted already (opening a FIFO planted earlier would block)
            if kind == "dir":
                os.makedirs(target, exist_ok=True)
            elif kind == "link-in":
                os.symlink(b"__init__.py", target)
            elif kind == "link-out":
                os.symlink(b"/etc", target)
            elif kind == "fifo":
                os.mkfifo(target)
            else:
                with open(target, "wb") as f:
                    f.write(data)
                if kind == "exec":
                    os.chmod(target, 0o755)
        except OSError:
            continue  # a name the tree already holds as another kind


@pytest.mark.skipif(sys.platform != "linux", reason="file names of arbitrary bytes")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=_trees(), root_name=_NAME, yaml_text=st.none() | _YAML)
def test_no_tree_makes_any_command_crash(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    tree: tuple[list[tuple[list[bytes], str, bytes]], list[str], bytes],
    root_name: bytes,
    yaml_text: str | None,
) -> None:
    """Names from the whole byte range (the plugin root's own too), random exclude
    patterns, links, FIFOs, executables, and manifest.toml or a hostile plugin.yaml:
    every command ends with 0 or 1, never a traceback (capsys writes strict UTF-8, as
    a real stream does)."""
    from plugin_build.hook import main as hook_main

    work = tmp_path_factory.mktemp("tree")
    root = Path(os.fsdecode(os.path.join(os.fsencode(work), b"p-" + root_name)))
    _plant(root, tree)
    if yaml_text is not None:
        os.unlink(root / "manifest.toml")
        (root / "plugin.yaml").write_text(yaml_text, encoding="utf-8")
    out = str(work / "out")
    runs = {
        "validate": main(["validate", str(root)]),
        "validate --json": main(["validate", "--json", str(root)]),
        "build": main(["build", str(root), "--format", "all", "--output-dir", out, "--json"]),
        "verify": main(["verify", out, "--source", str(root)]) if os.path.isdir(out) else 0,
    }
    cwd = os.getcwd()
    os.chdir(root)
    try:
        names = [os.fsdecode(os.path.join(*p)) for p, _, _ in tree[0]]
        runs["hook"] = hook_main([*names, "__init__.py"])
    finally:
        os.chdir(cwd)
    captured = capsys.readouterr()
    for command, code in runs.items():
        assert code in (0, 1), (command, code, captured.err[-2000:])
    assert "Traceback" not in captured.out + captured.err
    assert "internal error" not in captured.err


# -- --strict: warnings fail too (issue 9) -------------------------------------------------


def _with_a_warning(tmp_path: Path) -> Path:
    plugin = shutil.copytree(EXAMPLES / "wind-chill", tmp_path / "wind-chill")
    (plugin / "certs").mkdir()
    (plugin / "certs" / "server.key").write_text("KEY\n")  # suspicious-file: a warning
    return plugin


def test_validate_strict_fails_on_warnings(tmp_path: Path) -> None:
    plugin = _with_a_warning(tmp_path)
    relaxed = run("validate", str(plugin))
    assert relaxed.returncode == 0
    strict = run("validate", str(plugin), "--strict")
    assert strict.returncode == 1
    assert "1 with warnings, which --strict refuses (0 errors, 1 warning)" in strict.stdout
    document = json.loads(run("validate", str(plugin), "--strict", "--json").stdout)
    assert document["ok"] is False
    assert run("validate", str(EXAMPLES / "threshold-alert"), "--strict").returncode == 0


def test_build_strict_refuses_to_package_a_warning(tmp_path: Path) -> None:
    plugin = _with_a_warning(tmp_path)
    result = run("build", str(plugin), "--strict", "--output-dir", str(tmp_path / "out"), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["status"] == "failed"
    codes = [(d["code"], d["severity"]) for d in document["diagnostics"]]
    assert ("suspicious-file", "warning") in codes
    assert ("strict", "error") in codes
    assert not list((tmp_path / "out").glob("*.tar.gz"))
    assert run("build", str(plugin), "--output-dir", str(tmp_path / "o2")).returncode == 0


def test_publish_strict_refuses_a_new_version_with_warnings(tmp_path: Path) -> None:
    plugin = _with_a_warning(tmp_path)
    registry = tmp_path / "registry"
    assert (
        run("index", "new", str(registry), "--artifacts-url", "https://x.example").returncode == 0
    )
    before = sorted(p.name for p in registry.iterdir())
    result = run("publish", str(plugin), "--registry", str(registry), "--strict", "--json")
    assert result.returncode == 1
    (refused,) = json.loads(result.stdout)["refused"]
    assert [d["code"] for d in refused["diagnostics"]] == ["strict"]
    assert sorted(p.name for p in registry.iterdir()) == before
