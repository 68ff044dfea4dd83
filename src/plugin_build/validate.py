"""Validate one plugin directory: manifest → selection → entry point → triggers.

Returns a :class:`PluginReport` value; the CLI, hook and action render it.
The verdict (valid or not) agrees with the SDK's ``validate`` for
``manifest.toml`` plugins; every diagnostic is gathered in one pass.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

from .diagnostics import Code, Diagnostic, has_errors
from .entrypoint import (
    EntryPoint,
    bind_triggers,
    classify_entry_point,
    parse_source,
    runtime_syntax_diagnostic,
    syntax_diagnostic,
)
from .fileio import TooLargeError
from .manifest import (
    MANIFEST_FILE,
    PLUGIN_YAML,
    TRIGGERS,
    Manifest,
    ManifestResult,
    load_manifest,
    plugin_name_problem,
)
from .selection import ExcludePatternError, Selection, SelectionError, select_files
from .semver import SemverError, Version
from .tomlpos import TomlPositions

if TYPE_CHECKING:
    from .betty import BettyPlugin

Format = Literal["manifest.toml", "plugin.yaml"]
MANIFEST_NAMES: Final = (MANIFEST_FILE, PLUGIN_YAML)
ARCHIVE_PATH_LIMIT: Final = 255  # bytes; the SDK refuses longer archive paths
# Read whole and parsed; real entry points are well under 1 MiB. Bounds the read.
ENTRY_POINT_SIZE_LIMIT: Final = 32 << 20
# Codes that validate reports as warnings (the SDK's validate accepts them) and that
# build refuses (an archive that cannot hold the plugin as it is).
BUILD_ERRORS: Final = frozenset({Code.PATH_TOO_LONG, Code.PATH_COLLISION})


def path_too_long_message(archive_path: str, size: int) -> str:
    """Said by validate before a build, and by the archive writer if it gets that far."""
    return (
        f"archive path {archive_path} is {size} bytes, over the "
        f"{ARCHIVE_PATH_LIMIT}-byte limit of the tar format; shorten it or exclude it"
    )


class PluginReport(NamedTuple):
    """The outcome of validating one plugin directory."""

    root: Path
    format: Format | None
    name: str | None
    version: str | None
    entry_point: str | None
    triggers: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    manifest: Manifest | None = None
    betty: BettyPlugin | None = None
    selection: Selection | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(list(self.diagnostics))

    @property
    def buildable(self) -> bool:
        """Whether ``build`` may package it (seed 000 packages despite missing handlers)."""
        if self.format == PLUGIN_YAML:
            return self.betty is not None and self.betty.buildable
        return self.ok and self.selection is not None


def detect_format(root: Path) -> Format | None:
    """``manifest.toml`` wins when a directory holds both manifests."""
    for name in MANIFEST_NAMES:
        if os.path.lexists(root / name):
            return MANIFEST_FILE if name == MANIFEST_FILE else PLUGIN_YAML
    return None


# Below this many plugins a worker pool costs more than it saves.
_POOL_THRESHOLD: Final = 4


def validate_plugins(roots: Sequence[Path]) -> list[PluginReport]:
    """Validate several plugins, in order; spread over CPUs when there are many.

    Parsing dominates (tree-sitter, then CPython for the runtime check) and
    holds the GIL, so only processes help. Only where ``fork`` is the cheap,
    safe way to start them (Linux): spawned workers would re-import everything.
    """
    workers = min(os.cpu_count() or 1, len(roots))
    if len(roots) < _POOL_THRESHOLD or workers < 2 or sys.platform != "linux":
        return [validate_plugin(root) for root in roots]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(validate_plugin, roots, chunksize=max(1, len(roots) // (workers * 4))))


def validate_plugin(root: Path, *, prune: Collection[Path] = ()) -> PluginReport:
    """Validate the plugin at ``root``; ``prune`` lists directories never walked."""
    fmt = detect_format(root)
    if fmt == PLUGIN_YAML:
        return _validate_betty(root)
    result = load_manifest(root)
    manifest = result.manifest
    diagnostics = list(result.diagnostics)
    report = PluginReport(
        root=root,
        format=MANIFEST_FILE if fmt else None,
        name=manifest.name if manifest else None,
        version=manifest.version if manifest else None,
        entry_point=None,
        triggers=manifest.triggers if manifest else (),
        diagnostics=tuple(diagnostics),
        manifest=manifest,
    )
    if manifest is None:
        return report
    selection, entry, more = _check_directory(root, manifest, result, prune)
    return report._replace(
        entry_point=entry.filename if entry else None,
        diagnostics=(*diagnostics, *more),
        selection=selection,
    )


def _check_directory(
    root: Path, manifest: Manifest, result: ManifestResult, prune: Collection[Path]
) -> tuple[Selection | None, EntryPoint | None, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    try:
        selection = select_files(root, manifest.exclude, prune=prune)
    except ExcludePatternError as exc:
        index = manifest.exclude.index(exc.pattern) if exc.pattern in manifest.exclude else 0
        position = TomlPositions(result.source).value(("plugin", "exclude", index))
        diagnostics.append(
            Diagnostic(
                Code.EXCLUDE_PATTERN,
                f"exclude pattern {exc.pattern!r} does not compile: {exc.message}; "
                "fix or remove it",
                path=MANIFEST_FILE,
                line=position.line,
                column=position.column,
                field=f"plugin.exclude[{index}]",
            )
        )
        return None, None, diagnostics
    except SelectionError as exc:
        diagnostics.append(Diagnostic(Code.READ_ERROR, f"cannot read the plugin directory: {exc}"))
        return None, None, diagnostics

    top_level = selection.top_level_names()
    if MANIFEST_FILE not in top_level:
        diagnostics.append(
            Diagnostic(
                Code.MANIFEST_MISSING,
                f"{MANIFEST_FILE} would not be packaged (it is excluded by plugin.exclude or is "
                "not a regular file); keep it a regular file and do not exclude it",
                path=MANIFEST_FILE,
            )
        )
    entry: EntryPoint | None = None
    classified = classify_entry_point(top_level)
    if isinstance(classified, Diagnostic):
        diagnostics.append(classified)
    else:
        entry = classified
        diagnostics.extend(_check_entry_file(selection, entry, manifest.triggers))
    diagnostics.extend(_archive_path_problems(manifest, selection))
    diagnostics.extend(_name_problems(selection))
    diagnostics.extend(_suspicious_files(selection))
    diagnostics.extend(_earlier_outputs(selection, manifest.name))
    return selection, entry, diagnostics


def _check_entry_file(
    selection: Selection, entry: EntryPoint, triggers: tuple[str, ...]
) -> list[Diagnostic]:
    rel = next((f.rel for f in selection.files if f.relpath == entry.filename), entry.filename)
    try:
        with selection.tree() as tree:
            source = tree.read(rel, ENTRY_POINT_SIZE_LIMIT)
        source.decode("utf-8")
    except TooLargeError as exc:
        return [
            Diagnostic(
                Code.ENTRY_POINT_TOO_LARGE,
                f"entry point {entry.filename} is {exc.size:,} bytes, over the "
                f"{ENTRY_POINT_SIZE_LIMIT >> 20} MiB plugin-build parses; move code into "
                "helper modules",
                path=entry.filename,
            )
        ]
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        return [
            Diagnostic(
                Code.ENTRY_POINT_MISSING,
                f"entry point {entry.filename} cannot be read ({reason}); "
                "make it a readable UTF-8 file",
                path=entry.filename,
            )
        ]
    parsed = parse_source(source)
    problem = syntax_diagnostic(parsed, entry.filename)
    if problem is not None:
        return [problem]
    # An unknown trigger already has its manifest-field error; no def can fix it.
    known = [t for t in triggers if t in TRIGGERS]
    diagnostics = bind_triggers(known, parsed, entry.filename)
    runtime = runtime_syntax_diagnostic(source, entry.filename)
    if runtime is not None:
        diagnostics.append(runtime)
    return diagnostics


def _archive_path_problems(manifest: Manifest, selection: Selection) -> Iterator[Diagnostic]:
    """The SDK refuses to package a path over 255 bytes; say so before it does."""
    name, version = manifest.name, manifest.version
    if name is None or version is None or plugin_name_problem(name):
        return
    try:
        Version.parse(version)
    except SemverError:
        return
    top = f"{name}-{version}/"
    room = ARCHIVE_PATH_LIMIT - len(top.encode("utf-8"))
    for file in selection.files:
        if len(file.relpath) * 4 <= room:  # a character is 4 UTF-8 bytes at most
            continue
        size = len((top + file.relpath).encode("utf-8"))
        if size > ARCHIVE_PATH_LIMIT:
            yield Diagnostic(
                Code.PATH_TOO_LONG,
                path_too_long_message(top + file.relpath, size)
                + " (the plugin SDK's validate accepts it; packaging refuses it)",
                severity="warning",
                path=file.relpath,
            )


def _name_problems(selection: Selection) -> Iterator[Diagnostic]:
    """Names that are not UTF-8 are stored as the SDK stores them, with U+FFFD for each
    bad byte; two that become the same name would extract as one file."""
    by_name: dict[str, list[str]] = {}
    for file in selection.files:
        if file.raw and file.raw != file.relpath:
            by_name.setdefault(file.relpath, []).append(file.raw)
    for relpath, raws in by_name.items():
        shown = ", ".join(_escaped_name(raw) for raw in raws)
        if len(raws) > 1:
            yield Diagnostic(
                Code.PATH_COLLISION,
                f"{len(raws)} files ({shown}) are not valid UTF-8 and would all be stored as "
                f"{relpath}, so extracting the archive keeps only one; rename them",
                severity="warning",
                path=relpath,
            )
        else:
            yield Diagnostic(
                Code.PATH_ENCODING,
                f"{shown} is not a valid UTF-8 name; the archive stores it as {relpath} (as "
                "the plugin SDK does); rename it",
                severity="warning",
                path=relpath,
            )


def _escaped_name(raw: str) -> str:
    """An on-disk name with its undecodable bytes as \\xNN."""
    return raw.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")


# Environment files, private keys and credential files, by base name.
_SECRET: Final = re.compile(
    r"\.env(\..+)?|id_(rsa|dsa|ecdsa|ed25519)|\.netrc|\.pypirc|.+\.(pem|key|p12|pfx|jks)"
)
_JUNK_DIRS: Final = (".git", "__pycache__")


def _suspicious_files(selection: Selection) -> Iterable[Diagnostic]:
    """Files that are selected but almost never meant to ship."""
    grouped: dict[str, list[str]] = {}
    for file in selection.files:
        relpath = file.relpath
        if any(j in relpath for j in _JUNK_DIRS):  # cheap test first: one in thousands
            parts = relpath.split("/")
            junk = next((p for p in parts[:-1] if p in _JUNK_DIRS), None)
            if junk is not None:
                grouped.setdefault(junk, []).append(relpath)
                continue
        if _SECRET.fullmatch(relpath.rpartition("/")[2]):
            yield Diagnostic(
                Code.SUSPICIOUS_FILE,
                f"{file.relpath} looks like a secret and would be packaged; "
                f"add {file.relpath!r} to plugin.exclude",
                severity="warning",
                path=file.relpath,
            )
    for junk, files in sorted(grouped.items()):
        first = files[0]
        yield Diagnostic(
            Code.SUSPICIOUS_FILE,
            f"{len(files)} file(s) under {junk}/ would be packaged; "
            f"add '{junk}/' to plugin.exclude",
            severity="warning",
            path=first[: first.index(junk + "/") + len(junk)] + "/",
        )


def _earlier_outputs(selection: Selection, name: str | None) -> Iterator[Diagnostic]:
    """Folders holding what an earlier build wrote (yesterday's ``dist/`` while today's
    goes to ``out/``): the SDK would package them, so say so and how to exclude them."""
    by_dir: dict[str, list[str]] = {}
    for file in selection.files:
        relpath = file.relpath
        # only the names that matter below are kept (a cheap test first)
        if relpath.endswith(("manifest.json", "SHA256SUMS", ".tar.gz", ".zip")):
            folder, _, base = relpath.rpartition("/")
            if folder:
                by_dir.setdefault(folder, []).append(base)
    archive = re.compile(rf"{re.escape(name)}-.+\.(?:tar\.gz|zip)\Z") if name else None
    for folder, names in sorted(by_dir.items()):
        ours = [n for n in names if n in ("manifest.json", "SHA256SUMS")]
        archives = [n for n in names if archive is not None and archive.match(n)]
        if len(ours) < 2 and not archives:
            continue
        listed = ", ".join(sorted(ours + archives)[:3])
        yield Diagnostic(
            Code.SUSPICIOUS_FILE,
            f"{folder}/ holds the outputs of an earlier build ({listed}) and would be packaged; "
            f"add '{folder}/' to plugin.exclude (or delete it)",
            severity="warning",
            path=folder + "/",
        )


def _validate_betty(root: Path) -> PluginReport:
    from . import betty  # here: manifest.toml plugins never need it (nor YAML)

    result = betty.load_plugin_yaml(root)
    plugin = result.plugin
    return PluginReport(
        root=root,
        format=PLUGIN_YAML,
        name=plugin.name if plugin else None,
        version=plugin.version if plugin else None,
        entry_point=None,
        triggers=(),
        diagnostics=result.diagnostics,
        betty=plugin,
    )
