"""``manifest.toml`` → :class:`Manifest` plus diagnostics (schema 1.x).

The verdict follows the SDK's manifest parser (CONFORMANCE §1); the reporting
goes further (SPEC §3): wrong types and missing keys name their field, every
field problem is reported in one pass with the line and column of the key or
value, and only problems that leave the cross-file checks without a trustworthy
input (unreadable, not TOML, bad schema version, wrong shape) stop them.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NamedTuple

from .diagnostics import Code, Diagnostic, render_field
from .fileio import NotRegularFileError, TooLargeError, Tree
from .semver import SemverError, Version, VersionReq
from .tomlpos import Key, Position, TomlPositions

if TYPE_CHECKING:
    from ada_url import URL
    from tree_sitter import Node

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MANIFEST_FILE: Final = "manifest.toml"
PLUGIN_YAML: Final = "plugin.yaml"  # the other format's manifest (betty.py reads it)
TRIGGERS: Final = ("process_writes", "process_scheduled_call", "process_request")
SUPPORTED_MAJOR: Final = 1
CURRENT_SCHEMA_VERSION: Final = "1.3"
DESCRIPTION_LIMIT: Final = 200
# A manifest is a few hundred bytes; anything near this is not one. Bounds the read.
MANIFEST_SIZE_LIMIT: Final = 1 << 20
# The SDK's TOML parser (toml_edit 0.22 without "unbounded") refuses arrays and
# inline tables nested this deep, and keys of this many components.
TOML_NESTING_LIMIT: Final = 80
# The SDK's raw structs, in declaration order: a table written as an array fills
# them by position (serde's visit_seq); the first `required` must be present.
_POSITIONAL: Final[Mapping[str, tuple[tuple[str, ...], int]]] = {
    "plugin": (
        (
            "name",
            "version",
            "description",
            "triggers",
            "homepage",
            "repository",
            "documentation",
            "exclude",
        ),
        4,
    ),
    "dependencies": (("database_version", "python", "plugins"), 1),
    "dependency": (("index_url", "name", "version"), 3),
}

_NAME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
_RESERVED_NAMES: Final = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)
# Rust's u32 parser: an optional '+', ASCII digits only (no spaces, '_' or '-').
_U32_RE: Final = re.compile(r"\+?[0-9]+\Z")
_U32_MAX: Final = 4294967295

_KNOWN_KEYS: Final[Mapping[Key, tuple[str, ...]]] = {
    (): ("manifest_schema_version", "plugin", "dependencies"),
    ("plugin",): _POSITIONAL["plugin"][0],
    ("dependencies",): _POSITIONAL["dependencies"][0],
}
_DEPENDENCY_KEYS: Final = ("index_url", "name", "version")


class PluginDependency(NamedTuple):
    index_url: str
    name: str
    version: str


class Manifest(NamedTuple):
    """What the cross-file checks and the build need from a manifest.

    Values are as written; a field that is missing or of the wrong type is
    ``None`` (or empty) and has a diagnostic of its own. (NamedTuples, not
    dataclasses, on validate's path: see semver.Comparator.)
    """

    schema_version: str
    name: str | None
    version: str | None
    description: str | None
    triggers: tuple[str, ...]
    homepage: str | None = None
    repository: str | None = None
    documentation: str | None = None
    exclude: tuple[str, ...] = ()
    database_version: str | None = None
    python: tuple[str, ...] = ()
    plugins: tuple[PluginDependency, ...] = ()
    # the decoded TOML as written (for plugin.preview.yaml); not part of the value
    document: Mapping[str, object] = MappingProxyType({})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Manifest):
            return NotImplemented
        return self[:-1] == other[:-1]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:-1])


class ManifestResult(NamedTuple):
    """``manifest`` is ``None`` when the cross-file checks cannot run.

    ``source`` is the manifest's bytes, for locating later findings in it.
    """

    manifest: Manifest | None
    diagnostics: tuple[Diagnostic, ...]
    source: bytes = b""


def plugin_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid plugin name, or ``None`` (CONFORMANCE §1.3)."""
    if not _NAME_RE.match(name) or not name.isascii():
        return (
            f"plugin name {name!r} is invalid: use 1-64 ASCII letters, digits, '_' or '-', "
            "starting with a letter"
        )
    if name.lower() in _RESERVED_NAMES:
        return f"plugin name {name!r} is a reserved Windows device name; pick another name"
    return None


def canonical_name(name: str) -> str:
    """The form two names collide in: ASCII-lowercase, ``-`` → ``_``.

    Only ASCII letters fold, as Rust's ``to_ascii_lowercase``: an index may hold
    an invalid raw name such as ``"\u212afoo"`` (Kelvin sign), which must not
    collide with ``kfoo``.
    """
    return name.translate(_ASCII_LOWER).replace("-", "_")


_ASCII_LOWER: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def parse_schema_version(text: str) -> tuple[int, int] | None:
    """``<major>.<minor>`` as the SDK reads manifest and index schema versions
    (two Rust ``u32`` halves), or ``None`` when malformed."""
    major, dot, minor = text.partition(".")
    if not (dot and _U32_RE.match(major) and _U32_RE.match(minor)):
        return None
    if int(major) > _U32_MAX or int(minor) > _U32_MAX:
        return None
    return int(major), int(minor)


def schema_version_problem(text: str) -> str | None:
    """Why ``text`` is not an acceptable ``manifest_schema_version``."""
    parsed = parse_schema_version(text)
    if parsed is None:
        return (
            f"manifest_schema_version {text!r} is malformed: write it as "
            f'"<major>.<minor>", e.g. "{CURRENT_SCHEMA_VERSION}"'
        )
    if parsed[0] != SUPPORTED_MAJOR:
        return (
            f"manifest_schema_version {text!r} is not supported: this tool supports major "
            f'version {SUPPORTED_MAJOR}; use "{CURRENT_SCHEMA_VERSION}"'
        )
    return None


def version_problem(label: str, text: str) -> str | None:
    """Why ``text`` is not a strict SemVer 2.0.0 version (``label`` names the field)."""
    try:
        Version.parse(text)
    except SemverError as exc:
        return f"{label} {text!r} is not SemVer 2.0.0 ({exc}); write MAJOR.MINOR.PATCH, e.g. 1.0.0"
    return None


def requirement_problem(label: str, req: str) -> str | None:
    """Why ``req`` is not a Cargo-style version requirement."""
    try:
        VersionReq.parse(req)
    except SemverError as exc:
        return (
            f"{label} {req!r} is not a valid version requirement ({exc}); "
            'write e.g. ">=3.0.0, <4.0.0"'
        )
    return None


def description_problem(label: str, text: str) -> str | None:
    """The SDK's description rules, in its order: empty, multi-line, too long."""
    if not text:
        return f"{label} must not be empty; describe the plugin"
    if "\n" in text or "\r" in text:
        return (
            f"{label} must be one line ({len(text)} characters "
            "including line breaks); remove the line breaks"
        )
    if len(text) > DESCRIPTION_LIMIT:
        return f"{label} is {len(text)} characters long; shorten it to at most {DESCRIPTION_LIMIT}"
    return None


def _close_matches(
    word: str, possibilities: Sequence[str], *, n: int, cutoff: float = 0.6
) -> list[str]:
    """difflib.get_close_matches, imported only when a name is wrong."""
    import difflib

    return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)


