"""Cargo-flavoured SemVer: a hand port of the Rust ``semver`` crate 1.0.x.

The plugin SDK validates ``plugin.version`` with ``semver::Version::parse`` and
``dependencies.database_version`` / dependency ``version`` with
``semver::VersionReq::parse``, and stores requirements in semver's normalised
``Display`` form.  The SemVer packages on PyPI implement either strict SemVer
2.0.0 versions only or npm-style ranges (``||``, hyphen ranges, space-separated
sets, ``v`` prefixes), none of which is what Cargo accepts, and none reproduces
semver's error texts or its rendering.  So this module ports, function by
function, the crate's ``parse.rs`` (grammar and error order), ``error.rs``
(messages), ``display.rs`` (rendering), ``eval.rs`` (matching) and ``impls.rs``
(pre-release precedence).  Keep it in step with the crate, not with other
SemVer dialects.
"""

from __future__ import annotations

import string
import unicodedata
from typing import NamedTuple

__all__ = ["Comparator", "SemverError", "Version", "VersionReq", "is_valid_version"]

U64_MAX = 18446744073709551615
MAX_COMPARATORS = 32

# semver's `Position` Display texts.
_MAJOR = "major version number"
_MINOR = "minor version number"
_PATCH = "patch version number"
_PRE = "pre-release identifier"
_BUILD = "build metadata"

_DIGITS = frozenset(string.digits)
_NON_DIGITS = frozenset(string.ascii_letters + "-")
_WILDCARDS = frozenset("*xX")
_OPS = ("=", ">", ">=", "<", "<=", "~", "^", "*")

PrecedenceKey = tuple[int, int, int, tuple[int, tuple[tuple[int, int, str], ...]]]
OrderKey = tuple[PrecedenceKey, tuple[tuple[int, int, str, int], ...]]


class SemverError(ValueError):
    """A parse failure; ``str(err)`` is exactly the semver crate's message.

    ``position`` is the 0-based character offset in the input where the
    problem was detected (best effort: the start of the offending number or
    identifier segment for leading-zero, overflow and empty-segment errors).
    """

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


# --- error texts (error.rs) --------------------------------------------------

