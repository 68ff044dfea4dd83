"""Source-file selection (CONFORMANCE.md §2.2): one test per rule, on real files."""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import needs_symlinks
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pathspec import GitIgnoreSpec

from plugin_build import selection
from plugin_build.selection import (
    ExcludeMatcher,
    ExcludePatternError,
    Selection,
    SelectionError,
    Skipped,
    _compile_line,
    _Glob,
    select_files,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and types")
# Windows drops a trailing dot or space from a file name: "b " and "foo." cannot exist there.
posix_names = pytest.mark.skipif(sys.platform == "win32", reason="names ending in '.' or ' '")


def make(root: Path, *relpaths: str) -> Path:
    for rel in relpaths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rel.encode())
    return root


def selected(root: Path, exclude: Sequence[str] = ()) -> list[str]:
    return [f.relpath for f in select_files(root, exclude).files]


# --------------------------------------------------------------------------
# exclude patterns: one test per rule of §2.2


def test_comment_lines_are_ignored(tmp_path: Path) -> None:
    make(tmp_path, "#notes", "a.py", "b.py")
    assert selected(tmp_path, ["#notes", "# a.py", "b.py"]) == ["#notes", "a.py"]


@posix_names
def test_trailing_whitespace_is_trimmed_unless_backslash_space(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "b", "b ", "c")
    assert selected(tmp_path, ["a.py \t ", "   ", "b\\ "]) == ["b", "c"]
    # "b\  " ends in two spaces: trimmed to a dangling backslash, as in the SDK
    with pytest.raises(ExcludePatternError):
        ExcludeMatcher.compile(["b\\  "])


def test_backslash_escapes_a_leading_bang_or_hash(tmp_path: Path) -> None:
    make(tmp_path, "!x", "#y", "x", "y")
    assert selected(tmp_path, ["\\!x", "\\#y"]) == ["x", "y"]


def test_bang_whitelists_and_the_last_matching_pattern_wins(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "keep.py")
    assert selected(tmp_path, ["*.py", "!keep.py"]) == ["keep.py"]
    assert selected(tmp_path, ["!keep.py", "*.py"]) == []


def test_leading_slash_anchors_to_the_root(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "sub/a.py")
    assert selected(tmp_path, ["/a.py"]) == ["sub/a.py"]


def test_trailing_slash_matches_directories_only(tmp_path: Path) -> None:
    make(tmp_path, "build/x", "sub/build/y", "other/build", "z")
    assert selected(tmp_path, ["build/"]) == ["other/build", "z"]


def test_pattern_without_slash_matches_at_any_depth(tmp_path: Path) -> None:
    make(tmp_path, "x.txt", "a/x.txt", "a/b/x.txt", "a/y.txt", "tests/t.py", "pkg/tests/t.py")
    assert selected(tmp_path, ["x.txt", "tests"]) == ["a/y.txt"]


def test_pattern_with_inner_slash_is_anchored(tmp_path: Path) -> None:
    make(tmp_path, "tests/a.py", "tests/d/b.py", "pkg/tests/c.py", "a/b.py", "x/a/b.py")
    assert selected(tmp_path, ["tests/**", "a/b.py"]) == ["pkg/tests/c.py", "x/a/b.py"]


def test_double_star_suffix_matches_contents_not_the_name(tmp_path: Path) -> None:
    make(tmp_path, "docs/x", "docs/d/y", "cache", "cachex/z")
    assert selected(tmp_path, ["docs/**", "cache/**"]) == ["cache", "cachex/z"]


def test_double_star_prefix_matches_at_any_depth(tmp_path: Path) -> None:
    make(tmp_path, "c.bin", "a/c.bin", "a/b/c.bin", "gen/a.py", "x/gen/b.py", "x/gen/s/c.py")
    assert selected(tmp_path, ["**/c.bin", "**/gen/*.py"]) == ["x/gen/s/c.py"]


def test_double_star_infix_spans_zero_or_more_directories(tmp_path: Path) -> None:
    make(tmp_path, "a/z.py", "a/b/z.py", "a/b/c/z.py", "b/a/z.py", "a/z.pyc", "az.py")
    assert selected(tmp_path, ["a/**/z.py"]) == ["a/z.pyc", "az.py", "b/a/z.py"]


