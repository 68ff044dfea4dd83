"""The InfluxDB 3 Explorer metadata rules: docstring, JSON, plugin_type, args configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_build.diagnostics import Code, Diagnostic
from plugin_build.docstring import Docstring, read_docstring
from plugin_build.explorer import check_metadata, explorer_diagnostics, read_metadata
from plugin_build.validate import validate_plugin

REPOSITORY = Path(__file__).parent / "fixtures" / "repository" / "influxdata"
PLUGINS = Path(__file__).parent / "fixtures" / "plugins"
SCHEDULED = ("process_scheduled_call",)


def where(diagnostics: tuple[Diagnostic, ...]) -> list[tuple[str, int | None, int | None]]:
    return [(d.code, d.line, d.column) for d in diagnostics]


def check(source: str, triggers: tuple[str, ...] = SCHEDULED) -> tuple[Diagnostic, ...]:
    return check_metadata(source.encode("utf-8"), "plugin.py", triggers).diagnostics


GOOD = """{
    "plugin_type": ["scheduled"],
    "scheduled_args_config": [
        {"name": "window", "example": "1h", "description": "How far back.", "required": true}
    ]
}"""


# -- the fixture repository (shaped like influxdata/influxdb3_plugins) -----------------------


def test_a_good_plugin_has_no_findings() -> None:
    report = validate_plugin(REPOSITORY / "downsampler")
    assert report.ok
    assert explorer_diagnostics(report) == ()
    metadata = read_metadata(report)
    assert metadata is not None
    assert metadata.plugin_types == ("scheduled", "http")


def test_an_escape_python_removes_is_named_where_it_is_written() -> None:
    """Shaped like the real signal_generator.py: ``\\"`` inside a JSON string example."""
    report = validate_plugin(REPOSITORY / "signal_generator")
    assert report.ok  # valid for the SDK; only the Explorer's reading breaks
    (problem,) = explorer_diagnostics(report)
    assert (problem.code, problem.severity, problem.path) == (
        Code.EXPLORER_DOCSTRING_ESCAPE,
        "error",
        "signal_generator.py",
    )
    assert (problem.line, problem.column) == (7, 27)  # the first \" of the example
    assert '`\\"` is an escape Python removes' in problem.message
    assert "Expecting ',' delimiter at line 7, column 29" in problem.message
    assert 'r"""..."""' in problem.message


def test_plugin_type_and_triggers_are_matched_both_ways() -> None:
    report = validate_plugin(REPOSITORY / "state_change")
    problems = explorer_diagnostics(report)
    assert where(problems) == [
        (Code.EXPLORER_PLUGIN_TYPE, 3, 20),  # the list: process_writes has no "onwrite"
        (Code.EXPLORER_PLUGIN_TYPE, 3, 34),  # "http": no process_request trigger
    ]
    assert "declares the trigger process_writes" in problems[0].message
    assert "add it" in problems[0].message
    assert 'lists "http"' in problems[1].message
    assert "process_request" in problems[1].message


def test_bad_args_config_entries_are_located_at_the_value_or_the_entry() -> None:
    report = validate_plugin(REPOSITORY / "mad_check")
    problems = explorer_diagnostics(report)
    assert where(problems) == [
        (Code.EXPLORER_ARGS_CONFIG, 13, 24),  # "example": 20
        (Code.EXPLORER_ARGS_CONFIG, 15, 25),  # "required": "true"
        (Code.EXPLORER_ARGS_CONFIG, 17, 9),  # the entry lacking description and required
        (Code.EXPLORER_ARGS_CONFIG, 22, 21),  # "measurement" again
    ]
    messages = [p.message for p in problems]
    assert 'write "example": "20"' in messages[0]
    assert 'drop the quotes: "required": true' in messages[1]
    assert 'lacks "description" and "required"' in messages[2]
    assert "configured twice in onwrite_args_config (first at line 6)" in messages[3]


def test_plugin_yaml_plugins_are_not_explorer_plugins() -> None:
    report = validate_plugin(PLUGINS / "betty_missing_handler")
    assert report.format == "plugin.yaml"
    assert read_metadata(report) is None
    assert explorer_diagnostics(report) == ()


def test_nothing_is_reported_when_validate_found_no_entry_point() -> None:
    report = validate_plugin(PLUGINS / "no_entry_point")
    assert report.entry_point is None
    assert explorer_diagnostics(report) == ()


def test_the_fixture_entry_points_parse_as_python() -> None:
    """The fixtures are plugins a person would write: the runtime accepts them."""
    for entry in REPOSITORY.glob("*/*.py"):
        compile(entry.read_bytes(), str(entry), "exec")


# -- the docstring ---------------------------------------------------------------------------