def trigger_problem(trigger: str) -> str | None:
    """Why ``trigger`` is not one of the three trigger functions (case-sensitive)."""
    if trigger in TRIGGERS:
        return None
    close = _close_matches(trigger, TRIGGERS, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(TRIGGERS)}"
    return f"unknown trigger {trigger!r}; {hint}"


def python_requirement_problem(item: str) -> str | None:
    """Why ``item`` is not a PEP 508 requirement (``packaging`` stands in for pep508_rs)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(item)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        return f"{item!r} is not a PEP 508 requirement ({reason}); write e.g. 'requests>=2.0'"
    return None


def dependency_problems(
    here: Key,
    index_url: str | None,
    name: str | None,
    version: str | None,
    seen: set[tuple[str, str]],
) -> list[tuple[Key, str]]:
    """The SDK's checks of one ``dependencies.plugins`` entry, shared by the manifest
    and the index: ``(field path, message)`` in its order. ``None`` fields were
    missing or mistyped (already reported); ``seen`` collects the (normalised URL,
    canonical name) keys, and only a well-formed pair can be a duplicate."""
    out: list[tuple[Key, str]] = []
    url_ok = name_ok = False
    if index_url is not None:
        problem = url_problem(index_url, ("https", "http", "file"))
        if problem:
            out.append(((*here, "index_url"), f"index_url: {problem}"))
        url_ok = problem is None
    if name is not None:
        problem = plugin_name_problem(name)
        if problem:
            out.append(((*here, "name"), problem))
        name_ok = problem is None
    if version is not None:
        problem = requirement_problem(render_field((*here, "version")), version)
        if problem:
            out.append(((*here, "version"), problem))
    if url_ok and name_ok and index_url is not None and name is not None:
        key = (normalized_url(index_url), canonical_name(name))
        if key in seen:
            out.append(
                (
                    here,
                    f"duplicate plugin dependency {name!r} from {key[0]}: dependencies are "
                    "unique by (index_url, canonical name); remove one",
                )
            )
        seen.add(key)
    return out


def url_problem(value: str, allowed: tuple[str, ...]) -> str | None:
    """Why ``value`` is not an absolute WHATWG URL with one of ``allowed`` schemes."""
    url = _parse_url(value)
    if url is None:
        return f"{value!r} is not a valid absolute URL ({_url_error(value)})"
    scheme = url.protocol.rstrip(":")
    if scheme not in allowed:
        return f"{value!r} uses the {scheme!r} scheme; allowed: {', '.join(allowed)}"
    return None


def normalized_url(value: str) -> str:
    """``value`` re-serialised as the SDK's url crate (2.5.8) writes it."""
    parts = split_url(value)
    return "".join(parts) if parts is not None else value


