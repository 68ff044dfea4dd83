"""TOML syntax errors in words a plugin author understands.

``tomllib`` says where its parser gave up, in the parser's terms: an
unterminated string is "Illegal character '\\n'" at the end of the line, a bare
word is "Invalid value". :func:`explain` keeps the verdict and says what is wrong
and how to fix it, at the place the fix goes (an unterminated string: where the
string starts).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

_POSITION: Final = re.compile(r" \(at (?:line (\d+), column (\d+)|end of document)\)$")
_ILLEGAL: Final = re.compile(r"^Illegal character '(.+)'$")
_TWICE: Final = re.compile(r"^Cannot (?:declare|redefine namespace|mutate immutable namespace) ")
_KEY: Final = re.compile(r"\s*([A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)")


@dataclass(frozen=True)
class TomlProblem:
    """What is wrong, in words, and where (1-based; ``None`` where tomllib had no place)."""

    message: str
    line: int | None
    column: int | None


def explain(text: str, error: str) -> TomlProblem:
    """The problem behind a ``tomllib.TOMLDecodeError`` message for ``text``."""
    line: int | None = None
    column: int | None = None
    if match := _POSITION.search(error):
        if match.group(1):
            line, column = int(match.group(1)), int(match.group(2))
        error = error[: match.start()]
    if _about_strings(error):
        unclosed = _unterminated_string(text)
        if unclosed is not None and (line is None or (unclosed.line or 0) <= line):
            return unclosed
    row = _line_text(text, line)
    if error == "Unescaped '\\' in a string" and row is not None and column is not None:
        # tomllib stops after the two characters it read as an escape: point at the '\\'
        backslash = row.rfind("\\", 0, column)
        if backslash >= 0:
            column = backslash + 1
    elif error == "Cannot overwrite a value" and row is not None and _leading_key(row):
        column = len(row) - len(row.lstrip()) + 1  # at the key set twice, not after its value
    return TomlProblem(_words(error, row, column), line, column)


def _about_strings(error: str) -> bool:
    return error in (
        "Unterminated string",
        "Illegal character '\\n'",
        "Illegal character '\\r'",
    ) or (error.startswith("Expected ") and error[9:12] in ("'\"'", '"\'"'))


def _words(error: str, row: str | None, column: int | None) -> str:
    if match := _ILLEGAL.fullmatch(error):
        char = _unrepr(match.group(1))
        if char is not None and len(char) == 1:
            code = f"U+{ord(char):04X}"
            name = unicodedata.name(char, "a control character")
            return (
                f"{code} ({name.lower()}) cannot be written in TOML as it is; in a "
                f'"basic string" write it as \\u{ord(char):04X}'
            )
    if error == "Unescaped '\\' in a string":
        after = ""
        if row is not None and column is not None and column < len(row):
            after = row[column : column + 1]  # column (1-based) is the backslash
        escape = f"\\{after}" if after and after.isprintable() else "that"
        return (
            f'a backslash starts an escape in a "basic string", and {escape} is not one; '
            "double the backslash (\\\\) or use a 'literal string'"
        )
    key = _leading_key(row)
    if error == "Expected '=' after a key in a key/value pair":
        subject = f"the key {key}" if key else "a key"
        return f"'=' is missing after {subject}: write {key or 'key'} = value"
    if error == "Invalid value":
        subject = f"the value of {key}" if key else "this value"
        return (
            f'{subject} is not a TOML value: text needs quotes ("..."), true and false are '
            'lowercase, an array is written ["a", "b"]'
        )
    if error == "Unclosed array":
        return "an array is not closed: a ']' is missing before this point"
    if error == "Unclosed inline table":
        return "an inline table is not closed: a '}' is missing, and it must end on its line"
    if error == "Cannot overwrite a value" and key:
        return f"{key} is set a second time here; a key is set once: remove one of the two"
    if _TWICE.match(error) and (parts := re.findall(r"'([^']*)'", error)):
        table = ".".join(parts)
        return f"the table [{table}] is declared a second time here; merge the two into one"
    if error == "Cannot overwrite a value" or _TWICE.match(error):
        return "a key or table is defined a second time here; define each once"
    if error == "Expected newline or end of document after a statement":
        return (
            "unexpected text after the value: write one key = value per line ('#' starts a comment)"
        )
    if error in ("Invalid statement", "Invalid initial character for a key part"):
        return "expected key = value, a [table] header or a '#' comment here"
    if error == "Expected ']' at the end of a table declaration":
        return "the table header is not closed: write [name]"
    if error == "Expected ']]' at the end of an array declaration":
        return "the array-of-tables header is not closed: write [[name]]"
    if error == "Invalid date or datetime":
        return "this is not a valid date or time (YYYY-MM-DD, HH:MM:SS); quote it if it is text"
    if error in ("Invalid hex value", "Escaped character is not a Unicode scalar value"):
        return "a \\u or \\U escape does not name a Unicode character"
    return error[:1].lower() + error[1:]


def _unrepr(shown: str) -> str | None:
    """The character tomllib showed with ``repr``, e.g. ``\\x01`` or ``\\t``."""
    simple = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\\\": "\\"}
    if shown in simple:
        return simple[shown]
    if re.fullmatch(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8}", shown):
        return chr(int(shown[2:], 16))
    return shown if len(shown) == 1 else None


def _line_text(text: str, line: int | None) -> str | None:
    if line is None:
        return None
    rows = text.split("\n")
    return rows[line - 1] if 0 < line <= len(rows) else None


def _leading_key(row: str | None) -> str | None:
    if row is None or row.lstrip().startswith("["):
        return None
    match = _KEY.match(row)
    return re.sub(r"\s+", "", match.group(1)) if match and match.group(1) else None


def _unterminated_string(text: str) -> TomlProblem | None:
    """The first string without its closing quote, found by a scan of TOML's lexical
    rules for strings and comments (tomllib only says where it stopped reading).
    ``None`` when every string is closed."""
    i, n = 0, len(text)
    line, line_start = 1, 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
            i += 1
        elif ch == "#":  # a comment runs to the end of its line
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            start = (line, i - line_start + 1)
            closed = _string_end(text, i + len(quote), quote)
            if closed is None:
                return _unclosed(quote, start)
            end = closed
            line += text.count("\n", i, end)
            if "\n" in text[i:end]:
                line_start = text.rindex("\n", i, end) + 1
            i = end
        else:
            i += 1
    return None


def _string_end(text: str, i: int, quote: str) -> int | None:
    """The index just after the closing ``quote``, or ``None`` if it never comes."""
    basic = quote[0] == '"'
    multiline = len(quote) == 3
    n = len(text)
    while i < n:
        ch = text[i]
        if basic and ch == "\\":
            i += 2
            continue
        if ch == "\n" and not multiline:
            return None
        if text.startswith(quote, i):
            end = i + len(quote)
            while multiline and end < n and text[end] == quote[0] and end - i < 5:
                end += 1  # up to two quotes more belong to the content (""""a"""" is valid)
            return end
        i += 1
    return None


def _unclosed(quote: str, start: tuple[int, int]) -> TomlProblem:
    kind = {'"': "string", "'": "literal string"}.get(quote, "multi-line string")
    where = "before the end of the file" if len(quote) == 3 else "on its line"
    fix = f"add the closing {quote}"
    if len(quote) == 1:
        fix += f" (a string over several lines is written between {quote * 3} and {quote * 3})"
    return TomlProblem(
        f"unterminated {kind}: the {quote} here has no closing {quote} {where}; {fix}", *start
    )
