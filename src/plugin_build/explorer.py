"""The InfluxDB 3 Explorer metadata rules (the plugin repository's REQUIRED_PLUGIN_METADATA.md).

The Explorer shows and configures a plugin from JSON in its entry point's
docstring::

    \"\"\"
    {
        "plugin_type": ["scheduled", "http"],
        "scheduled_args_config": [
            {"name": "window", "example": "1h", "description": "...", "required": true}
        ]
    }
    \"\"\"

Rules, errors when asked for (the checks are opt-in: ``validate --explorer``), but one:

* the entry point begins with a docstring (``explorer-docstring-missing``) that is
  a JSON object (``explorer-json``) both as the file's text between the quotes and
  as the string ``ast.get_docstring`` returns. An escape sequence such as ``\\"``
  makes the two differ (see :mod:`.docstring`): where one of them is not JSON,
  that is an ``explorer-docstring-escape`` error naming the one that fails and the
  escape; where both are JSON but their strings differ (``\\\\`` in a regex
  example), the same code as a warning;
* ``plugin_type`` is a non-empty list of ``scheduled``, ``onwrite``, ``http``, each
  once, matching the manifest's ``triggers`` both ways (scheduled ↔
  process_scheduled_call, onwrite ↔ process_writes, http ↔ process_request)
  (``explorer-plugin-type``);
* ``scheduled_args_config``, ``onwrite_args_config``, ``http_args_config`` may be
  omitted; each present one is a list of objects with ``name``, ``example`` and
  ``description`` (strings; ``name`` and ``description`` not empty) and
  ``required`` (a boolean), each ``name`` once per list; a non-empty list for a
  type ``plugin_type`` does not list, and any other ``*_args_config`` key (a
  misspelling), are errors too (``explorer-args-config``). Other keys are the
  plugin's own (real plugins add ``http_body_config``) and are left alone.

Locations are the file's line and column inside the docstring: a JSON syntax
error where the JSON decoder stopped, a missing key at its entry's ``{``, a
wrong value at the value. The plugin is never imported or executed; the entry
point is read again (a report keeps no source), within validate's size bound,
and only its first statement is parsed. ``plugin.yaml`` plugins are
not processing-engine plugins: the rules do not apply and nothing is reported,
as nothing is for a plugin whose entry point validate could not find or read
(validate has said why).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .diagnostics import Code, Diagnostic, Severity
from .docstring import Docstring, Escape, NoDocstring, read_docstring
from .fileio import TooLargeError
from .jsonpos import Layout, layout
from .manifest import MANIFEST_FILE
from .validate import ENTRY_POINT_SIZE_LIMIT, PluginReport

__all__ = [
    "ARGS_CONFIGS",
    "PLUGIN_TYPES",
    "Metadata",
    "check_metadata",
    "explorer_diagnostics",
    "read_metadata",
]

PLUGIN_TYPES: Final = {
    "scheduled": "process_scheduled_call",
    "onwrite": "process_writes",
    "http": "process_request",
}
ARGS_CONFIGS: Final = {
    "scheduled_args_config": "scheduled",
    "onwrite_args_config": "onwrite",
    "http_args_config": "http",
}
_ARG_KEYS: Final = ("name", "example", "description", "required")
# What people write instead (the catalogue's own words among them).
_ALIASES: Final = {
    "scheduler": "scheduled",
    "schedule": "scheduled",
    "process_scheduled_call": "scheduled",
    "data_writes": "onwrite",
    "on_write": "onwrite",
    "writes": "onwrite",
    "process_writes": "onwrite",
    "request": "http",
    "process_request": "http",
}
_RAW_FIX: Final = 'make it a raw docstring r"""...""" so both read the same text'

Locate = Callable[[int], tuple[int, int]]


@dataclass(frozen=True)
class Metadata:
    """The metadata of one entry point: the JSON object (``None`` when it cannot be
    read), its ``plugin_type`` when valid (else empty), and every finding."""

    document: Mapping[str, object] | None
    plugin_types: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]


def explorer_diagnostics(report: PluginReport) -> tuple[Diagnostic, ...]:
    """The Explorer findings for a validated plugin (empty where the rules do not apply)."""
    metadata = read_metadata(report)
    return metadata.diagnostics if metadata is not None else ()


def with_explorer(report: PluginReport) -> PluginReport:
    """The report with its Explorer findings added (``--explorer``): an error among them
    makes the plugin invalid, so a build refuses it."""
    found = explorer_diagnostics(report)
    return report._replace(diagnostics=(*report.diagnostics, *found)) if found else report


def read_metadata(report: PluginReport) -> Metadata | None:
    """The entry point's metadata; ``None`` where the rules do not apply (see above)."""
    entry, selection = report.entry_point, report.selection
    if report.format != MANIFEST_FILE or entry is None or selection is None:
        return None
    rel = next((f.rel for f in selection.files if f.relpath == entry), entry)
    try:
        with selection.tree() as tree:
            source = tree.read(rel, ENTRY_POINT_SIZE_LIMIT)
    except TooLargeError:
        return None  # validate reported entry-point-too-large
    except OSError as exc:
        problem = f"cannot read {entry} again for its docstring ({exc.strerror or exc})"
        return Metadata(None, (), (Diagnostic(Code.READ_ERROR, problem, path=entry),))
    return check_metadata(source, entry, report.triggers)


