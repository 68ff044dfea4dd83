"""Entry-point classification, Python parsing and trigger binding.

The plugin SDK decides which file is the entry point and whether each declared
trigger is bound by parsing that file with tree-sitter-python 0.25 (never with
CPython's ``ast``, which is stricter). This module reproduces those verdicts
exactly (CONFORMANCE.md §2.3 to §2.5) and, where SPEC §3 asks for more, adds
hints and a warning without ever changing a verdict.
"""

from __future__ import annotations

import functools
import os
import symtable
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

import tree_sitter

from plugin_build.diagnostics import Code, Diagnostic

__all__ = [
    "EntryPoint",
    "FunctionDef",
    "ParseProblem",
    "ParsedSource",
    "bind_triggers",
    "classify_entry_point",
    "parse_source",
    "runtime_syntax_diagnostic",
    "syntax_diagnostic",
]

INIT_FILE = "__init__.py"

# The conventional signature of each trigger, quoted in "define ..." fixes.
TRIGGER_SIGNATURES: dict[str, str] = {
    "process_writes": "process_writes(influxdb3_local, table_batches, args=None)",
    "process_scheduled_call": "process_scheduled_call(influxdb3_local, call_time, args=None)",
    "process_request": (
        "process_request(influxdb3_local, query_parameters, request_headers, "
        "request_body, args=None)"
    ),
}

_SNIPPET_BYTES = 40
_BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------
# Entry-point classification (§2.3)


class EntryPoint(NamedTuple):
    filename: str
    kind: Literal["multi", "single"]


def classify_entry_point(top_level_names: Iterable[str]) -> EntryPoint | Diagnostic:
    """Classify the entry point from the top-level selected regular-file names.

    Matching is case-sensitive: ``Foo.PY`` is not Python and ``__INIT__.py``
    is an ordinary single-file candidate. A name containing ``/`` is nested
    and never counts.
    """
    names = {name for name in top_level_names if "/" not in name}
    if INIT_FILE in names:
        return EntryPoint(INIT_FILE, "multi")
    candidates = sorted(name for name in names if name.endswith(".py"))
    if len(candidates) == 1:
        return EntryPoint(candidates[0], "single")
    if not candidates:
        return Diagnostic(
            Code.ENTRY_POINT_MISSING,
            "no Python entry point: the plugin root has no top-level .py file; "
            "add a top-level <name>.py (single-file plugin) or __init__.py "
            "(multi-file plugin)",
        )
    listed = ", ".join(candidates)
    return Diagnostic(
        Code.ENTRY_POINT_AMBIGUOUS,
        f"ambiguous entry point: {len(candidates)} top-level .py files ({listed}) "
        "and no __init__.py; add __init__.py to declare a multi-file plugin, "
        "or keep only one .py file",
    )


# --------------------------------------------------------------------------
# Parsing and top-level def extraction (§2.4)


class FunctionDef(NamedTuple):
    """A top-level ``def``; ``line`` and ``column`` (1-based) locate its ``def``/``async``."""

    name: str
    is_async: bool
    line: int
    column: int


class ParseProblem(NamedTuple):
    """The first ERROR or MISSING node, as the SDK reports it.

    ``column`` counts characters (the SDK counts bytes; they agree on ASCII
    lines), and a UTF-8 BOM is not counted. ``snippet`` follows the SDK: the
    node's first 40 bytes, empty if that cut splits a UTF-8 sequence or the
    node is a zero-width MISSING one, with newlines shown as ``\\n``.
    """

    line: int
    column: int
    snippet: str


@functools.cache
def _language() -> tree_sitter.Language:
    return tree_sitter.Language(_python_grammar())


def _python_grammar() -> object:
    """``tree_sitter_python.language()``, without running the package's ``__init__``:
    that imports importlib.resources (and with it tempfile, shutil, random) for the
    highlight queries, which validate never reads; in the hook's one-plugin run that
    was a sixth of the start-up. The binding is loaded as the package would load it;
    anything unexpected falls back to the plain import."""
    import importlib.machinery
    import importlib.util

    try:
        spec = importlib.util.find_spec("tree_sitter_python")
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folders[0], f"_binding{suffix}") if folders else ""
            if path and os.path.isfile(path):
                name = "tree_sitter_python._binding"
                loader = importlib.machinery.ExtensionFileLoader(name, path)
                binding_spec = importlib.util.spec_from_file_location(name, path, loader=loader)
                if binding_spec is None:
                    break
                binding = importlib.util.module_from_spec(binding_spec)
                loader.exec_module(binding)
                return binding.language()
    except (ImportError, OSError, AttributeError, ValueError):
        pass
    import tree_sitter_python

    return tree_sitter_python.language()


