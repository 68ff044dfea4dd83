"""Entry-point classification, tree-sitter parsing and trigger binding.

Expected values come from CONFORMANCE.md §2.3 to §2.8 (the SDK's verdicts) and
SPEC §3 (hints and the runtime-syntax warning).
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_build.diagnostics import Code, Diagnostic
from plugin_build.entrypoint import (
    EntryPoint,
    FunctionDef,
    ParseProblem,
    bind_triggers,
    classify_entry_point,
    parse_source,
    runtime_syntax_diagnostic,
    syntax_diagnostic,
)

INIT = "__init__.py"
TRIGGERS = ["process_writes", "process_scheduled_call", "process_request"]


def defs_of(source: str) -> list[tuple[str, bool]] | None:
    """(name, is_async) of the top-level defs, or None when the source does not parse."""
    parsed = parse_source(source.encode())
    if parsed.problem is not None:
        return None
    return [(d.name, d.is_async) for d in parsed.defs]


def bind(source: str | bytes, triggers: list[str], entry: str = INIT) -> list[Diagnostic]:
    raw = source.encode() if isinstance(source, str) else source
    return bind_triggers(triggers, parse_source(raw), entry)


# --------------------------------------------------------------------------
# §2.3 entry-point classification


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        pytest.param([INIT], EntryPoint(INIT, "multi"), id="init-only"),
        pytest.param(
            ["manifest.toml", "b.py", INIT, "a.py"], EntryPoint(INIT, "multi"), id="init-wins"
        ),
        pytest.param(
            ["manifest.toml", "README.md", "requirements.txt", "my_plugin.py"],
            EntryPoint("my_plugin.py", "single"),
            id="single-ignores-non-py",
        ),
        pytest.param(["manifest.toml", ".py"], EntryPoint(".py", "single"), id="bare-dot-py"),
        pytest.param(["Foo.PY", "a.py"], EntryPoint("a.py", "single"), id="upper-PY-ignored"),
        pytest.param(["__INIT__.py"], EntryPoint("__INIT__.py", "single"), id="upper-init-single"),
        pytest.param(["pkg/x.py", "main.py"], EntryPoint("main.py", "single"), id="nested-ignored"),
    ],
)
def test_classify_entry_point_accepts(names: list[str], expected: EntryPoint) -> None:
    assert classify_entry_point(names) == expected


@pytest.mark.parametrize(
    "names",
    [
        pytest.param([], id="empty"),
        pytest.param(["manifest.toml", "README.md", "requirements.txt"], id="only-non-py"),
        pytest.param(["Foo.PY", "__init__.PY", "x.pyc", "x.py~"], id="case-sensitive"),
        pytest.param(["manifest.toml", "pkg/helper.py"], id="only-nested"),
    ],
)
def test_classify_entry_point_missing(names: list[str]) -> None:
    result = classify_entry_point(names)
    assert isinstance(result, Diagnostic)
    assert result.code == Code.ENTRY_POINT_MISSING
    assert result.severity == "error"
    assert result.path is None
    assert result.line is None
    assert "__init__.py" in result.message
    assert "add a top-level" in result.message


def test_classify_entry_point_ambiguous_lists_names_sorted() -> None:
    result = classify_entry_point(["manifest.toml", "foo.py", "bar.py"])
    assert isinstance(result, Diagnostic)
    assert result.code == Code.ENTRY_POINT_AMBIGUOUS
    assert result.severity == "error"
    assert result.path is None
    assert "(bar.py, foo.py)" in result.message
    assert "add __init__.py to declare a multi-file plugin" in result.message
    assert "keep only one .py file" in result.message


def test_classify_upper_init_is_a_plain_candidate() -> None:
    result = classify_entry_point(["__INIT__.py", "a.py"])
    assert isinstance(result, Diagnostic)
    assert result.code == Code.ENTRY_POINT_AMBIGUOUS
    assert "(__INIT__.py, a.py)" in result.message


@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from([INIT, ".py", "a.py", "b.py", "Foo.PY", "__INIT__.py", "d/x.py"]),
        ),
        max_size=8,
    )
)
def test_classify_entry_point_never_raises(names: list[str]) -> None:
    result = classify_entry_point(names)
    top = {n for n in names if "/" not in n}
    candidates = {n for n in top if n.endswith(".py")}
    if INIT in top:
        assert result == EntryPoint(INIT, "multi")
    elif len(candidates) == 1:
        assert result == EntryPoint(candidates.pop(), "single")
    else:
        assert isinstance(result, Diagnostic)
        expected = Code.ENTRY_POINT_MISSING if not candidates else Code.ENTRY_POINT_AMBIGUOUS
        assert result.code == expected


# --------------------------------------------------------------------------
# §2.4 def extraction: the SDK's 12 conformance cases


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "def process_writes(a, b):\n    pass\n", [("process_writes", False)], id="plain"
        ),
        pytest.param(
            "async def process_writes(a, b):\n    pass\n", [("process_writes", True)], id="async"
        ),
        pytest.param(
            "@decorator\ndef process_writes(a, b):\n    pass\n",
            [("process_writes", False)],
            id="decorated",
        ),
        pytest.param(
            "class Handler:\n    def process_writes(self, a, b):\n        pass\n",
            [],
            id="class-method",
        ),
        pytest.param(
            "def outer():\n    def process_writes(a, b):\n        pass\n",
            [("outer", False)],
            id="nested",
        ),
        pytest.param(
            "if True:\n    def process_writes(a, b):\n        pass\n", [], id="if-guarded"
        ),
        pytest.param("from .impl import process_writes\n", [], id="re-export"),
        pytest.param("process_writes = lambda a, b: None\n", [], id="assignment"),
        pytest.param(
            "def process_writes(a):\n    pass\n\ndef process_writes(a, b):\n    pass\n",
            [("process_writes", False), ("process_writes", False)],
            id="same-kind-redefinition",
        ),
        pytest.param(
            "def process_writes(a):\n    pass\n\nasync def process_writes(a):\n    pass\n",
            [("process_writes", False), ("process_writes", True)],
            id="sync-then-async",
        ),
        pytest.param("def foo(:\n    pass\n", None, id="unparseable"),
        pytest.param("", [], id="empty"),
    ],
)
def test_top_level_def_conformance_cases(
    source: str, expected: list[tuple[str, bool]] | None
) -> None:
    assert defs_of(source) == expected


def test_defs_carry_positions_and_skip_decorated_classes() -> None:
    source = (
        '"""def fake(): pass"""\n'
        "@dataclass\n"
        "class Config:\n"
        "    x: int = 1\n"
        "\n"
        "@functools.cache\n"
        "@other\n"
        "async def helper():\n"
        "    pass\n"
        "s = 'def in_string(): pass'\n"
        "def process_writes(influxdb3_local, table_batches, args=None):\n"
        "    pass\n"
    )
    assert parse_source(source.encode()).defs == (
        FunctionDef("helper", is_async=True, line=8, column=1),
        FunctionDef("process_writes", is_async=False, line=11, column=1),
    )


# --------------------------------------------------------------------------
# §2.5 trigger binding


def test_sync_def_binds() -> None:
    assert (
        bind(
            "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n",
            ["process_writes"],
        )
        == []
    )


def test_last_definition_wins_async_then_sync_passes() -> None:
    source = "async def process_writes(a, b):\n    pass\n\ndef process_writes(a, b):\n    pass\n"
    assert bind(source, ["process_writes"]) == []


def test_last_definition_wins_sync_then_async_fails_at_the_async_def() -> None:
    source = (
        "def process_writes(a, b):\n    pass\n\n@deco\nasync def process_writes(a, b):\n    pass\n"
    )
    assert bind(source, ["process_writes"]) == [
        Diagnostic(
            Code.TRIGGER_ASYNC,
            "trigger process_writes is defined with `async def` at line 5 of __init__.py; "
            "remove `async`: the runtime calls triggers synchronously",
            path=INIT,
            line=5,
            column=1,
        )
    ]


def test_assignment_after_def_is_invisible() -> None:
    source = "def process_writes(a, b):\n    pass\n\nprocess_writes = None\n"
    assert bind(source, ["process_writes"]) == []


def test_duplicate_triggers_are_processed_twice() -> None:
    missing = bind("def other():\n    pass\n", ["process_writes", "process_writes"])
    assert [d.code for d in missing] == [Code.TRIGGER_MISSING, Code.TRIGGER_MISSING]
    asynchronous = bind("async def process_writes(a, b):\n    pass\n", ["process_writes"] * 2)
    assert [(d.code, d.line) for d in asynchronous] == [(Code.TRIGGER_ASYNC, 1)] * 2


def test_extra_defs_are_ignored() -> None:
    source = (
        "async def helper():\n    pass\n\n"
        "def process_writes(a, b):\n    pass\n\n"
        "def process_request(a, b, c, d):\n    pass\n"
    )
    assert bind(source, ["process_request", "process_writes"]) == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\n\t\n", id="whitespace"),
        pytest.param("# def process_writes(a, b):\n#     pass\n", id="comments"),
    ],
)
def test_empty_file_reports_each_trigger_missing_in_manifest_order(source: str) -> None:
    out = bind(source, TRIGGERS, "my_plugin.py")
    assert out == [
        Diagnostic(
            Code.TRIGGER_MISSING,
            "trigger process_writes is not implemented in my_plugin.py; define "
            "`def process_writes(influxdb3_local, table_batches, args=None)` "
            "at the top level of my_plugin.py",
            path="my_plugin.py",
        ),
        Diagnostic(
            Code.TRIGGER_MISSING,
            "trigger process_scheduled_call is not implemented in my_plugin.py; define "
            "`def process_scheduled_call(influxdb3_local, call_time, args=None)` "
            "at the top level of my_plugin.py",
            path="my_plugin.py",
        ),
        Diagnostic(
            Code.TRIGGER_MISSING,
            "trigger process_request is not implemented in my_plugin.py; define "
            "`def process_request(influxdb3_local, query_parameters, request_headers, "
            "request_body, args=None)` at the top level of my_plugin.py",
            path="my_plugin.py",
        ),
    ]


def test_multi_cross_file_defect_fixture() -> None:
    # SDK fixture invalid_plugins/multi_cross_file_defect: exactly two, in manifest order.
    source = (
        "# a plugin\n"
        "async def process_writes(influxdb3_local, table_batches, args=None):\n"
        "    pass\n"
    )
    out = bind(source, ["process_writes", "process_scheduled_call"])
    assert [(d.code, d.line) for d in out] == [
        (Code.TRIGGER_ASYNC, 2),
        (Code.TRIGGER_MISSING, None),
    ]
    assert "process_scheduled_call" in out[1].message


def test_unknown_trigger_name_gets_a_generic_signature() -> None:
    (out,) = bind("", ["on_event"])
    assert "define `def on_event(...)` at the top level" in out.message


def test_parse_problem_stops_trigger_checks() -> None:
    parsed = parse_source(b"def process_writes(:\n    pass\n")
    assert parsed.defs == ()
    assert bind_triggers(TRIGGERS, parsed, INIT) == []


# --------------------------------------------------------------------------
# SPEC §3: why a missing trigger is missing


@pytest.mark.parametrize(
    ("source", "line", "column", "where"),
    [
        pytest.param(
            "import os\n\nclass Handler:\n    def process_writes(self, a, b):\n        pass\n",
            4,
            5,
            "is defined at line 4 inside class Handler, which does not bind it",
            id="class-method",
        ),
        pytest.param(
            "def outer():\n    @wraps(f)\n    def process_writes(a, b):\n        pass\n",
            3,
            5,
            "is defined at line 3 nested inside def outer, which does not bind it",
            id="nested",
        ),
        pytest.param(
            "if True:\n    class H:\n        def process_writes(self):\n            pass\n",
            3,
            9,
            "is defined at line 3 inside class H",
            id="method-under-if-names-the-class",
        ),
        pytest.param(
            "import sys\nif sys.platform:\n    x = 1\n"
            "else:\n    def process_writes(a):\n        pass\n",
            5,
            5,
            "is defined at line 5 inside the `if` block at line 2, "
            "which the plugin SDK does not bind",
            id="if-else",
        ),
        pytest.param(
            "try:\n    from fast import process_writes\n"
            "except ImportError:\n    def process_writes(a, b):\n        pass\n",
            4,
            5,
            "is defined at line 4 inside the `try` block at line 1",
            id="try-prefers-def-over-import",
        ),
        pytest.param(
            "with ctx():\n    def process_writes(a):\n        pass\n",
            2,
            5,
            "is defined at line 2 inside the `with` block at line 1",
            id="with",
        ),
        pytest.param(
            "for _ in range(1):\n    def process_writes(a):\n        pass\n",
            2,
            5,
            "is defined at line 2 inside the `for` block at line 1",
            id="for",
        ),
        pytest.param(
            "x = 1\nwhile x:\n    def process_writes(a):\n        pass\n",
            3,
            5,
            "is defined at line 3 inside the `while` block at line 2",
            id="while",
        ),
        pytest.param(
            "match x:\n    case 1:\n        def process_writes(a):\n            pass\n",
            3,
            9,
            "is defined at line 3 inside the `match` block at line 1",
            id="match",
        ),
    ],
)
def test_missing_trigger_points_at_a_def_that_is_not_top_level(
    source: str, line: int, column: int, where: str
) -> None:
    (out,) = bind(source, ["process_writes"])
    assert out.code == Code.TRIGGER_MISSING
    assert (out.path, out.line, out.column) == (INIT, line, column)
    assert f"process_writes {where}" in out.message
    assert out.message.endswith(
        "move it to the top level of __init__.py as "
        "`def process_writes(influxdb3_local, table_batches, args=None)`"
    )


@pytest.mark.parametrize(
    ("source", "line", "column", "what"),
    [
        pytest.param(
            "def f(a, b):\n    pass\n\n\n\n\nprocess_writes = f\n",
            7,
            1,
            "is assigned at line 7",
            id="assigned",
        ),
        pytest.param("a, process_writes = f, g\n", 1, 4, "is assigned at line 1", id="tuple"),
        pytest.param(
            "from .impl import process_writes\n", 1, 19, "is imported at line 1", id="from"
        ),
        pytest.param(
            "from .impl import f as process_writes\n", 1, 24, "is imported at line 1", id="alias"
        ),
        pytest.param("import process_writes\n", 1, 8, "is imported at line 1", id="import"),
        pytest.param(
            "if X:\n    import process_writes.sub\n",
            2,
            12,
            "is imported at line 2",
            id="guarded-import",
        ),
        pytest.param(
            "@dataclass\nclass process_writes:\n    x = 1\n",
            2,
            1,
            "is a class at line 2",
            id="class",
        ),
        pytest.param("def f():\n    process_writes = 1\n", None, None, None, id="local-variable"),
        pytest.param("class C:\n    process_writes = f\n", None, None, None, id="class-attribute"),
        pytest.param("import process_writes as pw\n", None, None, None, id="import-as-other"),
        pytest.param("x = 'process_writes = 1'\n", None, None, None, id="in-a-string"),
    ],
)
def test_missing_trigger_mentions_a_module_level_binding(
    source: str, line: int | None, column: int | None, what: str | None
) -> None:
    (out,) = bind(source, ["process_writes"])
    assert out.code == Code.TRIGGER_MISSING
    assert (out.line, out.column) == (line, column)
    fix = (
        "define `def process_writes(influxdb3_local, table_batches, args=None)` "
        "at the top level of __init__.py"
    )
    assert out.message.endswith(fix)
    if what is None:
        assert out.message == f"trigger process_writes is not implemented in __init__.py; {fix}"
    else:
        assert f"process_writes {what}, but the SDK binds only a top-level def;" in out.message


def test_hints_are_per_trigger() -> None:
    source = (
        "from impl import process_request\n"
        "class H:\n    def process_writes(self):\n        pass\n"
        "def process_scheduled_call(influxdb3_local, call_time, args=None):\n    pass\n"
    )
    out = bind(source, TRIGGERS)
    assert [(d.code, d.line) for d in out] == [
        (Code.TRIGGER_MISSING, 3),
        (Code.TRIGGER_MISSING, 1),
    ]
    assert "inside class H" in out[0].message
    assert "process_request is imported at line 1" in out[1].message


# --------------------------------------------------------------------------
# §2.4 / §2.8 parse problems


def test_bad_python_syntax_fixture_missing_paren() -> None:
    parsed = parse_source(b"def process_writes(:\n    pass\n")
    assert parsed.problem == ParseProblem(line=1, column=20, snippet="")
    assert syntax_diagnostic(parsed, INIT) == Diagnostic(
        Code.PYTHON_SYNTAX,
        "__init__.py does not parse as Python: parse error at line 1, column 20: missing `)`; "
        "fix the syntax so the plugin SDK's parser (tree-sitter-python) accepts the file",
        path=INIT,
        line=1,
        column=20,
    )


def test_single_file_bad_syntax_fixture_unclosed_parameter_list() -> None:
    source = b"def process_writes(influxdb3_local, table_batches, args=None\n    pass\n"
    parsed = parse_source(source)
    assert parsed.problem == ParseProblem(line=1, column=1, snippet=source[:40].decode())
    assert parsed.problem.snippet == "def process_writes(influxdb3_local, tabl"
    diagnostic = syntax_diagnostic(parsed, "my_plugin.py")
    assert diagnostic is not None
    assert (diagnostic.code, diagnostic.severity, diagnostic.path) == (
        Code.PYTHON_SYNTAX,
        "error",
        "my_plugin.py",
    )
    assert (diagnostic.line, diagnostic.column) == (1, 1)
    assert diagnostic.message.startswith(
        "my_plugin.py does not parse as Python: parse error at line 1, column 1: "
        "`def process_writes(influxdb3_local, tabl`;"
    )


def test_valid_source_has_no_syntax_diagnostic() -> None:
    assert syntax_diagnostic(parse_source(b"def f():\n    pass\n"), INIT) is None


def test_snippet_is_empty_when_the_40_byte_cut_splits_a_character() -> None:
    # "é" occupies bytes 39-40 of the ERROR node, so the 40-byte cut splits it.
    split = b"def f(" + b"a" * 33 + "é".encode() + b", b=None\n    pass\n"
    assert parse_source(split).problem == ParseProblem(line=1, column=1, snippet="")
    whole = b"def f(" + b"a" * 34 + "é".encode() + b", b=None\n    pass\n"
    assert parse_source(whole).problem == ParseProblem(
        line=1, column=1, snippet="def f(" + "a" * 34
    )


def test_snippet_renders_newlines_as_backslash_n() -> None:
    problem = parse_source(b"def f(a, b=None\n    pass\n").problem
    assert problem == ParseProblem(line=1, column=1, snippet="def f(a, b=None\\n    pass")


def test_problem_column_counts_characters_not_bytes() -> None:
    # tree-sitter's byte column is 19 (0-based); two 2-byte characters precede it.
    problem = parse_source("x = ['é', 'ü', 1 2]\n".encode()).problem
    assert problem == ParseProblem(line=1, column=18, snippet="2")


def test_problem_on_a_later_line() -> None:
    problem = parse_source(b"import os\n\nx = [1,\n     2 3]\n").problem
    assert problem is not None
    assert (problem.line, problem.column, problem.snippet) == (4, 8, "3")


def test_bom_is_skipped() -> None:
    parsed = parse_source(b"\xef\xbb\xbfdef process_writes(a, b):\n    pass\n")
    assert parsed.problem is None
    assert parsed.defs == (FunctionDef("process_writes", is_async=False, line=1, column=1),)
    # The BOM is not a column: the missing `)` is after "def f(" (the SDK would say byte 10).
    assert parse_source(b"\xef\xbb\xbfdef f(:\n    pass\n").problem == ParseProblem(1, 7, "")


def test_crlf_parses_with_right_lines() -> None:
    source = b"import os\r\n\r\ndef process_writes(a, b, args=None):\r\n    return None\r\n"
    parsed = parse_source(source)
    assert parsed.problem is None
    assert parsed.defs == (FunctionDef("process_writes", is_async=False, line=3, column=1),)
    assert bind_triggers(["process_writes"], parsed, INIT) == []


def test_lone_cr_parses() -> None:
    # tree-sitter does not count CR as a line break: everything is on line 1.
    source = b"import os\r\rdef process_writes(a, b, args=None):\r    return None\r"
    parsed = parse_source(source)
    assert parsed.problem is None
    assert parsed.defs == (FunctionDef("process_writes", is_async=False, line=1, column=12),)
    assert bind_triggers(["process_writes"], parsed, INIT) == []


def test_lone_cr_between_simple_statements_is_a_parse_error() -> None:
    # The grammar treats a lone CR as blank space, so `x = 1 y = 2` is one bad line.
    assert parse_source(b"x = 1\ry = 2\r").problem == ParseProblem(1, 5, "1")


def test_nul_byte_is_a_parse_problem() -> None:
    source = b"def process_writes(a, b, args=None):\n    return None\n\x00\n"
    assert parse_source(source).problem == ParseProblem(line=3, column=1, snippet="\x00")


def test_invalid_utf8_does_not_raise() -> None:
    parsed = parse_source(b"\xff\xfe\x00def f(): pass")
    assert parsed.problem == ParseProblem(line=1, column=1, snippet="")


# --------------------------------------------------------------------------
# SPEC §3: CPython's verdict as a warning


needs_312 = pytest.mark.skipif(sys.version_info < (3, 12), reason="the runtime's grammar is 3.12+")


@needs_312
@pytest.mark.parametrize(
    ("source", "line", "column", "reason"),
    [
        pytest.param(
            "import os\n\nprint 'x'\n", 3, 1, "Missing parentheses in call to 'print'", id="print"
        ),
        pytest.param(
            "def f():\n        x = 1\n\ty = 2\n",
            3,
            1,
            "inconsistent use of tabs and spaces in indentation",
            id="tabs",
        ),
        pytest.param("x = 1\nexec 'x'\n", 2, 1, "Missing parentheses in call to 'exec'", id="exec"),
        pytest.param("a = 1\nb = 0777\n", 2, 5, "leading zeros in decimal integer", id="octal"),
        pytest.param(
            "def f():\n    pass\nnonlocal x\n", 3, 1, "nonlocal declaration", id="nonlocal"
        ),
    ],
)
def test_runtime_syntax_warning(source: str, line: int, column: int, reason: str) -> None:
    raw = source.encode()
    assert parse_source(raw).problem is None  # tree-sitter (and so the SDK) accepts it
    diagnostic = runtime_syntax_diagnostic(raw, "my_plugin.py")
    assert diagnostic is not None
    assert diagnostic.code == Code.PYTHON_RUNTIME_SYNTAX
    assert diagnostic.severity == "warning"
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("my_plugin.py", line, column)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert diagnostic.message.startswith(f"Python {version} rejects this file: {reason}")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the runtime grammar is 3.12+")
def test_runtime_check_stops_at_grammar_and_scopes() -> None:
    # Code-generation errors (a module-level `return`) are out of reach of the
    # parse + symtable check, which is kept because compile() costs half again.
    assert runtime_syntax_diagnostic(b"x = 1\nreturn x\n", "p.py") is None


@needs_312
@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"def f[T](x: T) -> T:\n    return x\n\ntype Alias = int\n", id="pep695"),
        pytest.param(b"x = f'{\"nested\"}'\n", id="pep701"),
        pytest.param(b"\xef\xbb\xbfx = '\\d'\r\n", id="bom-crlf-escape-warning"),
        pytest.param(b"", id="empty"),
    ],
)
def test_runtime_syntax_accepts_modern_code(source: bytes) -> None:
    assert runtime_syntax_diagnostic(source, INIT) is None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="older interpreters stay silent")
def test_runtime_syntax_is_silent_before_312() -> None:
    assert runtime_syntax_diagnostic(b"print 'x'\n", INIT) is None


# --------------------------------------------------------------------------
# Robustness: arbitrary input never raises

FRAGMENTS = [
    "def process_writes(a, b):\n",
    "async def process_writes(a):\n",
    "def process_request(",
    "class H:\n",
    "@deco\n",
    "    ",
    "\t",
    "    pass\n",
    "if x:\n",
    "try:\n",
    "except E:\n",
    "process_writes = f\n",
    "from m import process_writes\n",
    "import process_scheduled_call as p\n",
    "a, process_request = 1, 2\n",
    "'''def process_writes(): pass'''\n",
    "é",
    "\r",
    "\r\n",
    ")",
    ":",
    "\x00",
]


@settings(max_examples=300, deadline=None)
@given(
    source=st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(lambda xs: "".join(xs).encode()),
    ),
    triggers=st.lists(st.one_of(st.sampled_from(TRIGGERS), st.text(max_size=8)), max_size=5),
)
def test_parse_and_bind_never_raise(source: bytes, triggers: list[str]) -> None:
    parsed = parse_source(source)
    out = bind_triggers(triggers, parsed, INIT)
    syntax = syntax_diagnostic(parsed, INIT)
    if parsed.problem is not None:
        assert parsed.defs == ()
        assert out == []
        assert syntax is not None
        assert syntax.code == Code.PYTHON_SYNTAX
        return
    assert syntax is None
    last = {d.name: d.is_async for d in parsed.defs}
    unbound = [t for t in triggers if last.get(t, True)]
    assert len(out) == len(unbound)
    for trigger, diagnostic in zip(unbound, out, strict=True):
        expected = Code.TRIGGER_ASYNC if trigger in last else Code.TRIGGER_MISSING
        assert diagnostic.code == expected
        assert diagnostic.path == INIT


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_runtime_syntax_never_raises(source: bytes) -> None:
    diagnostic = runtime_syntax_diagnostic(source, INIT)
    assert diagnostic is None or diagnostic.severity == "warning"


@pytest.mark.parametrize(
    ("written", "how"),
    [
        ("Process_writes", "differs from it only in letter case"),
        ("process_write", "is one edit away from it"),
        ("porcess_writes", "is one edit away from it"),
    ],
)
def test_a_missing_trigger_points_at_a_near_miss_def(written: str, how: str) -> None:
    source = f"import os\n\ndef {written}(influxdb3_local, table_batches, args=None):\n    pass\n"
    (diag,) = bind_triggers(["process_writes"], parse_source(source.encode()), "p.py")
    assert (diag.code, diag.line, diag.column) == (Code.TRIGGER_MISSING, 3, 1)
    assert f"`def {written}` at line 3 {how}" in diag.message
    assert "rename it `def process_writes(" in diag.message


def test_a_far_name_is_no_near_miss() -> None:
    source = b"def process_request(influxdb3_local, query_parameters, request_headers):\n    pass\n"
    (diag,) = bind_triggers(["process_writes"], parse_source(source), "p.py")
    assert diag.line is None
    assert "define `def process_writes(" in diag.message


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (edits and adjacent swaps), the plain DP."""
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abc_", max_size=6), st.text("abc_", max_size=6))
def test_one_edit_is_distance_one(a: str, b: str) -> None:
    from plugin_build.entrypoint import _one_edit

    assert _one_edit(a, b) == (_osa_distance(a, b) == 1)
