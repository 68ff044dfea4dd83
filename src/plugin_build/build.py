"""Build: validate → select → archives (concurrent, atomic) → metadata.

``build_plugin`` returns a :class:`BuildResult`; progress is reported through
the ``log`` and ``progress`` callbacks (seed 000's messages), so the CLI and
the action decide where they go.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from .archive import ArchiveError, Entry
from .contents import Contents, plugin_contents
from .diagnostics import Code, Diagnostic, sorted_diagnostics, strict_refusal
from .discover import holds_manifest
from .fileio import TreeChangedError
from .locking import HeldTemp, locked, remove_stale
from .manifest import MANIFEST_FILE, PLUGIN_YAML
from .outputs import (
    FORMATS,
    MANIFEST_JSON,
    PREVIEW_YAML,
    SHA256SUMS,
    ArchiveFormat,
    MetadataError,
    Package,
    TimestampError,
    build_timestamp,
    earlier_packages,
    manifest_document,
    merge_sha256sums,
    owner_of,
    preview_document,
    render_json,
    render_yaml,
    report_document,
    size_human,
)
from .packing import pack
from .validate import BUILD_ERRORS, PluginReport, detect_format, validate_plugin

Status = Literal["success", "success_with_warnings", "failed"]
Log = Callable[[str, str], None]  # (level "INFO"/"WARNING"/"ERROR", message)
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)
Report = Callable[[Path, Sequence[Diagnostic]], None]  # (plugin root, its diagnostics, sorted)
RULE: Final = "=" * 60


def _quiet(level: str, message: str) -> None:
    del level, message


@dataclass(frozen=True)
class BuildResult:
    status: Status
    report: PluginReport | None = None
    packages: tuple[Package, ...] = ()
    report_path: Path | None = None
    manifest_path: Path | None = None
    preview_path: Path | None = None
    checksums_path: Path | None = None
    build_report: dict[str, Any] | None = None
    error: str | None = None
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def as_dict(self) -> dict[str, Any]:
        """The result document of seed 000 (``--json``)."""
        if self.status == "failed":
            return {
                "ok": False,
                "status": "failed",
                "error": self.error,
                "diagnostics": [d.as_dict() for d in sorted_diagnostics(self.diagnostics)],
            }
        first = self.packages[0]
        return {
            "ok": self.ok,
            "status": self.status,
            "package_path": str(first.path),
            "report_path": str(self.report_path),
            "manifest_path": str(self.manifest_path),
            "preview_path": str(self.preview_path),
            "checksums_path": str(self.checksums_path),
            "packages": [{**p.summary(), "path": str(p.path)} for p in self.packages],
            "build_report": self.build_report,
            "diagnostics": [d.as_dict() for d in sorted_diagnostics(self.diagnostics)],
        }


class BuildFailure(Exception):
    """Stops a build; becomes a ``failed`` result."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)


def plugin_root(path: Path) -> Path:
    """A plugin directory, or the directory of a named manifest file."""
    if path.name in (MANIFEST_FILE, PLUGIN_YAML) and not path.is_dir():
        return path.parent
    return path


def build_plugin(
    path: Path,
    *,
    formats: Sequence[ArchiveFormat] = ("tar.gz",),
    output_dir: Path = Path("dist"),
    log: Log | None = None,
    report: Report | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
    explorer: bool = False,
) -> BuildResult:
    """Validate and package the plugin at ``path`` into ``output_dir``; with ``strict``
    a warning refuses the build as an error would, with ``explorer`` the InfluxDB 3
    Explorer metadata rules (:mod:`explorer`) are checked too.

    ``log`` receives seed 000's log lines; ``report`` the plugin's diagnostics, once,
    in reading order (without it they become ``log`` lines,
    ``path:line:col: severity[code] message`` relative to the plugin).
    """
    log = log or _quiet
    report = report or _logged(log)
    env = os.environ if environ is None else environ
    root = Path(os.path.abspath(plugin_root(path)))
    named = path.name if root != Path(os.path.abspath(path)) else None
    out = Path(os.path.abspath(output_dir))
    try:
        build = _Build(
            root,
            out,
            tuple(dict.fromkeys(formats)),
            log,
            report,
            progress,
            env,
            named,
            strict,
            explorer,
        )
        return build.run()
    except BuildFailure as failure:
        log("ERROR", f"❌ Build failed: {failure.message}")
        return BuildResult("failed", error=failure.message, diagnostics=failure.diagnostics)


