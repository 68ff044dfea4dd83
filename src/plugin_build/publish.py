"""Publish plugins to a registry: plan, then upload the new artifacts, then the index last.

A :class:`Plan` is a value: ``--dry-run`` prints it, a real run executes it, so what
was shown is what is done. Planning reads the registry's index once, judges every
plugin with the version guard (:mod:`plugin_build.guard`), builds the tar.gz of each
new ``name@version`` and rolls the index forward plugin by plugin. Executing uploads
nothing unless every plugin is publishable or unchanged; the index goes last, and only
if the registry's index is still the one the plan started from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

from .diagnostics import Code, Diagnostic, strict_refusal
from .guard import Assessment, assess
from .index import INDEX_FILE, Index, IndexError, InsertError, parse_index, utc_timestamp
from .outputs import TimestampError
from .registry import Registry
from .validate import PluginReport

__all__ = ["Plan", "execute", "plan_publish", "published_at"]


@dataclass(frozen=True)
class Plan:
    registry: str
    index_location: str
    base: bytes | None  # the index as read: put back only over these very bytes
    index: Index | None  # rolled forward with every new entry
    items: tuple[Assessment, ...]
    problems: tuple[Diagnostic, ...] = ()  # about the registry itself (no index, …)
    rendered: bytes | None = None  # index.to_json(), rendered once while planning

    def of(self, action: str) -> list[Assessment]:
        return [item for item in self.items if item.action == action]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.of("refused")

    def index_bytes(self) -> bytes | None:
        """The index to upload, or None when nothing changes."""
        if self.index is None or not self.of("publish"):
            return None
        return self.rendered if self.rendered is not None else self.index.to_json()

    def as_dict(self, *, dry_run: bool) -> dict[str, Any]:
        """The result document of ``publish --json``."""
        return {
            "ok": self.ok,
            "dry_run": dry_run,
            "registry": self.registry,
            "index": self.index_location,
            "published": [
                {
                    "name": a.name,
                    "version": a.version,
                    "sha256": a.sha256,
                    "artifact_url": self.index.artifact_url(str(a.name), str(a.version))
                    if self.index is not None
                    else None,
                }
                for a in self.of("publish")
            ],
            "unchanged": [{"name": a.name, "version": a.version} for a in self.of("unchanged")],
            "refused": [
                {
                    "name": a.name,
                    "version": a.version,
                    "diagnostics": [d.as_dict() for d in a.report.diagnostics if d.is_error],
                }
                for a in self.of("refused")
            ],
            "problems": [d.as_dict() for d in self.problems],
        }


_EPOCH: Final = re.compile(r"[0-9]+\Z")


def published_at(environ: Mapping[str, str], now: datetime | None = None) -> str:
    """Now in UTC to the second, or ``SOURCE_DATE_EPOCH`` when it is set."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not _EPOCH.match(epoch):
            raise TimestampError(
                f"SOURCE_DATE_EPOCH must be a Unix timestamp in seconds, not {epoch!r}"
            )
        return utc_timestamp(int(epoch))
    moment = now or datetime.now(timezone.utc)
    return utc_timestamp(int(moment.timestamp()))


def plan_publish(
    reports: Sequence[PluginReport],
    registry: Registry,
    workdir: Path,
    *,
    published: str,
    strict: bool = False,
) -> Plan:
    """Judge every plugin against the registry's index; build what is new into ``workdir``.
    With ``strict`` a new version with warnings is refused.

    Raises :class:`~plugin_build.registry.RegistryError` when the registry cannot be read.
    """
    base = registry.read_index()
    where = registry.index_location
    if base is None:
        return Plan(registry.name, where, None, None, (), (_no_index(registry),))
    parsed = parse_index(base)
    if parsed.index is None:
        located = tuple(_located(d, where) for d in parsed.diagnostics)
        return Plan(registry.name, where, base, None, (), located)
    index = parsed.index
    items: list[Assessment] = []
    for report in reports:
        item = assess(report, index, published_at=published, workdir=workdir)
        refusal = strict_refusal(item.report.diagnostics, "this publish") if strict else None
        if item.action == "publish" and refusal is not None:
            item = _refuse(item, refusal.code, refusal.message)
        if item.action == "publish":
            item = _against_artifacts(item, registry)
        if item.action == "publish" and item.entry is not None:
            try:
                index = index.inserted(item.entry)
            except InsertError as exc:  # assess judged the same rules; kept as a guard
                item = _refuse(item, Code.NAME_COLLISION, str(exc))
        items.append(item)
    problems: tuple[Diagnostic, ...] = ()
    rendered = None
    try:
        rendered = index.to_json()  # NFC can push a description past 200 characters on write
    except IndexError as exc:
        problems = tuple(_located(d, where) for d in exc.diagnostics)
    return Plan(registry.name, where, base, index, tuple(items), problems, rendered)


def execute(plan: Plan, registry: Registry) -> None:
    """Upload what ``plan`` publishes: artifacts first, the index last (compare-and-swap).

    Raises ValueError for a plan that is not ok, and RegistryError (RegistryChanged for a
    concurrent publish) from the registry; nothing is uploaded for a refused plan.
    """
    if not plan.ok:
        raise ValueError("a plan with refused plugins is never executed")
    data = plan.index_bytes()
    if data is None:
        return
    archives = [item.archive for item in plan.of("publish") if item.archive is not None]
    registry.put_artifacts(archives)
    registry.put_index(data, expected=plan.base)


def _against_artifacts(item: Assessment, registry: Registry) -> Assessment:
    """An artifact of this name already in the registry but in no index entry: the same
    bytes may stay (a publish killed before its index); other bytes are refused."""
    filename = f"{item.name}-{item.version}.tar.gz"
    refusal = registry.refuses(filename)
    if refusal is not None:
        return _refuse(item, Code.NOT_PUBLISHABLE, refusal)
    there = registry.artifact_sha256(filename)
    if there is not None and there != item.sha256:
        return _refuse(
            item,
            Code.VERSION_NOT_BUMPED,
            f"{filename} is already in {registry.name} with other bytes, though the index "
            "does not list it; published artifacts are never replaced: bump plugin.version",
        )
    return item


def _refuse(item: Assessment, code: str, message: str) -> Assessment:
    import dataclasses

    diagnostic = Diagnostic(code, message, path="manifest.toml", field="plugin.version")
    report = item.report._replace(diagnostics=(*item.report.diagnostics, diagnostic))
    return dataclasses.replace(item, report=report, action="refused")


def _no_index(registry: Registry) -> Diagnostic:
    return Diagnostic(
        Code.INDEX_MISSING,
        f"{registry.name} has no {INDEX_FILE}; create an empty one: {registry.index_hint}",
        path=registry.index_location,
    )


def _located(diagnostic: Diagnostic, where: str) -> Diagnostic:

    return diagnostic._replace(path=where)
