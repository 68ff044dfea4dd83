"""The metadata a build writes beside its archives (seed 000's schemas).

``manifest.json`` (distribution metadata with checksums), the build report,
``plugin.preview.yaml`` and ``SHA256SUMS``. Documents are plain dicts built
from values; writing is atomic (temp file in the same directory, then
``os.replace``), so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from .diagnostics import sorted_diagnostics
from .escape import json_text
from .fileio import CHUNK, file_digests, open_regular
from .locking import temp_name

if TYPE_CHECKING:  # verify imports this module and must not load the validator to do so
    from .archive import Entry
    from .validate import PluginReport

ArchiveFormat = Literal["tar.gz", "zip"]
FORMATS: Final[tuple[ArchiveFormat, ...]] = ("tar.gz", "zip")
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


class MetadataError(ValueError):
    """A metadata document that cannot be rendered (a value JSON or YAML cannot hold)."""


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
        # Only what manifest.toml says: no author or license (it has no such fields),
        # and no homepage, repository or documentation the manifest leaves out; never
        # a null. `requirements` is the [dependencies] table under its own names, with
        # `packages` (seed 000's name for the Python packages) the same list as `python`.
        links = {
            key: value
            for key, value in (
                ("homepage", manifest.homepage),
                ("repository", manifest.repository),
                ("documentation", manifest.documentation),
            )
            if value is not None
        }
        common = {
            "name": report.name,
            "version": report.version,
            "description": manifest.description,
            "metadata": {**links, "generated_at": generated_at},
            "requirements": {
                "database_version": manifest.database_version,
                "python": list(manifest.python),
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
            "diagnostics": [d.as_dict() for d in sorted_diagnostics(report.diagnostics)],
        },
        "package": packages[0].details(),
        "packages": [p.details() for p in packages],
        "entrypoints": entrypoints,
    }


def preview_document(report: PluginReport) -> Any:
    """The plugin's configuration as read, for review (``plugin.preview.yaml``)."""
    if report.betty is not None:
        return dict(report.betty.data)
    assert report.manifest is not None  # a built manifest.toml plugin has one
    return _plain(report.manifest.document)


def _plain(value: Any) -> Any:
    """TOML's dates and times as the ISO strings they were written as (YAML has no time)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    return value


def render_json(document: Any) -> bytes:
    try:
        text = json_text(document)
    except (TypeError, ValueError, RecursionError) as exc:
        raise MetadataError(f"a value cannot be written as JSON ({exc})") from None
    return text.encode("utf-8")


def render_yaml(document: Any) -> bytes:
    import yaml

    try:
        text = yaml.safe_dump(
            document, sort_keys=False, allow_unicode=True, default_flow_style=False
        )
    except (yaml.YAMLError, TypeError, ValueError, RecursionError) as exc:
        raise MetadataError(f"a value cannot be written as YAML ({exc})") from None
    return text.encode("utf-8", "surrogateescape")


def earlier_packages(
    directory: Path,
    report: PluginReport,
    packages: Sequence[Package],
    *,
    sums: str | None,
    built: tuple[Path, int] | None,
    entries: Sequence[Entry] = (),
) -> tuple[Package, ...]:
    """Archives of this ``name@version`` that an earlier build left in ``directory`` and
    this build did not rebuild (``--format tar.gz`` then ``--format zip``, as seed 000's
    release workflow does): they stay listed in manifest.json when ``SHA256SUMS`` still
    vouches for them (intact) and they hold the same files as this build.

    ``sums`` is the directory's SHA256SUMS text; ``built`` this build's uncompressed
    tar and its size; ``entries`` its members.
    """
    vouched = {}
    for raw in (sums or "").splitlines():
        match = SHA256SUMS_LINE.fullmatch(raw.strip())
        if match is not None:
            vouched[match.group(2)] = match.group(1).lower()
    rebuilt = {p.format for p in packages}
    kept: list[Package] = []
    for fmt in FORMATS:
        filename = f"{report.name}-{report.version}.{fmt}"
        if fmt in rebuilt or filename not in vouched:
            continue
        path = directory / filename
        try:
            digests = file_digests(path, follow=False)
        except OSError:
            continue
        if digests.sha256 != vouched[filename]:
            continue  # damaged or replaced since it was listed
        if not _same_files(path, fmt, built, entries):
            continue  # built from other content under the same version
        kept.append(Package(fmt, path, digests.size, digests.md5, digests.sha256, len(entries)))
    return tuple(kept)


def _same_files(
    path: Path, fmt: str, built: tuple[Path, int] | None, entries: Sequence[Entry]
) -> bool:
    """Cheap content equality: a gzip's trailer (CRC-32 and size of the tar) against our
    tar; a zip's central directory (names, CRC-32s, sizes, modes) against our entries."""
    try:
        if fmt == "tar.gz":
            if built is None:
                return False
            tar_path, tar_size = built
            with open_regular(path, follow=False) as handle:
                handle.seek(-8, os.SEEK_END)
                crc, isize = struct.unpack("<II", handle.read(8))
            if isize != tar_size & 0xFFFFFFFF:
                return False
            ours = 0
            with open(tar_path, "rb") as tar:
                while chunk := tar.read(CHUNK):
                    ours = zlib.crc32(chunk, ours)
            return bool(crc == ours)
        import zipfile

        with open_regular(path, follow=False) as handle, zipfile.ZipFile(handle) as archive:
            theirs = [
                (i.filename, i.CRC, i.file_size, i.external_attr >> 16) for i in archive.infolist()
            ]
        mine = [(e.name, e.crc32, e.size, 0o100755 if e.executable else 0o100644) for e in entries]
        return theirs == mine
    except (OSError, ValueError, EOFError, struct.error, RuntimeError) as exc:
        del exc
        return False


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
    temp = path.with_name(temp_name(path.name))
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