def split_url(value: str) -> tuple[str, str, str] | None:
    """The normalised URL cut into (scheme to port, path, query and fragment), or
    ``None`` if ``value`` is not an absolute URL."""
    url = _parse_url(value)
    if url is None:
        return None
    href, path, tail = url.href, url.pathname, url.search + url.hash
    if not href.endswith(path + tail):  # an opaque path; not one of our schemes
        return href, "", ""
    head = href[: len(href) - len(path + tail)]
    if "^" in value:
        path = _caret_kept_in_path(value, path)
    return head, path, tail


def _caret_kept_in_path(value: str, path: str) -> str:
    """The url crate 2.5.8 predates the WHATWG change that percent-encodes ``^`` in
    paths, which ada follows. Parse again with every ``^`` swapped for a character
    the input lacks and put ``^`` back in the path only (``^`` in the user info is
    encoded by both, in the query and fragment by neither, in a host refused)."""
    sentinel = next(
        ch
        for ch in map(chr, range(0xE000, 0xF900))
        if ch not in value and _utf8_escape(ch).lower() not in value.lower()
    )
    swapped = _parse_url(value.replace("^", sentinel))
    if swapped is None:
        return path
    return swapped.pathname.replace(_utf8_escape(sentinel), "^")


def _utf8_escape(ch: str) -> str:
    return "".join(f"%{byte:02X}" for byte in ch.encode())


_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SPECIAL_SCHEMES: Final = frozenset(("http", "https", "ws", "wss", "ftp", "file"))


def _url_error(value: str) -> str:
    """A best guess at the url crate's ``ParseError`` text for a URL ada refused
    (ada says only that it failed)."""
    text = value.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "")
    text = text.replace("\r", "")
    scheme = _SCHEME_RE.match(text)
    if scheme is None:
        return "relative URL without a base"
    if scheme.group()[:-1].lower() not in _SPECIAL_SCHEMES:
        return "invalid URL"
    rest = text[scheme.end() :].lstrip("/\\")
    authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return "invalid IPv6 address"
    host, colon, port = host.rpartition(":") if ":" in host else (host, "", "")
    if colon and port and (not port.isascii() or not port.isdigit() or int(port) > 65535):
        return "invalid port number"
    if not host:
        return "empty host"
    if not host.isascii() or "xn--" in host.lower():
        return "invalid international domain name"
    if re.fullmatch(r"[0-9.]+|.*\.(0x[0-9a-fA-F]*|[0-9]+)\.?", host):
        return "invalid IPv4 address"
    return "invalid domain character"