@dataclass
class _Build:
    root: Path
    out: Path
    formats: tuple[ArchiveFormat, ...]
    log: Log
    show: Report  # the diagnostics, once validation has run
    progress: Progress | None
    environ: Mapping[str, str]
    named: str | None  # the manifest file the caller named, if any
    strict: bool = False
    explorer: bool = False

    def info(self, message: str) -> None:
        self.log("INFO", message)

    def run(self) -> BuildResult:
        fmt = detect_format(self.root)
        manifest_path = self.root / (self.named or fmt or MANIFEST_FILE)
        self.info("🏗️ Starting plugin build...")
        self.info(f"📄 Plugin: {manifest_path}")
        self.info(f"📦 Format: {', '.join(self.formats)}")
        self.info(f"📁 Output: {self.out}")
        if self.named is not None and not os.path.lexists(manifest_path):
            raise BuildFailure(f"{self.named} not found: {manifest_path}")
        if fmt is None or not holds_manifest(self.root):
            raise BuildFailure(f"no {MANIFEST_FILE} or {PLUGIN_YAML} found in {self.root}")
        self.prepare_output_dir()
        timestamp = self.timestamp()
        removed = remove_stale(self.out)
        if removed:
            self.info(f"🧹 Removed {len(removed)} temporary file(s) an interrupted build left")
        report = validate_plugin(self.root, prune=[self.out])
        if self.explorer:
            from .explorer import with_explorer

            report = with_explorer(report)
        contents = self.check(report, manifest_path)
        self.claim_output_dir(report)
        with _Staging(self.out) as staging:
            packages = self.archives(contents, staging)
            return self.write_metadata(report, packages, timestamp, staging)

    def prepare_output_dir(self) -> None:
        """Everything that can be wrong with the output directory, before any other work."""
        fix = "choose another --output-dir"
        if os.path.realpath(self.out) == os.path.realpath(self.root):
            how = " (through a symbolic link)" if self.out != self.root else ""
            raise BuildFailure(
                f"the output directory {self.out} is the plugin directory{how}; {fix}"
            )
        if os.path.lexists(self.out) and not os.path.isdir(self.out):
            raise BuildFailure(
                f"the output directory {self.out} exists but is not a directory; remove it or {fix}"
            )
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BuildFailure(
                f"cannot create the output directory {self.out}: {exc.strerror or exc}; "
                f"create it or {fix}"
            ) from exc
        try:  # a probe says "not writable" about the directory, not about a hidden file
            with locked(self.out):
                HeldTemp(self.out, "probe").discard()
        except OSError as exc:
            raise BuildFailure(
                f"cannot write into the output directory {self.out}: {exc.strerror or exc}; "
                f"make it writable or {fix}"
            ) from exc

    def timestamp(self) -> str:
        try:
            return build_timestamp(self.environ)
        except TimestampError as exc:
            raise BuildFailure(str(exc)) from exc

    # -- validation -------------------------------------------------------
    def check(self, report: PluginReport, manifest_path: Path) -> Contents:
        # validate warns about what the SDK's validate accepts but no archive can hold
        # (paths over 255 bytes, names that collide once stored); packaging refuses it.
        refused = [d for d in report.diagnostics if d.code in BUILD_ERRORS]
        if refused and report.buildable:
            promoted = {d: d._replace(severity="error") for d in refused}
            report = report._replace(
                diagnostics=tuple(promoted.get(d, d) for d in report.diagnostics)
            )
        strict = strict_refusal(report.diagnostics, "the build") if self.strict else None
        if strict is not None and report.buildable and not refused:
            report = report._replace(diagnostics=(*report.diagnostics, strict))
        if report.diagnostics:
            self.show(self.root, sorted_diagnostics(report.diagnostics))
        if report.format is None or not report.buildable or refused or strict is not None:
            errors = [d for d in report.diagnostics if d.is_error]
            message = errors[0].message if len(errors) == 1 else f"{len(errors)} validation errors"
            raise BuildFailure(message, report.diagnostics)
        self.info(f"✅ Loaded {manifest_path.name} from {manifest_path}")
        if report.betty is not None:
            commands = report.betty.commands
            self.info(f"📝 Validating {len(commands)} command entrypoints...")
            missing = [d for d in report.diagnostics if d.code == Code.HANDLER_MISSING]
            for command in commands:
                if not command.exists:
                    shown = command.script or "(no handler script)"
                    self.log("WARNING", f"❌ {command.name}: {shown} (not found)")
            if missing:
                self.info(f"⚠️ Found {len(missing)} missing files:")
                for d in missing:
                    self.info(f"  - {d.message}")
        else:
            self.info(f"📝 Validating {len(report.triggers)} triggers in {report.entry_point}...")
        try:
            contents = plugin_contents(report, prune=[self.out])
        except OSError as exc:
            raise BuildFailure(f"cannot read the plugin directory: {exc}") from exc
        if report.betty is not None:
            skill_dirs = {
                "/".join(m.name.split("/")[1:3])
                for m in contents.members
                if m.name.split("/")[1] == "skills" and m.name.count("/") > 2
            }
            self.info(f"📦 Gathering files from {len(skill_dirs)} skill directories...")
            tops = {m.name.split("/")[1] for m in contents.members}
            if "betty" in tops:
                self.info("📦 Adding betty/ utility package...")
            if "registry" in tops:
                self.info("📦 Adding registry/ files...")
        else:
            self.info(f"📦 Gathering files from {self.root}...")
        self.info(f"📦 Total files to package: {len(contents.members)}")
        return contents

    def claim_output_dir(self, report: PluginReport) -> None:
        """Refuse to overwrite another plugin's metadata in a shared output directory.

        Checked again under the directory lock before anything is replaced; this
        early check only saves the work of packaging.
        """
        owner = owner_of(self.out)
        if owner is not None and owner[0] != report.name:
            who = f"plugin {owner[0]!r} {owner[1] or ''}".strip() if owner[0] else "another tool"
            raise BuildFailure(
                f"{self.out / MANIFEST_JSON} was written by {who}; build each plugin into its "
                "own --output-dir (or remove the file)",
                [Diagnostic(Code.OUTPUT_CONFLICT, f"{MANIFEST_JSON} belongs to {who}")],
            )

    # -- archives ---------------------------------------------------------
    def archives(self, contents: Contents, staging: _Staging) -> tuple[Package, ...]:
        """Write every archive under a held temporary name; renamed only with the metadata."""
        names = {fmt: self.out / f"{contents.top}.{fmt}" for fmt in self.formats}
        for fmt in self.formats:
            self.info(f"🗜️ Creating {fmt} archive: {names[fmt]}")
        total = sum(f.size for f in contents.selection.files)
        # the tar pass reads every file, and the zip writer reads them again
        meter = _Meter(self.progress, total, passes=2 if "zip" in self.formats else 1)
        tar_path = staging.new(f"{contents.top}.tar")
        temps = {fmt: staging.new(f"{contents.top}.{fmt}") for fmt in self.formats}
        try:
            with contents.selection.tree() as tree:
                packed = pack(
                    contents.members,
                    tree,
                    tar_path,
                    temps,
                    data_size=total,
                    on_bytes=meter.add,
                    stop=threading.Event(),
                )
        except TreeChangedError as exc:
            raise BuildFailure(f"the plugin directory changed during the build: {exc}") from exc
        except ArchiveError as exc:
            raise BuildFailure(str(exc), [_archive_diagnostic(exc)]) from exc
        except OSError as exc:
            raise BuildFailure(f"cannot write the archives: {exc}") from exc
        staging.tar, staging.entries = (tar_path, packed.tar_size), packed.entries
        done, entries = packed.digests, packed.entries
        packages = []
        for fmt in self.formats:
            digests = done[fmt]
            staging.final[temps[fmt]] = names[fmt]
            packages.append(
                Package(fmt, names[fmt], digests.size, digests.md5, digests.sha256, len(entries))
            )
        self.info("🔐 Calculating checksums...")
        for package in packages:
            if len(packages) > 1:
                self.info(f"  {package.filename}")
            self.info(f"  MD5: {package.md5}")
            self.info(f"  SHA256: {package.sha256}")
        return tuple(packages)

    # -- metadata ---------------------------------------------------------
    def write_metadata(
        self,
        report: PluginReport,
        packages: tuple[Package, ...],
        timestamp: str,
        staging: _Staging,
    ) -> BuildResult:
        """All or nothing: every document is rendered before any file is replaced."""
        stem = f"{report.name}-{report.version}"
        paths = {
            "report": self.out / f"{stem}-build-report.json",
            "manifest": self.out / MANIFEST_JSON,
            "preview": self.out / PREVIEW_YAML,
            "sums": self.out / SHA256SUMS,
        }
        build_report = report_document(report, packages, timestamp)
        try:
            rendered = {
                "report": render_json(build_report),
                "preview": render_yaml(preview_document(report)),
            }
            with locked(self.out):
                self.claim_output_dir(report)  # again: another build may have won the race
                existing = _read_text(paths["sums"])
                kept = earlier_packages(
                    self.out,
                    report,
                    packages,
                    sums=existing,
                    built=staging.tar,
                    entries=staging.entries,
                )
                listed = tuple(sorted((*packages, *kept), key=lambda p: FORMATS.index(p.format)))
                rendered["manifest"] = render_json(manifest_document(report, listed, timestamp))
                rendered["sums"] = merge_sha256sums(existing, packages, self.out).encode("utf-8")
                for key in ("sums", "report", "manifest", "preview"):
                    temp = staging.write(paths[key].name, rendered[key])
                    staging.final[temp] = paths[key]
                staging.commit_all()
        except MetadataError as exc:
            raise BuildFailure(f"cannot write the build metadata: {exc}") from exc
        except OSError as exc:
            raise BuildFailure(f"cannot write the build metadata: {exc}") from exc
        self.info(f"📊 Build report: {paths['report']}")
        self.info(f"📋 Manifest: {paths['manifest']}")
        self.info(f"📋 Preview file created: {paths['preview']}")
        self.info(f"🔏 Checksums: {paths['sums']}")
        warnings = len(build_report["validation"]["missing_files"])
        status: Status = "success_with_warnings" if not report.ok else "success"
        self.summary(report, listed, paths, build_report, warnings)
        return BuildResult(
            status,
            report=report,
            packages=packages,
            report_path=paths["report"],
            manifest_path=paths["manifest"],
            preview_path=paths["preview"],
            checksums_path=paths["sums"],
            build_report=build_report,
            diagnostics=report.diagnostics,
        )

    def summary(
        self,
        report: PluginReport,
        packages: tuple[Package, ...],
        paths: dict[str, Path],
        build_report: dict[str, Any],
        warnings: int,
    ) -> None:
        validation = build_report["validation"]
        self.info(RULE)
        self.info("🎉 BUILD COMPLETE")
        self.info(RULE)
        for package in packages:
            self.info(f"📦 Package: {package.path}")
        self.info(f"📊 Report: {paths['report']}")
        self.info(f"📋 Manifest: {paths['manifest']}")
        self.info(f"👁️ Preview: {paths['preview']}")
        self.info(f"✅ Commands: {validation['valid_entrypoints']}/{validation['total_commands']}")
        if warnings or not report.ok:
            self.info(f"⚠️ Warnings: {max(warnings, 1)}")
        self.info(f"📏 Size: {', '.join(size_human(p.size_bytes) for p in packages)}")
        self.info(f"📝 Files: {packages[0].files_count}")
        self.info(RULE)