@functools.cache
def _parser() -> tree_sitter.Parser:
    # Created on first use so importing this module (e.g. for `build`) stays cheap.
    return tree_sitter.Parser(_language())


class ParsedSource:
    """An entry file parsed by tree-sitter, with its top-level defs.

    Keeps the tree so that the hint lookups of :func:`bind_triggers` run only
    when a trigger is actually missing.
    """

    __slots__ = ("_problem_node", "_source", "_tree", "defs", "problem")

    defs: tuple[FunctionDef, ...]
    problem: ParseProblem | None

    def __init__(self, source: bytes, tree: tree_sitter.Tree) -> None:
        self._source = source
        self._tree = tree
        root = tree.root_node
        # `has_error` is true whenever the tree holds an error anywhere, so the
        # search below is skipped for the common, valid file.
        self._problem_node = _first_problem_node(root) if root.has_error else None
        if self._problem_node is None:
            self.problem = None
            self.defs = tuple(_top_level_defs(root, source))
        else:
            self.problem = _problem_of(self._problem_node, source)
            self.defs = ()

    def __repr__(self) -> str:
        return f"ParsedSource(defs={self.defs!r}, problem={self.problem!r})"


def parse_source(source: bytes) -> ParsedSource:
    """Parse the raw bytes of an entry file (a UTF-8 BOM is allowed)."""
    return ParsedSource(source, _parser().parse(source))


