"""plugin_library.json, the InfluxDB 3 Explorer's plugin catalogue, built from the plugins.

The file (``influxdata/library/plugin_library.json`` in the plugin repository) is
``{"plugin_library": {"version", "last_updated", "plugins": [entry, ...]}}``,
indented by four spaces, one trailing newline. Each entry has nine keys, in this
order; where each comes from:

====================== ==================================================================
``name``               display name: kept from the committed entry (nothing in a plugin
                       states it: ``mad_check`` is listed as "MAD Anomaly Detection");
                       a new plugin takes its README's first ``# `` heading without a
                       trailing "Plugin", else ``plugin.name``
``path``               the entry point, relative to the repository root (``--root``)
``description``        ``plugin.description``
``author``             kept from the committed entry; a new plugin gets ``author``
                       (``--author``, default "InfluxData", the real file's author of
                       31 of 33 plugins)
``docs_file_link``     ``plugin.documentation``
``required_plugins``   ``[[dependencies.plugins]]``, each the ``{"name", "path"}`` of the
                       catalogued plugin of that name (it must be catalogued too)
``required_libraries`` ``dependencies.python``, as written
``last_update``        kept from the committed entry while the fields above it derives
                       (path, description, docs_file_link, required_*, trigger types)
                       are unchanged; otherwise ``today``, an input (``--date``, else
                       ``SOURCE_DATE_EPOCH``, else the UTC date): git history is not
                       part of a plugin directory, and the committed dates are not the
                       commit dates anyway
``trigger_types_``     the docstring's ``plugin_type`` in its order, in the catalogue's
``supported``          words: scheduled → ``scheduler``, onwrite → ``data_writes``, http
====================== ==================================================================

``version`` is kept (default ``1.0.0``); ``last_updated`` is kept while the
plugins list is unchanged, else ``today`` at midnight UTC. Entries keep the
committed file's order (the real file lists plugins in the order they were
added); new ones follow, sorted by path. Lists of strings are written on one
line, as the real file writes them; non-ASCII text is written as UTF-8, with the
characters a terminal would act on escaped (:mod:`.escape`).

A plugin that cannot have an entry (no manifest or entry point, a docstring the
Explorer cannot read, no description or documentation, a required plugin not
catalogued) is a diagnostic instead; nothing here prints or writes.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import json
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .diagnostics import Code, Diagnostic
from .escape import json_text, printable
from .explorer import read_metadata
from .fileio import open_regular
from .manifest import MANIFEST_FILE, canonical_name
from .validate import PluginReport, validate_plugins

__all__ = [
    "CATALOGUE_FILE",
    "Catalogue",
    "Committed",
    "Entry",
    "Problem",
    "RequiredPlugin",
    "build_catalogue",
    "check",
    "parse_committed",
    "render",
]

CATALOGUE_FILE: Final = "plugin_library.json"
CATALOGUE_VERSION: Final = "1.0.0"
DEFAULT_AUTHOR: Final = "InfluxData"
TRIGGER_TYPES: Final = {"scheduled": "scheduler", "onwrite": "data_writes", "http": "http"}
# What the entry derives from the plugin; a change to one of these moves last_update.
DERIVED: Final = (
    "path",
    "description",
    "docs_file_link",
    "required_plugins",
    "required_libraries",
    "trigger_types_supported",
)
_README_LIMIT: Final = 1 << 20
# Codes of the Explorer findings that leave no entry to write.
_BLOCKING: Final = frozenset(
    {
        Code.EXPLORER_DOCSTRING_MISSING,
        Code.EXPLORER_DOCSTRING_ESCAPE,
        Code.EXPLORER_JSON,
        Code.EXPLORER_PLUGIN_TYPE,
        Code.READ_ERROR,
    }
)


@dataclass(frozen=True)
class RequiredPlugin:
    name: str
    path: str


@dataclass(frozen=True)
class Entry:
    """One plugin of the catalogue; fields in the file's order."""

    name: str
    path: str
    description: str
    author: str
    docs_file_link: str
    required_plugins: tuple[RequiredPlugin, ...]
    required_libraries: tuple[str, ...]
    last_update: str
    trigger_types_supported: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in dataclasses.asdict(self).items():
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class Committed:
    """The committed catalogue, as far as it can be carried forward."""

    version: str
    last_updated: str | None
    entries: Mapping[str, Mapping[str, object]]  # by path, first one wins
    order: tuple[str, ...]
    plugins: tuple[object, ...]  # the list as written, to tell whether anything changed


