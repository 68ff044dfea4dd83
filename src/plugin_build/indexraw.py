"""``index.json`` bytes → the SDK's raw index structs, with serde_json's verdicts.

The SDK reads an index in two phases (its ``raw.rs``): serde_json first fills
plain structs of strings, and any problem there — bad syntax, a wrong type, a
missing required key, a known key written twice — is one root ``JsonParse``
error; only then are the values checked field by field (``index.py``). This
module is the first phase. Python's ``json`` is more lenient than serde_json in
ways that change verdicts, so its output is read with serde's rules:

* a struct may be written as a JSON array and is then filled by position
  (serde's ``visit_seq``): trailing fields left out must have defaults, extra
  elements are an error (``["2.0", "https://x.example/", []]`` is an index);
* a known key twice in one object is an error, an unknown key is ignored;
* every string serde decodes (the keys of a struct's object, known string
  fields, all of ``published_at``) must not hold a lone surrogate such as
  ``"\\ud800"``; ignored values are only syntax-checked, as serde skips them;
* numbers stay text, so a 5000-digit number in an ignored value decodes as it
  does in serde; inside ``published_at`` one that overflows ``f64`` is an error;
* ``NaN`` and ``Infinity`` are not JSON, and neither is a leading BOM;
* ``published_at`` may nest at most 124 arrays/objects (serde_json's depth
  limit of 128, less the index, ``plugins`` and the entry around it).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from .diagnostics import render_field

__all__ = [
    "MISSING",
    "Number",
    "RawDependency",
    "RawEntry",
    "RawError",
    "RawIndex",
    "read_raw",
    "render_value",
]

# serde_json's recursion limit, less the containers above ``published_at``.
_VALUE_DEPTH_LIMIT: Final = 128 - 3
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()  # ``published_at`` absent or null


@dataclass(frozen=True)
class Number:
    """A JSON number as written."""

    text: str


@dataclass(frozen=True)
class RawDependency:
    index_url: str
    name: str
    version: str


@dataclass(frozen=True)
class RawEntry:
    """One ``plugins[]`` element as serde decoded it; nothing checked yet."""

    name: str
    version: str
    published_at: object  # MISSING, a str, or any other JSON value (checked later)
    description: str
    triggers: tuple[str, ...]
    homepage: str | None
    repository: str | None
    documentation: str | None
    database_version: str
    python: tuple[str, ...]
    plugins: tuple[RawDependency, ...]
    hash: str
    yanked: bool


@dataclass(frozen=True)
class RawIndex:
    schema_version: str
    artifacts_url: str
    plugins: tuple[RawEntry, ...]


class RawError(ValueError):
    """The SDK's root ``JsonParse``: ``str(err)`` says what and where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class _Object(dict[str, object]):
    """A decoded JSON object (later keys win) that remembers its repeated keys."""

    duplicates: frozenset[str] = frozenset()