def check_metadata(source: bytes, filename: str, triggers: Sequence[str]) -> Metadata:
    """Check the metadata docstring of ``source`` (the entry point ``filename``, which
    the manifest says implements ``triggers``)."""
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Metadata(None, (), ())  # validate reported it: not UTF-8
    found = read_docstring(text)
    if isinstance(found, NoDocstring):
        problem = Diagnostic(
            Code.EXPLORER_DOCSTRING_MISSING,
            f"{found.message}; the InfluxDB 3 Explorer reads the plugin's metadata from it",
            path=filename,
            line=found.line,
            column=found.column,
        )
        return Metadata(None, (), (problem,))
    metadata = _Checker(found, filename, triggers).run()
    ordered = sorted(metadata.diagnostics, key=lambda d: (d.line or 0, d.column or 0))
    return dataclasses.replace(metadata, diagnostics=tuple(ordered))


@dataclass
class _Reading:
    text: str
    value: object = None
    error: ValueError | RecursionError | None = None


def _parse(text: str) -> _Reading:
    reading = _Reading(text)
    try:
        reading.value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reading.error = exc
    return reading


def _error_offset(reading: _Reading) -> int:
    return reading.error.pos if isinstance(reading.error, json.JSONDecodeError) else 0


def _error_text(reading: _Reading) -> str:
    error = reading.error
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


def _shown(value: str) -> str:
    named = {"": "nothing (a line continuation)", "\n": "a line break", "\t": "a tab"}
    return named.get(value, f"`{value}`" if value.isprintable() else repr(value))


