"""Read-only questions to a parsed index: ``search`` and ``info`` (CONFORMANCE §4.7).

Both return the plugin SDK CLI's JSON ``result`` payloads, keys in its order
(``index_query.rs`` decides, ``commands/index.rs`` projects). Hidden versions
(yanked, or not matching ``database_version``) are left out unless opted in;
the "latest" version is the maximum by SemVer precedence, build metadata
breaking ties. Arguments are checked in the CLI's order and refused with
:class:`QueryError`, which the CLI turns into a usage error (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from .index import Index, IndexEntry, entry_head
from .manifest import TRIGGERS, canonical_name, normalized_url, plugin_name_problem
from .semver import SemverError, Version, VersionReq

__all__ = ["QueryError", "info", "search"]

# Rust's char::is_whitespace (Unicode White_Space), which str::trim strips; Python's
# str.strip also strips U+001C..U+001F, which Rust keeps.
_RUST_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

QueryErrorKind = Literal["invalid_database_version", "invalid_name", "invalid_value"]


class QueryError(ValueError):
    """A refused argument. ``kind`` is what the SDK CLI reports
    (``usage::invalid_database_version`` / ``usage::invalid_name`` /
    ``usage::invalid_value``); ``argument`` names it (``--database-version``,
    ``NAME``, ``--trigger-type``, ``--version``: the SDK calls a bad ``--version``
    ``usage::value_validation``), ``value`` is as given."""

    def __init__(self, kind: QueryErrorKind, argument: str, value: str, message: str) -> None:
        super().__init__(message)
        self.kind: QueryErrorKind = kind
        self.argument = argument
        self.value = value


@dataclass(frozen=True)
class _Candidate:
    entry: IndexEntry
    version: Version
    reasons: tuple[dict[str, str], ...]  # the payload's visibility reasons, yanked first


def search(
    index: Index,
    query: str | None = None,
    *,
    trigger_type: str | None = None,
    database_version: str | None = None,
    include_yanked: bool = False,
    include_incompatible: bool = False,
) -> dict[str, Any]:
    """``{"hits": [...]}``: per canonical name, the latest version that survives
    the visibility, text and trigger filters, ordered by canonical name."""
    trigger = _trigger(trigger_type)
    db = _database_version(database_version)
    text = (query or "").strip(_RUST_WHITESPACE)
    lower = text.translate(_ASCII_LOWER)
    canonical_query = canonical_name(text)
    groups: dict[str, list[_Candidate]] = {}
    for entry in index.plugins:
        candidate = _candidate(entry, db)
        if not _selectable(candidate, include_yanked, include_incompatible):
            continue
        if text and not (
            lower in entry.name.translate(_ASCII_LOWER)
            or canonical_query in canonical_name(entry.name)
            or lower in entry.description.translate(_ASCII_LOWER)
        ):
            continue
        # the trigger filters versions before the latest is picked
        if trigger is not None and trigger not in entry.triggers:
            continue
        groups.setdefault(canonical_name(entry.name), []).append(candidate)
    hits = []
    for canonical in sorted(groups):
        best = _latest(groups[canonical])
        hits.append(
            {
                "name": best.entry.name,
                "version": str(best.version),
                "published_at": best.entry.published_at,
                "description": best.entry.description,
                "triggers": list(best.entry.triggers),
                "visibility": _visibility(best),
            }
        )
    return {"hits": hits}


def info(
    index: Index,
    name: str,
    *,
    version: str | None = None,
    database_version: str | None = None,
    include_yanked: bool = False,
    include_incompatible: bool = False,
) -> dict[str, Any]:
    """One plugin, looked up by canonical name: an exact ``version`` is found
    whatever its visibility; otherwise the latest selectable version, or
    ``filtered_out`` with the distinct reasons when every version is hidden."""
    if problem := plugin_name_problem(name):
        raise QueryError("invalid_name", "NAME", name, f"invalid plugin name: {problem}")
    wanted = _parse_version(version, "--version", "invalid_value")
    db = _database_version(database_version)
    candidates = [_candidate(e, db) for e in index.versions_of(name)]
    if wanted is not None:
        exact = next((c for c in candidates if c.version == wanted), None)
        if exact is None:
            return {"outcome": "not_found", "name": name, "version": str(wanted)}
        return {"outcome": "found", "plugin": _plugin(index, exact)}
    if not candidates:
        return {"outcome": "not_found", "name": name, "version": None}
    selectable = [c for c in candidates if _selectable(c, include_yanked, include_incompatible)]
    if selectable:
        return {"outcome": "found", "plugin": _plugin(index, _latest(selectable))}
    reasons: list[dict[str, str]] = []
    if any(r["kind"] == "yanked" for c in candidates for r in c.reasons):
        reasons.append({"kind": "yanked"})
    incompatible = [r for c in candidates for r in c.reasons if r["kind"] != "yanked"]
    reasons.extend(incompatible[:1])  # the first in index order
    return {"outcome": "filtered_out", "name": name, "version": None, "reasons": reasons}


def _plugin(index: Index, candidate: _Candidate) -> dict[str, Any]:
    entry = candidate.entry
    out = entry_head(entry)
    deps = entry.dependencies
    out["artifact_url"] = index.artifact_url(entry.name, str(candidate.version))
    out["dependencies"] = {
        "database_version": str(VersionReq.parse(deps.database_version)),
        "python": list(deps.python),
        "plugins": [
            {
                "index_url": normalized_url(d.index_url),
                "name": d.name,
                "version": str(VersionReq.parse(d.version)),
            }
            for d in deps.plugins
        ],
    }
    out["hash"] = entry.hash
    out["visibility"] = _visibility(candidate)
    return out


def _candidate(entry: IndexEntry, db: Version | None) -> _Candidate:
    reasons: list[dict[str, str]] = []
    if entry.yanked:
        reasons.append({"kind": "yanked"})
    if db is not None:
        required = VersionReq.parse(entry.dependencies.database_version)
        if not required.matches(db):
            reasons.append(
                {
                    "kind": "incompatible_database_version",
                    "required": str(required),
                    "actual": str(db),
                }
            )
    return _Candidate(entry, Version.parse(entry.version), tuple(reasons))


def _selectable(candidate: _Candidate, include_yanked: bool, include_incompatible: bool) -> bool:
    return all(
        include_yanked if r["kind"] == "yanked" else include_incompatible for r in candidate.reasons
    )


def _latest(candidates: list[_Candidate]) -> _Candidate:
    """Highest precedence, then build metadata (``1.0.0+b.1`` beats ``1.0.0``);
    the first in index order among equals."""
    return max(candidates, key=lambda c: c.version.order_key())  # max keeps the first


def _visibility(candidate: _Candidate) -> dict[str, Any]:
    if not candidate.reasons:
        return {"status": "visible"}
    return {"status": "hidden", "reasons": [dict(r) for r in candidate.reasons]}


def _trigger(value: str | None) -> str | None:
    if value is not None and value not in TRIGGERS:
        raise QueryError(
            "invalid_value",
            "--trigger-type",
            value,
            f"invalid --trigger-type {value!r}; use one of {', '.join(TRIGGERS)}",
        )
    return value


def _database_version(value: str | None) -> Version | None:
    return _parse_version(value, "--database-version", "invalid_database_version")


def _parse_version(value: str | None, argument: str, kind: QueryErrorKind) -> Version | None:
    if value is None:
        return None
    try:
        return Version.parse(value)
    except SemverError as exc:
        raise QueryError(
            kind,
            argument,
            value,
            f"invalid {argument} {value!r} ({exc}); write a version such as 3.2.0",
        ) from None