def _parse_url(value: str) -> URL | None:
    import ada_url  # WHATWG parsing, as the SDK's url crate; not urllib.

    try:
        return ada_url.URL(value)
    except ValueError:
        return None


def load_manifest(plugin_root: Path) -> ManifestResult:
    """Read ``plugin_root/manifest.toml`` (a bounded regular file, never through a link)."""
    data = read_manifest_file(plugin_root, MANIFEST_FILE, MANIFEST_SIZE_LIMIT)
    if isinstance(data, Diagnostic):
        return ManifestResult(None, (data,))
    return parse_manifest(data)


def read_manifest_file(plugin_root: Path, name: str, limit: int) -> bytes | Diagnostic:
    """The bytes of the manifest ``name``, or the diagnostic that says why it is not read.

    A manifest is a regular file inside the plugin: a symbolic link (to /dev/zero, to
    a file outside the plugin), a FIFO or a device is refused without being read, and
    so is one over ``limit`` bytes.
    """
    try:
        with Tree(plugin_root) as tree:
            return tree.read(name, limit)
    except FileNotFoundError:
        if os.path.lexists(plugin_root / name):  # a dangling link
            return _refused(name, "is a symbolic link, not a regular file")
        if name == MANIFEST_FILE:
            return _missing()
        return Diagnostic(
            Code.MANIFEST_MISSING,
            f"{name} not found: {plugin_root / name}; add one at the plugin root",
        )
    except TooLargeError as exc:
        return Diagnostic(
            Code.MANIFEST_TOO_LARGE,
            f"{name} is {exc.size:,} bytes, over the {limit >> 10} KiB a manifest may have; "
            "a manifest is a few hundred bytes: check what this file is",
            path=name,
        )
    except NotRegularFileError:
        return _refused(name, f"is {_file_kind(plugin_root / name)}, not a regular file")
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a link
            return _refused(name, "is a symbolic link, not a regular file")
        return Diagnostic(
            Code.MANIFEST_UNREADABLE,
            f"cannot read {name}: {exc.strerror or exc}; check its permissions",
            path=name,
        )


def _refused(name: str, what: str) -> Diagnostic:
    # A link is what the SDK calls missing (its selection drops links); we do not
    # even read through it. A FIFO or device cannot be read safely at all.
    link = "symbolic link" in what
    return Diagnostic(
        Code.MANIFEST_MISSING if link else Code.MANIFEST_UNREADABLE,
        f"{name} {what}; it is not read (a plugin's manifest must be a regular file "
        "inside the plugin, and only regular files are packaged): replace it with the file",
        path=name,
    )


