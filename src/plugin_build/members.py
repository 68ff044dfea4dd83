"""One archive's members: safe to extract, named as extractors name them, as build wrote them.

:func:`check_members` reads an archive once, member by member, and checks each
under the path an extractor would write it to (:func:`.membernames.resolved`),
and under every other name some extractor gives it: that path must be safe and
under the top folder, no two members may land on one path, and every member
must be a regular file with an ordinary mode. With a source plugin, each member
must also be its file, byte for byte. Memory does not grow with the member
count, and neither does the report: after :data:`LIMIT` findings of one kind,
the rest are counted into one summary.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .diagnostics import Code, Diagnostic, Severity
from .fileio import CHUNK, first_line, reason, sha256_stream
from .membernames import TRACKED_NAMES, NameClashes, TopFolder, oddity, path_problem, resolved
from .readback import KIND_NAMES, UNREADABLE, ArchiveEntry, Inconsistency, tar_entries
from .zipread import zip_entries

if TYPE_CHECKING:
    from .sourcecheck import SourcePlugin

__all__ = ["LIMIT", "check_members"]

LIMIT: Final = 10  # findings of one kind per archive, then one summary
_REBUILD: Final = "rebuild it with plugin-build build"
_DO_NOT_EXTRACT: Final = f"do not extract this archive, {_REBUILD}"
_SPECIAL_BITS: Final = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX


class _Findings:
    """One archive's diagnostics: at most ``limit`` of each kind, then one summary."""

    def __init__(self, archive: str, limit: int) -> None:
        self.archive, self.limit = archive, limit
        self.diagnostics: list[Diagnostic] = []
        self._counts: dict[str, int] = {}  # kinds are fixed phrases, so this stays small
        self._first: dict[str, tuple[str, Severity, str]] = {}

    def add(
        self, kind: str, code: str, message: str, fix: str, severity: Severity = "error"
    ) -> None:
        count = self._counts[kind] = self._counts.get(kind, 0) + 1
        if count == 1:
            self._first[kind] = (code, severity, fix)
        if count <= self.limit:
            self.diagnostics.append(
                Diagnostic(code, f"{message}; {fix}", severity, path=self.archive)
            )

    def close(self) -> list[Diagnostic]:
        for kind, count in self._counts.items():
            if count > self.limit:
                code, severity, fix = self._first[kind]
                self.diagnostics.append(
                    Diagnostic(
                        code,
                        f"… and {count - self.limit:,} more members like this ({kind}); {fix}",
                        severity,
                        path=self.archive,
                    )
                )
        self._counts.clear()
        return self.diagnostics


def check_members(
    directory: Path,
    name: str,
    top: str,
    source: SourcePlugin | None = None,
    *,
    limit: int = LIMIT,
    fast: bool = True,
) -> list[Diagnostic]:
    """Every member of archive ``name``: safe, regular, under ``top``; the source's files.

    An archive in the plain shape ``build`` writes is read by :mod:`.fastread`;
    anything else (or ``fast=False``) by the full readers, which alone report
    damage and inconsistencies: the fast readers give up on those, and the
    archive is then read again from the start.
    """
    path = directory / name
    tar = name.endswith(".tar.gz")
    if fast:
        from .fastread import Irregular, plain_tar, plain_zip

        hashed = source is not None
        plain = (plain_tar if tar else plain_zip)(path, hashed=hashed)
        check = _Check(top, source, _Findings(name, limit))
        try:
            for entry in plain:
                check.entry(entry)
        except (Irregular, OSError, *UNREADABLE):
            pass  # read it again, with the full reader
        else:
            return _finish(check, name, source)
        finally:
            plain.close()
    check = _Check(top, source, _Findings(name, limit))
    findings = check.findings
    entries: Generator[ArchiveEntry | Inconsistency, None, None] = (
        tar_entries(path) if tar else zip_entries(path)
    )
    try:
        for item in entries:
            if isinstance(item, Inconsistency):
                code = Code.ARCHIVE_INCONSISTENT
                findings.add(item.kind, code, item.message, _DO_NOT_EXTRACT)
            else:
                check.entry(item)
    except OSError as exc:
        # EINVAL: a seek to a nonsense offset read from a damaged archive
        if exc.errno not in (None, errno.EINVAL):  # the disk, not the archive
            message = f"cannot read {name}: {reason(exc)}; make it a readable regular file"
            findings.diagnostics.append(Diagnostic(Code.READ_ERROR, message, path=name))
        else:  # gzip.BadGzipFile and friends
            findings.diagnostics.append(_unreadable(name, exc))
        return findings.close()
    except UNREADABLE as exc:
        findings.diagnostics.append(_unreadable(name, exc))
        return findings.close()
    finally:
        entries.close()
    return _finish(check, name, source)