def test_star_and_question_mark_never_cross_a_slash(tmp_path: Path) -> None:
    make(tmp_path, "src/a.py", "src/ab.py", "src/sub/b.py")
    assert selected(tmp_path, ["src/?.py"]) == ["src/ab.py", "src/sub/b.py"]
    assert selected(tmp_path, ["src/*.py"]) == ["src/sub/b.py"]


def test_character_classes_ranges_and_negation(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "b.py", "c.py", "1.txt")
    assert selected(tmp_path, ["[ab].py"]) == ["1.txt", "c.py"]
    assert selected(tmp_path, ["[!ab].py"]) == ["1.txt", "a.py", "b.py"]
    assert selected(tmp_path, ["[^ab].py"]) == ["1.txt", "a.py", "b.py"]
    assert selected(tmp_path, ["[0-9].txt"]) == ["a.py", "b.py", "c.py"]


def test_brace_alternation(tmp_path: Path) -> None:
    make(tmp_path, "x.pyc", "y.pyo", "z.py", "a/b.pyo")
    assert selected(tmp_path, ["*.{pyc,pyo}"]) == ["z.py"]


def test_inverted_range_is_rejected_naming_only_the_first_bad_pattern(tmp_path: Path) -> None:
    make(tmp_path, "a.py")
    with pytest.raises(ExcludePatternError) as info:
        select_files(tmp_path, ["ok.py", "[z-a]", "{x"])
    assert info.value.pattern == "[z-a]"
    assert info.value.message == "invalid range; 'z' > 'a'"
    assert "[z-a]" in str(info.value)
    assert "{x" not in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{a,b", "unclosed alternate group"),
        ("a}", "unopened alternate group"),
        ("x\\", "dangling '\\'"),
    ],
)
def test_other_patterns_globset_rejects(pattern: str, message: str) -> None:
    with pytest.raises(ExcludePatternError) as info:
        ExcludeMatcher.compile([pattern])
    assert info.value.pattern == pattern
    assert info.value.message.startswith(message)


def test_lone_bracket_and_a_double_star_b_are_accepted(tmp_path: Path) -> None:
    make(tmp_path, "[", "a[b", "a/xb", "a/x/b")
    # an unclosed '[' is a literal; `**` that is not a whole component is `*`
    assert selected(tmp_path, ["["]) == ["a/x/b", "a/xb", "a[b"]
    assert selected(tmp_path, ["a/**b"]) == ["[", "a/x/b", "a[b"]


@pytest.mark.parametrize("exclude", [["!d/keep", "d/"], ["d/", "!d/keep"]])
def test_file_whitelist_beats_directory_exclude_in_either_order(
    tmp_path: Path, exclude: list[str]
) -> None:
    make(tmp_path, "d/keep", "d/other", "keep")
    assert selected(tmp_path, exclude) == ["d/keep", "keep"]


def test_star_py_drops_nested_python_files(tmp_path: Path) -> None:
    make(tmp_path, "x.py", "sub/x.py", "sub/x.txt")
    assert selected(tmp_path, ["*.py"]) == ["sub/x.txt"]


def test_bang_main_py_reincludes_nested_main_py(tmp_path: Path) -> None:
    make(tmp_path, "main.py", "x.py", "sub/main.py", "sub/x.py")
    assert selected(tmp_path, ["*.py", "!main.py"]) == ["main.py", "sub/main.py"]


def test_ancestor_walk_reaches_the_root_as_the_empty_path(tmp_path: Path) -> None:
    # "/" is an empty anchored glob: it matches only "", the root, which
    # matched_path_or_any_parents tests last, as a directory.
    make(tmp_path, "a.py", "sub/b.py")
    assert selected(tmp_path, ["/"]) == []
    assert selected(tmp_path, ["/", "!a.py"]) == ["a.py"]


@posix_names
def test_basename_strategies_never_match_names_ending_in_dot(tmp_path: Path) -> None:
    # globset's file_name() is empty for a path ending in '.', so globs it
    # matches by basename or extension miss such names; whole-path ones do not.
    make(tmp_path, "foo.", "bar.")
    assert selected(tmp_path, ["foo.", "*.", "ba?."]) == ["bar.", "foo."]
    assert selected(tmp_path, ["/foo.", "bar[.]"]) == []