def _file_kind(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "not a file"
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _missing() -> Diagnostic:
    return Diagnostic(
        Code.MANIFEST_MISSING,
        f"{MANIFEST_FILE} is missing from the plugin directory; add one at the plugin root",
    )


def _fatal(
    code: str, message: str, *, line: int | None = None, column: int | None = None
) -> ManifestResult:
    diagnostic = Diagnostic(code, message, path=MANIFEST_FILE, line=line, column=column)
    return ManifestResult(None, (diagnostic,))


def parse_manifest(data: bytes) -> ManifestResult:
    """Check the bytes of a ``manifest.toml``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _fatal(
            Code.MANIFEST_UNREADABLE,
            f"{MANIFEST_FILE} is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            line=data.count(b"\n", 0, exc.start) + 1,
        )
    # The SDK's TOML parser skips a leading BOM; tomllib refuses one.
    text = text.removeprefix("\ufeff")
    try:
        document = tomllib.loads(text)
    except RecursionError:
        return _too_deep()
    except tomllib.TOMLDecodeError as exc:
        from .tomlwords import explain  # only a broken manifest pays for the import

        problem = explain(text, str(exc))
        return _fatal(
            Code.MANIFEST_SYNTAX,
            f"{MANIFEST_FILE} is not valid TOML: {problem.message}",
            line=problem.line,
            column=problem.column,
        )
    # (a key of N components nests N - 1 tables, hence the cheap test at N - 1)
    if _depth(document) >= TOML_NESTING_LIMIT - 1 and _nesting_over_limit(data):
        return _too_deep()
    return _Checker(data, document).run()


def _too_deep() -> ManifestResult:
    return _fatal(
        Code.MANIFEST_SYNTAX,
        f"{MANIFEST_FILE} nests arrays, inline tables or dotted keys "
        f"{TOML_NESTING_LIMIT} or more levels deep, which the plugin SDK's TOML parser "
        "refuses; flatten it",
    )


def _depth(document: object) -> int:
    """How deeply tables and arrays nest in a decoded document (iteratively)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in value)
    return deepest


def _nesting_over_limit(source: bytes) -> bool:
    """toml_edit's own rule, on the syntax tree: arrays and inline tables nested
    TOML_NESTING_LIMIT deep, or a key of that many components."""
    from .tomlpos import syntax_tree

    stack = [(syntax_tree(source), 0)]
    while stack:
        node, depth = stack.pop()
        if node.type in ("array", "inline_table"):
            depth += 1
            if depth >= TOML_NESTING_LIMIT:
                return True
        elif node.type == "dotted_key":
            if _key_length(node) >= TOML_NESTING_LIMIT:
                return True
            continue
        stack.extend((child, depth) for child in node.named_children)
    return False


def _key_length(node: Node) -> int:
    count, stack = 0, [node]
    while stack:
        current = stack.pop()
        if current.type == "dotted_key":
            stack.extend(current.named_children)
        else:
            count += 1
    return count


