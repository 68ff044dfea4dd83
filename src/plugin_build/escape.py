"""One visible form for untrusted text in what we print.

A file or directory name may hold any byte but ``/`` and NUL, and a manifest any
character. Printed raw, such text can recolour or clear the terminal (ESC), ring
the bell (BEL), rewrite the line (CR), or start a new line — in GitHub Actions a
line starting with ``::`` is a workflow command. Every line of human output and
every JSON document therefore passes through here:

* :func:`printable` — control characters (C0, DEL, C1), the Unicode line and
  paragraph separators and the bidirectional controls become ``\\xNN`` /
  ``\\uNNNN``; bytes of an undecodable name (surrogate escapes) become ``\\xNN``.
  Everything else, non-ASCII letters included, is shown as it is.
* :func:`json_text` — ``json.dumps`` (which escapes C0 already) with the same
  characters written as JSON ``\\uNNNN`` escapes and undecodable bytes as U+FFFD,
  so the document is valid UTF-8 JSON that no terminal acts on.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["UNSAFE", "json_text", "printable"]

_REST: Final = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
UNSAFE: Final = re.compile(f"[\x00-\x1f{_REST}]")
# json.dumps escapes C0 inside strings itself; the C0 left in its text (the newlines
# of the indentation) are structure and stay.
_JSON_UNSAFE: Final = re.compile(f"[{_REST}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could act on a terminal or log escaped."""
    return UNSAFE.sub(_visible, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else f"\\u{code:04x}"


def json_text(document: Any, *, indent: int | None = 2) -> str:
    """``document`` as JSON text (one trailing newline) that is safe to print."""
    text = json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)
    return _JSON_UNSAFE.sub(_json_escape, text) + "\n"