def test_no_docstring() -> None:
    problems = check("# a comment\n\nimport os\n")
    assert where(problems) == [(Code.EXPLORER_DOCSTRING_MISSING, 3, 1)]
    assert "does not begin with a docstring" in problems[0].message


@pytest.mark.parametrize(
    "source",
    ['b"""{}"""\n', 'f"""{{}}"""\n', '"""{}""".strip()\n'],
    ids=["bytes", "f-string", "expression"],
)
def test_what_python_does_not_call_a_docstring(source: str) -> None:
    assert where(check(source)) == [(Code.EXPLORER_DOCSTRING_MISSING, 1, 1)]


def test_a_docstring_in_parts_is_refused() -> None:
    problems = check('"""{"plugin_type": """ \'["scheduled"]}\'\n')
    assert where(problems) == [(Code.EXPLORER_DOCSTRING_MISSING, 1, 1)]
    assert "one plain string literal" in problems[0].message


def test_an_unterminated_docstring() -> None:
    problems = check('"""\n{"plugin_type": ["scheduled"]}\n')
    assert where(problems) == [(Code.EXPLORER_DOCSTRING_MISSING, 1, 1)]
    assert "EOF in multi-line string" in problems[0].message


def test_the_rest_of_the_file_does_not_matter() -> None:
    """Only the first statement is parsed: Python 2 code below the docstring is validate's
    business, not the Explorer's."""
    assert check(f'"""{GOOD}"""\nprint "hello"\n') == ()


def test_a_shebang_comments_and_a_bom_may_come_first() -> None:
    source = f'#!/usr/bin/env python3\n# comment\n"""{GOOD}"""\n'
    assert check_metadata(b"\xef\xbb\xbf" + source.encode(), "p.py", SCHEDULED).diagnostics == ()


def test_a_json_syntax_error_is_mapped_to_the_file() -> None:
    source = '"""\n{\n    "plugin_type": ["scheduled"],  # Supported values\n}\n"""\n'
    problems = check(source)
    assert where(problems) == [(Code.EXPLORER_JSON, 3, 36)]
    assert "JSON has no comments" in problems[0].message


def test_a_trailing_comma() -> None:
    problems = check('"""{"plugin_type": ["scheduled",]}"""\n')
    assert where(problems) == [(Code.EXPLORER_JSON, 1, 33)]
    assert "trailing comma" in problems[0].message


def test_columns_count_characters_not_bytes() -> None:
    problems = check('"""{"plugin_type": ["scheduled"], "é": ]}"""\n')
    assert where(problems) == [(Code.EXPLORER_JSON, 1, 40)]  # 41 in bytes


def test_crlf_line_ends() -> None:
    source = '"""\r\n{\r\n  "plugin_type": ["scheduled"]\r\n  "x": 1\r\n}\r\n"""\r\n'
    assert where(check(source)) == [(Code.EXPLORER_JSON, 4, 3)]


def test_an_empty_docstring() -> None:
    problems = check('""""""\n')
    assert where(problems) == [(Code.EXPLORER_JSON, 1, 4)]
    assert "empty" in problems[0].message


def test_the_metadata_must_be_an_object() -> None:
    problems = check('"""\n["scheduled"]\n"""\n')
    assert where(problems) == [(Code.EXPLORER_JSON, 2, 1)]
    assert "must be a JSON object" in problems[0].message


def test_nan_is_not_json() -> None:
    problems = check('"""{"plugin_type": ["scheduled"], "x": [NaN]}"""\n')
    assert where(problems) == [(Code.EXPLORER_JSON, 1, 41)]


def test_a_raw_docstring_reads_the_same_both_ways() -> None:
    source = 'r"""{"plugin_type": ["scheduled"], "note": "a \\"quoted\\" \\\\d+"}"""\n'
    assert check(source) == ()


def test_the_file_text_fails_where_python_reads_json() -> None:
    """``\\'`` is a Python escape and not a JSON one: only the raw reading fails."""
    problems = check('"""{"plugin_type": ["scheduled"], "note": "it\\\'s"}"""\n')
    assert where(problems) == [(Code.EXPLORER_DOCSTRING_ESCAPE, 1, 46)]  # the backslash
    assert "file's text between the quotes is not valid JSON" in problems[0].message
    assert "Python turns the escape `\\'` into `'`" in problems[0].message


def test_readings_that_both_parse_but_differ_are_a_warning() -> None:
    """A regex example written ``\\\\\\\\d`` (like the real mqtt_subscriber.py): JSON either
    way, but one reader shows ``\\\\d`` and the other ``\\d``."""
    problems = check('"""{"plugin_type": ["scheduled"], "regex": "(\\\\\\\\d+)"}"""\n')
    assert [(d.code, d.severity, d.line, d.column) for d in problems] == [
        (Code.EXPLORER_DOCSTRING_ESCAPE, "warning", 1, 46)
    ]