class _Checker:
    """Walks a decoded manifest in the SDK's field order, collecting diagnostics."""

    def __init__(self, source: bytes, document: dict[str, object]) -> None:
        self.source = source
        self.document = document
        self.diagnostics: list[Diagnostic] = []
        self._positions: TomlPositions | None = None
        # tables written as arrays: their path -> field names in position order
        self.positional: dict[Key, tuple[str, ...]] = {}
        self.written: Mapping[str, object] = {}  # the document as decoded
        self.misspelt: set[Key] = set()  # keys already reported as a near miss

    # -- reporting ------------------------------------------------------
    def positions(self) -> TomlPositions:
        if self._positions is None:
            self._positions = TomlPositions(self.source)
        return self._positions

    def report(
        self,
        path: Key,
        message: str,
        *,
        code: str = Code.MANIFEST_FIELD,
        severity: str = "error",
        at: Callable[[TomlPositions, Key], Position] | None = None,
    ) -> None:
        locate = at or (lambda positions, key: positions.value(key))
        position = locate(self.positions(), self.written_path(path))
        self.diagnostics.append(
            Diagnostic(
                code,
                message,
                severity="warning" if severity == "warning" else "error",
                path=MANIFEST_FILE,
                line=position.line,
                column=position.column,
                field=render_field(path) or None,
            )
        )

    def written_path(self, path: Key) -> Key:
        """Where a field is in the source: a positional table's field is an array index."""
        out: list[str | int] = []
        for part in path:
            fields = self.positional.get(tuple(out))
            out.append(fields.index(part) if fields and part in fields else part)
        return tuple(out)

    def missing(self, path: Key, table: Mapping[str, object] | None = None) -> None:
        name = render_field(path)
        if not self.report_near_miss(path, name, table):
            self.report(path, f"{name} is missing; add it", at=lambda p, key: p.table(key[:-1]))

    def report_near_miss(
        self,
        path: Key,
        what: str,
        table: Mapping[str, object] | None = None,
        *,
        code: str = Code.MANIFEST_FIELD,
    ) -> bool:
        """Report ``what`` as missing at the key written in its place, if there is one:
        the same name in another letter case (``[Plugin]``), else a close misspelling
        (``manifest_schema_verison``, ``[dependancies]``), never a key the schema knows."""
        parent, wanted = path[:-1], path[-1]
        if table is None:
            table = self.table(parent) if parent else self.document
        if table is None or not isinstance(wanted, str):
            return False
        known = _KNOWN_KEYS.get(parent, _DEPENDENCY_KEYS)
        candidates = [key for key in table if key not in known]
        same = [key for key in candidates if key.lower() == wanted.lower()]
        close = same or _close_matches(wanted, candidates, n=1, cutoff=0.75)
        if not close:
            return False
        written = close[0]
        shown = render_field((*parent, written))
        shown = f"[{shown}]" if isinstance(table[written], dict) else repr(shown)
        if same:
            why = f"{shown} is written instead, and TOML names are case-sensitive; rename it"
        else:
            why = f"{shown} is written instead; if that is a misspelling, rename it"
        self.misspelt.add((*parent, written))
        self.report(
            path,
            f"{what} is missing: {why} {wanted!r}",
            code=code,
            at=lambda positions, key: positions.key((*key[:-1], written)),
        )
        return True

    def wrong_type(self, path: Key, expected: str, value: object) -> None:
        self.report(
            path,
            f"{render_field(path)} must be {expected}, not {_toml_type(value)}",
        )

    # -- the walk -------------------------------------------------------
    def run(self) -> ManifestResult:
        self.written = self.document
        fatal = self.check_schema_version() or self.read_positional() or self.check_shape()
        if fatal:
            return ManifestResult(None, tuple(self.diagnostics), self.source)
        plugin = self.table(("plugin",))
        assert plugin is not None  # check_shape guarantees it
        manifest = Manifest(
            schema_version=str(self.document["manifest_schema_version"]),
            name=self.check_name(("plugin", "name"), plugin),
            version=self.check_version(plugin),
            description=self.check_description(plugin),
            triggers=self.check_triggers(plugin),
            homepage=self.check_url(plugin, "homepage"),
            repository=self.check_url(plugin, "repository"),
            documentation=self.check_url(plugin, "documentation"),
            exclude=tuple(_strings(plugin.get("exclude", []))),
            document=self.written,
        )
        dependencies = self.check_dependencies_table()
        if dependencies is not None:
            manifest = manifest._replace(
                database_version=self.check_database_version(dependencies),
                python=self.check_python(dependencies),
                plugins=self.check_plugin_dependencies(dependencies),
            )
        self.warn_unknown_keys()  # last: a near miss already reported as missing is not repeated
        return ManifestResult(manifest, tuple(self.diagnostics), self.source)

    def table(self, path: Key) -> dict[str, object] | None:
        node: object = self.document
        for part in path:
            if not isinstance(node, dict):
                return None
            node = node.get(str(part))
        return node if isinstance(node, dict) else None

    def check_schema_version(self) -> bool:
        path: Key = ("manifest_schema_version",)
        value = self.document.get("manifest_schema_version")
        if value is None:
            what = "manifest_schema_version"
            if self.report_near_miss(path, what, code=Code.MANIFEST_SCHEMA_VERSION):
                return True
            self.report(
                path,
                "manifest_schema_version is missing; add "
                f'manifest_schema_version = "{CURRENT_SCHEMA_VERSION}" before the first table',
                code=Code.MANIFEST_SCHEMA_VERSION,
            )
        elif not isinstance(value, str):
            self.report(
                path,
                f"manifest_schema_version must be a string such as "
                f'"{CURRENT_SCHEMA_VERSION}", not {_toml_type(value)}',
                code=Code.MANIFEST_SCHEMA_VERSION,
            )
        elif problem := schema_version_problem(value):
            self.report(path, problem, code=Code.MANIFEST_SCHEMA_VERSION)
        else:
            return False
        return True

    def read_positional(self) -> bool:
        """Tables written as arrays, read by position as the SDK's decoder does.

        ``plugin = ["p", "0.1.0", "x", ["process_writes"]]`` decodes in the SDK
        (serde fills a struct from a sequence), so it is valid here too, with a
        warning; too few elements is the SDK's parse error. Returns True when the
        cross-file checks cannot run.
        """
        self.document = dict(self.document)
        fatal = False
        for key, kind in (("plugin", "plugin"), ("dependencies", "dependencies")):
            value = self.document.get(key)
            if isinstance(value, list):
                converted = self.positional_table((key,), kind, value)
                fatal |= converted is None and key == "plugin"
                self.document[key] = converted if converted is not None else {}
        dependencies = self.document.get("dependencies")
        plugins = dependencies.get("plugins") if isinstance(dependencies, dict) else None
        if isinstance(plugins, list) and any(isinstance(p, list) for p in plugins):
            assert isinstance(dependencies, dict)
            path: Key = ("dependencies", "plugins")
            dependencies = self.document["dependencies"] = dict(dependencies)
            dependencies["plugins"] = [
                (self.positional_table((*path, i), "dependency", entry) or {})
                if isinstance(entry, list)
                else entry
                for i, entry in enumerate(plugins)
            ]
        return fatal

    def positional_table(
        self, path: Key, kind: str, values: list[object]
    ) -> dict[str, object] | None:
        fields, required = _POSITIONAL[kind]
        name = render_field(path)
        table = "[[dependencies.plugins]]" if kind == "dependency" else f"[{name}]"
        if len(values) < required:
            listed = ", ".join(fields[:required])
            self.report(
                path,
                f"{name} is an array of {len(values)} value(s); the plugin SDK reads such an "
                f"array by position and needs {listed}: write it as a {table} table",
            )
            return None
        self.positional[path] = fields
        self.report(
            path,
            f"{name} is written as an array, which the plugin SDK reads by position "
            f"({', '.join(fields[: max(required, len(values))])}); write it as a {table} "
            "table so each value is named",
            code=Code.MANIFEST_POSITIONAL_TABLE,
            severity="warning",
        )
        return dict(zip(fields, values, strict=False))  # extra elements are ignored, as serde

    def check_shape(self) -> bool:
        """Problems that leave the cross-file checks without their input."""
        before = len(self.diagnostics)
        plugin = self.document.get("plugin")
        if plugin is None:
            if not self.report_near_miss(("plugin",), "the [plugin] table"):
                self.report(("plugin",), "the [plugin] table is missing; add it", at=_table)
            return True
        if not isinstance(plugin, dict):
            self.wrong_type(("plugin",), "a table", plugin)
            return True
        for key in ("exclude", "triggers"):
            value = plugin.get(key)
            if value is None:
                continue
            if not isinstance(value, list):
                self.wrong_type(("plugin", key), "an array of strings", value)
                continue
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    self.wrong_type(("plugin", key, i), "a string", item)
        return len(self.diagnostics) > before

    def warn_unknown_keys(self) -> None:
        """Unknown keys are ignored (SDK); a near miss of a known one is worth a warning."""
        for path, known in _KNOWN_KEYS.items():
            table = self.table(path) if path else self.document
            if table is None:
                continue
            for key in table:
                if key in known or (*path, key) in self.misspelt:
                    continue
                close = _close_matches(key, known, n=1, cutoff=0.75)
                if close and close[0] not in table:
                    self.report(
                        (*path, key),
                        f"unknown field {render_field((*path, key))!r} is ignored; "
                        f"did you mean {close[0]!r}?",
                        code=Code.MANIFEST_UNKNOWN_FIELD,
                        severity="warning",
                        at=lambda positions, k: positions.key(k),
                    )

    def string(self, table: Mapping[str, object], path: Key, *, required: bool) -> str | None:
        value = table.get(str(path[-1]))
        if value is None:
            if required:
                self.missing(path, table)
            return None
        if not isinstance(value, str):
            self.wrong_type(path, "a string", value)
            return None
        return value

    def check_name(self, path: Key, table: Mapping[str, object]) -> str | None:
        name = self.string(table, path, required=True)
        if name is not None and (problem := plugin_name_problem(name)):
            self.report(path, problem)
        return name

    def check_version(self, plugin: Mapping[str, object]) -> str | None:
        path: Key = ("plugin", "version")
        version = self.string(plugin, path, required=True)
        if version is not None and (problem := version_problem("plugin.version", version)):
            self.report(path, problem)
        return version

    def check_description(self, plugin: Mapping[str, object]) -> str | None:
        path: Key = ("plugin", "description")
        text = self.string(plugin, path, required=True)
        if text is not None and (problem := description_problem("plugin.description", text)):
            self.report(path, problem)
        return text

    def check_triggers(self, plugin: Mapping[str, object]) -> tuple[str, ...]:
        path: Key = ("plugin", "triggers")
        value = plugin.get("triggers")
        if value is None:
            self.missing(path, plugin)
            return ()
        triggers = tuple(_strings(value))
        if not triggers:
            self.report(
                path, f"plugin.triggers must not be empty; declare one of {', '.join(TRIGGERS)}"
            )
        for i, trigger in enumerate(triggers):
            if problem := trigger_problem(trigger):
                self.report((*path, i), problem)
        return triggers

    def check_url(self, plugin: Mapping[str, object], key: str) -> str | None:
        path: Key = ("plugin", key)
        url = self.string(plugin, path, required=False)
        if url is not None and (problem := url_problem(url, ("http", "https"))):
            self.report(path, f"plugin.{key}: {problem}; use a full http(s):// URL")
        return url

    def check_dependencies_table(self) -> dict[str, object] | None:
        value = self.document.get("dependencies")
        if value is None:
            if self.report_near_miss(("dependencies",), "the [dependencies] table"):
                return None
            self.report(
                ("dependencies",),
                "the [dependencies] table is missing; add it with database_version, "
                'e.g. database_version = ">=3.0.0"',
                at=_table,
            )
            return None
        if not isinstance(value, dict):
            self.wrong_type(("dependencies",), "a table", value)
            return None
        return value

    def check_database_version(self, deps: Mapping[str, object]) -> str | None:
        path: Key = ("dependencies", "database_version")
        req = self.string(deps, path, required=True)
        if req is not None:
            self.check_req(path, req)
        return req

    def check_req(self, path: Key, req: str) -> None:
        if problem := requirement_problem(render_field(path), req):
            self.report(path, problem)

    def check_python(self, deps: Mapping[str, object]) -> tuple[str, ...]:
        path: Key = ("dependencies", "python")
        value = deps.get("python", [])
        if not isinstance(value, list):
            self.wrong_type(path, "an array of PEP 508 requirement strings", value)
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.wrong_type((*path, i), "a string", item)
                continue
            out.append(item)
            if problem := python_requirement_problem(item):
                self.report((*path, i), problem)
        return tuple(out)

    def check_plugin_dependencies(self, deps: Mapping[str, object]) -> tuple[PluginDependency, ...]:
        path: Key = ("dependencies", "plugins")
        value = deps.get("plugins", [])
        if not isinstance(value, list):
            self.wrong_type(path, "an array of tables ([[dependencies.plugins]])", value)
            return ()
        seen: set[tuple[str, str]] = set()
        out: list[PluginDependency] = []
        for i, entry in enumerate(value):
            here: Key = (*path, i)
            if not isinstance(entry, dict):
                self.wrong_type(here, "a table", entry)
                continue
            url = self.string(entry, (*here, "index_url"), required=True)
            name = self.string(entry, (*here, "name"), required=True)
            version = self.string(entry, (*here, "version"), required=True)
            for where, problem in dependency_problems(here, url, name, version, seen):
                self.report(where, problem, at=_table if where == here else None)
            if url is not None and name is not None and version is not None:
                out.append(PluginDependency(url, name, version))
        return tuple(out)


def _table(positions: TomlPositions, path: Key) -> Position:
    return positions.table(path)


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _toml_type(value: object) -> str:
    names: Sequence[tuple[type, str]] = (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
    )
    for kind, name in names:
        if isinstance(value, kind):
            return name
    return "a date/time"
