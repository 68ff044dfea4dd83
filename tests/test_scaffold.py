"""`new`: templates → plugins that validate clean and build; every refusal and its exit code."""

from __future__ import annotations

import ast
import errno
import importlib.util
import json
import os
import stat
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import native, needs_symlinks
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from plugin_build import scaffold as scaffold_module
from plugin_build.cli import main
from plugin_build.manifest import parse_manifest
from plugin_build.scaffold import (
    DEFAULT_DATABASE_VERSION,
    ScaffoldError,
    module_name,
    quoted,
    scaffold,
    templates,
)
from plugin_build.validate import validate_plugin, validate_plugins

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
TEMPLATES = [t.short_name for t in templates()]
TRIGGERS = ["process_writes", "process_scheduled_call", "process_request"]
# The SDK 0.7.0 manifest's recommended exclude list.
SDK_EXCLUDE = [".git/", ".venv/", "__pycache__/", "*.pyc", "tests/**"]
# What the runtime passes, positionally, to each trigger (and the SDK's templates'
# parameter names); the request handler alone gives `args` a default.
SIGNATURES = {
    "process_writes": (["influxdb3_local", "table_batches", "args"], 0),
    "process_scheduled_call": (["influxdb3_local", "schedule_time", "args"], 0),
    "process_request": (
        ["influxdb3_local", "query_params", "request_headers", "request_body", "args"],
        1,
    ),
}


def files_of(template: str, name: str) -> list[str]:
    if template == "plugin-yaml":
        return [
            "plugin.yaml",
            "README.md",
            "skills/hello/skill.yaml",
            "skills/hello/SKILL.md",
            "skills/hello/hello.py",
        ]
    return ["manifest.toml", f"{module_name(name)}.py", "README.md"]