def test_a_newline_escape_breaks_the_python_reading() -> None:
    problems = check('"""{"plugin_type": ["scheduled"], "x": "a\\nb"}"""\n')
    assert where(problems) == [(Code.EXPLORER_DOCSTRING_ESCAPE, 1, 42)]
    assert "(it reads a line break)" in problems[0].message


def test_both_readings_broken_reports_the_json_error() -> None:
    problems = check('"""{"plugin_type": ["scheduled"] "x": 1}"""\n')
    assert where(problems) == [(Code.EXPLORER_JSON, 1, 34)]


def test_a_unicode_escape_means_the_same_to_both() -> None:
    assert check('"""{"plugin_type": ["scheduled"], "x": "caf\\u00e9"}"""\n') == ()


# -- plugin_type -----------------------------------------------------------------------------


def test_plugin_type_missing() -> None:
    problems = check('"""\n{}\n"""\n', ("process_writes", "process_request"))
    assert where(problems) == [(Code.EXPLORER_PLUGIN_TYPE, 2, 1)]
    assert 'add "plugin_type": ["onwrite", "http"]' in problems[0].message


@pytest.mark.parametrize(
    ("value", "column", "words"),
    [
        ("[]", 20, "plugin_type is empty"),
        ('"scheduled"', 20, 'not a list; write ["scheduled"]'),
        ('["scheduler"]', 21, 'unknown plugin type "scheduler" (did you mean "scheduled"?)'),
        ('["data_writes"]', 21, '(did you mean "onwrite"?)'),
        ("[1]", 21, "items are strings"),
    ],
)
def test_plugin_type_values(value: str, column: int, words: str) -> None:
    """One finding each: an unknown type's hint makes "scheduled is missing" redundant."""
    problems = check(f'"""{{"plugin_type": {value}}}"""\n')
    assert where(problems) == [(Code.EXPLORER_PLUGIN_TYPE, 1, column)]
    assert words in problems[0].message


def test_plugin_type_listed_twice() -> None:
    problems = check('"""{"plugin_type": ["scheduled", "scheduled"]}"""\n')
    assert where(problems) == [(Code.EXPLORER_PLUGIN_TYPE, 1, 34)]
    assert "twice" in problems[0].message


def test_metadata_of_a_valid_plugin_type() -> None:
    metadata = check_metadata(f'"""{GOOD}"""\n'.encode(), "p.py", SCHEDULED)
    assert metadata.plugin_types == ("scheduled",)
    assert metadata.document is not None
    assert "scheduled_args_config" in metadata.document
    broken = check_metadata(b'"""{"plugin_type": ["http"]}"""\n', "p.py", SCHEDULED)
    assert broken.plugin_types == ()


# -- args configs ----------------------------------------------------------------------------


def test_a_misspelt_args_config() -> None:
    problems = check('"""{"plugin_type": ["scheduled"], "scheduler_args_config": []}"""\n')
    assert where(problems) == [(Code.EXPLORER_ARGS_CONFIG, 1, 60)]
    assert "did you mean scheduled_args_config?" in problems[0].message


def test_other_keys_are_the_plugins_own() -> None:
    """Real plugins add http_body_config and http_headers_config."""
    source = '"""{"plugin_type": ["scheduled"], "http_body_config": [{"x": 1}]}"""\n'
    assert check(source) == ()


def test_an_args_config_for_a_type_not_listed() -> None:
    source = (
        '"""{"plugin_type": ["scheduled"], "http_args_config": '
        '[{"name": "a", "example": "b", "description": "c", "required": false}]}"""\n'
    )
    problems = check(source)
    assert where(problems) == [(Code.EXPLORER_ARGS_CONFIG, 1, 55)]
    assert 'add "http" to plugin_type or remove http_args_config' in problems[0].message
    assert check('"""{"plugin_type": ["scheduled"], "http_args_config": []}"""\n') == ()


def test_an_args_config_that_is_not_a_list_of_objects() -> None:
    assert where(check('"""{"plugin_type": ["scheduled"], "scheduled_args_config": {}}"""\n')) == [
        (Code.EXPLORER_ARGS_CONFIG, 1, 60)
    ]
    problems = check('"""{"plugin_type": ["scheduled"], "scheduled_args_config": ["a"]}"""\n')
    assert where(problems) == [(Code.EXPLORER_ARGS_CONFIG, 1, 61)]
    assert 'not the string "a"' in problems[0].message


