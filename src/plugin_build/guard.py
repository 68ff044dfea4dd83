"""The version guard: is a plugin's ``name@version`` new to an index, published with these
very bytes, or published with other content under the same version?

Only byte-reproducible archives make the question answerable: plugin-build's tar.gz is
the SDK's, byte for byte, so its SHA-256 equals the index entry's ``hash`` exactly when
the content is the same. "Already published" is then two cases the SDK cannot tell
apart: unchanged (fine: nothing to do) and changed without a version bump (the
``version-not-bumped`` error: that change would never ship, and nobody would be told).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .archive import Digests, file_digests, gzip_file, write_tar
from .contents import plugin_contents
from .diagnostics import Code, Diagnostic
from .index import Index, IndexEntry, entry_from_manifest
from .manifest import MANIFEST_FILE
from .semver import SemverError, Version
from .validate import BUILD_ERRORS, PluginReport

Action = Literal["publish", "unchanged", "refused"]


@dataclass(frozen=True)
class Assessment:
    """What a registry would do with one plugin."""

    report: PluginReport  # its diagnostics include the guard's
    action: Action
    entry: IndexEntry | None = None  # the entry to add (publish) or the one found (unchanged)
    archive: Path | None = None  # the built tar.gz, when it was built
    sha256: str | None = None

    @property
    def name(self) -> str | None:
        return self.report.name

    @property
    def version(self) -> str | None:
        return self.report.version


def package_tar_gz(report: PluginReport, directory: Path) -> tuple[Path, Digests]:
    """Build the plugin's SDK-identical ``{name}-{version}.tar.gz`` into ``directory``."""
    contents = plugin_contents(report)
    tar = directory / f"{contents.top}.tar"
    archive = directory / f"{contents.top}.tar.gz"
    try:
        with contents.selection.tree() as tree, open(tar, "wb") as out:
            write_tar(contents.members, out, tree=tree)
        gzip_file(tar, archive)
    finally:
        tar.unlink(missing_ok=True)
    return archive, file_digests(archive)


def assess(
    report: PluginReport,
    index: Index,
    *,
    published_at: str,
    workdir: Path | None = None,
) -> Assessment:
    """Judge ``report`` against ``index``.

    With ``workdir`` the tar.gz is always built there (publishing needs it); without,
    it is built (in a temporary directory) only when ``name@version`` is already in
    the index and its hash must be compared.
    """
    refused = _refused(report)
    if refused is not None:
        return Assessment(refused, "refused")
    manifest = report.manifest
    name, version = report.name, report.version
    if manifest is None or name is None or version is None:  # a valid report has all three
        raise ValueError(f"{report.root} has no manifest to publish")
    clash = list(index.versions_of(name))
    others = sorted({e.name for e in clash if e.name != name})
    if others:
        spelled = ", ".join(repr(o) for o in others)
        return Assessment(
            _with(
                report,
                [
                    _diagnostic(
                        Code.NAME_COLLISION,
                        f"plugin.name {name!r} collides with {spelled} already in the index "
                        "(names are compared lowercase with '-' as '_'); rename the plugin",
                        field="plugin.name",
                    )
                ],
            ),
            "refused",
        )
    existing = index.find(name, version)
    if existing is None and workdir is None:
        return Assessment(_with(report, _ordering(report, clash)), "publish")
    archive, digests = _build(report, workdir)
    digest = f"sha256:{digests.sha256}"
    if existing is not None:
        if existing.hash == digest:
            return Assessment(report, "unchanged", existing, archive, digests.sha256)
        message = (
            f"plugin.version {version} is published with different content "
            f"({existing.hash[:19]}…, this build {digest[:19]}…); bump plugin.version"
        )
        return Assessment(
            _with(report, [_diagnostic(Code.VERSION_NOT_BUMPED, message)]),
            "refused",
            existing,
            archive,
            digests.sha256,
        )
    entry = entry_from_manifest(manifest, hash=digest, published_at=published_at)
    return Assessment(
        _with(report, _ordering(report, clash)), "publish", entry, archive, digests.sha256
    )


def _build(report: PluginReport, workdir: Path | None) -> tuple[Path | None, Digests]:
    if workdir is not None:
        return package_tar_gz(report, workdir)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="plugin-build-guard-") as temp:
        _, digests = package_tar_gz(report, Path(temp))
    return None, digests


def _refused(report: PluginReport) -> PluginReport | None:
    """``report`` as refused (with what says why), or None when it may enter an index."""
    if report.format != MANIFEST_FILE:
        message = (
            "only manifest.toml plugins can be published to a registry index (an index "
            "entry is made of manifest fields); this plugin has no manifest.toml"
        )
        return _with(report, [_diagnostic(Code.NOT_PUBLISHABLE, message, field=None)])
    if not report.ok or report.manifest is None or report.selection is None:
        return report  # its own errors say why
    if not any(d.code in BUILD_ERRORS for d in report.diagnostics):
        return None
    # warnings at validate, refused by packaging (the SDK's package refuses them too)
    return report._replace(
        diagnostics=tuple(
            d._replace(severity="error") if d.code in BUILD_ERRORS else d
            for d in report.diagnostics
        ),
    )


def _ordering(report: PluginReport, versions: list[IndexEntry]) -> list[Diagnostic]:
    """A version below the highest already published is allowed, but worth a word."""
    assert report.version is not None
    try:
        mine = Version.parse(report.version)
        highest = max(
            (Version.parse(e.version) for e in versions), key=lambda v: v.precedence_key()
        )
    except (ValueError, SemverError):
        return []
    if mine.precedence_key() >= highest.precedence_key():
        return []
    return [
        _diagnostic(
            Code.VERSION_LOWER,
            f"plugin.version {report.version} is lower than {highest}, already published; "
            "installers picking the latest version will not choose it",
            severity="warning",
        )
    ]


def _diagnostic(
    code: str,
    message: str,
    severity: Literal["error", "warning"] = "error",
    *,
    field: str | None = "plugin.version",
) -> Diagnostic:
    return Diagnostic(code, message, severity, path=MANIFEST_FILE, field=field)


def _with(report: PluginReport, extra: list[Diagnostic]) -> PluginReport:
    if not extra:
        return report
    return report._replace(diagnostics=(*report.diagnostics, *extra))