def _logged(log: Log) -> Report:
    """Diagnostics as log lines, for callers that take only a log."""

    def report(root: Path, diagnostics: Sequence[Diagnostic]) -> None:
        del root
        for d in diagnostics:
            where = ":".join(str(p) for p in (d.path or ".", d.line, d.column) if p is not None)
            level = "ERROR" if d.is_error else "WARNING"
            log(level, f"{where}: {d.severity}[{d.code}] {d.message}")

    return report


def _archive_diagnostic(exc: ArchiveError) -> Diagnostic:
    from .archive import PathTooLongError

    code = Code.PATH_TOO_LONG if isinstance(exc, PathTooLongError) else Code.READ_ERROR
    return Diagnostic(code, str(exc), path=exc.path or None)


class _Meter:
    """Thread-safe byte counter feeding the progress callback: the plugin's bytes are
    read ``passes`` times, and the callback sees them counted once (``total`` is the
    plugin's size, whatever the formats)."""

    def __init__(self, callback: Progress | None, total: int, *, passes: int = 1) -> None:
        self.callback = callback
        self.total = total
        self.passes = passes
        self.read = 0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        if self.callback is None:
            return
        with self.lock:
            self.read += n
            self.callback(self.read // self.passes, self.total)


class _Staging:
    """Held temporaries in the output directory: renamed into place together, or removed.

    Temp names are hidden (``.name.token.tmp``) and each is locked by this build
    while it lives (see :mod:`plugin_build.locking`), so an interrupted or killed
    build never leaves a partial file under a final name, and a later build can
    remove what a killed one left.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.temps: list[HeldTemp] = []
        self.final: dict[Path, Path] = {}  # temp path -> final path, in commit order
        self.tar: tuple[Path, int] | None = None  # the uncompressed tar and its size
        self.entries: list[Entry] = []

    def new(self, name: str) -> Path:
        with locked(self.directory):
            temp = HeldTemp(self.directory, name)
        self.temps.append(temp)
        return temp.path

    def write(self, name: str, data: bytes) -> Path:
        path = self.new(name)
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return path

    def commit_all(self) -> None:
        """Rename every staged file into place; call with the directory lock held.

        The holds are released first (Windows cannot rename a file that is open);
        the directory lock keeps a concurrent stale-temporary sweep away meanwhile.
        """
        for temp in self.temps:
            temp.release()
        for temp_path, final in self.final.items():
            os.replace(temp_path, final)

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        for temp in self.temps:
            temp.discard()


def _read_text(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return None


FORMAT_CHOICES: Final[Mapping[str, tuple[ArchiveFormat, ...]]] = {
    "tar.gz": ("tar.gz",),
    "zip": ("zip",),
    "all": FORMATS,
}
