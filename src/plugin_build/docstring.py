"""A module's docstring read two ways: as the file's text, and as Python reads it.

The InfluxDB 3 Explorer metadata is JSON inside the entry point's docstring, and
it is read two ways. Tools that scan the file (the plugin repository's own test
harness, ``test/plugin_config.py``, takes the text between the triple quotes
with a regular expression) see the *raw* text. Python (``ast.get_docstring``,
``module.__doc__``) sees the string's *value*, after escape sequences: ``\\"``
becomes ``"``, ``\\n`` a line break, ``\\\\`` one backslash. The two agree only
when the docstring has no escape sequences, or is a raw string ``r\"\"\"…\"\"\"``.

:func:`read_docstring` finds the first statement with :mod:`tokenize` and parses
only that statement with :mod:`ast`, so nothing is imported or executed and a
syntax error further down the file does not hide the docstring. The result maps
offsets in either reading back to the file's line and column (1-based,
counted in characters, as the other diagnostics are).
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Final

__all__ = ["Docstring", "Escape", "NoDocstring", "read_docstring"]

_PREFIX: Final = re.compile(r"[A-Za-z]*")
# What a (non-raw) str literal turns into something else; unknown escapes such as
# ``\d`` stay as written, so they are not listed. Source line ends (CRLF, CR)
# become ``\n`` in every literal, raw or not.
_ESCAPE: Final = re.compile(
    r"\\(?:\r\n|[\n\r\\'\"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|N\{[^}\r\n]*\}"
    r"|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})|\r\n?"
)
_LINE_END: Final = re.compile(r"\r\n?")
_SIMPLE: Final = {
    "\n": "",
    "\r": "",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


@dataclass(frozen=True)
class Escape:
    """An escape sequence as written (``\\"``) at ``offset`` in the raw text, and
    what Python makes of it (``"``)."""

    offset: int
    text: str
    value: str


@dataclass(frozen=True)
class NoDocstring:
    """Why there is no docstring to read, and where (1-based)."""

    message: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Docstring:
    """The docstring literal: ``raw`` is the file's text between the quotes, ``value``
    the string Python reads (``ast.get_docstring(module, clean=False)``)."""

    raw: str
    value: str
    raw_literal: bool  # written r"""…""": both readings are the same text
    escapes: tuple[Escape, ...]
    line: int  # where ``raw`` starts (1-based line, 0-based column)
    column: int
    _newlines: tuple[int, ...]
    # (value offset, raw offset, is an escape or a line end) where each piece starts
    _pieces: tuple[tuple[int, int, bool], ...]

    def position(self, raw_offset: int) -> tuple[int, int]:
        """The file's 1-based (line, column) of an offset in :attr:`raw`."""
        offset = max(0, min(raw_offset, len(self.raw)))
        before = bisect.bisect_left(self._newlines, offset)
        if before == 0:
            return self.line, self.column + offset + 1
        return self.line + before, offset - self._newlines[before - 1]

    def raw_offset(self, value_offset: int) -> int:
        """Where the character at ``value_offset`` of :attr:`value` was written."""
        if value_offset >= len(self.value) or not self._pieces:
            return len(self.raw) if value_offset >= len(self.value) else 0
        starts = [piece[0] for piece in self._pieces]
        index = max(0, bisect.bisect_right(starts, value_offset) - 1)
        value_start, raw_start, escape = self._pieces[index]
        return raw_start if escape else raw_start + value_offset - value_start

    def value_position(self, value_offset: int) -> tuple[int, int]:
        return self.position(self.raw_offset(value_offset))


def read_docstring(text: str) -> Docstring | NoDocstring:
    """The docstring of the module whose source is ``text`` (never executed)."""
    lines: list[str] = []
    buffer = io.StringIO(text)

    def readline() -> str:
        line = buffer.readline()
        lines.append(line)
        return line

    strings: list[tokenize.TokenInfo] = []
    first: tokenize.TokenInfo | None = None
    only_strings = True
    try:
        for token in tokenize.generate_tokens(readline):
            if first is None and token.type in (tokenize.COMMENT, tokenize.NL):
                continue
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                break
            first = first or token
            if token.type == tokenize.STRING and only_strings:
                strings.append(token)
            elif token.type not in (tokenize.NL, tokenize.COMMENT):
                only_strings = False
    except tokenize.TokenError as exc:  # ("EOF in multi-line string", (line, column))
        line = exc.args[1][0] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else 1
        return NoDocstring(_unreadable(f"{exc.args[0]}, line {line}"), line)
    except SyntaxError as exc:
        return NoDocstring(_unreadable(f"{exc.msg}, line {exc.lineno}"), exc.lineno or 1)
    except ValueError as exc:  # 3.12's tokenizer can fail to decode what it re-encoded
        return NoDocstring(_unreadable(str(exc)))
    if first is None:
        return NoDocstring("the entry point is empty")
    where = first.start[0], first.start[1] + 1
    value, refused = _python_docstring("".join(lines))
    if refused is not None:
        return NoDocstring(_unreadable(refused), *where)
    if value is None:
        return NoDocstring(
            "the entry point does not begin with a docstring; begin the file with a "
            '"""...""" string holding the JSON metadata (REQUIRED_PLUGIN_METADATA.md)',
            *where,
        )
    if not only_strings or len(strings) != 1:
        return NoDocstring(
            "the docstring is not one plain string literal (it is split into parts or "
            'parenthesised); write it as one """...""" literal',
            *where,
        )
    return _docstring(strings[0], value)


def _unreadable(reason: str) -> str:
    return (
        f"the entry point's first statement cannot be read as Python ({reason}), so it has "
        "no docstring to read; fix the syntax"
    )


def _python_docstring(prefix: str) -> tuple[str | None, str | None]:
    """``ast.get_docstring`` of the first statement(s), or why they do not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes warn (3.12) and will fail later
            module = ast.parse(prefix)
    except SyntaxError as exc:
        return None, f"{exc.msg}, line {exc.lineno}" if exc.lineno else exc.msg
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return None, str(exc) or type(exc).__name__
    return ast.get_docstring(module, clean=False), None


def _docstring(token: tokenize.TokenInfo, value: str) -> Docstring:
    literal = token.string
    prefix = _PREFIX.match(literal)
    letters = prefix.group() if prefix else ""
    quote = 3 if literal[len(letters) : len(letters) + 3] in ('"""', "'''") else 1
    raw = literal[len(letters) + quote : len(literal) - quote]
    is_raw = "r" in letters.lower()
    pieces: list[tuple[int, int, bool]] = []
    escapes: list[Escape] = []
    decoded: list[str] = []
    at = 0  # in raw
    length = 0  # of what is decoded so far
    for match in (_LINE_END if is_raw else _ESCAPE).finditer(raw):
        if match.start() > at:
            pieces.append((length, at, False))
            decoded.append(raw[at : match.start()])
            length += match.start() - at
        written = match.group()
        meaning = "\n" if written[0] == "\r" else _unescape(written)
        pieces.append((length, match.start(), True))
        decoded.append(meaning)
        length += len(meaning)
        if written[0] == "\\":
            escapes.append(Escape(match.start(), written, meaning))
        at = match.end()
    if at < len(raw):
        pieces.append((length, at, False))
        decoded.append(raw[at:])
    if "".join(decoded) != value:  # a literal this reading does not model: map to the start
        pieces, escapes = [(0, 0, True)], []
    line, column = token.start
    return Docstring(
        raw=raw,
        value=value,
        raw_literal=is_raw,
        escapes=tuple(escapes),
        line=line,
        column=column + len(letters) + quote,
        _newlines=tuple(m.start() for m in re.finditer("\n", raw)),
        _pieces=tuple(pieces),
    )


def _unescape(written: str) -> str:
    body = written[1:]
    if body[0] in _SIMPLE:  # \<line end> is a line continuation: nothing
        return _SIMPLE[body[0]]
    if body[0] in "01234567":
        return chr(int(body, 8))
    try:
        if body[0] in "xuU":
            return chr(int(body[1:], 16))
        return unicodedata.lookup(body[2:-1])  # \N{NAME}
    except (KeyError, ValueError, OverflowError):
        return written