def new(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["new", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


@pytest.fixture
def umask() -> Iterator[None]:
    """A narrow umask, to prove the files are 0644 whatever it is."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


# -- every template: validates clean, builds, ships --------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_validates_clean_and_builds(
    template: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: None
) -> None:
    target = tmp_path / "demo-plugin"
    code, out, _ = new(capsys, template, str(target), "--json")
    assert code == 0
    expected = files_of(template, "demo-plugin")
    assert json.loads(out) == {
        "ok": True,
        "kind": "plugin",
        "template": template,
        "target_dir": str(target),
        "name": "demo-plugin",
        "files_written": expected,
    }
    assert sorted(tree(target)) == sorted(expected)
    for rel, data in tree(target).items():
        assert b"\r" not in data, rel
        data.decode("utf-8")
        if sys.platform != "win32":
            assert stat.S_IMODE(os.lstat(target / rel).st_mode) == 0o644, rel

    (report,) = validate_plugins([target])
    assert report.diagnostics == ()
    assert report.name == "demo-plugin"
    assert main(["validate", str(target)]) == 0
    assert capsys.readouterr().out.endswith("all valid (0 errors, 0 warnings)\n")

    out_dir = tmp_path / "dist"
    assert main(["build", str(target), "--format", "all", "--output-dir", str(out_dir)]) == 0
    members = {f"demo-plugin-0.1.0/{rel}" for rel in expected}
    with tarfile.open(out_dir / "demo-plugin-0.1.0.tar.gz") as archive:
        assert set(archive.getnames()) == members
    with zipfile.ZipFile(out_dir / "demo-plugin-0.1.0.zip") as archive:
        assert set(archive.namelist()) == members
        assert archive.testzip() is None


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_manifest_is_the_sdks_at_schema_1_3(trigger: str, tmp_path: Path) -> None:
    result = scaffold(trigger, tmp_path / "p")
    data = (tmp_path / "p" / "manifest.toml").read_bytes()
    document = tomllib.loads(data.decode())
    assert document == {
        "manifest_schema_version": "1.3",
        "plugin": {
            "name": "p",
            "version": "0.1.0",
            "description": document["plugin"]["description"],
            "triggers": [trigger],
            "exclude": SDK_EXCLUDE,
        },
        "dependencies": {"database_version": DEFAULT_DATABASE_VERSION},
    }
    assert DEFAULT_DATABASE_VERSION == ">=3.0.0"  # the SDK's floor without a baked release
    parsed = parse_manifest(data)
    assert parsed.diagnostics == ()
    assert result.files_written == ("manifest.toml", "p.py", "README.md")


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_entry_point_defines_the_trigger_as_the_runtime_calls_it(
    trigger: str, tmp_path: Path
) -> None:
    scaffold(trigger, tmp_path / "sig")
    source = (tmp_path / "sig" / "sig.py").read_text(encoding="utf-8")
    compile(source, "sig.py", "exec")
    module = ast.parse(source)
    defs = [n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert [d.name for d in defs] == [trigger]
    (func,) = defs
    assert isinstance(func, ast.FunctionDef)  # the runtime calls it synchronously
    names, defaults = SIGNATURES[trigger]
    arguments = func.args
    assert [a.arg for a in arguments.args] == names
    assert len(arguments.defaults) == defaults
    assert arguments.posonlyargs == []
    assert arguments.vararg is None
    assert arguments.kwonlyargs == []
    assert arguments.kwarg is None


class FakeLocal:
    """The runtime's influxdb3_local, as far as the templates use it."""

    def __init__(self) -> None:
        self.logged: list[str] = []

    def info(self, *parts: object) -> None:
        self.logged.append(" ".join(str(p) for p in parts))


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"scaffolded_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wal_template_reads_table_batches_as_dicts(tmp_path: Path) -> None:
    scaffold("process_writes", tmp_path / "wal")
    module = load(tmp_path / "wal" / "wal.py")
    local = FakeLocal()
    batches = [
        {"table_name": "cpu", "rows": [{"host": "a", "usage": 0.5}, {"host": "b", "usage": 0.7}]},
        {"table_name": "mem", "rows": []},
    ]
    assert module.process_writes(local, batches, None) is None
    assert local.logged == ["received 2 rows for cpu", "received 0 rows for mem"]


def test_scheduled_and_request_templates_run(tmp_path: Path) -> None:
    import datetime

    scaffold("process_scheduled_call", tmp_path / "tick")
    local = FakeLocal()
    when = datetime.datetime(2026, 1, 1, 12, 0)
    load(tmp_path / "tick" / "tick.py").process_scheduled_call(local, when, None)
    assert local.logged == ["scheduled call at 2026-01-01 12:00:00"]

    scaffold("process_request", tmp_path / "echo")
    handler = load(tmp_path / "echo" / "echo.py").process_request
    response = handler(FakeLocal(), {"q": "1"}, {"accept": "json"}, b"hi \xff", None)
    assert response == {
        "query_params": {"q": "1"},
        "request_headers": {"accept": "json"},
        "request_body": "hi \ufffd",
    }


def test_plugin_yaml_template_is_a_seed_000_plugin(tmp_path: Path) -> None:
    scaffold("plugin-yaml", tmp_path / "bet", name="Bet_tools")
    data = yaml.safe_load((tmp_path / "bet" / "plugin.yaml").read_text(encoding="utf-8"))
    assert data["name"] == "Bet_tools"
    assert data["version"] == "0.1.0"
    assert data["commands"] == [
        {
            "name": "hello",
            "description": "Print a greeting",
            "handler": {"runtime": "python", "script": "skills/hello/hello.py"},
        }
    ]
    assert {"description", "metadata", "requirements", "permissions", "agents"} <= set(data)
    report = validate_plugin(tmp_path / "bet")
    assert report.format == "plugin.yaml"
    assert report.diagnostics == ()
    assert report.betty is not None
    assert [c.exists for c in report.betty.commands] == [True]


def test_readme_names_the_plugin_and_its_entry_point(tmp_path: Path) -> None:
    scaffold("process_request", tmp_path / "d", name="geo-lookup")
    readme = (tmp_path / "d" / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# geo-lookup\n")
    assert "`geo_lookup.py`" in readme
    assert "plugin-build validate" in readme


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "module"),
    [("demo", "demo"), ("Demo2", "Demo2"), ("my-plugin", "my_plugin"), ("class", "class_")],
)
def test_the_entry_point_is_a_python_module_named_after_the_plugin(
    name: str, module: str, tmp_path: Path
) -> None:
    assert module_name(name) == module
    result = scaffold("process_writes", tmp_path / "x", name=name)
    assert result.files_written[1] == f"{module}.py"
    assert module.isidentifier()
    assert validate_plugin(tmp_path / "x").diagnostics == ()


def test_name_defaults_to_the_basename_of_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wind-gust").mkdir()
    monkeypatch.chdir(tmp_path / "wind-gust")
    code, out, _ = new(capsys, "process_scheduled_call")
    assert code == 0
    assert out.splitlines() == [
        "Scaffolded plugin (process_scheduled_call template) at .",
        "  name: wind-gust",
        "  files written:",
        "    manifest.toml",
        "    wind_gust.py",
        "    README.md",
        "next: plugin-build validate .",
    ]
    assert 'name = "wind-gust"' in (tmp_path / "wind-gust" / "manifest.toml").read_text()


@pytest.mark.parametrize("name", ["1bad", "bad name", "con", "LPT1", "", "a" * 65, "é"])
def test_an_invalid_name_is_a_usage_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = new(capsys, "process_writes", str(tmp_path / "ok"), "--name", name)
    assert code == 2
    assert out == ""
    assert err.startswith("plugin-build: error: --name: plugin name ")
    assert not (tmp_path / "ok").exists()


def test_an_invalid_derived_name_is_a_runtime_error_asking_for_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = new(capsys, "process_writes", str(tmp_path / "1bad"), "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "new::derived_name_invalid"
    assert "--name" in error["message"]
    assert not (tmp_path / "1bad").exists()


# -- database version -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["not-a-range", "garbage", ">= ?", "", ">=1 <2", "1.0,"])
def test_an_invalid_database_version_is_a_usage_error(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("process_writes", str(tmp_path / "p"), "--database-version", bad, "--json")
    code, out, _ = new(capsys, *args)
    assert code == 2
    document = json.loads(out)
    assert document["ok"] is False
    assert document["error"]["code"] == "usage::invalid_database_version"
    assert not (tmp_path / "p").exists()


def test_a_database_version_is_written_as_given(tmp_path: Path) -> None:
    scaffold("process_writes", tmp_path / "p", database_version=">=3.5, <4")
    text = (tmp_path / "p" / "manifest.toml").read_text()
    assert 'database_version = ">=3.5, <4"\n' in text
    assert validate_plugin(tmp_path / "p").diagnostics == ()


def test_plugin_yaml_takes_no_database_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = new(capsys, "plugin-yaml", str(tmp_path / "p"), "--database-version", "3")
    assert code == 2
    assert "--database-version" in err
    with pytest.raises(ScaffoldError) as caught:
        scaffold("plugin-yaml", tmp_path / "p", database_version=">=3.0.0")
    assert caught.value.usage
    assert not (tmp_path / "p").exists()


# -- refusals ----------------------------------------------------------------------------------


def test_an_existing_file_is_refused_and_force_overwrites_the_write_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "hp"
    target.mkdir()
    (target / "manifest.toml").write_text("pre-existing")
    (target / "notes.txt").write_text("keep me")
    code, out, err = new(capsys, "process_writes", str(target))
    assert code == 1
    assert out == ""
    assert err.count("already exist") == 1
    assert "--force" in err
    assert tree(target) == {"manifest.toml": b"pre-existing", "notes.txt": b"keep me"}

    (target / "hp.py").write_text("pre-existing")
    code, _, _ = new(capsys, "process_writes", str(target), "--force")
    assert code == 0
    assert b'name = "hp"' in (target / "manifest.toml").read_bytes()
    assert b"def process_writes(" in (target / "hp.py").read_bytes()
    assert (target / "notes.txt").read_text() == "keep me"
    assert sorted(tree(target)) == ["README.md", "hp.py", "manifest.toml", "notes.txt"]


@pytest.mark.parametrize("other", ["helper.py", "__init__.py", ".py", "Hp.py"])
@pytest.mark.parametrize("force", [False, True])
def test_another_top_level_python_file_is_refused_even_with_force(
    other: str, force: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "hp"
    target.mkdir()
    (target / other).write_text("legacy")
    argv = ["process_writes", str(target), "--json", *(["--force"] if force else [])]
    code, out, _ = new(capsys, *argv)
    assert code == 1
    error = json.loads(out)["error"]
    assert error["code"] == "new::conflicting_entry_point"
    assert other in error["message"]
    assert tree(target) == {other: b"legacy"}


def test_python_files_below_the_root_do_not_conflict(tmp_path: Path) -> None:
    (tmp_path / "hp" / "tests").mkdir(parents=True)
    (tmp_path / "hp" / "tests" / "test_hp.py").write_text("def test(): pass\n")
    scaffold("process_writes", tmp_path / "hp")
    assert validate_plugin(tmp_path / "hp").diagnostics == ()


def test_the_other_formats_manifest_is_refused(tmp_path: Path) -> None:
    scaffold("plugin-yaml", tmp_path / "a")
    with pytest.raises(ScaffoldError) as caught:
        scaffold("process_writes", tmp_path / "a", force=True)
    assert caught.value.code == "new::conflicting_manifest"
    scaffold("process_writes", tmp_path / "b")
    with pytest.raises(ScaffoldError) as caught:
        scaffold("plugin-yaml", tmp_path / "b", force=True)
    assert caught.value.code == "new::conflicting_manifest"
    assert not (tmp_path / "b" / "plugin.yaml").exists()


def test_a_sibling_of_another_spelling_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Geo_Lookup").mkdir()
    code, out, _ = new(capsys, "process_writes", str(tmp_path / "geo-lookup"), "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "usage::sibling_canonical_collision"
    assert "Geo_Lookup" in error["message"]
    assert not (tmp_path / "geo-lookup").exists()
    # --name decides, not the directory's name
    with pytest.raises(ScaffoldError) as caught:
        scaffold("plugin-yaml", tmp_path / "elsewhere", name="GEO-lookup")
    assert caught.value.code == "usage::sibling_canonical_collision"


def test_siblings_that_do_not_collide(tmp_path: Path) -> None:
    (tmp_path / "geo_lookup").mkdir()  # the same spelling: not a collision
    (tmp_path / "Wind-Chill").write_text("a file, not a plugin directory")
    (tmp_path / "Target").mkdir()  # the target itself is not its own sibling
    scaffold("process_writes", tmp_path / "x", name="geo_lookup")
    scaffold("process_writes", tmp_path / "y", name="wind_chill")
    scaffold("process_writes", tmp_path / "Target", name="target")


def test_a_target_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p").write_text("x")
    code, _, err = new(capsys, "process_writes", str(tmp_path / "p"))
    assert code == 1
    assert "not a directory" in err
    assert (tmp_path / "p").read_text() == "x"


@pytest.mark.parametrize(
    ("path", "code", "wire"),
    [
        ("a\0b", 2, "usage::invalid_target"),
        ("/", 1, "new::derived_name_unavailable"),
        ("x" * 300, 1, "new::scaffold_failed"),
    ],
)
def test_a_path_that_cannot_be_a_plugin_directory(
    path: str, code: int, wire: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = [] if wire == "new::derived_name_unavailable" else ["--name", "ok"]
    result = new(capsys, "process_writes", str(tmp_path / path), *name, "--json")
    assert result[0] == code
    assert json.loads(result[1])["error"]["code"] == wire


def test_a_file_appearing_meanwhile_is_not_clobbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scaffold_module._write_temp

    def someone_else_writes_readme(temp: Path, data: bytes) -> None:
        real(temp, data)
        if temp.name.startswith(".README.md."):
            (temp.parent / "README.md").write_text("theirs")

    monkeypatch.setattr(scaffold_module, "_write_temp", someone_else_writes_readme)
    with pytest.raises(ScaffoldError) as caught:
        scaffold("process_writes", tmp_path / "p")
    assert caught.value.code == "new::already_exists"
    assert tree(tmp_path / "p") == {"README.md": b"theirs"}


# -- links -------------------------------------------------------------------------------------


@needs_symlinks
def test_a_link_named_like_a_written_file_is_never_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text("theirs")
    target = tmp_path / "p"
    target.mkdir()
    (target / "manifest.toml").symlink_to(outside)
    code, _, err = new(capsys, "process_writes", str(target))
    assert code == 1
    assert "manifest.toml" in err
    assert outside.read_text() == "theirs"
    assert sorted(os.listdir(target)) == ["manifest.toml"]

    assert new(capsys, "process_writes", str(target), "--force")[0] == 0
    assert outside.read_text() == "theirs"
    assert not (target / "manifest.toml").is_symlink()
    assert validate_plugin(target).diagnostics == ()


@needs_symlinks
def test_a_linked_directory_on_the_way_is_refused_even_with_force(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "p"
    target.mkdir()
    (target / "skills").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ScaffoldError) as caught:
        scaffold("plugin-yaml", target, force=True)
    assert caught.value.code == "new::conflicting_path"
    assert "symbolic link" in caught.value.message
    assert not caught.value.usage
    assert list(elsewhere.iterdir()) == []
    assert sorted(os.listdir(target)) == ["skills"]


@needs_symlinks
def test_a_linked_python_file_is_no_entry_point_conflict(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("x = 1\n")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "helper.py").symlink_to(tmp_path / "lib.py")
    scaffold("process_writes", tmp_path / "p")  # the SDK's rule: links are never selected
    assert validate_plugin(tmp_path / "p").entry_point == "p.py"


# -- all or nothing ----------------------------------------------------------------------------


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scaffold_module._write_temp
    calls: list[Path] = []

    def third_fails(temp: Path, data: bytes) -> None:
        calls.append(temp)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(temp))
        real(temp, data)

    monkeypatch.setattr(scaffold_module, "_write_temp", third_fails)
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError) as caught:
        scaffold("plugin-yaml", tmp_path / "kept")
    assert caught.value.code == "new::scaffold_failed"
    assert "No space left on device" in caught.value.message
    assert tree(tmp_path / "kept") == {"notes.txt": b"mine"}
    assert os.listdir(tmp_path / "kept") == ["notes.txt"]  # no skills/ directory either

    calls.clear()
    with pytest.raises(ScaffoldError):
        scaffold("process_writes", tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists()  # the directories it created are gone too


def test_a_failed_rename_removes_what_it_placed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    renames: list[str] = []

    def no_links(src: Any, dst: Any) -> None:
        raise OSError(errno.EPERM, "hard links are not supported here")

    def third_fails(src: Any, dst: Any) -> None:
        renames.append(os.fspath(dst))
        if len(renames) == 3:
            raise OSError(errno.EBUSY, "Device or resource busy", os.fspath(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(os, "replace", third_fails)
    (tmp_path / "p").mkdir()
    with pytest.raises(ScaffoldError):
        scaffold("process_writes", tmp_path / "p")
    assert os.listdir(tmp_path / "p") == []
    assert len(renames) == 3  # the first two were placed, then taken back


def test_without_hard_links_a_plugin_is_still_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: Any, dst: Any) -> None:
        raise OSError(errno.EPERM, "hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    scaffold("process_request", tmp_path / "p")
    assert sorted(os.listdir(tmp_path / "p")) == ["README.md", "manifest.toml", "p.py"]


# -- output ------------------------------------------------------------------------------------


def test_new_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = new(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Template", "Name", "Short", "Name", "Format"]
    assert [line.split()[-2] for line in lines[2:]] == TEMPLATES
    code, out, _ = new(capsys, "list", "--json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "templates": [
            {"name": t.name, "short_name": t.short_name, "format": t.format} for t in templates()
        ],
    }
    assert [t["short_name"] for t in json.loads(out)["templates"]] == [
        "process_writes",
        "process_scheduled_call",
        "process_request",
        "plugin-yaml",
    ]


def test_unknown_template_and_flags_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert new(capsys, "garbage", str(tmp_path / "p"))[0] == 2
    assert new(capsys, "list", "--force")[0] == 2
    assert new(capsys)[0] == 2
    with pytest.raises(ScaffoldError) as caught:
        scaffold("index", tmp_path / "p")
    assert caught.value.code == "usage::unknown_template"
    assert not (tmp_path / "p").exists()


def test_json_failure_is_one_document_with_code_and_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "README.md").write_text("x")
    code, out, err = new(capsys, "process_writes", str(tmp_path / "p"), "--json")
    assert code == 1
    assert err == ""
    document = json.loads(out)
    message = document["error"]["message"]
    assert document == {"ok": False, "error": {"code": "new::already_exists", "message": message}}
    assert message.startswith("README.md already exists in ")
    assert "\n" not in message


def test_printed_paths_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if sys.platform == "win32":
        pytest.skip("Windows file names cannot hold control characters")
    target = tmp_path / "evil\x1b[2J\n::warning::x" / "demo"
    code, out, _ = new(capsys, "process_writes", str(target))
    assert code == 0
    assert "\x1b" not in out
    assert "\\x1b[2J\\x0a::warning::x" in out
    assert not any(line.startswith("::") for line in out.splitlines())


def test_quoted_values_read_back_in_toml_and_yaml() -> None:
    for value in ['a"b\\c', "tab\there", "line\nbreak", "\x7f\x85\u2028", "😀 é"]:
        assert tomllib.loads(f"v = {quoted(value)}")["v"] == value
        assert yaml.safe_load(f"v: {quoted(value)}")["v"] == value


@settings(max_examples=200, deadline=None)
@given(value=st.text(alphabet=st.characters(blacklist_categories=["Cs"])))
def test_quoted_round_trips_anything(value: str) -> None:
    text = quoted(value)
    assert text.isascii()
    assert tomllib.loads(f"v = {text}")["v"] == value
    assert yaml.safe_load(f"v: {text}")["v"] == value


# -- package data ------------------------------------------------------------------------------


def test_templates_are_package_data_that_ships() -> None:
    from importlib import resources

    base = resources.files("plugin_build") / "templates"
    used = [
        "manifest.toml.tmpl",
        "README.md.tmpl",
        *(f"{trigger}.py.tmpl" for trigger in TRIGGERS),
        *(res for _, res, _ in scaffold_module._PLUGIN_YAML_FILES),
    ]
    for name in used:
        assert (base / name).is_file(), name
    on_disk = sorted(
        p.relative_to(ROOT / "src/plugin_build/templates").as_posix()
        for p in (ROOT / "src/plugin_build/templates").rglob("*")
        if p.is_file()
    )
    assert on_disk == sorted(used)  # every template file is used, none is forgotten
    from plugin_build import manifest

    assert scaffold_module.MANIFEST_FILE == manifest.MANIFEST_FILE
    assert scaffold_module.PLUGIN_YAML == manifest.PLUGIN_YAML
    # hatchling puts every file of the package directory in the wheel unless
    # .gitignore (or an exclude) says otherwise
    import pathspec

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["src/plugin_build"]
    assert "exclude" not in wheel
    assert "only-include" not in wheel
    sdist = pyproject["tool"]["hatch"]["build"]["targets"]["sdist"]
    assert "src/" in sdist["include"]
    ignored = pathspec.GitIgnoreSpec.from_lines(
        (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    )
    shipped = [f"src/plugin_build/templates/{name}" for name in on_disk]
    assert [p for p in shipped if ignored.match_file(p)] == []


# -- no input makes `new` crash ----------------------------------------------------------------

_NAMES = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,66}", fullmatch=True),
    st.text(max_size=20),
    st.sampled_from(["con", "Nul", "com1", "lpt9", "class", "None", "-", "--force", "a-"]),
)
_COMPONENT = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,66}", fullmatch=True),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/\\"),
        max_size=20,
    ).filter(lambda s: s not in (".", "..")),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    template=st.sampled_from(TEMPLATES),
    name=st.none() | _NAMES,
    parts=st.lists(_COMPONENT, min_size=0, max_size=2),
)
def test_no_name_or_path_makes_new_crash(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    template: str,
    name: str | None,
    parts: list[str],
) -> None:
    """Exit 0, 1 or 2 and one clear line, never a traceback; what is accepted validates."""
    work = tmp_path_factory.mktemp("new")
    path = os.path.join(work, *parts)
    argv = ["new", template, path, *(["--name", name] if name is not None else [])]
    code = main(argv)
    out, err = capsys.readouterr()
    event(f"exit {code}")
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    assert "internal error" not in err
    if code != 0:
        assert out == ""
        assert err.startswith("plugin-build: error: ")
        return
    target = Path(os.path.abspath(path))
    report = validate_plugin(target)
    assert report.diagnostics == ()
    assert report.name == (name if name is not None else target.name)


def test_the_readmes_example_session_is_what_new_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Start a plugin: plugin-build new\n", 1)[1].split("\n## ", 1)[0]
    session = next(b for b in section.split("```")[1::2] if b.lstrip("\n").startswith("$ "))
    command, *printed = session.strip("\n").splitlines()
    argv = command.removeprefix("$ plugin-build ").split()
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0
    shown = [line.replace("plugins/wind-gust", native("plugins/wind-gust")) for line in printed]
    assert capsys.readouterr().out.splitlines() == shown
