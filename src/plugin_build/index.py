"""The registry index, ``index.json``: parse, check, write, insert, yank (CONFORMANCE §4).

Verdicts are the plugin SDK's (``Index::parse_json``): the whole file is refused
when anything is wrong, and every field-level problem is reported in one pass,
in the SDK's order. :meth:`Index.to_json` writes the SDK's canonical bytes
(``Index::to_canonical_json``): entries sorted by name and SemVer precedence,
URLs and version requirements normalised, descriptions in NFC, schema ``2.1``,
pretty-printed as serde_json does. Values in the model are kept as read; the
normal forms are computed on the way out, so a parsed index can be queried
(``query.py``) exactly as the SDK would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import ntpath
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from .diagnostics import Code, Diagnostic, render_field
from .indexraw import MISSING, RawDependency, RawEntry, RawError, read_raw, render_value
from .manifest import (
    TRIGGERS,
    Manifest,
    canonical_name,
    dependency_problems,
    description_problem,
    normalized_url,
    parse_schema_version,
    plugin_name_problem,
    python_requirement_problem,
    requirement_problem,
    split_url,
    trigger_problem,
    url_problem,
    version_problem,
)
from .semver import SemverError, Version, VersionReq

__all__ = [
    "INDEX_FILE",
    "INDEX_SCHEMA_VERSION",
    "Dependencies",
    "DependencyRef",
    "EntryNotFound",
    "Index",
    "IndexEntry",
    "IndexError",
    "IndexResult",
    "InsertError",
    "YankOutcome",
    "default_artifacts_url",
    "entry_from_manifest",
    "name_version_conflict",
    "new_index_json",
    "parse_index",
    "posix_file_url",
    "utc_timestamp",
    "windows_file_url",
]

INDEX_FILE: Final = "index.json"
INDEX_SCHEMA_VERSION: Final = "2.1"  # what the writer stamps, whatever was read
INDEX_MAJOR: Final = 2
ARTIFACT_SCHEMES: Final = ("https", "http", "file")
# ASCII digits only ([0-9], not \d); T and Z upper-case; no fraction, no offset
_PUBLISHED_AT_RE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z\Z"
)
_HASH_RE: Final = re.compile(r"sha256:[0-9a-f]{64}\Z")
_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# The url crate's percent-encode set for a pushed path segment of a special URL
# (SPECIAL_PATH_SEGMENT, url 2.5.8): controls, space, "#<>?`{}, /, %, \ and non-ASCII.
_SEGMENT_SAFE: Final = frozenset(bytes(range(0x21, 0x7F)).translate(None, b'"#<>?`{}/%\\'))
_WINDOWS_SAFE: Final = _SEGMENT_SAFE | {ord("\\")}  # Windows paths get PATH_SEGMENT: "\\" stays

YankOutcome = Literal["yanked", "unyanked", "already_yanked", "already_unyanked"]


@dataclass(frozen=True)
class DependencyRef:
    """One ``dependencies.plugins`` entry, as read."""

    index_url: str
    name: str
    version: str


@dataclass(frozen=True)
class Dependencies:
    database_version: str
    python: tuple[str, ...] = ()
    plugins: tuple[DependencyRef, ...] = ()


@dataclass(frozen=True)
class IndexEntry:
    """One published ``name@version``, values as read (normal forms on write)."""

    name: str
    version: str
    published_at: str
    description: str
    triggers: tuple[str, ...]
    dependencies: Dependencies
    hash: str
    homepage: str | None = None
    repository: str | None = None
    documentation: str | None = None
    yanked: bool = False


class IndexError(ValueError):  # shadows the builtin, in this module only
    """An index that cannot be written (e.g. NFC pushed a description past 200
    characters); ``diagnostics`` says what and where."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0].message if self.diagnostics else "index is invalid"
        more = len(self.diagnostics) - 1
        super().__init__(first + (f" (and {more} more problem(s))" if more else ""))