class _Checker:
    def __init__(self, doc: Docstring, filename: str, triggers: Sequence[str]) -> None:
        self.doc = doc
        self.filename = filename
        self.triggers = [t for t in triggers if t in PLUGIN_TYPES.values()]
        self.out: list[Diagnostic] = []

    def report(
        self, code: str, message: str, where: tuple[int, int], severity: Severity = "error"
    ) -> None:
        line, column = where
        self.out.append(
            Diagnostic(code, message, severity, path=self.filename, line=line, column=column)
        )

    def run(self) -> Metadata:
        doc = self.doc
        raw = _parse(doc.raw)
        if doc.raw_literal or not doc.escapes:  # line ends aside, the same text
            if raw.error is None:
                return self._structure(raw, doc.position)
            self._syntax(raw)
            return Metadata(None, (), tuple(self.out))
        value = _parse(doc.value)
        if raw.error is None:
            if value.error is not None:
                self._python_breaks(value)
            elif value.value != raw.value:
                self._readings_differ()
            return self._structure(raw, doc.position)
        if value.error is None:
            self._text_breaks(raw)
            return self._structure(value, doc.value_position)
        self._syntax(raw)
        raw_at = doc.position(_error_offset(raw))
        if doc.value_position(_error_offset(value)) != raw_at:
            self._python_breaks(value)
        return Metadata(None, (), tuple(self.out))

    # -- the two readings ----------------------------------------------------------------

    def _escape_before(self, raw_offset: int) -> Escape:
        before = [e for e in self.doc.escapes if e.offset <= raw_offset]
        return before[-1] if before else self.doc.escapes[0]

    def _python_breaks(self, value: _Reading) -> None:
        at = self.doc.raw_offset(_error_offset(value))
        escape = self._escape_before(at)
        line, column = self.doc.position(at)
        self.report(
            Code.EXPLORER_DOCSTRING_ESCAPE,
            f"the docstring's `{escape.text}` is an escape Python removes (it reads "
            f"{_shown(escape.value)}): the file's text between the quotes is valid JSON, but "
            "the string Python reads (ast.get_docstring, __doc__) is not "
            f"({_error_text(value)} at line {line}, column {column}); {_RAW_FIX}",
            self.doc.position(escape.offset),
        )

    def _text_breaks(self, raw: _Reading) -> None:
        at = _error_offset(raw)
        escape = self._escape_before(at)
        self.report(
            Code.EXPLORER_DOCSTRING_ESCAPE,
            "the file's text between the quotes is not valid JSON "
            f"({_error_text(raw)}), though the string Python reads is: Python turns the "
            f"escape `{escape.text}` into {_shown(escape.value)}; write it without the Python "
            'escape, or make it a raw docstring r"""...""" holding JSON escapes only',
            self.doc.position(at),
        )

    def _readings_differ(self) -> None:
        """Both readings are JSON, with different strings: a warning, as nothing breaks."""
        escapes = self.doc.escapes
        # \u, \U and \N{} mean in JSON what they mean in Python: look past them
        escape = next((e for e in escapes if e.text[1] not in "uUN"), escapes[0])
        self.report(
            Code.EXPLORER_DOCSTRING_ESCAPE,
            f"the docstring's `{escape.text}` is an escape Python turns into "
            f"{_shown(escape.value)}, so Python (ast.get_docstring, __doc__) and tools reading "
            f"the file's text show different metadata text; {_RAW_FIX}",
            self.doc.position(escape.offset),
            "warning",
        )

    def _syntax(self, raw: _Reading) -> None:
        text, at = raw.text, _error_offset(raw)
        char, before = text[at : at + 1], text[:at].rstrip()[-1:]
        if not text.strip():
            hint = "the docstring is empty; write the JSON metadata object in it"
        elif char == "#":
            hint = "JSON has no comments; remove the # comment (the template's are notes)"
        elif before == "," and char in ("]", "}"):
            hint = "remove the trailing comma"
        elif char == "'":
            hint = "JSON strings take double quotes"
        elif _error_text(raw) == "Extra data":
            hint = "keep only the JSON object in the docstring"
        else:
            hint = "fix the JSON (the metadata must be valid JSON)"
        self.report(
            Code.EXPLORER_JSON,
            f"the metadata docstring is not valid JSON: {_error_text(raw)}; {hint}",
            self.doc.position(at),
        )

    # -- the document --------------------------------------------------------------------

    def _structure(self, reading: _Reading, position: Locate) -> Metadata:
        shape = layout(reading.text)
        for offset in shape.constants:
            self.report(
                Code.EXPLORER_JSON,
                "NaN and Infinity are not JSON; write a number or a string",
                position(offset),
            )
        document = reading.value
        if not isinstance(document, dict):
            self.report(
                Code.EXPLORER_JSON,
                f"the metadata must be a JSON object {{...}}, not {_json_type(document)}; "
                'write {"plugin_type": [...], ...}',
                position(shape.offsets.get((), 0)),
            )
            return Metadata(None, (), tuple(self.out))

        def at(*path: str | int) -> tuple[int, int]:
            return position(_offset(shape, path))

        types = self._plugin_type(document, at)
        self._args_configs(document, types, shape, at)
        return Metadata(document, types, tuple(self.out))

    def _plugin_type(
        self, document: Mapping[str, object], at: Callable[..., tuple[int, int]]
    ) -> tuple[str, ...]:
        expected = [t for t, trigger in PLUGIN_TYPES.items() if trigger in self.triggers]
        wanted = json.dumps(expected or ["scheduled"])
        code, before = Code.EXPLORER_PLUGIN_TYPE, len(self.out)
        if "plugin_type" not in document:
            self.report(code, f'add "plugin_type": {wanted} (the trigger types it supports)', at())
            return ()
        types = document["plugin_type"]
        if not isinstance(types, list) or not types:
            what = "empty" if types == [] else f"{_json_type(types)}, not a list"
            self.report(code, f"plugin_type is {what}; write {wanted}", at("plugin_type"))
            return ()
        seen: set[str] = set()
        for index, item in enumerate(types):
            where = at("plugin_type", index)
            if not isinstance(item, str) or item not in PLUGIN_TYPES:
                self.report(code, _unknown_type(item), where)
            elif item in seen:
                self.report(code, f'plugin_type lists "{item}" twice; remove one', where)
            elif self.triggers and PLUGIN_TYPES[item] not in self.triggers:
                trigger = PLUGIN_TYPES[item]
                self.report(
                    code,
                    f'plugin_type lists "{item}", but {MANIFEST_FILE} plugin.triggers does not '
                    f'declare {trigger}; add {trigger} there (and define it) or remove "{item}"',
                    where,
                )
            if isinstance(item, str):
                seen.add(item)
        unknown = any(not isinstance(t, str) or t not in PLUGIN_TYPES for t in types)
        for plugin_type in [] if unknown else expected:  # an unknown one's hint says enough
            if plugin_type not in seen:
                self.report(
                    code,
                    f"{MANIFEST_FILE} declares the trigger {PLUGIN_TYPES[plugin_type]}, but "
                    f'plugin_type does not list "{plugin_type}"; add it',
                    at("plugin_type"),
                )
        if len(self.out) > before:
            return ()
        return tuple(str(t) for t in types)

    def _args_configs(
        self,
        document: Mapping[str, object],
        types: tuple[str, ...],
        shape: Layout,
        at: Callable[..., tuple[int, int]],
    ) -> None:
        code = Code.EXPLORER_ARGS_CONFIG
        for key, config in document.items():
            if key not in ARGS_CONFIGS:
                if key.endswith("_args_config"):
                    close = difflib.get_close_matches(key, list(ARGS_CONFIGS), 1, 0.6)
                    hint = f"did you mean {close[0]}? " if close else ""
                    self.report(
                        code,
                        f"{key} is not an args config the Explorer reads; {hint}use "
                        "scheduled_args_config, onwrite_args_config or http_args_config",
                        at(key),
                    )
                continue
            if not isinstance(config, list):
                self.report(code, f"{key} must be a list of argument objects [...]", at(key))
                continue
            plugin_type = ARGS_CONFIGS[key]
            if types and config and plugin_type not in types:
                self.report(
                    code,
                    f'{key} configures the "{plugin_type}" trigger type, which plugin_type '
                    f'does not list; add "{plugin_type}" to plugin_type or remove {key}',
                    at(key),
                )
            first: dict[str, int] = {}
            for index, entry in enumerate(config):
                name = self._argument(key, index, entry, at)
                if name is None:
                    continue
                if name in first:
                    line = at(key, first[name], "name")[0]
                    self.report(
                        code,
                        f'argument "{name}" is configured twice in {key} (first at line '
                        f"{line}); remove one or rename it",
                        at(key, index, "name"),
                    )
                else:
                    first[name] = index

    def _argument(
        self, key: str, index: int, entry: object, at: Callable[..., tuple[int, int]]
    ) -> str | None:
        """Check one argument object; its name when it has a usable one."""
        code, label = Code.EXPLORER_ARGS_CONFIG, f"{key}[{index}]"
        if not isinstance(entry, dict):
            self.report(
                code,
                f"{label} must be an object with name, example, description and required, "
                f"not {_json_type(entry)}",
                at(key, index),
            )
            return None
        name = entry.get("name")
        if isinstance(name, str) and name:
            label += f' ("{name}")'
        missing = [k for k in _ARG_KEYS if k not in entry]
        if missing:
            listed = " and ".join(f'"{k}"' for k in missing)
            self.report(
                code,
                f"{label} lacks {listed}; every argument needs name, example, description "
                "(strings) and required (true or false)",
                at(key, index),
            )
        for field in ("name", "example", "description"):
            value = entry.get(field, "")
            if not isinstance(value, str):
                text = json.dumps(json.dumps(value, ensure_ascii=False), ensure_ascii=False)
                self.report(
                    code,
                    f'"{field}" of {label} must be a string, not {_json_type(value)}; '
                    f'write "{field}": {text}',
                    at(key, index, field),
                )
            elif field != "example" and field in entry and not value.strip():
                self.report(
                    code, f'"{field}" of {label} is empty; write one', at(key, index, field)
                )
        required = entry.get("required", False)
        if not isinstance(required, bool):
            quoted = isinstance(required, str) and required.lower() in ("true", "false")
            fix = (
                f'drop the quotes: "required": {required.lower()}'
                if quoted
                else ('write "required": true or false')
            )
            self.report(
                code,
                f'"required" of {label} must be true or false (a JSON boolean), not '
                f"{_json_type(required)}; {fix}",
                at(key, index, "required"),
            )
        return name if isinstance(name, str) and name else None


def _offset(shape: Layout, path: tuple[str | int, ...]) -> int:
    """Where ``path`` starts, or its nearest recorded ancestor."""
    while path not in shape.offsets and path:
        path = path[:-1]
    return shape.offsets.get(path, 0)


def _unknown_type(item: object) -> str:
    if not isinstance(item, str):
        return f"plugin_type items are strings (scheduled, onwrite, http), not {_json_type(item)}"
    guess = _ALIASES.get(item.lower()) or next(
        iter(difflib.get_close_matches(item, list(PLUGIN_TYPES), 1, 0.6)), None
    )
    hint = f' (did you mean "{guess}"?)' if guess else ""
    return f'unknown plugin type "{item}"{hint}: use scheduled, onwrite or http'


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"the string {json.dumps(shown, ensure_ascii=False)}"
    return "a list" if isinstance(value, list) else "an object"