def test_excludes_takes_root_relative_paths() -> None:
    matcher = ExcludeMatcher.compile(["*.pyc", "build/", "!build/keep"])
    assert matcher.excludes("a/b.pyc")
    assert matcher.excludes("build/out.bin")
    assert not matcher.excludes("build/keep")
    assert not matcher.excludes("a/b.py")
    assert not ExcludeMatcher.compile([]).excludes("anything")


def test_a_compiled_matcher_can_be_passed_and_a_bare_string_cannot(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "b.txt")
    assert [f.relpath for f in select_files(tmp_path, ExcludeMatcher.compile(["*.py"])).files] == [
        "b.txt"
    ]
    with pytest.raises(TypeError):
        select_files(tmp_path, "*.py")


# --------------------------------------------------------------------------
# the walk


@needs_symlinks
def test_symlinks_are_skipped_and_never_followed(tmp_path: Path) -> None:
    outside = make(tmp_path / "outside", "secret.txt", "deep/secret2.txt")
    root = make(tmp_path / "plugin", "real.py")
    (root / "file_link").symlink_to(outside / "secret.txt")
    (root / "dir_link").symlink_to(outside, target_is_directory=True)
    (root / "inner_link.py").symlink_to(root / "real.py")
    selection = select_files(root)
    assert [f.relpath for f in selection.files] == ["real.py"]
    assert selection.skipped == (
        Skipped("dir_link", "symlink"),
        Skipped("file_link", "symlink"),
        Skipped("inner_link.py", "symlink"),
    )


@needs_symlinks
def test_dangling_symlink_is_skipped(tmp_path: Path) -> None:
    make(tmp_path, "manifest.toml")
    (tmp_path / "__init__.py").symlink_to(tmp_path / "missing.py")
    selection = select_files(tmp_path)
    assert selection.top_level_names() == ["manifest.toml"]
    assert selection.skipped == (Skipped("__init__.py", "symlink"),)


@needs_symlinks
def test_excluded_links_are_not_reported_as_skipped(tmp_path: Path) -> None:
    make(tmp_path, "a.py")
    (tmp_path / "link.py").symlink_to(tmp_path / "a.py")
    assert select_files(tmp_path, ["link.py"]).skipped == ()


