"""Where each value of a JSON text starts, by path (the JSON twin of ``tomlpos.py``).

``json`` gives values, not positions; diagnostics about a metadata docstring must
name the line of the entry they are about. :func:`layout` walks a text that
``json.loads`` has already accepted and records the offset of every value, keyed
by its path (``("scheduled_args_config", 2, "required")``), plus the offsets of
``NaN`` / ``Infinity``, which Python's ``json`` accepts and JSON does not.
Scalars and deep containers are skipped with the decoder itself, so the walk
agrees with ``json.loads`` on every text it accepted.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Final

Path = tuple[str | int, ...]

_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_DECODER: Final = json.JSONDecoder()
# Paths deeper than this are not recorded (metadata is three levels deep); the
# container is skipped whole, so the walk's own recursion stays shallow.
_MAX_DEPTH: Final = 16


@dataclass
class Layout:
    """``offsets[path]`` is where that value starts; ``constants`` the NaN/Infinity."""

    offsets: dict[Path, int] = field(default_factory=dict)
    constants: list[int] = field(default_factory=list)


def layout(text: str) -> Layout:
    """The layout of ``text``, which ``json.loads`` accepted (else a partial one)."""
    out = Layout()
    with contextlib.suppress(ValueError, IndexError, RecursionError):  # not JSON after all
        _value(text, _skip(text, 0), (), out)
    return out


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _value(text: str, index: int, path: Path, out: Layout) -> int:
    out.offsets[path] = index
    char = text[index : index + 1]
    if char in ("{", "[") and len(path) < _MAX_DEPTH:
        return _object(text, index, path, out) if char == "{" else _array(text, index, path, out)
    value, end = _DECODER.raw_decode(text, index)
    if isinstance(value, float) and not math.isfinite(value):
        out.constants.append(index)
    elif isinstance(value, (dict, list)):
        _constants_in(text[index:end], index, out)
    return int(end)


def _object(text: str, index: int, path: Path, out: Layout) -> int:
    index = _skip(text, index + 1)
    if text[index] == "}":
        return index + 1
    while True:
        key, index = _DECODER.raw_decode(text, index)  # the key: a string
        index = _skip(text, _skip(text, index) + 1)  # past ':'
        index = _skip(text, _value(text, index, (*path, key), out))
        if text[index] == "}":
            return index + 1
        index = _skip(text, index + 1)  # past ','


def _array(text: str, index: int, path: Path, out: Layout) -> int:
    index = _skip(text, index + 1)
    if text[index] == "]":
        return index + 1
    position = 0
    while True:
        index = _skip(text, _value(text, index, (*path, position), out))
        position += 1
        if text[index] == "]":
            return index + 1
        index = _skip(text, index + 1)


_CONSTANT: Final = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.S)


def _constants_in(text: str, base: int, out: Layout) -> None:
    """NaN/Infinity inside a container deeper than the walk goes (outside strings)."""
    for match in _CONSTANT.finditer(text):
        if match.group(1):
            out.constants.append(base + match.start(1))