@dataclass(frozen=True)
class Problem:
    """A diagnostic about the plugin at ``root``."""

    root: Path
    diagnostic: Diagnostic


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[Entry, ...]
    version: str
    last_updated: str
    order: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not any(p.diagnostic.is_error for p in self.problems)

    def text(self) -> str:
        return render(
            self.entries, version=self.version, last_updated=self.last_updated, order=self.order
        )


def parse_committed(text: str) -> Committed | Diagnostic:
    """The committed file, or a ``catalog-syntax`` diagnostic (without a path)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Diagnostic(
            Code.CATALOG_SYNTAX,
            f"the catalogue is not valid JSON ({exc.msg}); fix it, or delete it to generate "
            "it afresh",
            line=exc.lineno,
            column=exc.colno,
        )
    except (ValueError, RecursionError) as exc:
        return Diagnostic(Code.CATALOG_SYNTAX, f"the catalogue cannot be read as JSON ({exc})")
    library = data.get("plugin_library") if isinstance(data, dict) else None
    plugins = library.get("plugins") if isinstance(library, dict) else None
    if not isinstance(library, dict) or not isinstance(plugins, list):
        return Diagnostic(
            Code.CATALOG_SYNTAX,
            'the catalogue is not {"plugin_library": {"version": ..., "last_updated": ..., '
            '"plugins": [...]}}; fix it, or delete it to generate it afresh',
        )
    entries: dict[str, Mapping[str, object]] = {}
    for item in plugins:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            entries.setdefault(item["path"], item)
    version, updated = library.get("version"), library.get("last_updated")
    return Committed(
        version=version if isinstance(version, str) else CATALOGUE_VERSION,
        last_updated=updated if isinstance(updated, str) else None,
        entries=entries,
        order=tuple(entries),
        plugins=tuple(plugins),
    )


@dataclass(frozen=True)
class _Source:
    root: Path
    report: PluginReport
    path: str
    description: str
    docs: str
    types: tuple[str, ...]
    title: str


def build_catalogue(
    roots: Sequence[Path],
    *,
    repository: Path,
    today: datetime.date,
    committed: Committed | None = None,
    author: str = DEFAULT_AUTHOR,
) -> Catalogue:
    """The catalogue of the plugins at ``roots``; ``repository`` is the root that entry
    paths are relative to."""
    problems: list[Problem] = []
    sources: list[_Source] = []
    failed: set[str] = set()  # plugins with an error of their own: no second one for them
    for report in validate_plugins(roots):
        found = _source(report, repository)
        if isinstance(found, _Source):
            sources.append(found)
        else:
            problems.extend(Problem(report.root, d) for d in found)
            failed.add(canonical_name(report.name or ""))
    old = committed.entries if committed else {}
    names = {s.path: _carried(old.get(s.path), "name") or s.title for s in sources}
    by_name = {canonical_name(s.report.name or ""): s for s in sources}
    entries: list[Entry] = []
    for source in sources:
        required, missing = _required(source, by_name, names, failed)
        problems.extend(Problem(source.root, d) for d in missing)
        previous = old.get(source.path)
        entry = Entry(
            name=names[source.path],
            path=source.path,
            description=source.description,
            author=_carried(previous, "author") or author,
            docs_file_link=source.docs,
            required_plugins=required,
            required_libraries=source.report.manifest.python if source.report.manifest else (),
            last_update=today.isoformat(),
            trigger_types_supported=tuple(TRIGGER_TYPES[t] for t in source.types),
        )
        kept = _carried(previous, "last_update")
        if previous is not None and kept and _derived(entry.as_dict()) == _derived(previous):
            entry = dataclasses.replace(entry, last_update=kept)
        entries.append(entry)
    order = committed.order if committed else ()
    ordered = _ordered(entries, order)
    unchanged = committed is not None and [e.as_dict() for e in ordered] == list(committed.plugins)
    updated = committed.last_updated if unchanged and committed else None
    return Catalogue(
        entries=tuple(ordered),
        version=committed.version if committed else CATALOGUE_VERSION,
        last_updated=updated or f"{today.isoformat()}T00:00:00+00:00",
        order=order,
        problems=tuple(problems),
    )


def _carried(entry: Mapping[str, object] | None, key: str) -> str | None:
    value = entry.get(key) if entry is not None else None
    return value if isinstance(value, str) and value.strip() else None


def _derived(entry: Mapping[str, object]) -> list[object]:
    return [entry.get(key) for key in DERIVED]


def _source(report: PluginReport, repository: Path) -> _Source | list[Diagnostic]:
    """What an entry needs from one plugin, or the diagnostics that leave it none."""
    manifest = report.manifest
    if report.format != MANIFEST_FILE or manifest is None or report.entry_point is None:
        if report.format == "plugin.yaml":
            return [
                Diagnostic(
                    Code.CATALOG_SKIPPED,
                    "a plugin.yaml plugin is not an InfluxDB 3 processing-engine plugin; the "
                    "catalogue lists manifest.toml plugins only",
                    "warning",
                )
            ]
        return [d for d in report.diagnostics if d.is_error] or [
            Diagnostic(Code.ENTRY_POINT_MISSING, "the plugin has no entry point to catalogue")
        ]
    metadata = read_metadata(report)
    problems = [
        d for d in (metadata.diagnostics if metadata else ()) if d.is_error and d.code in _BLOCKING
    ]
    entry_file = os.path.abspath(report.root / report.entry_point)
    relative = os.path.relpath(entry_file, os.path.abspath(repository))
    if relative.startswith(os.pardir) or os.path.isabs(relative):
        problems.append(
            Diagnostic(
                Code.CATALOG_FIELD,
                f"the plugin is outside the repository root {os.fspath(repository)}, so it has "
                "no catalogue path; run from the repository root or pass --root",
            )
        )
    for field, value, what in (
        ("description", manifest.description, "description"),
        ("documentation", manifest.documentation, "docs_file_link"),
    ):
        if not value:
            problems.append(
                Diagnostic(
                    Code.CATALOG_FIELD,
                    f"the catalogue's {what} comes from plugin.{field}, which is missing or "
                    f"invalid; set it in [plugin] of {MANIFEST_FILE}",
                    path=MANIFEST_FILE,
                    field=f"plugin.{field}",
                )
            )
    if not problems and (metadata is None or not metadata.plugin_types):
        # the entry point could not be read (too large, not UTF-8): validate said why
        problems = [d for d in report.diagnostics if d.is_error] or [
            Diagnostic(Code.READ_ERROR, "the entry point's metadata cannot be read")
        ]
    if problems or metadata is None:
        return problems
    return _Source(
        root=report.root,
        report=report,
        path=Path(relative).as_posix(),
        description=manifest.description or "",
        docs=manifest.documentation or "",
        types=metadata.plugin_types,
        title=readme_title(report.root) or manifest.name or report.root.name,
    )


def _required(
    source: _Source,
    by_name: Mapping[str, _Source],
    names: Mapping[str, str],
    failed: Collection[str],
) -> tuple[tuple[RequiredPlugin, ...], list[Diagnostic]]:
    manifest = source.report.manifest
    required: list[RequiredPlugin] = []
    missing: list[Diagnostic] = []
    for index, dependency in enumerate(manifest.plugins if manifest else ()):
        found = by_name.get(canonical_name(dependency.name))
        if found is None and canonical_name(dependency.name) in failed:
            continue  # its own diagnostics say why it has no entry
        if found is None:
            missing.append(
                Diagnostic(
                    Code.CATALOG_REQUIRED_PLUGIN,
                    f"dependencies.plugins[{index}] is {dependency.name}, which is not among "
                    "the plugins catalogued; name its directory too, so that required_plugins "
                    "can give its name and path",
                    path=MANIFEST_FILE,
                    field=f"dependencies.plugins[{index}]",
                )
            )
        else:
            required.append(RequiredPlugin(names[found.path], found.path))
    return tuple(required), missing


_HEADING: Final = re.compile(r"#[ \t]+(.+?)[ \t#]*")
_FENCE: Final = re.compile(r"(```|~~~)")


def readme_title(root: Path) -> str | None:
    """The README's first ``# `` heading outside code fences, without a trailing
    "Plugin" (``# Downsampler Plugin`` → ``Downsampler``)."""
    try:
        with open_regular(root / "README.md", follow=False) as handle:
            text = handle.read(_README_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        heading = None if fenced else _HEADING.fullmatch(line.rstrip())
        if heading:
            title = re.sub(r"\s+[Pp]lugin\Z", "", heading.group(1).strip())
            return title or None
    return None


def _ordered(entries: Sequence[Entry], order: Sequence[str]) -> list[Entry]:
    """Committed paths first, in their order; then new ones by path. The order of
    ``entries`` never matters (ties fall back to the whole entry)."""
    rank = {path: index for index, path in enumerate(order)}
    return sorted(
        entries,
        key=lambda e: (rank.get(e.path, len(rank)), e.path, json.dumps(e.as_dict())),
    )


def _string(value: str) -> str:
    return json_text(value, indent=None)[:-1]


def _strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def _entry(entry: Entry) -> str:
    pad = " " * 16
    lines = [" " * 12 + "{"]
    for key, value in entry.as_dict().items():
        if key == "required_plugins":
            text = _required_plugins(entry.required_plugins)
        elif isinstance(value, list):
            text = _strings(value)
        else:
            text = _string(str(value))
        lines.append(f"{pad}{_string(key)}: {text},")
    lines[-1] = lines[-1][:-1]
    lines.append(" " * 12 + "}")
    return "\n".join(lines)


def _required_plugins(plugins: Sequence[RequiredPlugin]) -> str:
    if not plugins:
        return "[]"
    blocks = [
        " " * 20
        + "{\n"
        + f'{" " * 24}"name": {_string(p.name)},\n'
        + f'{" " * 24}"path": {_string(p.path)}\n'
        + " " * 20
        + "}"
        for p in plugins
    ]
    return "[\n" + ",\n".join(blocks) + "\n" + " " * 16 + "]"


def render(
    entries: Sequence[Entry],
    *,
    version: str = CATALOGUE_VERSION,
    last_updated: str,
    order: Sequence[str] = (),
) -> str:
    """The catalogue file's canonical text (see the module docstring)."""
    ordered = _ordered(entries, order)
    head = [
        "{",
        '    "plugin_library": {',
        f'        "version": {_string(version)},',
        f'        "last_updated": {_string(last_updated)},',
    ]
    if not ordered:
        body = ['        "plugins": []']
    else:
        body = ['        "plugins": [', ",\n".join(_entry(e) for e in ordered), "        ]"]
    return "\n".join([*head, *body, "    }", "}"]) + "\n"


def check(committed_text: str, rendered: str, *, name: str = CATALOGUE_FILE) -> str | None:
    """``None`` when the committed text is the rendered one, else a unified diff
    (committed → generated) whose lines and names are escaped for a terminal."""
    if committed_text == rendered:
        return None
    shown = printable(name)
    diff = difflib.unified_diff(
        committed_text.splitlines(keepends=True),
        rendered.splitlines(keepends=True),
        fromfile=f"{shown} (committed)",
        tofile=f"{shown} (generated)",
    )
    out = []
    for line in diff:
        if line.endswith("\n"):
            out.append(printable(line[:-1]) + "\n")
        else:
            out.append(printable(line) + "\n\\ No newline at end of file\n")
    return "".join(out)
