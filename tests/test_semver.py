"""Tests for the hand port of Rust's semver 1.0.x (CONFORMANCE 1.3, 1.4, 1.6, 1.7, 4.2)."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, example, given, reject
from hypothesis import strategies as st

from plugin_build.semver import (
    Comparator,
    SemverError,
    Version,
    VersionReq,
    is_valid_version,
)

U64_MAX = 18446744073709551615

# --- VersionReq: accepted inputs and their normalised rendering (CONFORMANCE 1.4) ----

REQ_ACCEPTED = [
    # bare versions get an explicit caret
    ("1", "^1"),
    ("1.2", "^1.2"),
    ("2.1", "^2.1"),
    ("1.2.3", "^1.2.3"),
    # every operator, 1-3 numeric parts
    ("^1.2.3", "^1.2.3"),
    ("~1", "~1"),
    ("^0.0", "^0.0"),
    ("<=2.1.0-alpha2", "<=2.1.0-alpha2"),
    (">1", ">1"),
    ("=1.2", "=1.2"),
    ("<3", "<3"),
    (">=3.2.0", ">=3.2.0"),
    # spaces (U+0020 only): after the operator, around commas, leading/trailing
    (">= 1.0.0", ">=1.0.0"),
    ("  ^1.2  ", "^1.2"),
    ("1.2 , 3", "^1.2, ^3"),
    # comma-separated conjunctions
    (">=3.2.0,<4.0.0", ">=3.2.0, <4.0.0"),
    ("> 0.0.9, <= 2.5.3", ">0.0.9, <=2.5.3"),
    ("0.1.0, 0.1.4, 0.1.6", "^0.1.0, ^0.1.4, ^0.1.6"),
    # wildcards
    ("*", "*"),
    ("x", "*"),
    ("X", "*"),
    ("  *  ", "*"),
    ("1.*", "1.*"),
    ("1.x", "1.*"),
    ("1.X", "1.*"),
    ("1.*.*", "1.*"),
    ("0.*.*", "0.*"),
    ("1.2.*", "1.2.*"),
    ("1.2.x", "1.2.*"),
    ("0.0.*", "0.0.*"),
    (">=1.0, 1.*", ">=1.0, 1.*"),
    # an operator with a wildcard tail drops the wildcard
    (">=1.*", ">=1"),
    ("~1.2.x", "~1.2"),
    ("^1.*.*", "^1"),
    # pre-release after a full x.y.z; build metadata parsed and discarded
    ("=2.1.1-really.0", "=2.1.1-really.0"),
    (">= 1.2.3-1a", ">=1.2.3-1a"),
    (">=1.2.3-01a", ">=1.2.3-01a"),
    ("=0.1.0+meta", "=0.1.0"),
    ("1.2.3+01", "^1.2.3"),
    ("~1.2.3-1a-1a+1a-1a-1a", "~1.2.3-1a-1a"),
    # numbers up to u64::MAX
    (f"{U64_MAX}.0.{U64_MAX}", f"^{U64_MAX}.0.{U64_MAX}"),
    # at most 32 comparators
    (",".join(["1"] * 32), ", ".join(["^1"] * 32)),
]


@pytest.mark.parametrize(("text", "rendered"), REQ_ACCEPTED)
def test_req_accepted_and_normalised(text: str, rendered: str) -> None:
    req = VersionReq.parse(text)
    assert str(req) == rendered
    assert VersionReq.parse(rendered) == req


# --- VersionReq: rejected inputs and semver's error text ----------------------------

REQ_REJECTED = [
    ("", "unexpected end of input while parsing major version number"),
    ("v1.2.3", "unexpected character 'v' while parsing major version number"),
    ("1.2.3 - 2.3.4", "expected comma after patch version number, found '-'"),
    ("=1.2.3 || =2.3.4", "expected comma after patch version number, found '|'"),
    ("1.1 || =1.2.3", "expected comma after minor version number, found '|'"),
    ("1 || 2", "expected comma after major version number, found '|'"),
    (">=1 <2", "expected comma after major version number, found '<'"),
    ("> 0.0.9 <= 2.5.3", "expected comma after patch version number, found '<'"),
    ("1.0,", "unexpected end of input while parsing major version number"),
    ("> 0.3.0, ,", "unexpected character ',' while parsing major version number"),
    (">= >= 1", "unexpected character '>' while parsing major version number"),
    (">==1", "unexpected character '=' while parsing major version number"),
    ("==1", "unexpected character '=' while parsing major version number"),
    ("~>1", "unexpected character '>' while parsing major version number"),
    (">=", "unexpected end of input while parsing major version number"),
    ("*, 1.0", "wildcard req (*) must be the only comparator in the version req"),
    ("1.0, *", "wildcard req (*) must be the only comparator in the version req"),
    ("0.20.0-any, *, 1.0", "wildcard req (*) must be the only comparator in the version req"),
    ("1.0, x", "wildcard req (x) must be the only comparator in the version req"),
    ("X ,1", "wildcard req (X) must be the only comparator in the version req"),
    ("1.0, xyz", "unexpected character 'x' while parsing major version number"),
    ("1.*.3", "unexpected character after wildcard in version req"),
    (">=1.*.1", "unexpected character after wildcard in version req"),
    ("*.1", "unexpected character after wildcard in version req"),
    ("1.*.", "unexpected character after wildcard in version req"),
    ("x1", "unexpected character after wildcard in version req"),
    ("1.2-alpha", "expected comma after minor version number, found '-'"),
    ("1.*-alpha", "expected comma after minor version number, found '-'"),
    ("01.0", "invalid leading zero in major version number"),
    ("1.00", "invalid leading zero in minor version number"),
    ("1.2.3-01", "invalid leading zero in pre-release identifier"),
    ("1.0.0-", "empty identifier segment in pre-release identifier"),
    ("1.2.3-a..b", "empty identifier segment in pre-release identifier"),
    ("1.2.3+4.", "empty identifier segment in build metadata"),
    ("1.2.3+", "empty identifier segment in build metadata"),
    (",".join(["1"] * 33), "excessive number of version comparators"),
    (",".join(["1"] * 32) + ",", "excessive number of version comparators"),
    (f"{U64_MAX + 1}", "value of major version number exceeds u64::MAX"),
    (f"1.{U64_MAX + 1}", "value of minor version number exceeds u64::MAX"),
    ("\u0661.0", "unexpected character '\u0661' while parsing major version number"),
    ("1.\uff12", "unexpected character '\uff12' while parsing minor version number"),
    ("\t1.0", "unexpected character '\\t' while parsing major version number"),
    ("1.0\n", "expected comma after minor version number, found '\\n'"),
    ("\u00a01.0", "unexpected character '\\u{a0}' while parsing major version number"),
    ("\0", "unexpected character '\\0' while parsing major version number"),
    ("1.2.3.4", "expected comma after patch version number, found '.'"),
    ("1..2", "unexpected character '.' while parsing minor version number"),
    ("1.2.", "unexpected end of input while parsing patch version number"),
    ("a.0.0", "unexpected character 'a' while parsing major version number"),
    # the manifest / index fixtures (CONFORMANCE 1.8, 4.6)
    (">=not-a-real-version", "unexpected character 'n' while parsing major version number"),
    (">=not-a-version", "unexpected character 'n' while parsing major version number"),
    (">=bad", "unexpected character 'b' while parsing major version number"),
]


@pytest.mark.parametrize(("text", "message"), REQ_REJECTED)
def test_req_rejected_with_semver_message(text: str, message: str) -> None:
    with pytest.raises(SemverError) as info:
        VersionReq.parse(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "position"),
    [
        (">=not-a-real-version", 2),
        ("1.0, *", 5),
        ("1.2.3 - 2.3.4", 6),
        ("1.0,", 4),
        ("01.0", 0),
        ("1.2.3-01", 6),
        ("1.2.3+4.", 8),
    ],
)
def test_req_error_position(text: str, position: int) -> None:
    with pytest.raises(SemverError) as info:
        VersionReq.parse(text)
    assert info.value.position == position


@pytest.mark.parametrize(
    ("text", "comparators"),
    [
        ("*", ()),
        ("1.2", (Comparator("^", 1, 2, None),)),
        ("1.2.*", (Comparator("*", 1, 2, None),)),
        ("1.x.x", (Comparator("*", 1, None, None),)),
        (">=1.*", (Comparator(">=", 1, None, None),)),
        ("=0.1.0+meta", (Comparator("=", 0, 1, 0),)),
        (
            "<= 2.1.0-alpha2, ~3",
            (Comparator("<=", 2, 1, 0, "alpha2"), Comparator("~", 3, None, None)),
        ),
    ],
)
def test_req_structure(text: str, comparators: tuple[Comparator, ...]) -> None:
    assert VersionReq.parse(text).comparators == comparators


def test_wildcard_star_forms_are_equal() -> None:
    assert VersionReq.parse("*") == VersionReq.parse("x") == VersionReq.parse("X")
    assert VersionReq.parse("*") == VersionReq(())
    assert VersionReq.parse("1.*") == VersionReq.parse("1.x") == VersionReq.parse("1.*.*")


def test_comparator_display_forms() -> None:
    assert str(Comparator(">=", 3, 2, 0)) == ">=3.2.0"
    assert str(Comparator("^", 2, 1, None)) == "^2.1"
    assert str(Comparator("*", 1, None, None)) == "1.*"
    assert str(Comparator("*", 1, 2, None)) == "1.2.*"
    assert str(Comparator("=", 2, 1, 1, "really.0")) == "=2.1.1-really.0"
    assert str(Comparator("~", 1, None, None, "ignored")) == "~1"  # pre only with a patch


def test_comparator_rejects_unknown_op() -> None:
    with pytest.raises(ValueError, match="unknown comparator op"):
        Comparator("==", 1, None, None)


def test_error_type() -> None:
    with pytest.raises(SemverError) as info:
        Version.parse("1.2")
    assert isinstance(info.value, ValueError)
    assert info.value.args == ("unexpected end of input while parsing minor version number",)
    assert info.value.position == 3


# --- Version.parse (CONFORMANCE 1.3) --------------------------------------------------

VERSION_ACCEPTED = [
    "0.0.0",
    "1.2.3",
    "10.20.30",
    "1.2.3-alpha",
    "1.2.3-0a",
    "1.2.3-alpha.1+build.5",
    "1.0.0-x-y-z.--",
    "1.2.3+01",
    "1.2.3+001.0",
    "1.2.3-a+b-c",
    "1.0.0-0.3.7",
    f"{U64_MAX}.{U64_MAX}.{U64_MAX}",
]


@pytest.mark.parametrize("text", VERSION_ACCEPTED)
def test_version_accepted_and_rendered_verbatim(text: str) -> None:
    version = Version.parse(text)
    assert str(version) == text
    assert is_valid_version(text)


def test_version_fields() -> None:
    assert Version.parse("1.2.3-alpha.1+build.5") == Version(1, 2, 3, "alpha.1", "build.5")
    assert Version.parse("0.1.0") == Version(0, 1, 0)


VERSION_REJECTED = [
    ("", "empty string, expected a semver version"),
    ("1", "unexpected end of input while parsing major version number"),
    ("1.2", "unexpected end of input while parsing minor version number"),
    ("v1.2.3", "unexpected character 'v' while parsing major version number"),
    (" 1.2.3", "unexpected character ' ' while parsing major version number"),
    ("1.2.3 ", "unexpected character ' ' after patch version number"),
    ("1.2.3\t", "unexpected character '\\t' after patch version number"),
    ("1.2.3 abc", "unexpected character ' ' after patch version number"),
    ("01.2.3", "invalid leading zero in major version number"),
    ("1.02.3", "invalid leading zero in minor version number"),
    ("1.2.03", "invalid leading zero in patch version number"),
    ("1.2.3-01", "invalid leading zero in pre-release identifier"),
    ("1.2.3-", "empty identifier segment in pre-release identifier"),
    ("1.2.3-a..b", "empty identifier segment in pre-release identifier"),
    ("1.2.3+", "empty identifier segment in build metadata"),
    ("1.2.3+a.", "empty identifier segment in build metadata"),
    ("1.2.3-a_b", "unexpected character '_' after pre-release identifier"),
    ("1.2.3+a+b", "unexpected character '+' after build metadata"),
    ("1.2.3.4", "unexpected character '.' after patch version number"),
    ("1.q.r", "unexpected character 'q' while parsing minor version number"),
    ("not-semver", "unexpected character 'n' while parsing major version number"),
    ("1.2.\u0663", "unexpected character '\u0663' while parsing patch version number"),
    ("1.2.3\u0301", "unexpected character '\\u{301}' after patch version number"),
    (f"{U64_MAX + 1}.0.0", "value of major version number exceeds u64::MAX"),
    (f"0.0.{U64_MAX}0", "value of patch version number exceeds u64::MAX"),
]


@pytest.mark.parametrize(("text", "message"), VERSION_REJECTED)
def test_version_rejected_with_semver_message(text: str, message: str) -> None:
    with pytest.raises(SemverError) as info:
        Version.parse(text)
    assert str(info.value) == message
    assert not is_valid_version(text)


# --- precedence (SemVer 2.0.0 section 11, CONFORMANCE 4.2) ----------------------------

SPEC_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
]


def test_precedence_spec_chain() -> None:
    versions = [Version.parse(text) for text in SPEC_CHAIN]
    for lower, higher in itertools.pairwise(versions):
        assert lower.precedence_key() < higher.precedence_key(), (lower, higher)
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=Version.precedence_key) == versions


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.0.0-2", "1.0.0-10"),  # numeric identifiers compare numerically
        ("1.0.0-99", "1.0.0-a"),  # numeric < alphanumeric
        ("1.0.0-1a", "1.0.0-a"),  # alphanumeric compares in ASCII order
        ("1.0.0-Z", "1.0.0-a"),
        ("1.0.0-a", "1.0.0-a.0"),  # a shorter prefix sorts first
        ("1.0.0-rc.1", "1.0.0"),  # pre-release < release
        ("1.9.0", "1.10.0"),
        ("9.0.0", "10.0.0"),
    ],
)
def test_precedence_pairs(lower: str, higher: str) -> None:
    assert Version.parse(lower).precedence_key() < Version.parse(higher).precedence_key()


def test_build_metadata_ignored_for_precedence_but_not_equality() -> None:
    plain, built, other = (Version.parse(t) for t in ("1.0.0", "1.0.0+build.7", "1.0.0+b"))
    assert plain.precedence_key() == built.precedence_key() == other.precedence_key()
    assert plain != built
    assert built != other
    assert built == Version.parse("1.0.0+build.7")
    # stable sort keeps input order among equal precedence
    assert sorted([built, plain, other], key=Version.precedence_key) == [built, plain, other]


def test_order_key_breaks_precedence_ties_with_build_metadata() -> None:
    """``Ord for Version`` (semver's impls.rs): build identifiers compare one by one,
    numeric ones numerically then by length (0 < 00 < 1 < 01), before alphanumeric
    ones; a shorter prefix first; no build metadata lowest."""
    chain = [
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0+0",
        "1.0.0+00",
        "1.0.0+1",
        "1.0.0+01",
        "1.0.0+2",
        "1.0.0+10",
        "1.0.0+a",
        "1.0.0+b",
        "1.0.0+b.1",
        "1.0.0+b.2",
        "1.0.0+b.10",
        "1.0.0+b.a",
        "1.0.1-0",
    ]
    versions = [Version.parse(v) for v in chain]
    for lower, higher in itertools.pairwise(versions):
        assert lower.order_key() < higher.order_key(), (lower, higher)
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=Version.order_key) == versions


@given(
    st.sampled_from(["1.0.0", "1.0.0+b.1", "1.0.0-rc.1+x", "2.0.0+01"]),
    st.sampled_from(["1.0.0", "1.0.0+b.1", "1.0.0-rc.1+x", "2.0.0+01"]),
)
def test_order_key_refines_precedence(a: str, b: str) -> None:
    va, vb = Version.parse(a), Version.parse(b)
    if va.precedence_key() < vb.precedence_key():
        assert va.order_key() < vb.order_key()
    assert (va.order_key() == vb.order_key()) is (va == vb)


# --- matches (eval.rs, semver's own test cases) ----------------------------------------

MATCHES = [
    ("1.0.0", ["1.0.0", "1.1.0", "1.0.1"], ["0.9.9", "0.10.0", "0.1.0", "1.0.0-pre", "1.0.1-pre"]),
    ("=1.0.0", ["1.0.0"], ["1.0.1", "0.9.9", "0.10.0", "0.1.0", "1.0.0-pre"]),
    ("=0.1.0-beta2.a", ["0.1.0-beta2.a"], ["0.9.1", "0.1.0", "0.1.1-beta2.a", "0.1.0-beta2"]),
    ("=0.1.0+meta", ["0.1.0", "0.1.0+meta", "0.1.0+any"], []),
    (">= 1.0.0", ["1.0.0", "2.0.0"], ["0.1.0", "0.0.1", "1.0.0-pre", "2.0.0-pre"]),
    (
        ">= 2.1.0-alpha2",
        ["2.1.0-alpha2", "2.1.0-alpha3", "2.1.0", "3.0.0"],
        ["2.0.0", "2.1.0-alpha1", "2.0.0-alpha2", "3.0.0-alpha2"],
    ),
    ("< 1.0.0", ["0.1.0", "0.0.1"], ["1.0.0", "1.0.0-beta", "1.0.1", "0.9.9-alpha"]),
    (
        "<= 2.1.0-alpha2",
        ["2.1.0-alpha2", "2.1.0-alpha1", "2.0.0", "1.0.0"],
        ["2.1.0", "2.2.0-alpha1", "2.0.0-alpha2", "1.0.0-alpha2"],
    ),
    (">1.0.0-alpha, <1.0.0", ["1.0.0-beta"], []),
    (">1.0.0-alpha, <1.0", [], ["1.0.0-beta"]),
    ("> 0.0.9, <= 2.5.3", ["0.0.10", "1.0.0", "2.5.3"], ["0.0.8", "2.5.4"]),
    ("0.3.0, 0.4.0", [], ["0.0.8", "0.3.0", "0.4.0"]),
    ("0.1.0, 0.1.4, 0.1.6", ["0.1.6", "0.1.9"], ["0.1.0", "0.1.4", "0.2.0"]),
    ("~1", ["1.0.0", "1.0.1", "1.1.1"], ["0.9.1", "2.9.0", "0.0.9"]),
    ("~1.2", ["1.2.0", "1.2.1"], ["1.1.1", "1.3.0", "0.0.9"]),
    ("~1.2.2", ["1.2.2", "1.2.4"], ["1.2.1", "1.9.0", "1.0.9", "2.0.1", "0.1.3"]),
    (
        "~1.2.3-beta.2",
        ["1.2.3", "1.2.4", "1.2.3-beta.2", "1.2.3-beta.4"],
        ["1.3.3", "1.1.4", "1.2.3-beta.1", "1.2.4-beta.2"],
    ),
    ("^1", ["1.1.2", "1.1.0", "1.2.1", "1.0.1"], ["0.9.1", "2.9.0", "0.1.4", "1.0.1-pre"]),
    ("^1.1", ["1.1.2", "1.1.0", "1.2.1"], ["0.9.1", "2.9.0", "1.0.1", "0.1.4"]),
    ("^1.1.2", ["1.1.2", "1.1.4", "1.2.1"], ["0.9.1", "2.9.0", "1.1.1", "1.1.3-alpha1"]),
    ("^0.1.2", ["0.1.2", "0.1.4"], ["0.9.1", "1.1.1", "0.0.1", "0.2.0-pre", "0.1.3-alpha"]),
    (
        "^0.5.1-alpha3",
        ["0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"],
        ["0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0"],
    ),
    ("^0.0.2", ["0.0.2"], ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "0.1.4"]),
    ("^0.0", ["0.0.2", "0.0.0"], ["0.9.1", "2.9.0", "1.1.1", "0.1.4"]),
    ("^0", ["0.9.1", "0.0.2", "0.0.0"], ["2.9.0", "1.1.1"]),
    ("*", ["0.9.1", "2.9.0", "0.0.9", "1.0.1", "1.1.1"], ["1.0.0-pre"]),
    ("1.*", ["1.2.0", "1.2.1", "1.1.1", "1.3.0"], ["0.0.9", "1.2.0-pre"]),
    ("1.2.*", ["1.2.0", "1.2.2", "1.2.4"], ["1.9.0", "1.0.9", "2.0.1", "0.1.3", "1.2.2-pre"]),
    (">=1.*", ["1.0.0", "5.0.0"], ["0.9.9"]),
    ("=2.1.1-really.0", ["2.1.1-really.0"], ["2.1.1", "2.1.1-really.1"]),
    (">=3.2.0, <4.0.0", ["3.2.0", "3.9.9"], ["4.0.0", "3.1.9", "3.5.0-rc.1"]),
]


@pytest.mark.parametrize(("req_text", "matching", "not_matching"), MATCHES)
def test_req_matches(req_text: str, matching: list[str], not_matching: list[str]) -> None:
    req = VersionReq.parse(req_text)
    for text in matching:
        assert req.matches(Version.parse(text)), (req_text, text)
    for text in not_matching:
        assert not req.matches(Version.parse(text)), (req_text, text)


def test_comparator_matches_applies_prerelease_rule() -> None:
    (caret,) = VersionReq.parse("^1.2.3-alpha").comparators
    assert caret.matches(Version.parse("1.2.3-beta"))
    assert not caret.matches(Version.parse("1.2.4-beta"))  # other x.y.z: pre-release excluded
    assert caret.matches(Version.parse("1.2.4"))
    (ge,) = VersionReq.parse(">=1.0.0").comparators
    assert not ge.matches(Version.parse("2.0.0-alpha"))


# --- Hypothesis properties -----------------------------------------------------------

ATOMS = [
    *"0123456789",
    "01",
    "10",
    str(U64_MAX),
    str(U64_MAX + 1),
    ".",
    "-",
    "+",
    ",",
    ", ",
    " ",
    "*",
    "x",
    "X",
    "=",
    ">",
    "<",
    ">=",
    "<=",
    "~",
    "^",
    "||",
    "v",
    "alpha",
    "rc",
    "1a",
    "\t",
    "\n",
    "\u0661",
    "\u00a0",
    "\u0301",
    "\0",
]
grammar_text = st.lists(st.sampled_from(ATOMS), max_size=14).map("".join)
any_text = st.one_of(st.text(), grammar_text)

number = st.one_of(st.integers(0, 12), st.sampled_from([U64_MAX, 100]))
identifier = st.from_regex(r"[0-9A-Za-z-]{1,6}", fullmatch=True)
wild = st.sampled_from("*xX")


@st.composite
def comparator_text(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["", "=", ">", ">=", "<", "<=", "~", "^"]))
    parts = [str(draw(number))]
    shape = draw(st.integers(0, 4))
    if shape == 1:
        parts += [str(draw(number))]
    elif shape == 2:
        parts += [draw(wild), *draw(st.lists(wild, max_size=1))]
    elif shape == 3:
        parts += [str(draw(number)), draw(wild)]
    elif shape == 4:
        parts += [str(draw(number)), str(draw(number))]
    text = ".".join(parts)
    if shape == 4 and draw(st.booleans()):
        text += "-" + ".".join(draw(st.lists(identifier, min_size=1, max_size=3)))
    if shape == 4 and draw(st.booleans()):
        text += "+" + ".".join(draw(st.lists(identifier, min_size=1, max_size=2)))
    return op + " " * draw(st.integers(0, 2)) + text + " " * draw(st.integers(0, 1))


@st.composite
def req_strategy(draw: st.DrawFn) -> str:
    comparators = draw(st.lists(comparator_text(), min_size=1, max_size=34))
    text = " " * draw(st.integers(0, 2)) + comparators[0]
    for comparator in comparators[1:]:
        text += draw(st.sampled_from([",", ", ", ",  "])) + comparator
    return text


req_strings = req_strategy()

# Independent oracles: regexes transcribed from the grammars in CONFORMANCE 1.3/1.4.
_NUM = r"(?:0|[1-9][0-9]*)"
_PRE = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_PRERELEASE = rf"{_PRE}(?:\.{_PRE})*"
_BUILD = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
VERSION_RE = re.compile(rf"{_NUM}\.{_NUM}\.{_NUM}(?:-{_PRERELEASE})?(?:\+{_BUILD})?")
_W = "[*xX]"
_CORE = (
    rf"{_NUM}(?:\.{_NUM}(?:\.{_NUM}(?:-{_PRERELEASE})?(?:\+{_BUILD})?|\.{_W})?"
    rf"|\.{_W}(?:\.{_W})?)?"
)
_COMP = rf"(?:>=|<=|[=><~^])? *{_CORE} *"
REQ_RE = re.compile(rf" *(?:{_W} *|{_COMP}(?:, *{_COMP})*)")


def _semver_error(parse: Callable[[str], object], text: str) -> SemverError | None:
    """Run ``parse``; return its SemverError, None on success; anything else propagates."""
    try:
        parse(text)
    except SemverError as err:
        return err
    return None


@given(any_text)
@example("")
@example("1.2.3-\u00e9")
def test_req_parse_only_raises_semver_error(text: str) -> None:
    err = _semver_error(VersionReq.parse, text)
    if err is not None:
        assert str(err)
        assert 0 <= err.position <= len(text)


@given(any_text)
def test_version_parse_only_raises_semver_error(text: str) -> None:
    err = _semver_error(Version.parse, text)
    if err is not None:
        assert str(err)
        assert 0 <= err.position <= len(text)


@given(st.one_of(any_text, req_strings))
def test_req_acceptance_agrees_with_grammar(text: str) -> None:
    assume(not re.search("[0-9]{20}", text))  # u64 bounds are checked in the tables
    expected = REQ_RE.fullmatch(text) is not None and text.count(",") < 32
    assert (_semver_error(VersionReq.parse, text) is None) == expected


@given(st.one_of(any_text, st.from_regex(VERSION_RE, fullmatch=True)))
def test_version_acceptance_agrees_with_semver_regex(text: str) -> None:
    match = VERSION_RE.fullmatch(text)
    in_range = match is not None and all(
        int(part) <= U64_MAX for part in text.partition("+")[0].partition("-")[0].split(".")
    )
    assert is_valid_version(text) == in_range


@given(st.one_of(req_strings, grammar_text))
def test_req_round_trips_through_display(text: str) -> None:
    try:
        req = VersionReq.parse(text)
    except SemverError:
        reject()
    rendered = str(req)
    assert VersionReq.parse(rendered) == req
    assert str(VersionReq.parse(rendered)) == rendered


@given(st.from_regex(VERSION_RE, fullmatch=True))
def test_version_round_trips_verbatim(text: str) -> None:
    assume(is_valid_version(text))
    version = Version.parse(text)
    assert str(version) == text
    assert Version.parse(str(version)) == version


@given(req_strings, st.from_regex(VERSION_RE, fullmatch=True))
def test_req_matches_is_conjunction_plus_prerelease_rule(req_text: str, ver_text: str) -> None:
    assume(is_valid_version(ver_text))
    try:
        req = VersionReq.parse(req_text)
    except SemverError:
        reject()
    version = Version.parse(ver_text)
    if not version.pre:
        assert req.matches(version) == all(c.matches(version) for c in req.comparators)
    elif req.matches(version):
        # a pre-release only matches if some comparator names its x.y.z with a pre-release
        core = (version.major, version.minor, version.patch)
        assert any(c.pre and (c.major, c.minor, c.patch) == core for c in req.comparators)


@given(req_strings)
def test_prerelease_matches_only_its_own_core(text: str) -> None:
    try:
        req = VersionReq.parse(text)
    except SemverError:
        reject()
    for c in req.comparators:
        if c.minor is None or c.patch is None or not c.pre:
            continue
        same = Version(c.major, c.minor, c.patch, c.pre)
        assert c.matches(same) == (c.op in ("=", ">=", "<=", "~", "^"))
        # the same pre-release on another x.y.z never satisfies this comparator
        assert not c.matches(Version(c.major, c.minor, c.patch + 1, c.pre))