def _object(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        obj.duplicates = frozenset(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return obj


class _NotJson(ValueError):
    pass


def _constant(name: str) -> object:
    raise _NotJson(f"{name} is not a JSON value")


# A field: (name, kind, required). Kinds: "str", "opt_str" (null allowed),
# "str_list", "bool", "value" (any JSON), a nested _Struct, or a 1-tuple holding
# the _Struct of a list's elements.
_Field = tuple[str, object, bool]


@dataclass(frozen=True)
class _Struct:
    fields: tuple[_Field, ...]


_DEPENDENCY: Final = _Struct(
    (("index_url", "str", True), ("name", "str", True), ("version", "str", True))
)
_DEPENDENCIES: Final = _Struct(
    (
        ("database_version", "str", True),
        ("python", "str_list", False),
        ("plugins", (_DEPENDENCY,), False),
    )
)
_ENTRY: Final = _Struct(
    (
        ("name", "str", True),
        ("version", "str", True),
        ("published_at", "value", False),
        ("description", "str", True),
        ("triggers", "str_list", True),
        ("homepage", "opt_str", False),
        ("repository", "opt_str", False),
        ("documentation", "opt_str", False),
        ("dependencies", _DEPENDENCIES, True),
        ("hash", "str", True),
        ("yanked", "bool", False),
    )
)
_INDEX: Final = _Struct(
    (
        ("index_schema_version", "str", True),
        ("artifacts_url", "str", True),
        ("plugins", (_ENTRY,), True),
    )
)
_DEFAULTS: Final[dict[object, object]] = {
    "opt_str": None,
    "str_list": [],
    "bool": False,
    "value": MISSING,
    (_DEPENDENCY,): [],
}


def read_raw(data: bytes) -> RawIndex:
    """Decode ``index.json``; raises :class:`RawError` where serde_json fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise RawError(
            "index.json starts with a UTF-8 byte order mark, which the plugin SDK's JSON "
            "parser refuses; save the file without it",
            1,
            1,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RawError(
            f"index.json is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8",
            data.count(b"\n", 0, exc.start) + 1,
        ) from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=Number,
            parse_float=Number,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        raise RawError(
            f"index.json is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}); "
            "fix the syntax",
            exc.lineno,
            exc.colno,
        ) from None
    except _NotJson as exc:
        raise RawError(f"index.json is not valid JSON: {exc}; remove it") from None
    except RecursionError:
        raise RawError(
            "index.json nests arrays or objects too deeply to read; flatten it"
        ) from None
    fields = _struct(document, _INDEX, ())
    plugins = fields["plugins"]
    assert isinstance(plugins, list)
    return RawIndex(
        schema_version=_str(fields["index_schema_version"]),
        artifacts_url=_str(fields["artifacts_url"]),
        plugins=tuple(_entry(entry) for entry in plugins),
    )


def _str(value: object) -> str:
    assert isinstance(value, str)
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _strs(value: object) -> tuple[str, ...]:
    assert isinstance(value, list)
    return tuple(_str(item) for item in value)


def _entry(fields: object) -> RawEntry:
    assert isinstance(fields, dict)
    deps = fields["dependencies"]
    assert isinstance(deps, dict)
    plugins = deps["plugins"]
    assert isinstance(plugins, list)
    return RawEntry(
        name=_str(fields["name"]),
        version=_str(fields["version"]),
        published_at=fields["published_at"],
        description=_str(fields["description"]),
        triggers=_strs(fields["triggers"]),
        homepage=_opt_str(fields["homepage"]),
        repository=_opt_str(fields["repository"]),
        documentation=_opt_str(fields["documentation"]),
        database_version=_str(deps["database_version"]),
        python=_strs(deps["python"]),
        plugins=tuple(
            RawDependency(_str(d["index_url"]), _str(d["name"]), _str(d["version"]))
            for d in plugins
            if isinstance(d, dict)
        ),
        hash=_str(fields["hash"]),
        yanked=fields["yanked"] is True,
    )


def _where(path: tuple[str | int, ...]) -> str:
    return render_field(path) or "the index"


def _struct(value: object, spec: _Struct, path: tuple[str | int, ...]) -> dict[str, object]:
    where = _where(path)
    out: dict[str, object] = {}
    if isinstance(value, _Object):
        for key in value:
            _no_surrogate(key, f"a key of {where}")
        twice = [name for name, _, _ in spec.fields if name in value.duplicates]
        if twice:
            raise RawError(f"{where} has the key {twice[0]!r} more than once; keep one")
        for name, kind, required in spec.fields:
            if name in value:
                out[name] = _field(value[name], kind, (*path, name))
            elif required:
                raise RawError(f"{where} lacks the required key {name!r}; add it")
            else:
                out[name] = _default(kind)
        return out
    if isinstance(value, list):
        names = [name for name, _, _ in spec.fields]
        if len(value) > len(names):
            raise RawError(
                f"{where} is an array of {len(value)} values, more than the {len(names)} "
                f"fields ({', '.join(names)}) the plugin SDK fills from an array by position; "
                "write it as an object"
            )
        for i, (name, kind, required) in enumerate(spec.fields):
            if i < len(value):
                out[name] = _field(value[i], kind, (*path, name))
            elif required:
                raise RawError(
                    f"{where} is an array of {len(value)} values, which the plugin SDK reads "
                    f"by position as ({', '.join(names)}), so it lacks {name!r}; "
                    "write it as an object"
                )
            else:
                out[name] = _default(kind)
        return out
    raise RawError(f"{where} must be an object, not {_json_type(value)}")


def _default(kind: object) -> object:
    return list(default) if isinstance(default := _DEFAULTS[kind], list) else default


def _field(value: object, kind: object, path: tuple[str | int, ...]) -> object:
    where = _where(path)
    if isinstance(kind, _Struct):
        return _struct(value, kind, path)
    if isinstance(kind, tuple):
        if not isinstance(value, list):
            raise RawError(f"{where} must be an array, not {_json_type(value)}")
        return [_struct(item, kind[0], (*path, i)) for i, item in enumerate(value)]
    if kind == "value":
        return MISSING if value is None else _value(value, where)
    if kind == "opt_str" and value is None:
        return None
    if kind in ("str", "opt_str"):
        if not isinstance(value, str):
            raise RawError(f"{where} must be a string, not {_json_type(value)}")
        return _no_surrogate(value, where)
    if kind == "bool":
        if not isinstance(value, bool):
            raise RawError(f"{where} must be true or false, not {_json_type(value)}")
        return value
    assert kind == "str_list"
    if not isinstance(value, list):
        raise RawError(f"{where} must be an array of strings, not {_json_type(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise RawError(f"{render_field((*path, i))} must be a string, not {_json_type(item)}")
        _no_surrogate(item, render_field((*path, i)))
    return value


def _value(value: object, where: str) -> object:
    """Check an arbitrary JSON value as serde_json decodes it into its ``Value``."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            if depth >= _VALUE_DEPTH_LIMIT:
                raise RawError(
                    f"{where} nests {depth} or more arrays/objects, past the plugin SDK's "
                    "JSON depth limit; write a timestamp string"
                )
            if isinstance(item, dict):
                for key in item:
                    _no_surrogate(key, where)
                stack.extend((child, depth) for child in item.values())
            else:
                stack.extend((child, depth) for child in item)
        elif isinstance(item, str):
            _no_surrogate(item, where)
        elif isinstance(item, Number) and float(item.text) in (float("inf"), float("-inf")):
            raise RawError(
                f"{where} holds the number {item.text[:40]}, out of the range the plugin SDK "
                "reads; write a timestamp string"
            )
    return value


def _no_surrogate(text: str, where: str) -> str:
    if _SURROGATE.search(text):
        raise RawError(
            f"{where} holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which the "
            "plugin SDK's JSON parser refuses; write the character itself or a valid pair"
        )
    return text


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Number):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def render_value(value: object) -> str:
    """Compact JSON for a decoded value, as the SDK's messages show one."""
    if isinstance(value, Number):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(render_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