class InsertError(ValueError):
    """``package``'s refusal to add an entry (CONFORMANCE §4.3).

    ``existing`` holds every entry sharing the new entry's canonical name, in
    index order.
    """

    def __init__(
        self,
        kind: Literal["canonical_collision", "already_published"],
        entry: IndexEntry,
        existing: tuple[IndexEntry, ...],
    ) -> None:
        self.kind = kind
        self.name = entry.name
        self.version = entry.version
        self.existing = existing
        if kind == "canonical_collision":
            spellings = ", ".join(sorted({f"{e.name!r}" for e in existing}))
            message = (
                f"plugin name {entry.name!r} collides with {spellings} in the index (canonical "
                f"name {canonical_name(entry.name)!r}); publish it as {existing[0].name!r} or "
                "choose a distinct name"
            )
        else:
            versions = ", ".join(e.version for e in existing)
            message = (
                f"{entry.name}@{entry.version} is already in the index (published: {versions}); "
                "bump plugin.version in manifest.toml, or yank the published version"
            )
        super().__init__(message)


class EntryNotFound(KeyError):
    """No entry with exactly this spelling and version."""

    def __init__(self, name: str, version: str) -> None:
        super().__init__(name, version)
        self.name = name
        self.version = version

    def __str__(self) -> str:
        return (
            f"{self.name}@{self.version} is not in the index (the name must be spelt as "
            "published); check the name and version"
        )


@dataclass(frozen=True)
class Index:
    """A registry index; ``schema_version`` is as read, :meth:`to_json` stamps 2.1."""

    artifacts_url: str
    plugins: tuple[IndexEntry, ...] = ()
    schema_version: str = INDEX_SCHEMA_VERSION

    def to_json(self) -> bytes:
        """The SDK's canonical bytes for this index; raises :class:`IndexError`
        when an entry would not parse back (checked after NFC, before sorting)."""
        entries = [
            dataclasses.replace(e, description=unicodedata.normalize("NFC", e.description))
            for e in self.plugins
        ]
        diagnostics = _check(self.artifacts_url, [_as_raw(e) for e in entries])
        if diagnostics:
            raise IndexError(diagnostics)
        # stable: equal name and precedence (e.g. differing build metadata) keep input order
        entries.sort(key=lambda e: (e.name, Version.parse(e.version).precedence_key()))
        document = {
            "index_schema_version": INDEX_SCHEMA_VERSION,
            "artifacts_url": normalized_url(self.artifacts_url),
            "plugins": [_entry_document(e) for e in entries],
        }
        return _dump(document)

    def artifact_url(self, name: str, version: str) -> str:
        """Where ``name-version.tar.gz`` lives: the artifacts URL with one trailing
        empty path segment dropped and the file name appended; query and fragment kept."""
        parts = split_url(self.artifacts_url)
        if parts is None:
            raise ValueError(f"artifacts_url {self.artifacts_url!r} is not an absolute URL")
        head, path, tail = parts
        segment = _percent_encode(f"{name}-{version}.tar.gz".encode())
        return f"{head}{path.removesuffix('/')}/{segment}{tail}"

    def find(self, name: str, version: str) -> IndexEntry | None:
        """The entry spelt exactly ``name`` whose version equals ``version``
        (full equality: build metadata counts)."""
        for entry in self.plugins:
            if entry.name == name and _same_version(entry.version, version):
                return entry
        return None

    def versions_of(self, name: str) -> tuple[IndexEntry, ...]:
        """Every entry with ``name``'s canonical name, in index order."""
        return self._by_canonical.get(canonical_name(name), ())

    @functools.cached_property
    def _by_canonical(self) -> dict[str, tuple[IndexEntry, ...]]:
        # computed once per (immutable) index: publishing asks for every plugin's name
        grouped: dict[str, list[IndexEntry]] = {}
        for entry in self.plugins:
            grouped.setdefault(canonical_name(entry.name), []).append(entry)
        return {key: tuple(entries) for key, entries in grouped.items()}

    def inserted(self, entry: IndexEntry) -> Index:
        """This index with ``entry`` appended, or :class:`InsertError` when another
        spelling of the name exists (any version) or this version is already in."""
        existing = self.versions_of(entry.name)
        if any(e.name != entry.name for e in existing):
            raise InsertError("canonical_collision", entry, existing)
        if any(_same_version(e.version, entry.version) for e in existing):
            raise InsertError("already_published", entry, existing)
        return dataclasses.replace(self, plugins=(*self.plugins, entry))

    def yanked(self, name: str, version: str, *, undo: bool = False) -> tuple[Index, YankOutcome]:
        """Set (or with ``undo`` clear) ``yanked`` on the entry spelt exactly
        ``name`` at ``version``; already in that state is a successful no-op."""
        target = not undo
        for i, entry in enumerate(self.plugins):
            if entry.name == name and _same_version(entry.version, version):
                if entry.yanked == target:
                    return self, "already_yanked" if target else "already_unyanked"
                plugins = list(self.plugins)
                plugins[i] = dataclasses.replace(entry, yanked=target)
                return dataclasses.replace(self, plugins=tuple(plugins)), (
                    "yanked" if target else "unyanked"
                )
        raise EntryNotFound(name, version)