def test_empty_name_and_description() -> None:
    entry = '{"name": "", "example": "", "description": " ", "required": true}'
    problems = check(
        f'"""{{"plugin_type": ["scheduled"], "scheduled_args_config": [{entry}]}}"""\n'
    )
    assert [(d.line, d.column) for d in problems] == [(1, 70), (1, 104)]
    assert all("is empty" in d.message for d in problems)


# -- robustness ------------------------------------------------------------------------------


def test_a_deeply_nested_docstring() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert where(check(f'"""{deep}"""\n'))[0][0] == Code.EXPLORER_JSON


def test_the_entry_point_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = f'"""{GOOD}"""\nopen({str(marker)!r}, "w").close()\n'
    assert check(source) == ()
    assert not marker.exists()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.sampled_from(['"""', "'''", 'r"""', '"', "u'"]))
def test_no_docstring_text_crashes_the_checker(text: str, quote: str) -> None:
    closing = quote.lstrip("ru")
    source = f"{quote}{text}{closing}\n"
    for diagnostic in check(source, ("process_writes",)):
        assert diagnostic.line is not None
        assert diagnostic.line >= 1
        assert diagnostic.column is not None
        assert diagnostic.column >= 1
        assert diagnostic.message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["plugin_type", "scheduled_args_config", "http_args_config", "name", "required"]
            )
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.booleans())
def test_no_json_document_crashes_the_checker(document: object, raw: bool) -> None:
    text = json.dumps(document, indent=2)
    source = f'{"r" if raw else ""}"""\n{text}\n"""\n'
    for diagnostic in check(source, ("process_scheduled_call", "process_request")):
        assert diagnostic.line is not None
        assert 2 <= diagnostic.line <= text.count("\n") + 2


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_source_text_crashes_the_checker(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_offsets_map_back_to_where_they_were_written(text: str) -> None:
    """For every character of the Python reading, the raw offset names the place it
    was written: the same character, or the backslash of its escape."""
    literal = json.dumps(text)  # a Python-compatible literal with \" \\ \n \uXXXX escapes
    found = read_docstring(f'"""{literal[1:-1]} """\n')
    if not isinstance(found, Docstring):
        return
    for offset, char in enumerate(found.value):
        written = found.raw[found.raw_offset(offset)]
        assert written in (char, "\\")


# -- --explorer on every face: validate, build, the hook, the action -----------------------


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    import shutil

    shutil.copytree(REPOSITORY.parent, tmp_path / "repo")
    return tmp_path / "repo"


def test_validate_explorer_reports_the_rules_and_without_it_nothing(repository: Path) -> None:
    from conftest import run_cli

    plain = run_cli("validate", "influxdata", cwd=repository)
    assert plain.returncode == 0, plain.stdout
    checked = run_cli("validate", "influxdata", "--explorer", cwd=repository)
    assert checked.returncode == 1
    codes = {line.split("[", 1)[1].split("]", 1)[0] for line in checked.stdout.splitlines()[:-1]}
    assert codes == {
        Code.EXPLORER_ARGS_CONFIG,
        Code.EXPLORER_DOCSTRING_ESCAPE,
        Code.EXPLORER_PLUGIN_TYPE,
    }
    assert (
        "influxdata/signal_generator/signal_generator.py:7:27: error[explorer-docstring-escape]"
        in checked.stdout
    )


def test_build_explorer_refuses_a_broken_docstring_and_builds_a_good_one(
    repository: Path,
) -> None:
    from conftest import run_cli

    broken = run_cli("build", "influxdata/signal_generator", "--explorer", cwd=repository)
    assert broken.returncode == 1
    assert "error[explorer-docstring-escape]" in broken.stderr
    assert not (repository / "dist").exists() or not any((repository / "dist").glob("*.tar.gz"))
    good = run_cli("build", "influxdata/downsampler", "--explorer", cwd=repository)
    assert good.returncode == 0, good.stderr


def test_the_hook_takes_explorer_as_an_arg(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from plugin_build.hook import main as hook_main

    monkeypatch.chdir(repository)
    touched = "influxdata/signal_generator/signal_generator.py"
    assert hook_main([touched]) == 0
    capsys.readouterr()
    assert hook_main(["--explorer", touched]) == 1
    assert "error[explorer-docstring-escape]" in capsys.readouterr().out


def test_the_action_input_explorer(repository: Path) -> None:
    from test_action import run_action

    inputs = {"PATH": "influxdata/state_change", "BUILD": "false", "UPLOAD": "false"}
    result, outputs, _ = run_action(repository, inputs)
    assert result.returncode == 0, result.stdout
    result, outputs, summary = run_action(repository, {**inputs, "EXPLORER": "true"})
    assert result.returncode == 1
    assert outputs["ok"] == "false"
    assert "title=explorer-plugin-type::" in result.stdout
    assert "`explorer-plugin-type`" in summary
