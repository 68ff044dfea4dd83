"""The metadata a build writes beside its archives (seed 000's schemas).

``manifest.json`` (distribution metadata with checksums), the build report,
``plugin.preview.yaml`` and ``SHA256SUMS``. Documents are plain dicts built
from values; writing is atomic (temp file in the same directory, then
``os.replace``), so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:  # verify imports this module and must not load the validator to do so
    from .validate import PluginReport

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ArchiveFormat = Literal["tar.gz", "zip"]
MANIFEST_JSON: Final = "manifest.json"
PREVIEW_YAML: Final = "plugin.preview.yaml"
SHA256SUMS: Final = "SHA256SUMS"
# One line of SHA256SUMS, in sha256sum's text ("  ") or binary (" *") form.
SHA256SUMS_LINE: Final = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


@dataclass(frozen=True)
class Package:
    """One archive a build produced."""

    format: ArchiveFormat
    path: Path  # absolute
    size_bytes: int
    md5: str
    sha256: str
    files_count: int

    @property
    def filename(self) -> str:
        return self.path.name

    def summary(self) -> dict[str, object]:
        """Seed 000's ``package`` object in ``manifest.json``, plus ``format``."""
        return {
            "filename": self.filename,
            "format": self.format,
            "size_bytes": self.size_bytes,
            "checksums": {"md5": self.md5, "sha256": self.sha256},
        }

    def details(self) -> dict[str, object]:
        """Seed 000's ``package`` object in the build report."""
        return {
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "size_human": size_human(self.size_bytes),
            "files_count": self.files_count,
            "format": self.format,
            "checksums": {"md5": self.md5, "sha256": self.sha256},
        }


class TimestampError(ValueError):
    """``SOURCE_DATE_EPOCH`` is set but is not a Unix timestamp."""


def size_human(size: int) -> str:
    """``245760`` → ``240.00 KB`` (seed 000's form)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.2f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def build_timestamp(environ: Mapping[str, str]) -> str:
    """ISO 8601 UTC; ``SOURCE_DATE_EPOCH`` (reproducible builds) when set."""
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":
        return datetime.now(timezone.utc).isoformat()
    if not re.fullmatch(r"[0-9]+", epoch.strip()):
        raise TimestampError(
            f"SOURCE_DATE_EPOCH must be a Unix timestamp in seconds, not {epoch!r}"
        )
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError) as exc:
        raise TimestampError(f"SOURCE_DATE_EPOCH {epoch!r} is out of range: {exc}") from exc


def _entrypoints(report: PluginReport) -> list[dict[str, Any]]:
    """Commands (plugin.yaml) or triggers (manifest.toml) with their handler."""
    if report.betty is not None:
        return [
            {"command": c.name, "handler": c.script, "runtime": c.runtime}
            for c in report.betty.commands
            if c.exists
        ]
    return [
        {"command": trigger, "handler": report.entry_point, "runtime": "python"}
        for trigger in report.triggers
    ]


def _command_total(report: PluginReport) -> int:
    return len(report.betty.commands) if report.betty is not None else len(report.triggers)


def manifest_document(
    report: PluginReport, packages: Sequence[Package], generated_at: str
) -> dict[str, Any]:
    """``manifest.json``: seed 000's schema; ``packages`` lists every archive."""
    first = packages[0].summary()
    first.pop("format")
    common: dict[str, Any]
    if report.betty is not None:
        data = report.betty.data
        metadata = (
            dict(data.get("metadata") or {}) if isinstance(data.get("metadata"), dict) else {}
        )
        common = {
            "name": report.name,
            "version": report.version,
            "description": data.get("description"),
            "author": data.get("author"),
            "license": data.get("license"),
            "metadata": {**metadata, "generated_at": generated_at},
            "requirements": data.get("requirements"),
            "permissions": data.get("permissions") or [],
            "format": report.format,
        }
        agents = [
            {"name": a.get("name"), "description": a.get("description")}
            for a in data.get("agents") or []
            if isinstance(a, dict)
        ]
    else:
        manifest = report.manifest
        assert manifest is not None  # a built manifest.toml plugin has one
        common = {
            "name": report.name,
            "version": report.version,
            "description": manifest.description,
            "author": None,
            "license": None,
            "metadata": {
                "homepage": manifest.homepage,
                "repository": manifest.repository,
                "documentation": manifest.documentation,
                "generated_at": generated_at,
            },
            "requirements": {
                "database_version": manifest.database_version,
                "packages": list(manifest.python),
                "plugins": [
                    {"index_url": p.index_url, "name": p.name, "version": p.version}
                    for p in manifest.plugins
                ],
            },
            "permissions": [],
            "format": report.format,
            "manifest_schema_version": manifest.schema_version,
            "triggers": list(report.triggers),
            "entry_point": report.entry_point,
        }
        agents = []
    return {
        **common,
        "package": first,
        "packages": [p.summary() for p in packages],
        "entrypoints": _entrypoints(report),
        "commands_count": _command_total(report),
        "agents": agents,
    }