@dataclass(frozen=True)
class IndexResult:
    """``index`` is ``None`` when anything is wrong: the SDK refuses the whole file."""

    index: Index | None
    diagnostics: tuple[Diagnostic, ...]


def parse_index(data: bytes) -> IndexResult:
    """Read the bytes of an ``index.json``; never raises."""
    try:
        raw = read_raw(data)
    except RawError as exc:
        diagnostic = Diagnostic(
            Code.INDEX_SYNTAX, str(exc), path=INDEX_FILE, line=exc.line, column=exc.column
        )
        return IndexResult(None, (diagnostic,))
    problem = _schema_version_problem(raw.schema_version)
    if problem is not None:  # the SDK stops here, before any field check
        diagnostic = Diagnostic(
            Code.INDEX_SCHEMA_VERSION, problem, path=INDEX_FILE, field="index_schema_version"
        )
        return IndexResult(None, (diagnostic,))
    diagnostics = _check(raw.artifacts_url, raw.plugins)
    if diagnostics:
        return IndexResult(None, tuple(diagnostics))
    entries = tuple(_from_raw(entry) for entry in raw.plugins)
    return IndexResult(Index(raw.artifacts_url, entries, raw.schema_version), ())


def _schema_version_problem(text: str) -> str | None:
    parsed = parse_schema_version(text)
    if parsed is None:
        return (
            f"index_schema_version {text!r} is malformed: write it as "
            f'"<major>.<minor>", e.g. "{INDEX_SCHEMA_VERSION}"'
        )
    if parsed[0] != INDEX_MAJOR:
        return (
            f"index_schema_version {text!r} is not supported: the plugin SDK reads major "
            f"version {INDEX_MAJOR} only; convert the index to schema {INDEX_SCHEMA_VERSION}"
        )
    return None


def _check(artifacts_url: str, entries: Sequence[RawEntry]) -> list[Diagnostic]:
    """Every field-level and uniqueness problem, in ``Index::parse_json``'s order."""
    out: list[Diagnostic] = []

    def report(path: tuple[str | int, ...], message: str, code: str = Code.INDEX_FIELD) -> None:
        out.append(Diagnostic(code, message, path=INDEX_FILE, field=render_field(path)))

    if problem := url_problem(artifacts_url, ARTIFACT_SCHEMES):
        report(("artifacts_url",), f"artifacts_url: {problem}")
    # canonical name -> (spelling, version, position) of the entries so far, raw strings
    seen: dict[str, list[tuple[str, str, int]]] = {}
    for i, entry in enumerate(entries):
        here: tuple[str | int, ...] = ("plugins", i)
        for path, message in _entry_problems(here, entry):
            report(path, message)
        canonical = canonical_name(entry.name)
        earlier = seen.setdefault(canonical, [])
        same = [k for name, version, k in earlier if (name, version) == (entry.name, entry.version)]
        if same:
            report(
                here,
                f"{render_field(here)} repeats {entry.name}@{entry.version} of "
                f"plugins[{same[0]}]; an index lists each version once, remove one",
                Code.INDEX_DUPLICATE,
            )
        elif any(name != entry.name for name, _, _ in earlier):
            listed = ", ".join(f"{name}@{version}" for name, version, _ in earlier)
            report(
                here,
                f"plugin name {entry.name!r} collides with {listed} (canonical name "
                f"{canonical!r}); spell it {earlier[0][0]!r} or choose a distinct name",
                Code.INDEX_DUPLICATE,
            )
        earlier.append((entry.name, entry.version, i))
    return out