@posix_only
def test_fifo_and_socket_are_skipped_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tmp_path, "a.py")
    os.mkfifo(tmp_path / "pipe")
    results: list[Selection] = []
    # Opening a FIFO would block forever; run in a thread so a regression fails, not hangs.
    worker = threading.Thread(target=lambda: results.append(select_files(tmp_path)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "selection blocked on a FIFO"
    assert [f.relpath for f in results[0].files] == ["a.py"]
    assert results[0].skipped == (Skipped("pipe", "special"),)

    monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short (104 bytes on macOS)
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.bind("sock")
        except OSError:
            pytest.skip("cannot bind a unix socket here")
        assert Skipped("sock", "special") in select_files(tmp_path).skipped


def test_no_builtin_excludes(tmp_path: Path) -> None:
    names = [
        ".hidden",
        ".DS_Store",
        ".git/config",
        ".git/objects/ab/cdef",
        "__pycache__/m.cpython-312.pyc",
        "target/debug/x",
        "x.pyc",
    ]
    make(tmp_path, *names)
    assert selected(tmp_path) == sorted(names)


def test_ignore_files_are_not_consulted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make(tmp_path / "plugin", "a.py", "sub/b.py")
    for ignore_file in (".gitignore", ".ignore", ".git/info/exclude", "sub/.gitignore"):
        (root / ignore_file).parent.mkdir(parents=True, exist_ok=True)
        (root / ignore_file).write_text("*\n")
    xdg = make(tmp_path / "xdg", "git/ignore")
    (xdg / "git/ignore").write_text("*\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", os.fspath(xdg))
    assert selected(root) == [
        ".git/info/exclude",
        ".gitignore",
        ".ignore",
        "a.py",
        "sub/.gitignore",
        "sub/b.py",
    ]


def test_empty_subdirectories_yield_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "a/b/c").mkdir(parents=True)
    selection = select_files(tmp_path)
    assert selection.files == ()
    assert selection.skipped == ()


@posix_only
def test_exec_bit_is_any_of_the_three_x_bits(tmp_path: Path) -> None:
    modes = {"owner": 0o744, "group": 0o654, "other": 0o645, "plain": 0o644, "private": 0o600}
    make(tmp_path, *modes)
    for name, mode in modes.items():
        (tmp_path / name).chmod(mode)
    files = {f.relpath: f for f in select_files(tmp_path).files}
    assert {name: f.executable for name, f in files.items()} == {
        "group": True,
        "other": True,
        "owner": True,
        "plain": False,
        "private": False,
    }
    assert files["owner"].size == len(b"owner")


def test_sorted_by_utf8_bytes_of_the_relative_path(tmp_path: Path) -> None:
    make(tmp_path, "é.txt", "z.txt", "a.txt", "a/b", "a0", "Z", "ä/x", "日本.py", "ab")
    expected = ["Z", "a.txt", "a/b", "a0", "ab", "z.txt", "ä/x", "é.txt", "日本.py"]
    assert selected(tmp_path) == expected
    assert expected == sorted(expected, key=lambda s: s.encode())


@needs_symlinks
def test_prune_skips_an_output_directory_inside_the_root(tmp_path: Path) -> None:
    root = make(tmp_path / "plugin", "a.py", "dist/p-0.1.0.tar.gz", "dist/sub/x", "distx/y")
    (tmp_path / "out_link").symlink_to(root / "dist", target_is_directory=True)
    expected = ["a.py", "distx/y"]
    assert [f.relpath for f in select_files(root, prune=[root / "dist"]).files] == expected
    # compared after resolve: a link to the same directory prunes it too
    assert [f.relpath for f in select_files(root, prune=[tmp_path / "out_link"]).files] == expected
    assert len(select_files(root, prune=[tmp_path / "nowhere"]).files) == 4


@needs_symlinks
def test_root_symlink_is_resolved(tmp_path: Path) -> None:
    real = make(tmp_path / "real", "a.py")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    selection = select_files(tmp_path / "link")
    assert selection.root == real.resolve()
    assert selection.files[0].path == real.resolve() / "a.py"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs byte file names")
def test_undecodable_name_gets_a_replacement_char_and_stays_openable(tmp_path: Path) -> None:
    raw_name = b"caf\xe9.txt"
    try:
        with open(os.path.join(os.fsencode(tmp_path), raw_name), "wb") as fh:
            fh.write(b"content")
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    (file,) = select_files(tmp_path).files
    assert file.relpath == "caf\ufffd.txt"
    assert file.path.read_bytes() == b"content"
    # globset matches the raw bytes on Unix: '?' is the one byte 0xE9
    assert selected(tmp_path, ["caf?.txt"]) == []


@posix_only
def test_unreadable_directory_raises_even_when_excluded(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "locked/b.py")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running with privileges that ignore directory permissions")
        for exclude in ([], ["locked/"]):
            with pytest.raises(SelectionError) as info:
                select_files(tmp_path, exclude)
            assert info.value.errno == errno.EACCES
            assert "locked" in info.value.path
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(os.mkdir not in os.supports_dir_fd, reason="needs mkdir(dir_fd=)")
def test_io_error_inside_an_excluded_directory_still_raises(tmp_path: Path) -> None:
    # A real I/O error even for root: a directory whose full path exceeds
    # PATH_MAX can be created relative to its parent but not listed by path.
    make(tmp_path, "a.py")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(25):
            os.mkdir("d" * 200, dir_fd=fd)
            child = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)
    with pytest.raises(SelectionError) as info:
        select_files(tmp_path, ["d*/"])
    assert info.value.errno == errno.ENAMETOOLONG
    assert isinstance(info.value, OSError)
    assert "\n" not in str(info.value)


def test_missing_root_raises_selection_error(tmp_path: Path) -> None:
    with pytest.raises(SelectionError) as info:
        select_files(tmp_path / "missing")
    assert info.value.errno == errno.ENOENT


def test_top_level_names(tmp_path: Path) -> None:
    make(tmp_path, "manifest.toml", "__init__.py", "pkg/x.py", ".hidden")
    assert select_files(tmp_path).top_level_names() == [".hidden", "__init__.py", "manifest.toml"]


