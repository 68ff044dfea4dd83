"""TOML syntax errors in words: what is wrong, where the fix goes, never a crash."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin_build.manifest import parse_manifest
from plugin_build.tomlwords import explain

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

GOOD = """\
manifest_schema_version = "1.3"
[plugin]
name = "p"
version = "0.1.0"
description = "d"
triggers = ["process_writes"]
[dependencies]
database_version = ">=3.0.0"
"""


def _problem(text: str) -> tuple[int | None, int | None, str]:
    (diag,) = parse_manifest(text.encode()).diagnostics
    assert diag.code == "manifest-syntax"
    prefix = "manifest.toml is not valid TOML: "
    assert diag.message.startswith(prefix)
    return diag.line, diag.column, diag.message.removeprefix(prefix)


@pytest.mark.parametrize(
    ("before", "after", "line", "column", "words"),
    [
        ('"d"', '"d', 5, 15, 'unterminated string: the " here has no closing " on its line'),
        ('"d"', "'d", 5, 15, "unterminated literal string: the ' here has no closing '"),
        ('"d"', '"""d', 5, 15, 'unterminated multi-line string: the """ here has no closing'),
        ('description = "d"', 'description "d"', 5, 13, "'=' is missing after the key description"),
        ('"d"', "d", 5, 15, "the value of description is not a TOML value: text needs quotes"),
        ('"d"', '"d" x', 5, 19, "unexpected text after the value"),
        ('"d"', '"C:\\path"', 5, 18, "and \\p is not one; double the backslash"),
        ('"d"', '"a\x01"', 5, 17, "U+0001 (a control character) cannot be written in TOML"),
        ('["process_writes"]', '["process_writes"', 7, 1, "an array is not closed"),
        ("[dependencies]", "[dependencies", 7, 14, "the table header is not closed"),
    ],
)
def test_syntax_errors_say_what_is_wrong_where_the_fix_goes(
    before: str, after: str, line: int, column: int, words: str
) -> None:
    text = GOOD.replace(before, after, 1)
    assert _problem(text)[:2] == (line, column)
    assert words in _problem(text)[2]


def test_a_key_set_twice_is_named_at_the_second_one() -> None:
    line, column, words = _problem(GOOD + 'database_version = ">=3.1.0"\n')
    assert (line, column) == (9, 1)
    assert words.startswith("database_version is set a second time here")


def test_a_table_declared_twice_is_named() -> None:
    assert "the table [plugin] is declared a second time" in _problem(GOOD + "[plugin]\n")[2]


def test_an_unterminated_string_is_found_past_closed_ones_and_comments() -> None:
    text = '# a "comment\nkey = """multi\nline"""\nother = \'x\' # \'\nbad = "open\n'
    problem = explain(text, _error(text))
    assert (problem.line, problem.column) == (5, 7)
    assert problem.message.startswith("unterminated string")


def _error(text: str) -> str:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return str(exc)
    raise AssertionError("valid TOML")


@given(st.text(alphabet=st.sampled_from(list("ab =\"'[]{}#\\\n\t.,1\x01é")), max_size=60))
def test_no_text_makes_the_explanation_crash(text: str) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = explain(text, str(exc))
        assert problem.message
        assert problem.line is None or 1 <= problem.line <= text.count("\n") + 1
        assert problem.column is None or problem.column >= 1