def _entry_problems(
    here: tuple[str | int, ...], entry: RawEntry
) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []

    def check(key: tuple[str | int, ...], problem: str | None) -> None:
        if problem is not None:
            out.append(((*here, *key), problem))

    def label(*key: str | int) -> str:
        return render_field((*here, *key))

    check(("name",), plugin_name_problem(entry.name))
    check(("version",), version_problem(label("version"), entry.version))
    check(("published_at",), _published_at_problem(label("published_at"), entry.published_at))
    check(("description",), description_problem(label("description"), entry.description))
    if not entry.triggers:
        check(
            ("triggers",),
            f"{label('triggers')} must not be empty; declare one of {', '.join(TRIGGERS)}",
        )
    for j, trigger in enumerate(entry.triggers):
        check(("triggers", j), trigger_problem(trigger))
    for key in ("homepage", "repository", "documentation"):
        url = getattr(entry, key)
        if url is not None and (problem := url_problem(url, ("http", "https"))):
            check((key,), f"{label(key)}: {problem}; use a full http(s):// URL")
    deps = ("dependencies",)
    db = label(*deps, "database_version")
    check((*deps, "database_version"), requirement_problem(db, entry.database_version))
    for j, item in enumerate(entry.python):
        check((*deps, "python", j), python_requirement_problem(item))
    seen: set[tuple[str, str]] = set()
    for j, dep in enumerate(entry.plugins):
        where = (*here, *deps, "plugins", j)
        out.extend(dependency_problems(where, dep.index_url, dep.name, dep.version, seen))
    if not _HASH_RE.match(entry.hash):
        check(
            ("hash",),
            f"{label('hash')} {entry.hash!r} is not 'sha256:' and 64 lowercase hex digits; "
            "write the archive's SHA-256 in that form",
        )
    return out