# --------------------------------------------------------------------------
# properties

_ANY_PATTERN = st.text(
    st.one_of(
        st.sampled_from(list("ab/*?[]!^-{},\\# .\t\udcff")),
        st.characters(exclude_categories=()),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(_ANY_PATTERN, max_size=5))
def test_compile_returns_a_matcher_or_raises_exclude_pattern_error(patterns: list[str]) -> None:
    def outcome(patterns: list[str]) -> ExcludeMatcher | ExcludePatternError:
        try:
            return ExcludeMatcher.compile(patterns)
        except ExcludePatternError as err:
            return err

    result = outcome(patterns)
    bad = [p for p in patterns if isinstance(outcome([p]), ExcludePatternError)]
    if isinstance(result, ExcludePatternError):
        assert result.pattern == bad[0]  # the first bad one
        assert result.message
        assert "\n" not in result.message
    else:
        assert isinstance(result, ExcludeMatcher)
        assert bad == []


@settings(max_examples=300, deadline=None)
@given(
    patterns=st.lists(_ANY_PATTERN, max_size=5),
    relpaths=st.lists(
        st.text(
            st.one_of(
                st.sampled_from(list("ab/.\udcff\ud800")), st.characters(exclude_categories=())
            ),
            max_size=20,
        ),
        max_size=5,
    ),
)
def test_excludes_never_raises(patterns: list[str], relpaths: list[str]) -> None:
    try:
        matcher = ExcludeMatcher.compile(patterns)
    except ExcludePatternError:
        assume(False)
        return
    for relpath in relpaths:
        assert matcher.excludes(relpath) in (True, False)


# The pathspec oracle. Where the SDK and git must agree: no braces, no '!', no
# trailing '/'. Classes are well formed (git drops a pattern with an unclosed
# '[', globset reads it literally), contain no '/' (pathspec splits on '/'
# first) and no chained ranges like `a-b-c` (globset extends the range). Path
# components never end in '.', where globset's basename strategies differ.


@st.composite
def _oracle_class(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(["", "", "]", "-"]))
    body += "".join(draw(st.lists(st.sampled_from(["a", "b", ".", "*"]), max_size=2)))
    if body and draw(st.booleans()):
        body += "^"  # a literal '^', never in first place where it would negate
    body += draw(st.sampled_from(["", "", "a-b", "b-a", "a-b-", ".-a"]))
    assume(body)
    return "[" + draw(st.sampled_from(["", "^"])) + body + "]"


_ORACLE_ATOM = st.one_of(
    st.sampled_from([*"ab.-]^ #,", "*", "?", "**", "/"]),
    st.sampled_from(list("*?[]\\# a")).map(lambda c: "\\" + c),
    _oracle_class(),
)
_ORACLE_PATTERN = (
    st.lists(_ORACLE_ATOM, max_size=6)
    .map("".join)
    .filter(lambda p: not p.rstrip(" ").endswith("/") or p.endswith("\\ "))
)
_ORACLE_PATH = st.lists(
    st.text(st.sampled_from(list("ab.-[]*?# ")), min_size=1, max_size=3).filter(
        lambda c: not c.endswith(".")
    ),
    min_size=1,
    max_size=3,
).map("/".join)


@settings(max_examples=500, deadline=None)
@given(
    patterns=st.lists(_ORACLE_PATTERN, min_size=1, max_size=3),
    paths=st.lists(_ORACLE_PATH, min_size=1, max_size=8),
)
def test_agrees_with_pathspec_where_git_and_the_sdk_agree(
    patterns: list[str], paths: list[str]
) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pathspec's regexes trip re's FutureWarnings
            spec = GitIgnoreSpec.from_lines(patterns)
    except Exception:  # pathspec raises re.error and its own errors alike
        with pytest.raises(ExcludePatternError):
            ExcludeMatcher.compile(patterns)
        return
    matcher = ExcludeMatcher.compile(patterns)
    for path in paths:
        assert matcher.excludes(path) == spec.match_file(path), (patterns, path)


# --------------------------------------------------------------------------
# linear time (CONFORMANCE.md §2.2: the SDK's matcher cannot backtrack, nor may ours)
#
# The worst globs found for a backtracking engine, each against 60-'a' names and
# 40-component paths of them. Every expected verdict follows from the text alone:
# a glob ending in a literal 'b' cannot match where no 'b' is; where the last name
# is 59 'a's and a 'b', there are more 'a's than the glob asks for. Where fnmatch
# can judge (one name; a glob without braces or '/') it is asked too.

_A60 = "a" * 60
_B60 = "a" * 59 + "b"
_DEEP = "/".join([_A60] * 40)  # 2,439 bytes
_DEEP_B = "/".join([_A60] * 39 + [_B60])


def _nested(depth: int) -> str:
    """``{a*,{a*,{a*,…}}}``: `depth` alternations inside one another."""
    return "a*" if depth == 0 else "{a*," + _nested(depth - 1) + "}"


_STARS12 = "*a" * 12 + "*b"
_STARS20 = "*a" * 20 + "*b"
_DSTARS = "**/" + "a*/**/" * 12 + "b"  # twelve directories among any number
_DSTAR_RUN = "a*" + "/**" * 20 + "/*b"  # a run of `/**` is one `/**/`
_PREFIX_RUN = "**/" * 20 + "*b"  # a run of leading `**/` is one
_NESTED = _nested(10) * 6 + "b"
_WIDE = "{" + ",".join("*a" * k for k in range(1, 13)) + "}*b"
_REPEATED = "{a,aa}" * 30 + "b"
_CLASSES = "*[!b]" * 12 + "*b"  # `[!b]` also matches '/': it spans the whole path
_RANGES = "*[a-c]*?" * 10 + "[b]"
_COMBINED = "**/{*a,*a*a}/**/*[!b]*a*a*a*{a,aa}*b"

_WORST: list[tuple[str, list[str], str, bool]] = [
    *(
        (name, [glob], path, path.endswith("b"))
        for name, glob in [
            ("12-stars", _STARS12),
            ("20-stars", _STARS20),
            ("nested-alternations", _NESTED),
            ("wide-alternation", _WIDE),
            ("repeated-alternation", _REPEATED),
            ("classes-and-stars", _CLASSES),
            ("ranges-stars-and-any", _RANGES),
        ]
        for path in (_A60, _B60, _DEEP, _DEEP_B)
    ),
    # globs that need directories, so paths that have some
    ("double-stars", [_DSTARS], _DEEP, False),
    ("double-stars", [_DSTARS], _DEEP_B, False),  # no name is just "b"
    ("double-stars", [_DSTARS], _DEEP + "/b", True),
    ("double-star-run", [_DSTAR_RUN], _DEEP, False),
    ("double-star-run", [_DSTAR_RUN], _DEEP_B, True),
    ("prefix-run", [_PREFIX_RUN], _A60, False),
    ("prefix-run", [_PREFIX_RUN], _B60, True),
    ("prefix-run", [_PREFIX_RUN], _DEEP, False),
    ("prefix-run", [_PREFIX_RUN], _DEEP_B, True),
    ("combined", [_COMBINED], _DEEP, False),
    ("combined", [_COMBINED], _DEEP_B, True),
    # a directory-only glob is tried on each of the 40 ancestors
    ("directory-only", [_STARS12 + "/"], _DEEP + "/x", False),
    ("directory-only", [_STARS12 + "/"], _DEEP_B + "/x", True),
    # a whitelist decides only where it matches
    ("whitelist", ["*", "!" + _STARS12], _DEEP, True),
    ("whitelist", ["*", "!" + _STARS12], _DEEP_B, False),
    ("all-together", [_STARS20, _DSTARS, _NESTED, _WIDE, _CLASSES, _COMBINED], _DEEP, False),
    ("all-together", [_STARS20, _DSTARS, _NESTED, _WIDE, _CLASSES, _COMBINED], _DEEP_B, True),
]
_SHOWN = {
    _A60: "a60",
    _B60: "a59b",
    _DEEP: "deep",
    _DEEP_B: "deep-a59b",
    _DEEP + "/b": "deep-b",
    _DEEP + "/x": "deep-x",
    _DEEP_B + "/x": "deep-a59b-x",
}


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [pytest.param(p, path, e, id=f"{name}-{_SHOWN[path]}") for name, p, path, e in _WORST],
)
def test_linear_time_on_the_worst_patterns(patterns: list[str], path: str, expected: bool) -> None:
    matcher = ExcludeMatcher.compile(patterns)
    start = time.perf_counter()
    verdict = matcher.excludes(path)
    elapsed = time.perf_counter() - start
    assert verdict == expected
    assert elapsed < 0.5, f"{elapsed:.2f} s"
    glob = patterns[0]
    if len(patterns) == 1 and "/" not in path and not any(c in glob for c in "{/"):
        assert fnmatch.fnmatchcase(path, glob) == expected