def _finish(check: _Check, name: str, source: SourcePlugin | None) -> list[Diagnostic]:
    """The findings about the archive as a whole, after its last member."""
    findings = check.findings
    if check.clashes.full:
        findings.add(
            "more names than are remembered",
            Code.ARCHIVE_CASE_CONFLICT,
            f"{name} has over {TRACKED_NAMES:,} members; names past the first "
            f"{TRACKED_NAMES:,} were compared for letter case with those only, not with "
            "each other",
            "to be sure, list its names (tar -tzf, unzip -Z1) and compare them ignoring case",
            "warning",
        )
    for missing in sorted(set(source.members) - check.found) if source is not None else ():
        findings.add(
            "source files missing",
            Code.ARCHIVE_CONTENT_MISMATCH,
            f"member {missing} is a file of the source plugin but is not in the archive",
            _REBUILD,
        )
    return findings.close()


class _Check:
    """The checks of one archive's members, one member at a time."""

    def __init__(self, top: str, source: SourcePlugin | None, findings: _Findings) -> None:
        self.top, self.source, self.findings = top, source, findings
        self.clashes = NameClashes()
        self.found: set[str] = set()  # the source's members seen: at most its file count
        self.problem = TopFolder(top).problem

    def entry(self, entry: ArchiveEntry) -> None:
        raw = entry.name
        path = resolved(raw)
        shown = raw if path == raw else f"{raw} (extracted as {path})"

        def unsafe(kind: str, problem: str, severity: Severity = "error") -> None:
            message = f"member {shown} {problem}"
            self.findings.add(kind, Code.ARCHIVE_UNSAFE_MEMBER, message, _DO_NOT_EXTRACT, severity)

        directory = entry.kind == "directory"
        problem = self.problem(path, directory)
        if problem is not None:
            unsafe("unsafe paths", problem)
            return
        unsafe_alias = False
        for alias, where in entry.aliases:
            problem = path_problem(resolved(alias), self.top, directory)
            if problem is not None:
                unsafe("unsafe paths", f"is named {alias} by {where}, and that name {problem}")
                unsafe_alias = True
            else:
                self.findings.add(
                    "names that differ between headers",
                    Code.ARCHIVE_INCONSISTENT,
                    f"member {shown} is named {alias} by {where}, so extractors disagree "
                    "on its name",
                    _DO_NOT_EXTRACT,
                )
        if unsafe_alias:
            return
        if path != raw:  # plugin-build writes every name as extractors resolve it
            unsafe("names extractors change", f"has {oddity(raw)}")

        for clash in self.clashes.add(path.rstrip("/")):
            if clash.kind == "duplicate":
                unsafe(
                    "duplicate paths",
                    "appears more than once (an earlier member has the same path), so extraction "
                    "keeps only one copy",
                )
                return
            if clash.kind == "case":
                self.findings.add(
                    "case twins",
                    Code.ARCHIVE_CASE_CONFLICT,
                    f"member {shown} differs from an earlier member only in letter case (or "
                    "Unicode normal form), so a case-insensitive file system (macOS, Windows) "
                    "keeps only one of them",
                    "rename one of the two files in the plugin, then rebuild",
                    "warning",
                )
            else:
                self.findings.add(
                    "members out of order",
                    Code.ARCHIVE_UNSORTED,
                    f"member {shown} comes after {clash.earlier}, out of the name order "
                    "plugin-build writes (the order verify relies on to find every duplicate)",
                    _REBUILD,
                )

        if directory:
            unsafe(
                "directory entries",
                "is a directory entry, which plugin-build build never writes",
                severity="warning",
            )
            return
        if entry.kind != "file" or entry.stream is None:
            unsafe("special files", f"is a {KIND_NAMES[entry.kind]}, not a regular file")
            return
        # Read every regular member through: a zip's CRC is only checked at the end.
        # (The fast readers have read it already, and hashed it when there is a source.)
        if entry.sha256 is not None:
            sha256 = entry.sha256
        elif self.source is None:
            while entry.stream.read(CHUNK):
                pass
            sha256 = ""  # compared with nothing
        else:
            sha256 = sha256_stream(entry.stream)
        mode = entry.mode
        if mode is not None and mode & _SPECIAL_BITS:
            unsafe("special modes", f"has mode {mode:04o}, with setuid, setgid or sticky bits")
        elif mode is not None and mode not in (0o644, 0o755):
            unsafe(
                "unusual modes",
                f"has mode {mode:04o}, not the 0644 or 0755 that plugin-build writes",
                severity="warning",
            )
        if self.source is None:
            return
        if path in self.source.members:
            self.found.add(path)
        for kind, difference in self.source.differences(path, sha256, mode):
            message = f"member {shown} {difference}"
            self.findings.add(kind, Code.ARCHIVE_CONTENT_MISMATCH, message, _REBUILD)


def _unreadable(name: str, exc: BaseException) -> Diagnostic:
    kind = "gzip-compressed tar" if name.endswith(".tar.gz") else "zip"
    return Diagnostic(
        Code.ARCHIVE_UNREADABLE,
        f"{name} is not a readable {kind} archive ({first_line(exc)}); "
        "fetch an intact copy or rebuild the plugin with plugin-build build",
        path=name,
    )