def _published_at_problem(label: str, value: object) -> str | None:
    example = 'e.g. "2026-04-29T18:45:12Z"'
    if value is MISSING:
        return f"{label} is missing (<missing>); add the UTC publication time, {example}"
    if not isinstance(value, str):
        shown = render_value(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{label} must be a string, not {shown}; write the UTC publication time, {example}"
    match = _PUBLISHED_AT_RE.match(value)
    if match:
        year, month, day, hour, minute, second = map(int, match.groups())
        date_ok = 1 <= month <= 12 and 1 <= day <= _days_in(year, month)
        if date_ok and hour <= 23 and minute <= 59 and second <= 59:
            return None
    return (
        f"{label} {value!r} is not a UTC time written YYYY-MM-DDTHH:MM:SSZ (no fractions, "
        f"offsets or leap seconds); write e.g. {example[5:]}"
    )


def _days_in(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS[month - 1]


def _as_raw(entry: IndexEntry) -> RawEntry:
    deps = entry.dependencies
    return RawEntry(
        name=entry.name,
        version=entry.version,
        published_at=entry.published_at,
        description=entry.description,
        triggers=entry.triggers,
        homepage=entry.homepage,
        repository=entry.repository,
        documentation=entry.documentation,
        database_version=deps.database_version,
        python=deps.python,
        plugins=tuple(RawDependency(d.index_url, d.name, d.version) for d in deps.plugins),
        hash=entry.hash,
        yanked=entry.yanked,
    )


def _from_raw(raw: RawEntry) -> IndexEntry:
    assert isinstance(raw.published_at, str)  # checked
    return IndexEntry(
        name=raw.name,
        version=raw.version,
        published_at=raw.published_at,
        description=raw.description,
        triggers=raw.triggers,
        dependencies=Dependencies(
            raw.database_version,
            raw.python,
            tuple(DependencyRef(d.index_url, d.name, d.version) for d in raw.plugins),
        ),
        hash=raw.hash,
        homepage=raw.homepage,
        repository=raw.repository,
        documentation=raw.documentation,
        yanked=raw.yanked,
    )


def _dump(document: object) -> bytes:
    r"""serde_json's pretty printer with a two-space indent, plus one newline.

    ``json.dumps`` escapes exactly what serde_json does (``"``, ``\\`` and
    U+0000-U+001F, with the short forms for ``\b \f \n \r \t`` and lower-case
    ``\u00xx`` for the rest) and writes everything else raw. Not
    ``escape.json_text``: that also escapes C1 and bidi controls for terminals,
    which would change the bytes.
    """
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def entry_head(entry: IndexEntry) -> dict[str, Any]:
    """The fields an entry starts with, in the SDK's key order, as written: name,
    version, published_at, description, triggers and the URLs present (normalised).
    Shared by the canonical writer and ``info``'s payload."""
    out: dict[str, Any] = {
        "name": entry.name,
        "version": str(Version.parse(entry.version)),
        "published_at": entry.published_at,
        "description": entry.description,
        "triggers": list(entry.triggers),
    }
    for key in ("homepage", "repository", "documentation"):
        url = getattr(entry, key)
        if url is not None:
            out[key] = normalized_url(url)
    return out


def _entry_document(entry: IndexEntry) -> dict[str, object]:
    """One entry in the SDK's key order; absent URLs, no plugin dependencies and
    ``yanked: false`` are left out, ``python`` is always written."""
    out = entry_head(entry)
    deps = entry.dependencies
    dependencies: dict[str, object] = {
        "database_version": str(VersionReq.parse(deps.database_version)),
        "python": list(deps.python),
    }
    if deps.plugins:
        dependencies["plugins"] = [
            {
                "index_url": normalized_url(d.index_url),
                "name": d.name,
                "version": str(VersionReq.parse(d.version)),
            }
            for d in deps.plugins
        ]
    out["dependencies"] = dependencies
    out["hash"] = entry.hash
    if entry.yanked:
        out["yanked"] = True
    return out


def _version(text: str) -> Version | None:
    try:
        return Version.parse(text)
    except SemverError:
        return None


def _same_version(a: str, b: str) -> bool:
    """``semver::Version`` equality (pre-release and build metadata included)."""
    va, vb = _version(a), _version(b)
    return va == vb if va is not None and vb is not None else a == b


def _percent_encode(data: bytes, safe: frozenset[int] = _SEGMENT_SAFE) -> str:
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in data)


def new_index_json(artifacts_url: str) -> bytes:
    """The SDK's ``new index`` file: its template with ``artifacts_url`` verbatim.

    The SDK substitutes the URL into the template as text, so a URL holding
    ``"``, ``\\`` or a control character would make it write a file that is not
    JSON; that, and a URL the index would refuse, raise :class:`IndexError`.
    """
    problem = url_problem(artifacts_url, ARTIFACT_SCHEMES)
    if problem is None and re.search(r'["\\\x00-\x1f\ud800-\udfff]', artifacts_url):
        problem = (
            f"artifacts_url {artifacts_url!r} holds a quote, backslash or control character, "
            "which the plugin SDK would write unescaped into index.json; percent-encode it"
        )
    if problem is not None:
        field = "artifacts_url"
        message = problem if problem.startswith(field) else f"{field}: {problem}"
        raise IndexError([Diagnostic(Code.INDEX_FIELD, message, path=INDEX_FILE, field=field)])
    return (
        "{\n"
        f'  "index_schema_version": "{INDEX_SCHEMA_VERSION}",\n'
        f'  "artifacts_url": "{artifacts_url}",\n'
        '  "plugins": []\n'
        "}\n"
    ).encode()


def default_artifacts_url(directory: Path) -> str:
    """The SDK's default ``artifacts_url`` for ``new index DIR``: ``file://`` and
    the directory made absolute lexically (``std::path::absolute``: no symlink
    resolution; on POSIX ``..`` is kept), each segment percent-encoded as
    ``Url::from_file_path`` does."""
    if os.name == "nt":
        return windows_file_url(os.path.abspath(directory))  # GetFullPathNameW, as Rust's
    return posix_file_url(os.fsencode(directory), os.getcwdb())


def posix_file_url(path: bytes, cwd: bytes) -> str:
    """``file://`` URL of ``path`` (joined to ``cwd`` when relative); ``.`` segments,
    repeated and trailing slashes dropped as ``Path::components`` does."""
    if not path.startswith(b"/"):
        path = cwd + b"/" + path
    segments = [s for s in path.split(b"/") if s not in (b"", b".")]
    return "file://" + ("".join("/" + _percent_encode(s) for s in segments) or "/")


def windows_file_url(absolute: str) -> str:
    """``file://`` URL of an absolute Windows path: ``file:///C:/a`` for a drive,
    ``file://server/share/a`` for a UNC path (url 2.5.8, which leaves ``\\`` alone
    here as no component can hold one)."""
    drive, rest = ntpath.splitdrive(absolute)
    if drive[:4] in ("\\\\?\\", "//?/"):  # a verbatim path names the same drive or share
        drive = drive[4:]
        if drive[:4].upper() in ("UNC\\", "UNC/"):
            drive = "\\\\" + drive[4:]
    parts = [p for p in re.split(r"[\\/]", rest) if p not in ("", ".")]
    if len(drive) == 2 and drive[1] == ":":
        head = "file:///" + drive
    else:
        server, _, share = drive.lstrip("\\/").replace("/", "\\").partition("\\")
        head = f"file://{server.lower()}/{_percent_encode(share.encode(), _WINDOWS_SAFE)}"
    tail = "".join("/" + _percent_encode(p.encode(), _WINDOWS_SAFE) for p in parts)
    return head + (tail or ("/" if head.endswith(":") else ""))


def entry_from_manifest(manifest: Manifest, *, hash: str, published_at: str) -> IndexEntry:
    """The entry ``package`` appends for a validated manifest (``yanked`` false)."""
    name, version = manifest.name, manifest.version
    description, database_version = manifest.description, manifest.database_version
    if name is None or version is None or description is None or database_version is None:
        raise ValueError("manifest lacks name, version, description or database_version")
    return IndexEntry(
        name=name,
        version=version,
        published_at=published_at,
        description=description,
        triggers=manifest.triggers,
        dependencies=Dependencies(
            database_version,
            manifest.python,
            tuple(DependencyRef(d.index_url, d.name, d.version) for d in manifest.plugins),
        ),
        hash=hash,
        homepage=manifest.homepage,
        repository=manifest.repository,
        documentation=manifest.documentation,
    )


def name_version_conflict(index: Index, name: str, version: str) -> Diagnostic | None:
    """``validate --index``: a conflict only when an entry with the same canonical
    name has an equal version (full equality); a different spelling at another
    version passes here although ``package`` refuses it. Names the manifest's spelling."""
    wanted = _version(version)
    if wanted is None:
        return None
    clash = next(
        (e for e in index.versions_of(name) if _version(e.version) == wanted),
        None,
    )
    if clash is None:
        return None
    spelt = "" if clash.name == name else f" (spelt {clash.name!r} there)"
    return Diagnostic(
        Code.NAME_VERSION_CONFLICT,
        f"{name}@{version} already exists in the index{spelt}; bump plugin.version in "
        "manifest.toml, or yank the published version",
        path="manifest.toml",
        field=f"{name}@{version}",
    )


def utc_timestamp(epoch_seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` for a POSIX time, as ``published_at`` holds it
    (years 0000-9999, which the SDK's formatter allows; others raise ValueError)."""
    days, seconds = divmod(epoch_seconds, 86400)
    # days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant's civil_from_days)
    z = days + 719468
    era, doe = divmod(z, 146097)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    if not 0 <= year <= 9999:
        raise ValueError(f"year {year} does not fit published_at's four digits")
    hour, rest = divmod(seconds, 3600)
    return f"{year:04}-{month:02}-{day:02}T{hour:02}:{rest // 60:02}:{rest % 60:02}Z"