def test_linear_time_table_covers_both_verdicts_of_each_glob() -> None:
    # so that no row can pass by a matcher that always says one thing
    for name in {name for name, *_ in _WORST}:
        assert {e for n, _, _, e in _WORST if n == name} == {True, False}, name


def test_globs_too_big_together_are_matched_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each fits RE2's memory budget alone, not with the other: the set is split,
    # and the last matching glob still decides across the parts.
    monkeypatch.setattr(selection, "_MAX_MEM", 1 << 20)
    big = "?" * 5000
    matcher = ExcludeMatcher.compile([big + "*", "!" + big + "b"])
    assert len(matcher._file_sets[0]._matchers) == 2
    assert matcher.excludes("a" * 5000 + "c")
    assert not matcher.excludes("a" * 5000 + "b")
    assert not matcher.excludes("a" * 4999)


def test_a_pattern_over_re2s_budget_is_too_complex() -> None:
    assert ExcludeMatcher.compile(["?" * 100000]).excludes("a" * 100000)
    with pytest.raises(ExcludePatternError) as info:
        ExcludeMatcher.compile(["ok", "?" * 300000, "{x"])
    assert info.value.pattern == "?" * 300000
    assert info.value.message == "pattern is too complex to compile"


def test_no_exclude_never_loads_re2() -> None:
    code = (
        "import sys; from plugin_build.selection import ExcludeMatcher;"
        "ExcludeMatcher.compile(['# a comment', '']).excludes('x');"
        "assert 're2' not in sys.modules; ExcludeMatcher.compile(['x']);"
        "assert 're2' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# The engine swap changes no verdict: random globs and byte paths, judged by the
# per-file decision spelled out with each glob's regex on Python's re (safe on
# inputs this small).

_SWAP_TOKEN = st.sampled_from(
    [*"ab./*?!\\ ,{}[]-^", "**", "/**/", "**/", "[a-b]", "[!a]", "[/]", "[é]", "é", "\udcff"]
)
_SWAP_PATTERN = st.lists(
    st.one_of(_SWAP_TOKEN, st.sampled_from(["\n", "{a,b}", "{,a}", "{a,{b,*}}"])), max_size=8
).map("".join)
_SWAP_BYTE = st.sampled_from([b"a", b"b", b".", b"/", b"\xc3", b"\xa9", b"\n"])
_SWAP_PATH = st.lists(_SWAP_BYTE, max_size=12).map(b"".join)


def _reference_excludes(globs: Sequence[_Glob], path: bytes) -> bool:
    def last_match(candidate: bytes, is_dir: bool) -> bool | None:
        verdict = None
        for glob in globs:
            if (glob.dir_only and not is_dir) or (glob.by_basename and candidate.endswith(b".")):
                continue
            if re.fullmatch(glob.regex, candidate, re.DOTALL):
                verdict = not glob.whitelist
        return verdict

    verdict = last_match(path, is_dir=False)
    while verdict is None and path:
        path = path[: max(path.rfind(b"/"), 0)]  # up to the root, the empty path
        verdict = last_match(path, is_dir=True)
    return verdict is True


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(_SWAP_PATTERN, min_size=1, max_size=3), paths=st.lists(_SWAP_PATH))
def test_re2_gives_the_verdicts_of_the_python_re_regexes(
    patterns: list[str], paths: list[bytes]
) -> None:
    try:
        matcher = ExcludeMatcher.compile(patterns)
    except ExcludePatternError as err:
        message = err.message
    else:
        message = ""
    assert message != "pattern is too complex to compile"  # not on patterns this small
    assume(not message)
    globs = [g for g in map(_compile_line, patterns) if g is not None]
    for path in paths:
        assert matcher._excludes_raw(path) == _reference_excludes(globs, path), (patterns, path)