def report_document(
    report: PluginReport, packages: Sequence[Package], timestamp: str
) -> dict[str, Any]:
    """The build report: seed 000's schema, plus every archive and every diagnostic."""
    missing = [d.message for d in report.diagnostics if d.code == "handler-missing"]
    entrypoints = [
        {**e, "path": str(report.root / e["handler"]) if e["handler"] else None}
        for e in _entrypoints(report)
    ]
    description = report.manifest.description if report.manifest else None
    if report.betty is not None:
        description = report.betty.data.get("description")
    return {
        "build_timestamp": timestamp,
        "plugin": {"name": report.name, "version": report.version, "description": description},
        "validation": {
            "total_commands": _command_total(report),
            "valid_entrypoints": len(entrypoints),
            "missing_files": missing,
            "has_errors": not report.ok,
            "diagnostics": [d.as_dict() for d in report.diagnostics],
        },
        "package": packages[0].details(),
        "packages": [p.details() for p in packages],
        "entrypoints": entrypoints,
    }


def preview_document(report: PluginReport) -> Any:
    """The plugin's configuration as read, for review (``plugin.preview.yaml``)."""
    if report.betty is not None:
        return dict(report.betty.data)
    data = (report.root / "manifest.toml").read_bytes().decode("utf-8").removeprefix("\ufeff")
    return tomllib.loads(data)


def render_json(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def render_yaml(document: Any) -> bytes:
    import yaml

    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text.encode("utf-8")


def merge_sha256sums(existing: str | None, packages: Iterable[Package], directory: Path) -> str:
    """Our archives' lines replace theirs; other archives that still exist are kept."""
    ours = {p.filename: p.sha256 for p in packages}
    lines: dict[str, str] = {}
    for raw in (existing or "").splitlines():
        match = SHA256SUMS_LINE.fullmatch(raw.strip())
        if match is None:
            continue
        digest, name = match.group(1).lower(), match.group(2)
        if name not in ours and "/" not in name and (directory / name).is_file():
            lines[name] = digest
    lines.update(ours)
    return render_sha256sums(lines)


def render_sha256sums(digests: Mapping[str, str]) -> str:
    """``sha256sum -c`` input: ``HASH  NAME`` per file, sorted by name, LF endings."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(digests.items()))


def owner_of(directory: Path) -> tuple[str | None, str | None] | None:
    """Which plugin wrote ``directory/manifest.json``: ``(name, version)``;
    ``(None, None)`` for a file that is not ours; ``None`` when there is none."""
    path = directory / MANIFEST_JSON
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return (None, None)
    if not isinstance(document, dict):
        return (None, None)
    name, version = document.get("name"), document.get("version")
    return (
        name if isinstance(name, str) else None,
        version if isinstance(version, str) else None,
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory, then rename over ``path``."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