_SHORT_ESCAPES = {"\0": "\\0", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", "'": "\\'"}

# Grapheme_Extend code points that are neither Mn/Me nor unprintable in Python's
# Unicode 15 tables; Rust (checked with rustc 1.95) escapes these too.
_EXTRA_GRAPHEME_EXTEND_HEX = """
    09BE 09D7 0B3E 0B57 0BBE 0BD7 0CC0 0CC2 0CC7 0CC8 0CCA 0CCB 0CD5 0CD6 0D3E 0D57 0DCF
    0DDF 1715 1734 1B35 1B3B 1B3D 1B43 1B44 1BAA 1BF2 1BF3 302E 302F A953 A9C0 FF9E FF9F
    111C0 11235 1133E 1134D 11357 114B0 114BD 115AF 116B6 11930 1193D 11F41 16FF0 16FF1
    1D165 1D166 1D16D 1D16E 1D16F 1D170 1D171 1D172
"""
_EXTRA_GRAPHEME_EXTEND = frozenset(int(cp, 16) for cp in _EXTRA_GRAPHEME_EXTEND_HEX.split())
_NOT_GRAPHEME_EXTEND = frozenset((0x1171E,))  # Mn in Unicode 15, Mc since 16


def _quote(ch: str) -> str:
    """Rust's ``{:?}`` for a ``char`` (what semver's ``QuotedChar`` prints)."""
    if ch in _SHORT_ESCAPES:
        return f"'{_SHORT_ESCAPES[ch]}'"
    cp = ord(ch)
    grapheme_extend = cp in _EXTRA_GRAPHEME_EXTEND or (
        unicodedata.category(ch) in ("Mn", "Me") and cp not in _NOT_GRAPHEME_EXTEND
    )
    if grapheme_extend or not ch.isprintable():
        return f"'\\u{{{cp:x}}}'"
    return f"'{ch}'"


def _unexpected_end(pos: str, at: int) -> SemverError:
    return SemverError(f"unexpected end of input while parsing {pos}", at)


def _unexpected_char(pos: str, text: str, at: int) -> SemverError:
    return SemverError(f"unexpected character {_quote(text[at])} while parsing {pos}", at)


def _unexpected_char_after(pos: str, text: str, at: int) -> SemverError:
    return SemverError(f"unexpected character {_quote(text[at])} after {pos}", at)


def _empty_segment(pos: str, at: int) -> SemverError:
    return SemverError(f"empty identifier segment in {pos}", at)


def _after_wildcard(at: int) -> SemverError:
    return SemverError("unexpected character after wildcard in version req", at)


# --- lexing helpers (parse.rs) ----------------------------------------------


def _skip_spaces(text: str, i: int) -> int:
    """``trim_start_matches(' ')``: only U+0020 counts as whitespace."""
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _numeric(text: str, i: int, pos: str) -> tuple[int, int]:
    """``numeric_identifier``: ASCII digits, no leading zero, at most u64::MAX."""
    start = i
    value = 0
    while i < len(text) and text[i] in _DIGITS:
        if value == 0 and i > start:
            raise SemverError(f"invalid leading zero in {pos}", start)
        value = value * 10 + ord(text[i]) - ord("0")
        if value > U64_MAX:
            raise SemverError(f"value of {pos} exceeds u64::MAX", start)
        i += 1
    if i > start:
        return value, i
    if i < len(text):
        raise _unexpected_char(pos, text, i)
    raise _unexpected_end(pos, i)


def _dot(text: str, i: int, pos: str) -> int:
    if text.startswith(".", i):
        return i + 1
    if i < len(text):
        raise _unexpected_char_after(pos, text, i)
    raise _unexpected_end(pos, i)


def _identifier(text: str, i: int, pos: str) -> tuple[str, int]:
    """Dot-separated ``[0-9A-Za-z-]+`` segments; may return ``""`` if none start here."""
    start = segment = i
    has_nondigit = False
    while True:
        ch = text[i] if i < len(text) else ""
        if ch in _NON_DIGITS:
            has_nondigit = True
            i += 1
        elif ch in _DIGITS:
            i += 1
        else:
            if i == segment:
                if segment == start and ch != ".":
                    return "", start
                raise _empty_segment(pos, i)
            if pos == _PRE and i - segment > 1 and not has_nondigit and text[segment] == "0":
                raise SemverError(f"invalid leading zero in {pos}", segment)
            if ch != ".":
                return text[start:i], i
            i += 1
            segment = i
            has_nondigit = False


def _op(text: str, i: int) -> tuple[str, int]:
    """The comparison operator at ``i``; a missing operator means caret."""
    if text.startswith((">=", "<="), i):
        return text[i : i + 2], i + 2
    if i < len(text) and text[i] in "=><~^":
        return text[i], i + 1
    return "^", i


# --- pre-release precedence (impls.rs) ----------------------------------------


def _pre_key(pre: str) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """Sort key reproducing ``Ord for Prerelease``: a release sorts after any pre-release;
    all-digit identifiers compare numerically (by length, then text) and before
    alphanumeric ones, which compare in ASCII order; a shorter prefix sorts first."""
    if not pre:
        return (1, ())
    idents = []
    for ident in pre.split("."):
        if all(ch in _DIGITS for ch in ident):
            idents.append((0, len(ident), ident))
        else:
            idents.append((1, 0, ident))
    return (0, tuple(idents))


def _build_key(build: str) -> tuple[tuple[int, int, str, int], ...]:
    """Sort key reproducing ``Ord for BuildMetadata``: identifiers left to right;
    all-digit ones compare numerically (leading zeros ignored, then the shorter
    spelling first: 0 < 00 < 1 < 01) and before alphanumeric ones, which compare
    in ASCII order; a shorter prefix sorts first. No build metadata sorts first."""
    idents = []
    for ident in build.split("."):  # "" gives [""], an empty numeric identifier, as in Rust
        if all(ch in _DIGITS for ch in ident):
            value = ident.lstrip("0")
            idents.append((0, len(value), value, len(ident)))
        else:
            idents.append((1, 0, ident, 0))
    return tuple(idents)


# --- public types -------------------------------------------------------------


class Version(NamedTuple):
    """A SemVer 2.0.0 version; equality includes build metadata, as in Rust."""

    major: int
    minor: int
    patch: int
    pre: str = ""
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """``semver::Version::parse``: strict, no whitespace, no ``v`` prefix."""
        if not text:
            raise SemverError("empty string, expected a semver version", 0)
        major, i = _numeric(text, 0, _MAJOR)
        i = _dot(text, i, _MAJOR)
        minor, i = _numeric(text, i, _MINOR)
        i = _dot(text, i, _MINOR)
        patch, i = _numeric(text, i, _PATCH)
        pos = _PATCH
        pre = build = ""
        if text.startswith("-", i):
            pos = _PRE
            pre, i = _identifier(text, i + 1, _PRE)
            if not pre:
                raise _empty_segment(pos, i)
        if text.startswith("+", i):
            pos = _BUILD
            build, i = _identifier(text, i + 1, _BUILD)
            if not build:
                raise _empty_segment(pos, i)
        if i < len(text):
            raise _unexpected_char_after(pos, text, i)
        return cls(major, minor, patch, pre, build)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += f"-{self.pre}"
        if self.build:
            text += f"+{self.build}"
        return text

    def precedence_key(self) -> PrecedenceKey:
        """SemVer 2.0.0 section 11 precedence; build metadata is ignored."""
        return (self.major, self.minor, self.patch, _pre_key(self.pre))

    def order_key(self) -> OrderKey:
        """``Ord for Version``: precedence, then build metadata as a tie-break.

        The SDK's "latest version" is the maximum of this order, so of two
        versions equal in precedence, ``1.0.0+b.1`` beats ``1.0.0``.
        """
        return (self.precedence_key(), _build_key(self.build))


class _ComparatorFields(NamedTuple):
    op: str
    major: int
    minor: int | None
    patch: int | None
    pre: str = ""


class Comparator(_ComparatorFields):
    """One comparator of a requirement; ``op == "*"`` is a wildcard such as ``1.*``.

    The records here are NamedTuples, not dataclasses: importing dataclasses (and
    the inspect it imports) was a tenth of a one-plugin validate's run."""

    __slots__ = ()

    def __new__(
        cls, op: str, major: int, minor: int | None, patch: int | None, pre: str = ""
    ) -> Comparator:
        if op not in _OPS:
            raise ValueError(f"unknown comparator op {op!r}")
        return super().__new__(cls, op, major, minor, patch, pre)

    def __str__(self) -> str:
        text = ("" if self.op == "*" else self.op) + str(self.major)
        if self.minor is not None:
            text += f".{self.minor}"
            if self.patch is not None:
                text += f".{self.patch}"
                if self.pre:
                    text += f"-{self.pre}"
            elif self.op == "*":
                text += ".*"
        elif self.op == "*":
            text += ".*"
        return text

    def matches(self, version: Version) -> bool:
        """``Comparator::matches``, including the pre-release rule."""
        return self._matches_impl(version) and (not version.pre or self._pre_is_compatible(version))

    # eval.rs
    def _matches_impl(self, ver: Version) -> bool:
        op = self.op
        if op in ("=", "*"):
            return self._exact(ver)
        if op == ">":
            return self._greater(ver)
        if op == ">=":
            return self._exact(ver) or self._greater(ver)
        if op == "<":
            return self._less(ver)
        if op == "<=":
            return self._exact(ver) or self._less(ver)
        if op == "~":
            return self._tilde(ver)
        return self._caret(ver)

    def _exact(self, ver: Version) -> bool:
        return (
            ver.major == self.major
            and self.minor in (None, ver.minor)
            and self.patch in (None, ver.patch)
            and ver.pre == self.pre
        )

    def _greater(self, ver: Version) -> bool:
        if ver.major != self.major:
            return ver.major > self.major
        if self.minor is None:
            return False
        if ver.minor != self.minor:
            return ver.minor > self.minor
        if self.patch is None:
            return False
        if ver.patch != self.patch:
            return ver.patch > self.patch
        return _pre_key(ver.pre) > _pre_key(self.pre)

    def _less(self, ver: Version) -> bool:
        if ver.major != self.major:
            return ver.major < self.major
        if self.minor is None:
            return False
        if ver.minor != self.minor:
            return ver.minor < self.minor
        if self.patch is None:
            return False
        if ver.patch != self.patch:
            return ver.patch < self.patch
        return _pre_key(ver.pre) < _pre_key(self.pre)

    def _tilde(self, ver: Version) -> bool:
        if ver.major != self.major:
            return False
        if self.minor is not None and ver.minor != self.minor:
            return False
        if self.patch is not None and ver.patch != self.patch:
            return ver.patch > self.patch
        return _pre_key(ver.pre) >= _pre_key(self.pre)

    def _caret(self, ver: Version) -> bool:
        if ver.major != self.major:
            return False
        minor, patch = self.minor, self.patch
        if minor is None:
            return True
        if patch is None:
            return ver.minor >= minor if self.major > 0 else ver.minor == minor
        if self.major > 0:
            if ver.minor != minor:
                return ver.minor > minor
            if ver.patch != patch:
                return ver.patch > patch
        elif minor > 0:
            if ver.minor != minor:
                return False
            if ver.patch != patch:
                return ver.patch > patch
        elif ver.minor != minor or ver.patch != patch:
            return False
        return _pre_key(ver.pre) >= _pre_key(self.pre)

    def _pre_is_compatible(self, ver: Version) -> bool:
        return (
            self.major == ver.major
            and self.minor == ver.minor
            and self.patch == ver.patch
            and bool(self.pre)
        )


def _comparator(text: str, i: int) -> tuple[Comparator, str, int]:
    """Parse one comparator at ``i``; return it, the last position parsed
    (for error texts) and the offset after trailing spaces."""
    op, j = _op(text, i)
    default_op = j == i
    j = _skip_spaces(text, j)
    pos = _MAJOR
    major, j = _numeric(text, j, pos)
    minor: int | None = None
    patch: int | None = None
    has_wildcard = False
    if text.startswith(".", j):
        j += 1
        pos = _MINOR
        if j < len(text) and text[j] in _WILDCARDS:
            j += 1
            has_wildcard = True
            if default_op:
                op = "*"
        else:
            minor, j = _numeric(text, j, pos)
    if text.startswith(".", j):
        j += 1
        pos = _PATCH
        if j < len(text) and text[j] in _WILDCARDS:
            j += 1
            if default_op:
                op = "*"
        elif has_wildcard:
            raise _after_wildcard(j)
        else:
            patch, j = _numeric(text, j, pos)
    pre = ""
    if patch is not None and text.startswith("-", j):
        pos = _PRE
        pre, j = _identifier(text, j + 1, _PRE)
        if not pre:
            raise _empty_segment(pos, j)
    if patch is not None and text.startswith("+", j):
        pos = _BUILD
        build, j = _identifier(text, j + 1, _BUILD)  # parsed, then discarded
        if not build:
            raise _empty_segment(pos, j)
    return Comparator(op, major, minor, patch, pre), pos, _skip_spaces(text, j)


class VersionReq(NamedTuple):
    """A comma-separated conjunction of comparators; no comparators means ``*``."""

    comparators: tuple[Comparator, ...]

    @classmethod
    def parse(cls, text: str) -> VersionReq:
        """``semver::VersionReq::parse`` (Cargo's requirement grammar)."""
        i = _skip_spaces(text, 0)
        if i < len(text) and text[i] in _WILDCARDS:
            rest = _skip_spaces(text, i + 1)
            if rest == len(text):
                return cls(())
            if text[rest] == ",":
                raise _wildcard_not_alone(text[i], i)
            raise _after_wildcard(i + 1)
        comparators: list[Comparator] = []
        while True:
            start = i
            try:
                comparator, pos, i = _comparator(text, i)
            except SemverError:
                if start < len(text) and text[start] in _WILDCARDS:
                    rest = _skip_spaces(text, start + 1)
                    if rest == len(text) or text[rest] == ",":
                        raise _wildcard_not_alone(text[start], start) from None
                raise
            comparators.append(comparator)
            if i == len(text):
                return cls(tuple(comparators))
            if text[i] != ",":
                found = _quote(text[i])
                raise SemverError(f"expected comma after {pos}, found {found}", i)
            i = _skip_spaces(text, i + 1)
            if len(comparators) == MAX_COMPARATORS:
                raise SemverError("excessive number of version comparators", i)

    def __str__(self) -> str:
        if not self.comparators:
            return "*"
        return ", ".join(str(comparator) for comparator in self.comparators)

    def matches(self, version: Version) -> bool:
        """All comparators match, and a pre-release version is only accepted if
        some comparator names the same ``major.minor.patch`` with a pre-release."""
        if not all(c._matches_impl(version) for c in self.comparators):
            return False
        return not version.pre or any(c._pre_is_compatible(version) for c in self.comparators)


def _wildcard_not_alone(ch: str, at: int) -> SemverError:
    return SemverError(f"wildcard req ({ch}) must be the only comparator in the version req", at)


def is_valid_version(text: str) -> bool:
    """True when ``Version.parse(text)`` succeeds."""
    try:
        Version.parse(text)
    except SemverError:
        return False
    return True
