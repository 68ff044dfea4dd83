"""Source-file selection: which files of a plugin directory are validated and packaged.

Selection must agree file for file with the InfluxDB 3 plugin SDK (CONFORMANCE.md
§2.2): walk the canonical root without following symlinks, keep regular files only,
drop what ``exclude`` matches, sort by path bytes. ``exclude`` is matched as the SDK
matches it, with Rust's ``ignore::gitignore`` (``GitignoreBuilder::add_line`` and
``matched_path_or_any_parents(path, is_dir=false)``) compiled by ``globset``.

Why a hand-written port instead of ``pathspec``: pathspec implements git's own rule
that a file under an excluded directory cannot be re-included, and it has no
``{a,b}``; the SDK expands ``{a,b}`` and lets a file-level ``!`` pattern win over a
directory exclude in either order. ``tests/test_selection.py`` keeps pathspec as an
oracle on the subset where the two must agree.

Why RE2: globset runs its regexes on Rust's ``regex`` crate, which never backtracks,
so matching time is linear in the path whatever the pattern. Python's ``re``
backtracks: ``*a*a*a*a*a*a*a*a*a*a*a*a*b`` against a name of sixty 'a's would run
for hours. The globs therefore compile to byte regexes that run on RE2
(``google-re2``), the well-kept linear-time engine, as one ``RE2::Set`` per list,
which reports every glob that matches, as globset's ``GlobSet::matches`` does.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Literal, NamedTuple, Protocol, TypeAlias, cast

from .fileio import Tree, open_dir_at

__all__ = [
    "ExcludeMatcher",
    "ExcludePatternError",
    "Selection",
    "SelectionError",
    "Skipped",
    "SourceFile",
    "select_files",
    "walk",
]

_WINDOWS = sys.platform == "win32"
_PATH_MAX = 1024 if sys.platform == "darwin" else 4096  # bytes, with the terminating NUL


class ExcludePatternError(ValueError):
    """An ``exclude`` pattern that does not compile (the SDK's ``InvalidExcludePattern``)."""

    def __init__(self, pattern: str, message: str) -> None:
        super().__init__(f"invalid exclude pattern {pattern!r}: {message}")
        self.pattern = pattern
        self.message = message


class SelectionError(OSError):
    """An I/O error while walking or statting the plugin directory (the SDK's ``Io``).

    ``path`` is the on-disk path, rendered as lossy UTF-8 so it can always be printed.
    """

    def __init__(self, path: str, message: str, errno: int | None = None) -> None:
        if errno is None:
            super().__init__(message)
        else:
            super().__init__(errno, message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------
# globset: glob → token list → byte regex


class _Lit(NamedTuple):
    char: str


class _Class(NamedTuple):
    negated: bool
    ranges: tuple[tuple[str, str], ...]


class _Alt(NamedTuple):
    branches: tuple[tuple[_Token, ...], ...]


_ANY = "?"
_STAR = "*"
_RPREFIX = "**/"  # `**/` at the start: any leading directories, or none
_RSUFFIX = "/**"  # `/**` at the end: everything below
_RZOM = "/**/"  # `/**/` inside: one slash or any directories between two slashes
_Token: TypeAlias = "_Lit | _Class | _Alt | str"


class _GlobError(Exception):
    """globset's ``ErrorKind`` message, before it is tied to the pattern."""


def _shown(char: str) -> str:
    # messages stay on one line even for a range like `[z-\n]`
    return char if char.isprintable() else char.encode("unicode_escape").decode("ascii")


class _Parser:
    """globset 0.4.18 ``Parser`` with ``literal_separator`` and ``backslash_escape``.

    As in ``ignore``'s gitignore builder, an unclosed ``[`` is a literal ``[``
    (``allow_unclosed_class``); alternates nest; a ``**`` that is not a whole path
    component is a plain ``*``.
    """

    def __init__(self, glob: str) -> None:
        self.glob = glob
        self.pos = 0
        self.prev: str | None = None
        self.cur: str | None = None
        self.branches: list[list[_Token]] = [[]]
        self.alt_starts: list[int] = []
        self.found_unclosed_class = False

    def bump(self) -> str | None:
        self.prev = self.cur
        if self.pos < len(self.glob):
            self.cur = self.glob[self.pos]
            self.pos += 1
        else:
            self.cur = None
        return self.cur

    def peek(self) -> str | None:
        return self.glob[self.pos] if self.pos < len(self.glob) else None

    def push(self, token: _Token) -> None:
        self.branches[-1].append(token)

    def parse(self) -> list[_Token]:
        while (c := self.bump()) is not None:
            if c == "?":
                self.push(_ANY)
            elif c == "*":
                self.parse_star()
            elif c == "[" and not self.found_unclosed_class:
                self.parse_class()
            elif c == "{":
                self.alt_starts.append(len(self.branches))
                self.branches.append([])
            elif c == "}":
                if not self.alt_starts:
                    raise _GlobError(
                        "unopened alternate group; missing '{' (maybe escape '}' with '[}]'?)"
                    )
                start = self.alt_starts.pop()
                branches = tuple(tuple(b) for b in self.branches[start:])
                del self.branches[start:]
                self.push(_Alt(branches))
            elif c == "," and self.alt_starts:
                self.branches.append([])
            elif c == "\\":
                escaped = self.bump()
                if escaped is None:
                    raise _GlobError("dangling '\\'")
                self.push(_Lit(escaped))
            else:
                self.push(_Lit(c))
        if len(self.branches) > 1:
            raise _GlobError("unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)")
        return self.branches[0]

    def parse_star(self) -> None:
        prev = self.prev
        if self.peek() != "*":
            self.push(_STAR)
            return
        self.bump()
        if not self.branches[-1]:
            if self.peek() not in (None, "/"):
                self.push(_STAR)
                return
            self.push(_RPREFIX)
            self.bump()  # the '/' (or the end)
            return
        if prev != "/":
            self.push(_STAR)
            return
        nxt = self.peek()
        if nxt is None or (nxt in (",", "}") and self.alt_starts):
            is_suffix = True
        elif nxt == "/":
            self.bump()
            is_suffix = False
        else:
            self.push(_STAR)
            return
        last = self.branches[-1].pop()  # the '/' this `**` replaces
        if last in (_RPREFIX, _RSUFFIX):
            self.push(last)
        else:
            self.push(_RSUFFIX if is_suffix else _RZOM)

    def parse_class(self) -> None:
        saved = (self.pos, self.prev, self.cur)
        negated = self.peek() in ("!", "^")
        if negated:
            self.bump()
        ranges: list[tuple[str, str]] = []
        first = True
        in_range = False
        while True:
            c = self.bump()
            if c is None:
                # Unclosed: re-read everything after the '[' as ordinary glob text.
                self.pos, self.prev, self.cur = saved
                self.found_unclosed_class = True
                self.push(_Lit("["))
                return
            if c == "]" and not first:
                break
            if c == "-" and not first and not in_range:
                in_range = True
            elif in_range:
                start = ranges[-1][0]
                if c < start:
                    raise _GlobError(f"invalid range; '{_shown(start)}' > '{_shown(c)}'")
                ranges[-1] = (start, c)
                in_range = False
            else:
                ranges.append((c, c))
            first = False
        if in_range:
            ranges.append(("-", "-"))
        self.push(_Class(negated, tuple(ranges)))


_SAFE_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _byte_re(char: str) -> str:
    # globset matches bytes ((?-u)): a non-ASCII char is its UTF-8 byte sequence,
    # even inside a class, where each byte becomes its own member.
    data = char.encode("utf-8", "surrogatepass")
    return "".join(chr(b) if b in _SAFE_BYTES else f"\\x{b:02x}" for b in data)


def _tokens_re(tokens: Sequence[_Token]) -> str:
    out: list[str] = []
    for tok in tokens:
        if isinstance(tok, _Lit):
            out.append(_byte_re(tok.char))
        elif isinstance(tok, _Class):
            items = (
                _byte_re(a) if a == b else f"{_byte_re(a)}-{_byte_re(b)}" for a, b in tok.ranges
            )
            out.append(f"[{'^' if tok.negated else ''}{''.join(items)}]")
        elif isinstance(tok, _Alt):
            # empty alternatives are dropped (globset's empty_alternates = false)
            parts = [p for p in (_tokens_re(b) for b in tok.branches) if p]
            if parts:
                out.append(f"(?:{'|'.join(parts)})")
        elif tok == _ANY:
            out.append("[^/]")
        elif tok == _STAR:
            if not out or out[-1] != "[^/]*":  # `**` mid-component is `*`; don't backtrack twice
                out.append("[^/]*")
        elif tok == _RPREFIX:
            out.append("(?:/?|.*/)")
        elif tok == _RSUFFIX:
            out.append("/.*")
        else:
            out.append("(?:/|/.*/)")
    return "".join(out)


def _by_basename(tokens: Sequence[_Token]) -> bool:
    """Whether globset matches this glob through the candidate's basename/extension.

    globset's ``MatchStrategy::new`` picks a literal strategy before the regex. Three
    of them (BasenameLiteral, Extension, RequiredExtension) read the candidate's file
    name, which globset's ``file_name`` reports as empty for any path ending in '.';
    such globs never match those paths even when their regex would.
    """

    def lit(tok: _Token, *banned: str) -> bool:
        return isinstance(tok, _Lit) and tok.char not in banned

    if not tokens:
        return False
    prefixed = tokens[0] == _RPREFIX
    rest = tokens[1:] if prefixed else tokens
    if prefixed and rest and all(lit(t, "/") for t in rest):
        return True  # BasenameLiteral
    if all(lit(t) for t in tokens):
        return False  # Literal
    if (
        prefixed
        and len(rest) >= 2
        and rest[0] == _STAR
        and rest[1] == _Lit(".")
        and all(lit(t, ".", "/") for t in rest[2:])
    ):
        return True  # Extension
    # Prefix: literals, then at most a trailing `/**`.
    head = tokens[:-1] if tokens[-1] == _RSUFFIX else tokens
    if tokens[-1] != _STAR and all(lit(t) for t in head) and (head or tokens[-1] == _RSUFFIX):
        return False
    # Suffix: `**/` + literals (not just "/"), or literals alone.
    if rest and rest[0] != _STAR and all(lit(t) for t in rest):
        suffix = ("/" if prefixed and isinstance(rest[0], _Lit) else "") + "".join(
            t.char for t in rest if isinstance(t, _Lit)
        )
        if suffix not in ("", "/"):
            return False
    # RequiredExtension: ends in literals ".ext" (no '/').
    for tok in reversed(tokens):
        if not lit(tok, "/"):
            return False
        if tok == _Lit("."):
            return True
    return False


class _Glob(NamedTuple):
    regex: bytes
    whitelist: bool
    dir_only: bool
    by_basename: bool


_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _compile_line(pattern: str) -> _Glob | None:
    """``GitignoreBuilder::add_line``: one exclude pattern → a glob, or None if inert."""
    line = pattern
    if line.startswith("#"):
        return None
    if not line.endswith("\\ "):
        # Rust's trim_end (Unicode White_Space), which differs from str.rstrip
        end = len(line)
        while end and line[end - 1] in _WHITESPACE:
            end -= 1
        line = line[:end]
    if not line:
        return None
    whitelist = anchored = dir_only = False
    if line.startswith(("\\!", "\\#")):
        line = line[1:]
    else:
        if line.startswith("!"):
            whitelist, line = True, line[1:]
        if line.startswith("/"):
            anchored, line = True, line[1:]
    if line.endswith("/"):
        dir_only, line = True, line[:-1]
        if line.endswith("\\"):
            line = line[:-1]
    glob = line
    if not anchored and "/" not in line and not (glob.startswith("**/") or glob == "**"):
        glob = "**/" + glob
    if glob.endswith("/**"):
        glob += "/*"  # the contents, not the directory itself
    try:
        tokens = _Parser(glob).parse()
        regex = (".*" if tokens == [_RPREFIX] else _tokens_re(tokens)).encode("ascii")
        _re2_set([regex])  # alone, so that the first pattern RE2 refuses is the one named
    except _GlobError as err:
        raise ExcludePatternError(pattern, str(err)) from None
    except (_TooComplex, RecursionError):
        # globset's regex engine also has size and nesting limits
        raise ExcludePatternError(pattern, "pattern is too complex to compile") from None
    return _Glob(regex, whitelist, dir_only, _by_basename(tokens))


# --------------------------------------------------------------------------
# the engine: RE2 sets, linear in the path whatever the pattern

# RE2's budget per set, for its program and its DFA cache together (used as needed,
# not reserved): about globset's own limits, a 10 MiB NFA and a 10 MiB lazy-DFA cache.
_MAX_MEM = 32 << 20


class _Re2Set(Protocol):
    """What is used of ``re2.Set`` (google-re2 ships no types)."""

    def Add(self, pattern: bytes) -> int: ...
    def Compile(self) -> None: ...
    def Match(self, text: bytes) -> list[int] | None: ...  # None when nothing matches


class _TooComplex(Exception):
    """RE2 refused a regex or a set of them (over its memory budget, or nested too deep)."""


def _re2_set(regexes: Sequence[bytes]) -> _Re2Set:
    """One anchored set: ``Match`` lists every regex that matches the whole text."""
    import re2  # here, not at the top: a plugin without `exclude` never loads it

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1  # a char is a byte: globset's (?-u)
    options.dot_nl = True  # `.` matches '\n' too, as the (?s) the regexes assume
    options.never_capture = True
    options.log_errors = False  # refusals are raised; RE2 would also print them to stderr
    options.max_mem = _MAX_MEM
    result = re2.Set.FullMatchSet(options)
    try:
        for regex in regexes:
            result.Add(regex)
        # Match has no way to report a failure (it would read as "no match") and needs
        # none: Compile checks that the DFA has room to run, and a set's DFA then
        # flushes its cache as often as it must rather than give up (RE2's dfa.cc).
        result.Compile()
    except re2.error as err:
        raise _TooComplex(str(err)) from None
    return cast(_Re2Set, result)


def _re2_sets(regexes: Sequence[bytes], offset: int = 0) -> list[tuple[int, _Re2Set]]:
    """Sets covering ``regexes``, each with the index of its first, the last set first.

    Usually one. Globs that each fit RE2's budget can overflow it together; the
    list is then halved until every part fits (each glob fits alone: _compile_line).
    """
    try:
        return [(offset, _re2_set(regexes))]
    except _TooComplex:
        if len(regexes) == 1:
            raise
        mid = len(regexes) // 2
        return _re2_sets(regexes[mid:], offset + mid) + _re2_sets(regexes[:mid], offset)


class _GlobSet:
    """Several globs matched in one pass; of those that match, the last one decides."""

    def __init__(self, globs: Sequence[_Glob]) -> None:
        self._verdicts = [not g.whitelist for g in globs]
        sets = _re2_sets([g.regex for g in globs]) if globs else []
        self._matchers = [(offset, s.Match) for offset, s in sets]  # bound once: a hot path

    def verdict(self, path: bytes) -> bool | None:
        """True = ignore, False = whitelist, None = no glob matches."""
        for offset, match in self._matchers:  # the later globs first
            matches = match(path)
            if matches:
                return self._verdicts[offset + max(matches)]
        return None


class ExcludeMatcher:
    """A compiled ``exclude`` list; ``excludes(relpath)`` is the SDK's per-file decision."""

    def __init__(self, globs: Sequence[_Glob] = ()) -> None:
        files = [g for g in globs if not g.dir_only]
        # indexed by "path ends with '.'" (see _by_basename)
        self._file_sets = (_GlobSet(files), _GlobSet([g for g in files if not g.by_basename]))
        self._dir_sets = (_GlobSet(globs), _GlobSet([g for g in globs if not g.by_basename]))
        self._empty = not globs
        self._dir_verdicts: dict[bytes, bool | None] = {}

    @classmethod
    def compile(cls, patterns: Sequence[str]) -> ExcludeMatcher:
        """Compile ``patterns`` in order; raise ExcludePatternError on the first bad one."""
        if isinstance(patterns, str):
            raise TypeError("exclude patterns must be a sequence of strings, not a string")
        globs = [g for g in map(_compile_line, patterns) if g is not None]
        return cls(globs)

    def excludes(self, relpath: str) -> bool:
        """Whether the regular file at ``relpath`` ('/'-separated, root-relative) is dropped."""
        return not self._empty and self._excludes_raw(_raw(relpath))

    def _excludes_raw(self, path: bytes) -> bool:
        verdict = self._file_sets[path.endswith(b".")].verdict(path)
        if verdict is None and path:
            verdict = self._dir_verdict(path[: max(path.rfind(b"/"), 0)])
        return verdict is True

    def _dir_verdict(self, path: bytes) -> bool | None:
        # Nearest ancestor first, up to the root as the empty path (Rust's
        # Path::parent("x") is ""); memoised because siblings share ancestors.
        pending: list[bytes] = []
        verdict: bool | None = None
        while True:
            if path in self._dir_verdicts:
                verdict = self._dir_verdicts[path]
                break
            verdict = self._dir_sets[path.endswith(b".")].verdict(path)
            pending.append(path)
            if verdict is not None or not path:
                break
            path = path[: max(path.rfind(b"/"), 0)]
        for p in pending:
            self._dir_verdicts[p] = verdict
        return verdict


# --------------------------------------------------------------------------
# the walk


class SourceFile(NamedTuple):
    """One selected file. A NamedTuple, not a dataclass: a walk makes one per file, and
    building a tuple costs a fraction of a frozen dataclass's ``__init__``."""

    relpath: str  # '/'-joined, lossy UTF-8 (U+FFFD) for undecodable names, as the SDK
    location: str  # the on-disk path; undecodable bytes kept as surrogate escapes
    executable: bool  # any x bit; always False on Windows
    size: int
    raw: str = ""  # '/'-joined on-disk names below the root: what a Tree opens

    @property
    def path(self) -> Path:
        """``location`` as a Path (made on demand: most files never need one)."""
        return Path(self.location)

    @property
    def rel(self) -> str:
        return self.raw or self.relpath


class Skipped(NamedTuple):
    relpath: str
    kind: Literal["symlink", "special"]  # link (any target, dangling too) / fifo, socket, device


class Selection(NamedTuple):
    root: Path  # canonical plugin root
    files: tuple[SourceFile, ...]  # sorted by relpath (str order == UTF-8 byte order)
    skipped: tuple[Skipped, ...]  # not selected because of their type, sorted
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the root as walked

    def top_level_names(self) -> list[str]:
        return [f.relpath for f in self.files if "/" not in f.relpath]

    def tree(self) -> Tree:
        """The root opened again for reading, refused if it is no longer the walked one."""
        return Tree(self.root, self.identity)


def _raw(text: str) -> bytes:
    """The bytes of a name as the file system has them (what globset matches on Unix)."""
    try:
        return os.fsencode(text)
    except UnicodeEncodeError:  # not a name os.scandir could have produced
        return text.encode("utf-8", "surrogatepass")


def _lossy(text: str) -> str:
    return text if text.isascii() else _raw(text).decode("utf-8", "replace")


def _io_error(path: str, doing: str, err: OSError) -> SelectionError:
    shown = _lossy(path)
    return SelectionError(shown, f"cannot {doing} {shown}: {err.strerror or err}", err.errno)


def _is_link_dir(entry: os.DirEntry[str]) -> bool:
    # Windows junctions look like directories to Python but are links to Rust's
    # walkdir, which does not descend them.
    if sys.platform == "win32":
        attrs = entry.stat(follow_symlinks=False).st_file_attributes
        return bool(attrs & stat.FILE_ATTRIBUTE_REPARSE_POINT)
    return False


def select_files(
    root: Path,
    exclude: Sequence[str] | ExcludeMatcher = (),
    *,
    prune: Collection[Path] = (),
) -> Selection:
    """Select the plugin's source files exactly as the SDK does.

    ``prune`` lists directories (typically the build's output directory) that are
    never walked. Raises ExcludePatternError for a bad pattern and SelectionError
    for an I/O error anywhere in the walk, excluded directories included.
    """
    matcher = exclude if isinstance(exclude, ExcludeMatcher) else ExcludeMatcher.compile(exclude)
    excluded = None if matcher._empty else (lambda rel: matcher._excludes_raw(_raw(rel)))
    return walk(root, prune=prune, excluded=excluded)


def walk(
    root: Path,
    *,
    prune: Collection[Path] = (),
    enter: Callable[[str], bool] | None = None,
    excluded: Callable[[str], bool] | None = None,
) -> Selection:
    """Every regular file under ``root``, never following links; the shared walk.

    ``enter(relpath)`` decides whether a directory is descended (default: all
    of them, as the SDK); ``excluded(relpath)`` drops a file, link or special
    file. ``prune`` lists absolute directories that are never walked.

    Where the platform allows, each directory is opened relative to its parent's
    descriptor without following links (see :class:`~plugin_build.fileio.Tree`),
    so a directory swapped for a symbolic link mid-walk is never entered; at most
    one descriptor per level is open at a time.
    """
    try:
        real_root = Path(root).resolve(strict=True)
        tree = Tree(real_root)
    except OSError as err:
        raise _io_error(os.fspath(root), "resolve plugin directory", err) from err
    except RuntimeError as err:  # a symlink loop, on Pythons that do not raise OSError
        shown = _lossy(os.fspath(root))
        raise SelectionError(shown, f"cannot resolve plugin directory {shown}: {err}") from err
    pruned: set[tuple[int, int]] = set()
    for p in prune:
        try:
            st = os.stat(p)
        except (OSError, ValueError):  # absent, or a symlink loop: it cannot be walked
            continue
        pruned.add((st.st_dev, st.st_ino))
    # The root itself is never pruned, only directories below it.
    pruned.discard(tree.identity)

    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    with tree:
        _Walker(real_root, tree, pruned, enter, excluded, files, skipped).run()
    # Distinct undecodable names can share a lossy relpath; the on-disk name breaks ties.
    files.sort(key=lambda f: (f.relpath, f.raw))
    skipped.sort(key=lambda s: (s.relpath, s.kind))
    return Selection(real_root, tuple(files), tuple(skipped), tree.identity)


class _Walker:
    def __init__(  # noqa: PLR0917 - the walk's state, named at the one call
        self,
        root: Path,
        tree: Tree,
        pruned: set[tuple[int, int]],
        enter: Callable[[str], bool] | None,
        excluded: Callable[[str], bool] | None,
        files: list[SourceFile],
        skipped: list[Skipped],
    ) -> None:
        self.root, self.tree, self.pruned = root, tree, pruned
        self.enter, self.excluded = enter, excluded
        self.files, self.skipped = files, skipped

    def run(self) -> None:
        if self.tree.fd is None:
            self.run_by_path()
            return
        # Depth-first; a frame is (relative dir, its descriptor, subdirectories left).
        stack: list[tuple[str, int, list[str]]] = []
        fd: int | None = self.tree.fd
        rel = ""
        try:
            while True:
                if fd is not None:
                    stack.append((rel, fd, self.scan(rel, fd)))
                top_rel, top_fd, pending = stack[-1]
                if not pending:
                    stack.pop()
                    if top_fd != self.tree.fd:
                        os.close(top_fd)
                    if not stack:
                        return
                    fd = None
                    continue
                name = pending.pop()
                rel = f"{top_rel}/{name}" if top_rel else name
                self.check_path_length(rel)
                try:
                    fd = open_dir_at(top_fd, name)
                except OSError as err:
                    raise _io_error(os.fspath(self.root / rel), "read directory", err) from err
        finally:
            for _, open_fd, _ in stack:
                if open_fd != self.tree.fd:
                    os.close(open_fd)

    def check_path_length(self, rel_dir: str) -> None:
        """The SDK reads each directory by its full path, so one past PATH_MAX fails
        there with ENAMETOOLONG; descriptors would not, so say it as the SDK does."""
        path = self.root / rel_dir
        if len(os.fsencode(path)) >= _PATH_MAX:
            err = OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
            raise _io_error(os.fspath(path), "read directory", err)

    def run_by_path(self) -> None:
        stack = [""]
        while stack:
            rel = stack.pop()
            stack.extend(
                f"{rel}/{name}" if rel else name
                for name in self.scan(rel, os.fspath(self.root / rel) if rel else self.root)
            )

    def scan(self, rel_dir: str, where: int | str | Path) -> list[str]:
        """Record the files of one directory; return the subdirectories to descend."""
        abs_dir = self.root / rel_dir if rel_dir else self.root
        prefix = os.path.join(abs_dir, "")  # abs_dir and a separator: file paths are strings
        try:
            with os.scandir(where) as it:
                entries = list(it)
        except OSError as err:
            raise _io_error(os.fspath(abs_dir), "read directory", err) from err
        subdirs: list[str] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                # DirEntry answers from the directory listing (lstat at most): a
                # link, FIFO or device is classified without being opened or followed.
                if entry.is_symlink():
                    kind: Literal["file", "symlink", "special"] = "symlink"
                elif entry.is_dir(follow_symlinks=False):
                    if _is_link_dir(entry):
                        kind = "symlink"
                    else:
                        st = entry.stat(follow_symlinks=False)
                        if (st.st_dev, st.st_ino) not in self.pruned and (
                            self.enter is None or self.enter(rel)
                        ):
                            subdirs.append(entry.name)
                        continue
                elif entry.is_file(follow_symlinks=False):
                    kind = "file"
                else:
                    kind = "special"
                if self.excluded is not None and self.excluded(rel):
                    continue
                if kind == "file":
                    st = entry.stat(follow_symlinks=False)
                    executable = not _WINDOWS and bool(st.st_mode & 0o111)
                    self.files.append(
                        SourceFile(_lossy(rel), prefix + entry.name, executable, st.st_size, rel)
                    )
                else:
                    self.skipped.append(Skipped(_lossy(rel), kind))
            except OSError as err:
                raise _io_error(os.fspath(abs_dir / entry.name), "stat", err) from err
        subdirs.reverse()  # popped from the end: descend in listing order
        return subdirs
