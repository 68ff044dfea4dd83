"""Directory validation: the SDK's fixture verdicts (CONFORMANCE §2.8) and SPEC §3."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plugin_build.diagnostics import Code
from plugin_build.validate import PluginReport, validate_plugin, validate_plugins

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
EXAMPLES = Path(__file__).parent.parent / "examples"

MANIFEST = """\
manifest_schema_version = "1.3"

[plugin]
name = "{name}"
version = "{version}"
description = "Test plugin."
triggers = {triggers}
{extra}
[dependencies]
database_version = ">=3.0.0"
"""
SYNC = "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
ASYNC = "async " + SYNC


def make_plugin(
    root: Path,
    files: dict[str, str] | None = None,
    *,
    name: str = "demo",
    version: str = "0.1.0",
    triggers: str = '["process_writes"]',
    extra: str = "",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    manifest = MANIFEST.format(name=name, version=version, triggers=triggers, extra=extra)
    (root / "manifest.toml").write_text(manifest)
    for rel, text in (files if files is not None else {"__init__.py": SYNC}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def codes(report: PluginReport) -> list[str]:
    return [d.code for d in report.diagnostics]


def error_codes(report: PluginReport) -> list[str]:
    return [d.code for d in report.diagnostics if d.is_error]


# -- the SDK's own fixtures: verdict and diagnostics ---------------------------

SDK_FIXTURES: dict[str, list[tuple[str, str | None]]] = {
    "valid_plugin": [],
    "valid_single_file_plugin": [],
    "ambiguous_entry_point": [(Code.ENTRY_POINT_AMBIGUOUS, None)],
    "async_trigger": [(Code.TRIGGER_ASYNC, "__init__.py")],
    "bad_python_syntax": [(Code.PYTHON_SYNTAX, "__init__.py")],
    "missing_init": [(Code.ENTRY_POINT_MISSING, None)],
    "missing_manifest": [(Code.MANIFEST_MISSING, None)],
    "missing_trigger_impl": [(Code.TRIGGER_MISSING, "__init__.py")],
    "multi_cross_file_defect": [
        (Code.TRIGGER_ASYNC, "__init__.py"),
        (Code.TRIGGER_MISSING, "__init__.py"),
    ],
    "no_entry_point": [(Code.ENTRY_POINT_MISSING, None)],
    "single_file_async_trigger": [(Code.TRIGGER_ASYNC, "my_plugin.py")],
    "single_file_bad_syntax": [(Code.PYTHON_SYNTAX, "my_plugin.py")],
    "single_file_missing_trigger": [(Code.TRIGGER_MISSING, "my_plugin.py")],
}


@pytest.mark.parametrize("fixture", sorted(SDK_FIXTURES))
def test_sdk_fixture(fixture: str) -> None:
    report = validate_plugin(FIXTURES / fixture)
    assert [(d.code, d.path) for d in report.diagnostics] == SDK_FIXTURES[fixture]
    assert report.ok is (SDK_FIXTURES[fixture] == [])


def test_valid_plugin_reports_its_entry_point_and_triggers() -> None:
    report = validate_plugin(FIXTURES / "valid_plugin")
    assert (report.name, report.version, report.entry_point, report.triggers) == (
        "valid-plugin",
        "0.1.0",
        "__init__.py",
        ("process_writes",),
    )
    single = validate_plugin(FIXTURES / "valid_single_file_plugin")
    assert single.entry_point == "my_plugin.py"


def test_ambiguous_lists_the_files_sorted() -> None:
    (diag,) = validate_plugin(FIXTURES / "ambiguous_entry_point").diagnostics
    assert diag.message.index("bar.py") < diag.message.index("foo.py")


def test_async_trigger_points_at_the_def() -> None:
    (diag,) = validate_plugin(FIXTURES / "async_trigger").diagnostics
    assert (diag.line, diag.column) == (1, 1)


def test_bad_syntax_has_line_and_column() -> None:
    (diag,) = validate_plugin(FIXTURES / "bad_python_syntax").diagnostics
    assert diag.line == 1
    assert diag.column is not None


@pytest.mark.parametrize("example", ["wind-chill", "threshold-alert", "betty-lite"])
def test_bundled_examples_are_valid(example: str) -> None:
    report = validate_plugin(EXAMPLES / example)
    assert report.diagnostics == ()


# -- the SDK's additional pinned behaviours ------------------------------------


def test_empty_directory_reports_only_the_missing_manifest(tmp_path: Path) -> None:
    assert codes(validate_plugin(tmp_path)) == [Code.MANIFEST_MISSING]


def test_malformed_manifest_with_two_py_files_reports_only_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text("not toml [")
    (tmp_path / "a.py").write_text(SYNC)
    (tmp_path / "b.py").write_text(SYNC)
    assert codes(validate_plugin(tmp_path)) == [Code.MANIFEST_SYNTAX]


def test_exclude_all_py_gives_no_entry_point(tmp_path: Path) -> None:
    make_plugin(tmp_path, extra='exclude = ["*.py"]')
    assert codes(validate_plugin(tmp_path)) == [Code.ENTRY_POINT_MISSING]


def test_excluding_the_manifest_is_reported(tmp_path: Path) -> None:
    make_plugin(tmp_path, extra='exclude = ["manifest.toml"]')
    assert codes(validate_plugin(tmp_path)) == [Code.MANIFEST_MISSING]


def test_exclude_resolves_an_ambiguity(tmp_path: Path) -> None:
    make_plugin(tmp_path, {"a.py": SYNC, "b.py": SYNC}, extra='exclude = ["b.py"]')
    report = validate_plugin(tmp_path)
    assert report.ok
    assert report.entry_point == "a.py"


def test_only_nested_py_is_no_entry_point(tmp_path: Path) -> None:
    make_plugin(tmp_path, {"pkg/helper.py": SYNC})
    assert codes(validate_plugin(tmp_path)) == [Code.ENTRY_POINT_MISSING]


def test_directory_named_like_a_module_is_not_an_entry_point(tmp_path: Path) -> None:
    make_plugin(tmp_path, {"foo.py/inner.txt": "x"})
    assert codes(validate_plugin(tmp_path)) == [Code.ENTRY_POINT_MISSING]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinked_entry_points_do_not_count(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / "p", {"real.py": SYNC})
    outside = tmp_path / "outside.py"
    outside.write_text(SYNC)
    (plugin / "link.py").symlink_to(outside)
    (plugin / "__init__.py").symlink_to(tmp_path / "dangling")
    report = validate_plugin(plugin)
    assert report.ok
    assert report.entry_point == "real.py"


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinked_manifest_is_reported_as_missing(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / "p")
    real = tmp_path / "manifest.real"
    (plugin / "manifest.toml").rename(real)
    (plugin / "manifest.toml").symlink_to(real)
    assert codes(validate_plugin(plugin)) == [Code.MANIFEST_MISSING]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_entry_file_is_no_entry_point(tmp_path: Path) -> None:
    make_plugin(tmp_path)
    (tmp_path / "__init__.py").chmod(0)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "plugin_build", "validate", "--json", str(tmp_path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    (diag,) = json.loads(result.stdout)["plugins"][0]["diagnostics"]
    assert diag["code"] == Code.ENTRY_POINT_MISSING
    assert "Permission denied" in diag["message"]


def test_entry_file_that_is_not_utf8_is_no_entry_point(tmp_path: Path) -> None:
    make_plugin(tmp_path)
    (tmp_path / "__init__.py").write_bytes(b"def process_writes(a, b):\n    x = '\xff'\n")
    (diag,) = validate_plugin(tmp_path).diagnostics
    assert diag.code == Code.ENTRY_POINT_MISSING
    assert "UTF-8" in diag.message


# -- going further than the SDK (SPEC §3) ---------------------------------------


def test_field_errors_are_reported_with_cross_file_errors(tmp_path: Path) -> None:
    make_plugin(
        tmp_path,
        {"__init__.py": "async def process_writes(a, b):\n    pass\n"},
        version="1.2",
        extra='homepage = "ftp://bad"',
    )
    assert error_codes(validate_plugin(tmp_path)) == [
        Code.MANIFEST_FIELD,
        Code.MANIFEST_FIELD,
        Code.TRIGGER_ASYNC,
    ]


def test_unknown_trigger_is_reported_once_and_known_ones_still_bind(tmp_path: Path) -> None:
    make_plugin(tmp_path, {"__init__.py": "x = 1\n"}, triggers='["on_startup", "process_writes"]')
    assert [(d.code, d.field or d.path) for d in validate_plugin(tmp_path).diagnostics] == [
        (Code.MANIFEST_FIELD, "plugin.triggers[0]"),
        (Code.TRIGGER_MISSING, "__init__.py"),
    ]


def test_shape_errors_stop_the_cross_file_checks(tmp_path: Path) -> None:
    make_plugin(tmp_path, {}, extra='exclude = "tests"')
    assert codes(validate_plugin(tmp_path)) == [Code.MANIFEST_FIELD]


def test_invalid_exclude_pattern_is_a_diagnostic_on_the_pattern(tmp_path: Path) -> None:
    make_plugin(tmp_path, extra='exclude = ["ok/", "[z-a]"]')
    (diag,) = validate_plugin(tmp_path).diagnostics
    assert (diag.code, diag.field, diag.line) == (Code.EXCLUDE_PATTERN, "plugin.exclude[1]", 8)


def test_missing_trigger_defined_in_a_class_says_where(tmp_path: Path) -> None:
    source = "class Plugin:\n    def process_writes(self, a, b):\n        pass\n"
    make_plugin(tmp_path, {"__init__.py": source})
    (diag,) = validate_plugin(tmp_path).diagnostics
    assert diag.code == Code.TRIGGER_MISSING
    assert diag.line == 2
    assert "Plugin" in diag.message


def test_path_too_long(tmp_path: Path) -> None:
    deep = "/".join(["d" * 60] * 4) + "/file.txt"
    make_plugin(tmp_path, {"__init__.py": SYNC, deep: "x"})
    (diag,) = validate_plugin(tmp_path).diagnostics
    assert diag.code == Code.PATH_TOO_LONG
    assert diag.path == deep


def test_suspicious_files_are_warnings(tmp_path: Path) -> None:
    make_plugin(
        tmp_path,
        {
            "__init__.py": SYNC,
            ".env": "TOKEN=x",
            "certs/server.key": "k",
            ".git/HEAD": "ref",
            ".git/config": "",
            "__pycache__/x.cpython-312.pyc": "",
        },
    )
    report = validate_plugin(tmp_path)
    assert report.ok
    warned = sorted(d.path or "" for d in report.diagnostics if d.code == Code.SUSPICIOUS_FILE)
    assert warned == [".env", ".git/", "__pycache__/", "certs/server.key"]


def test_suspicious_files_that_are_excluded_are_not_reported(tmp_path: Path) -> None:
    make_plugin(tmp_path, {"__init__.py": SYNC, ".env": "x"}, extra='exclude = [".env"]')
    assert validate_plugin(tmp_path).diagnostics == ()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the runtime grammar is 3.12+")
def test_python2_print_is_a_runtime_syntax_warning(tmp_path: Path) -> None:
    make_plugin(tmp_path, {"__init__.py": SYNC + "print 'hello'\n"})
    report = validate_plugin(tmp_path)
    (diag,) = report.diagnostics
    assert (diag.code, diag.severity, diag.line) == (Code.PYTHON_RUNTIME_SYNTAX, "warning", 3)
    assert report.ok


def test_both_manifests_present_means_manifest_toml(tmp_path: Path) -> None:
    make_plugin(tmp_path)
    shutil.copy(FIXTURES / "betty_missing_handler" / "plugin.yaml", tmp_path / "plugin.yaml")
    assert validate_plugin(tmp_path).format == "manifest.toml"


# -- plugin.yaml (seed 000) -----------------------------------------------------


def test_betty_missing_handler() -> None:
    report = validate_plugin(FIXTURES / "betty_missing_handler")
    (diag,) = report.diagnostics
    assert diag.code == Code.HANDLER_MISSING
    assert diag.message == (
        "Command 'api/broken': handler not found at skills/api.broken/api_broken.py"
    )
    assert (diag.path, diag.line) == ("plugin.yaml", 12)
    assert not report.ok
    assert report.buildable


def test_betty_bad_yaml_has_a_line() -> None:
    report = validate_plugin(FIXTURES / "betty_bad_yaml")
    (diag,) = report.diagnostics
    assert diag.code == Code.MANIFEST_SYNTAX
    assert diag.line == 5
    assert not report.buildable


def test_betty_unquoted_float_version(tmp_path: Path) -> None:
    (tmp_path / "plugin.yaml").write_text("name: x\nversion: 1.10\n")
    (diag,) = validate_plugin(tmp_path).diagnostics
    assert diag.field == "version"
    assert "quote" in diag.message


@pytest.mark.parametrize(
    "script",
    ["../outside.py", "/etc/passwd", "skills", "skills/a/../../../outside.py", ""],
)
def test_betty_handler_outside_or_not_a_file_is_missing(tmp_path: Path, script: str) -> None:
    (tmp_path / "skills" / "a").mkdir(parents=True)
    (tmp_path.parent / "outside.py").write_text("x")
    (tmp_path / "plugin.yaml").write_text(
        f"name: x\nversion: 1.0.0\ncommands:\n  - name: c\n    handler:\n"
        f"      runtime: python\n      script: '{script}'\n"
    )
    assert codes(validate_plugin(tmp_path)) == [Code.HANDLER_MISSING]


def test_betty_command_without_name_or_runtime(tmp_path: Path) -> None:
    (tmp_path / "h.py").write_text("")
    (tmp_path / "plugin.yaml").write_text(
        "name: x\nversion: 1.0.0\ncommands:\n  - handler:\n      script: h.py\n"
    )
    report = validate_plugin(tmp_path)
    assert [d.field for d in report.diagnostics] == ["commands[0].name", "commands[0].handler"]
    assert report.buildable


def test_many_plugins_validate_in_order_whether_pooled_or_not(tmp_path: Path) -> None:
    roots = [
        make_plugin(tmp_path / f"p{i}", {"__init__.py": ASYNC if i % 2 else SYNC}, name=f"p{i}")
        for i in range(6)
    ]
    pooled = validate_plugins(roots)
    sequential = [validate_plugin(root) for root in roots]
    assert [r.name for r in pooled] == [f"p{i}" for i in range(6)]
    assert [r.diagnostics for r in pooled] == [r.diagnostics for r in sequential]
    assert [r.ok for r in pooled] == [True, False] * 3