def _first_problem_node(root: tree_sitter.Node) -> tree_sitter.Node | None:
    """The first ERROR or MISSING node in pre-order, visiting only erroneous subtrees.

    A subtree can report `has_error` only because of a *hidden* MISSING token
    (a lone-CR file misses `_newline` tokens), which no node walk reaches. The
    SDK walks nodes too (inferred; CONFORMANCE §2.6 says lone-CR files parse),
    so such a tree counts as valid and the search backtracks past it.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node
        stack.extend(reversed([child for child in node.children if child.has_error]))
    return None


def _problem_of(node: tree_sitter.Node, source: bytes) -> ParseProblem:
    start = node.start_byte
    chunk = source[start : min(node.end_byte, start + _SNIPPET_BYTES)]
    try:
        snippet = chunk.decode("utf-8")
    except UnicodeDecodeError:
        snippet = ""  # the SDK's `str::get` refuses a cut inside a character
    line, column = _position(node, source)
    return ParseProblem(line, column, snippet.replace("\n", "\\n"))


def _position(node: tree_sitter.Node, source: bytes) -> tuple[int, int]:
    """1-based line and character column of `node` (tree-sitter gives byte columns)."""
    row, byte_column = node.start_point
    prefix = source[node.start_byte - byte_column : node.start_byte]
    if row == 0 and prefix.startswith(_BOM):
        prefix = prefix[len(_BOM) :]
    return row + 1, len(prefix.decode("utf-8", "replace")) + 1


def _top_level_defs(root: tree_sitter.Node, source: bytes) -> Iterable[FunctionDef]:
    for child in root.children:
        definition: tree_sitter.Node | None = child
        if child.type == "decorated_definition":
            definition = child.child_by_field_name("definition")
        if definition is None or definition.type != "function_definition":
            continue  # decorated classes and every other statement bind no def
        name = definition.child_by_field_name("name")
        if name is None:
            continue
        # The grammar allows `async` only as a def's first token, so looking at
        # that one child equals the SDK's "has an `async` child" without
        # materialising every child.
        first = definition.child(0)
        line, column = _position(definition, source)
        yield FunctionDef(
            name=source[name.start_byte : name.end_byte].decode("utf-8", "replace"),
            is_async=first is not None and first.type == "async",
            line=line,
            column=column,
        )


def syntax_diagnostic(parsed: ParsedSource, entry_file: str) -> Diagnostic | None:
    """The ``python-syntax`` error for an entry file tree-sitter rejects, else None."""
    problem = parsed.problem
    if problem is None:
        return None
    node = parsed._problem_node
    if node is not None and node.is_missing:
        found = f": missing `{node.type}`"
    elif problem.snippet:
        found = f": `{problem.snippet}`"
    else:
        found = ""
    return Diagnostic(
        Code.PYTHON_SYNTAX,
        f"{entry_file} does not parse as Python: parse error at line {problem.line}, "
        f"column {problem.column}{found}; fix the syntax so the plugin SDK's parser "
        "(tree-sitter-python) accepts the file",
        path=entry_file,
        line=problem.line,
        column=problem.column,
    )


# --------------------------------------------------------------------------
# Trigger binding (§2.5) and the hints of SPEC §3


def bind_triggers(
    triggers: Sequence[str], parsed: ParsedSource, entry_file: str
) -> list[Diagnostic]:
    """Check every trigger in manifest order (duplicates twice); the last top-level def wins.

    Nothing is checked for a source with a parse problem (the SDK stops there).
    """
    if parsed.problem is not None:
        return []
    last = {definition.name: definition for definition in parsed.defs}
    missing = [trigger for trigger in triggers if trigger not in last]
    hints = _hints(parsed, frozenset(missing)) if missing else {}
    out: list[Diagnostic] = []
    for trigger in triggers:
        signature = TRIGGER_SIGNATURES.get(trigger, f"{trigger}(...)")
        found = last.get(trigger)
        if found is None:
            hint = hints.get(trigger) or _near_miss(trigger, parsed.defs)
            out.append(_missing(trigger, signature, entry_file, hint))
        elif found.is_async:
            out.append(
                Diagnostic(
                    Code.TRIGGER_ASYNC,
                    f"trigger {trigger} is defined with `async def` at line {found.line} of "
                    f"{entry_file}; remove `async`: the runtime calls triggers synchronously",
                    path=entry_file,
                    line=found.line,
                    column=found.column,
                )
            )
    return out


class _Hint(NamedTuple):
    """Why a same-named binding elsewhere in the file does not bind the trigger."""

    what: str  # "is defined at line 12 inside class Handler, which does not bind it"
    is_def: bool
    line: int
    column: int
    rename: bool = False  # a top-level def of a near-miss name


def _near_miss(trigger: str, defs: Sequence[FunctionDef]) -> _Hint | None:
    """A top-level def whose name differs from the trigger's by letter case, else by
    one edit (``process_write``, ``proces_writes``): the runtime looks names up exactly."""
    by_case = [d for d in defs if d.name.lower() == trigger.lower()]
    close = by_case or [d for d in defs if _one_edit(d.name, trigger)]
    if not close:
        return None
    found = close[0]
    how = "differs from it only in letter case" if by_case else "is one edit away from it"
    return _Hint(
        f"is not defined, but `def {found.name}` at line {found.line} {how}",
        is_def=True,
        line=found.line,
        column=found.column,
        rename=True,
    )


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance exactly 1 (difflib's ratio is no edit distance, and this
    is the whole of what is needed)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


def _missing(trigger: str, signature: str, entry_file: str, hint: _Hint | None) -> Diagnostic:
    if hint is None:
        return Diagnostic(
            Code.TRIGGER_MISSING,
            f"trigger {trigger} is not implemented in {entry_file}; "
            f"define `def {signature}` at the top level of {entry_file}",
            path=entry_file,
        )
    if hint.rename:
        fix = f"rename it `def {signature}` if it is meant as the trigger"
    elif hint.is_def:
        fix = f"move it to the top level of {entry_file} as `def {signature}`"
    else:
        fix = f"define `def {signature}` at the top level of {entry_file}"
    return Diagnostic(
        Code.TRIGGER_MISSING,
        f"trigger {trigger} is not implemented in {entry_file}: {trigger} {hint.what}; {fix}",
        path=entry_file,
        line=hint.line,
        column=hint.column,
    )


_SCOPES = {"class_definition": "class", "function_definition": "def"}
_GUARDS = {
    "if_statement": "if",
    "try_statement": "try",
    "with_statement": "with",
    "for_statement": "for",
    "while_statement": "while",
    "match_statement": "match",
}


@functools.lru_cache(maxsize=16)
def _hint_query(names: frozenset[str]) -> tree_sitter.Query:
    """Definitions, classes, assignments and imports of `names`, found in C.

    Entry files run to thousands of lines; a query visits the tree inside
    tree-sitter, while a Python walk would build a Node object per node.
    """
    wanted = " ".join(f'"{name}"' for name in sorted(names))
    query: tree_sitter.Query = tree_sitter.Query(
        _language(),
        f"""
        ((function_definition name: (identifier) @def) (#any-of? @def {wanted}))
        ((class_definition name: (identifier) @class) (#any-of? @class {wanted}))
        ((assignment left: (identifier) @assign) (#any-of? @assign {wanted}))
        ((assignment left: (pattern_list (identifier) @assign)) (#any-of? @assign {wanted}))
        ((assignment left: (tuple_pattern (identifier) @assign)) (#any-of? @assign {wanted}))
        ((import_from_statement name: (dotted_name . (identifier) @import))
         (#any-of? @import {wanted}))
        ((import_statement name: (dotted_name . (identifier) @import))
         (#any-of? @import {wanted}))
        ((aliased_import alias: (identifier) @import) (#any-of? @import {wanted}))
        """,
    )
    return query


def _hints(parsed: ParsedSource, missing: frozenset[str]) -> dict[str, _Hint]:
    """For each missing trigger, the first non-top-level def of that name, else
    the first module-level assignment, import or class binding it."""
    # Only identifiers can be bound, and only they are safe inside the query text.
    names = frozenset(name for name in missing if name.isidentifier())
    if not names:
        return {}
    captures = tree_sitter.QueryCursor(_hint_query(names)).captures(parsed._tree.root_node)
    source = parsed._source
    defs: dict[str, _Hint] = {}
    others: dict[str, _Hint] = {}
    found = sorted(
        ((node, kind) for kind, nodes in captures.items() for node in nodes),
        key=lambda pair: pair[0].start_byte,
    )
    for name_node, kind in found:
        name = source[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace")
        if kind == "def":
            if name not in defs:
                defs[name] = _def_hint(name_node, source)
        elif name not in others:
            hint = _binding_hint(name_node, kind, source)
            if hint is not None:
                others[name] = hint
    return others | defs


def _def_hint(name_node: tree_sitter.Node, source: bytes) -> _Hint:
    definition = name_node.parent
    assert definition is not None  # a def name always has its def as parent
    # The innermost class or def says most (a method is a method even under
    # an `if`); failing that, the outermost guarding statement.
    scope: tree_sitter.Node | None = None
    guard: tree_sitter.Node | None = None
    node = definition.parent
    while node is not None and node.type != "module":
        if scope is None and node.type in _SCOPES:
            scope = node
        elif node.type in _GUARDS:
            guard = node
        node = node.parent
    line, column = _position(definition, source)
    unbound = "which does not bind it"
    if scope is not None:
        scope_name = scope.child_by_field_name("name")
        label = (
            source[scope_name.start_byte : scope_name.end_byte].decode("utf-8", "replace")
            if scope_name is not None
            else "?"
        )
        where = (
            f"inside class {label}"
            if scope.type == "class_definition"
            else f"nested inside def {label}"
        )
    elif guard is not None:
        where = f"inside the `{_GUARDS[guard.type]}` block at line {guard.start_point[0] + 1}"
        unbound = "which the plugin SDK does not bind"
    else:  # unreachable for a missing trigger: a top-level def would have bound it
        where = "at the top level"
    return _Hint(f"is defined at line {line} {where}, {unbound}", True, line, column)


def _binding_hint(name_node: tree_sitter.Node, kind: str, source: bytes) -> _Hint | None:
    """A hint for a module-level binding; names bound inside a def or class are locals."""
    anchor = name_node.parent if kind == "class" and name_node.parent else name_node
    node = anchor.parent
    while node is not None and node.type != "module":
        if node.type in _SCOPES:
            return None
        node = node.parent
    line, column = _position(anchor, source)
    what = {"class": "is a class", "import": "is imported"}.get(kind, "is assigned")
    return _Hint(
        f"{what} at line {line}, but the SDK binds only a top-level def", False, line, column
    )


# --------------------------------------------------------------------------
# CPython's verdict (SPEC §3, going further)


def runtime_syntax_diagnostic(source: bytes, entry_file: str) -> Diagnostic | None:
    """A ``python-runtime-syntax`` warning when CPython refuses a file tree-sitter accepted.

    Only on Python 3.12+, whose grammar is the plugin runtime's; earlier
    interpreters would flag valid modern code (PEP 695), so they say nothing.
    """
    if sys.version_info < (3, 12):
        return None
    return _cpython_problem(source, entry_file)


def _cpython_problem(source: bytes, entry_file: str) -> Diagnostic | None:
    # CPython's parser plus its symbol-table pass: every grammar error (and
    # scope errors such as a module-level `nonlocal`) without generating code,
    # which would cost half again as much; code-generation errors such as a
    # module-level `return` are therefore not reported.
    try:
        # Strict UTF-8, coding declarations ignored: the runtime reads text, as the SDK does.
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # reported elsewhere as an unreadable entry point
    version = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    line: int | None = None
    column: int | None = None
    try:
        with warnings.catch_warnings():
            # SyntaxWarnings (e.g. invalid escapes) are not failures; keep them off stderr.
            warnings.simplefilter("ignore")
            symtable.symtable(text, entry_file, "exec")
    except SyntaxError as exc:  # includes IndentationError and TabError
        reason = exc.msg
        line = exc.lineno if exc.lineno is not None and exc.lineno > 0 else None
        column = (
            exc.offset if line is not None and exc.offset is not None and exc.offset > 0 else None
        )
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        reason = str(exc) or type(exc).__name__
    else:
        return None
    where = f" (line {line})" if line is not None else ""
    return Diagnostic(
        Code.PYTHON_RUNTIME_SYNTAX,
        f"{version} rejects this file: {reason}{where}; the plugin SDK's parser accepts it, "
        "but the runtime will fail to load it, so fix it for Python 3",
        severity="warning",
        path=entry_file,
        line=line,
        column=column,
    )
