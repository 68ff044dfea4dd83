"""Verify a build's output directory: archives against SHA256SUMS, manifest.json and the source.

Everything is streamed in 1 MiB chunks and nothing is extracted: an archive is
only ever read, never unpacked. Every finding becomes a :class:`Diagnostic`
whose ``path`` is the file inside the directory it is about; the CLI renders
the :class:`VerifyResult`.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .diagnostics import Code, Diagnostic, Severity, has_errors, render_field
from .fileio import CHUNK, Digests, file_digests, open_regular, sha256_stream
from .outputs import MANIFEST_JSON, SHA256SUMS, SHA256SUMS_LINE
from .readback import KIND_NAMES, UNREADABLE, tar_entries, zip_entries

if TYPE_CHECKING:
    from .archive import Member
    from .contents import Contents

__all__ = ["VerifyResult", "verify_outputs"]

_SUFFIXES: Final = (".tar.gz", ".zip")
_REBUILD: Final = "rebuild it with plugin-build build"
_MAX_LINE: Final = 4096  # a checksum line is ~100 bytes; longer is not one
_MAX_MALFORMED: Final = 10  # then one summary, so a binary file does not flood the output
_MAX_MANIFEST: Final = 16 << 20  # manifest.json is small metadata, parsed whole
_DRIVE: Final = re.compile(r"[A-Za-z]:")
_SPECIAL_BITS: Final = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of verifying one output directory."""

    directory: Path
    archives: tuple[str, ...]  # archive file names that were opened and checked, sorted
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(list(self.diagnostics))


@dataclass(frozen=True)
class _Listed:
    """A file named by SHA256SUMS or manifest.json, with what that file claims about it."""

    name: str
    file: str  # SHA256SUMS or MANIFEST_JSON
    where: str  # "SHA256SUMS line 3", "manifest.json packages[0]"
    sha256: str | None
    md5: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class _Manifest:
    top: str | None  # "{name}-{version}" when both are strings
    packages: tuple[_Listed, ...]


def verify_outputs(directory: Path, *, source: Path | None = None) -> VerifyResult:
    """Check every file SHA256SUMS and manifest.json name, and every archive's members.

    With ``source`` (a plugin directory) each of that plugin's archives must hold
    exactly the files ``build`` would package, byte for byte, with the same exec bit.
    """
    run = _Run(Path(directory))
    run.verify(source)
    return VerifyResult(run.directory, tuple(sorted(run.archives)), tuple(run.diagnostics))


class _Run:
    """One verification: the findings so far and what has already been hashed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.diagnostics: list[Diagnostic] = []
        self.archives: list[str] = []
        self.digests: dict[str, Digests | OSError] = {}
        self.source_hashes: dict[Path, str | None] = {}

    def add(
        self,
        code: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        severity: Severity = "error",
    ) -> None:
        self.diagnostics.append(
            Diagnostic(code, message, severity, path=path, line=line, field=field)
        )

    def verify(self, source: Path | None) -> None:
        if not self.directory.is_dir():
            self.add(
                Code.READ_ERROR,
                f"{self.directory} is not a directory; pass the output directory of "
                "plugin-build build (dist/ by default)",
            )
            return
        sums = self.read_checksums()
        manifest = self.read_manifest()
        if sums is None and manifest is None:
            self.add(
                Code.CHECKSUM_MISSING,
                f"nothing to verify in {self.directory}: neither {SHA256SUMS} nor "
                f"{MANIFEST_JSON} exists; run plugin-build build, which writes both",
            )
            return
        listed = [*(sums or ()), *(manifest.packages if manifest else ())]
        if sums is not None and manifest is not None:
            in_sums = {entry.name for entry in sums}
            for package in manifest.packages:
                if package.name not in in_sums:
                    self.add(
                        Code.CHECKSUM_MISSING,
                        f"{package.name} is listed in {MANIFEST_JSON} but has no line in "
                        f"{SHA256SUMS}; rebuild the plugin with plugin-build build",
                        path=SHA256SUMS,
                    )
        contents = self.source_contents(source) if source is not None else None
        manifest_names = {p.name for p in manifest.packages} if manifest else set()

        by_name: dict[str, list[_Listed]] = {}
        for entry in listed:
            by_name.setdefault(entry.name, []).append(entry)
        for name, entries in sorted(by_name.items()):
            if not self.check_listed(name, entries) or not name.endswith(_SUFFIXES):
                continue
            top = _strip_suffix(name)
            if manifest is not None and manifest.top and name in manifest_names:
                top = manifest.top
            expected = None
            if contents is not None and _strip_suffix(name) == contents.top:
                expected = {m.name: m for m in contents.members}
            self.check_archive(name, top, expected)

        if contents is not None and not any(
            _strip_suffix(name) == contents.top for name in by_name if name.endswith(_SUFFIXES)
        ):
            self.add(
                Code.CHECKSUM_MISSING,
                f"no archive of {contents.top} is listed in {SHA256SUMS} or {MANIFEST_JSON}; "
                f"build {source} into {self.directory} with plugin-build build",
            )

    # -- SHA256SUMS and manifest.json ---------------------------------------

    def read_checksums(self) -> list[_Listed] | None:
        """The lines of SHA256SUMS, or None when there is no such file."""
        path = self.directory / SHA256SUMS
        if not os.path.lexists(path):
            return None
        entries: list[_Listed] = []
        malformed = 0
        try:
            with open_regular(path) as f:
                number = 0
                while raw := f.readline(_MAX_LINE + 1):
                    number += 1
                    if len(raw) > _MAX_LINE and not raw.endswith(b"\n"):
                        while (rest := f.readline(CHUNK)) and not rest.endswith(b"\n"):
                            pass  # skip the rest of an overlong line
                    problem, entry = _parse_line(raw, number, too_long=len(raw) > _MAX_LINE)
                    if entry is not None:
                        entries.append(entry)
                    elif problem is not None:
                        malformed += 1
                        if malformed <= _MAX_MALFORMED:
                            self.add(Code.READ_ERROR, problem, path=SHA256SUMS, line=number)
        except OSError as exc:
            self.add(
                Code.READ_ERROR,
                f"cannot read {SHA256SUMS}: {_reason(exc)}; make it a readable file",
                path=SHA256SUMS,
            )
            return entries
        if malformed > _MAX_MALFORMED:
            self.add(
                Code.READ_ERROR,
                f"{SHA256SUMS} has {malformed - _MAX_MALFORMED} more malformed lines; "
                "regenerate it with plugin-build build",
                path=SHA256SUMS,
            )
        if not entries and not malformed:
            self.add(
                Code.CHECKSUM_MISSING,
                f"{SHA256SUMS} lists no files; regenerate it with plugin-build build",
                path=SHA256SUMS,
            )
        return entries

    def read_manifest(self) -> _Manifest | None:
        """The packages manifest.json lists, or None when there is no such file."""
        path = self.directory / MANIFEST_JSON
        if not os.path.lexists(path):
            return None
        empty = _Manifest(None, ())
        try:
            with open_regular(path) as f:
                raw = f.read(_MAX_MANIFEST + 1)
        except OSError as exc:
            self.add(
                Code.READ_ERROR,
                f"cannot read {MANIFEST_JSON}: {_reason(exc)}; make it a readable file",
                path=MANIFEST_JSON,
            )
            return empty
        if len(raw) > _MAX_MANIFEST:
            self.add(
                Code.READ_ERROR,
                f"{MANIFEST_JSON} is over {_MAX_MANIFEST >> 20} MiB, too large to be a build "
                "manifest; regenerate it with plugin-build build",
                path=MANIFEST_JSON,
            )
            return empty
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
            self.add(
                Code.READ_ERROR,
                f"{MANIFEST_JSON} is not valid JSON ({_first_line(exc)}); "
                "regenerate it with plugin-build build",
                path=MANIFEST_JSON,
                line=line,
            )
            return empty
        if not isinstance(data, dict):
            self.manifest_field((), "must be a JSON object")
            return empty

        top = None
        name, version = data.get("name"), data.get("version")
        for key, value in (("name", name), ("version", version)):
            if not isinstance(value, str) or not value:
                self.manifest_field((key,), "must be a non-empty string")
        if isinstance(name, str) and isinstance(version, str) and name and version:
            top = f"{name}-{version}"

        if "packages" in data:
            packages = data["packages"]
            if not isinstance(packages, list) or not packages:
                self.manifest_field(("packages",), "must be a non-empty list of package objects")
                return _Manifest(top, ())
            listed = [self.manifest_package(p, ("packages", i)) for i, p in enumerate(packages)]
            first, package = packages[0], data.get("package")
            if package is not None and _package_key(package) != _package_key(first):
                self.manifest_field(("package",), "does not match packages[0]")
        elif "package" in data:
            listed = [self.manifest_package(data["package"], ("package",))]
        else:
            self.manifest_field((), "lists no archive (it has neither packages nor package)")
            return _Manifest(top, ())
        return _Manifest(top, tuple(p for p in listed if p is not None))

    def manifest_package(self, value: object, where: tuple[str | int, ...]) -> _Listed | None:
        if not isinstance(value, dict):
            self.manifest_field(where, "must be an object")
            return None
        filename = value.get("filename")
        if not isinstance(filename, str) or _unsafe_file_name(filename):
            self.manifest_field((*where, "filename"), "must be a bare file name")
            return None
        size = value.get("size_bytes")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            self.manifest_field((*where, "size_bytes"), "must be a non-negative integer")
            size = None
        md5 = sha256 = None
        checksums = value.get("checksums")
        if not isinstance(checksums, dict):
            self.manifest_field((*where, "checksums"), "must be an object with md5 and sha256")
        else:
            md5 = self.manifest_hex(checksums.get("md5"), 32, (*where, "checksums", "md5"))
            sha256 = self.manifest_hex(checksums.get("sha256"), 64, (*where, "checksums", "sha256"))
        fmt = value.get("format")
        if fmt is not None and fmt not in ("tar.gz", "zip"):
            self.manifest_field((*where, "format"), 'must be "tar.gz" or "zip"')
        elif fmt is not None and not filename.endswith(f".{fmt}"):
            self.manifest_field((*where, "format"), f"is {fmt!r}, which {filename} is not")
        return _Listed(
            filename, MANIFEST_JSON, f"{MANIFEST_JSON} {render_field(where)}", sha256, md5, size
        )

    def manifest_hex(self, value: object, digits: int, where: tuple[str | int, ...]) -> str | None:
        if isinstance(value, str) and len(value) == digits and _is_hex(value):
            return value.lower()
        self.manifest_field(where, f"must be {digits} hexadecimal digits")
        return None

    def manifest_field(self, where: tuple[str | int, ...], problem: str) -> None:
        field = render_field(where) or None
        subject = f"{MANIFEST_JSON} {field}" if field else MANIFEST_JSON
        self.add(
            Code.READ_ERROR,
            f"{subject} {problem}; regenerate it with plugin-build build",
            path=MANIFEST_JSON,
            field=field,
        )

    # -- the listed files ---------------------------------------------------

    def check_listed(self, name: str, entries: list[_Listed]) -> bool:
        """Size and checksums of one listed file; False when it cannot be read."""
        digest = self.digest(name)
        if isinstance(digest, OSError):
            files = " and ".join(dict.fromkeys(e.file for e in entries))
            if isinstance(digest, FileNotFoundError):
                self.add(
                    Code.CHECKSUM_MISSING,
                    f"{name} is listed in {files} but is not in the directory; copy it here "
                    "or rebuild the plugin with plugin-build build",
                    path=name,
                )
            else:
                self.add(
                    Code.READ_ERROR,
                    f"cannot read {name}: {_reason(digest)}; make it a readable regular file",
                    path=name,
                )
            return False
        for entry in entries:
            wrong = [
                label
                for label, claimed, actual in (
                    ("size", entry.size, digest.size),
                    ("SHA-256", entry.sha256, digest.sha256),
                    ("MD5", entry.md5, digest.md5),
                )
                if claimed is not None and claimed != actual
            ]
            if wrong:
                self.add(
                    Code.CHECKSUM_MISMATCH,
                    f"{name} does not match the {' and '.join(wrong)} in {entry.where}; "
                    "fetch an intact copy or rebuild the plugin with plugin-build build",
                    path=name,
                )
        return True

    def digest(self, name: str) -> Digests | OSError:
        cached = self.digests.get(name)
        if cached is None:
            try:
                cached = file_digests(self.directory / name)
            except OSError as exc:
                cached = exc
            self.digests[name] = cached
        return cached

    # -- archives -----------------------------------------------------------

    def check_archive(self, name: str, top: str, expected: dict[str, Member] | None) -> None:
        """Every member of one archive: safe, regular, under ``top``; equal to ``expected``."""
        self.archives.append(name)
        path = self.directory / name
        seen: set[str] = set()

        def unsafe(member: str, problem: str, severity: Severity = "error") -> None:
            self.add(
                Code.ARCHIVE_UNSAFE_MEMBER,
                f"member {member} {problem}; do not extract this archive, {_REBUILD}",
                path=name,
                severity=severity,
            )

        def mismatch(member: str, problem: str) -> None:
            self.add(
                Code.ARCHIVE_CONTENT_MISMATCH,
                f"member {member} {problem}; {_REBUILD}",
                path=name,
            )

        entries = tar_entries(path) if name.endswith(".tar.gz") else zip_entries(path)
        try:
            for entry in entries:
                member = entry.name
                if member in seen:
                    unsafe(member, "appears more than once, so extraction keeps only one copy")
                    continue
                seen.add(member)
                problem = _member_name_problem(member, top, entry.kind == "directory")
                if problem is not None:
                    unsafe(member, problem)
                    continue
                if entry.kind == "directory":
                    unsafe(
                        member,
                        "is a directory entry, which plugin-build build never writes",
                        severity="warning",
                    )
                    continue
                if entry.kind != "file" or entry.stream is None:
                    unsafe(member, f"is a {KIND_NAMES[entry.kind]}, not a regular file")
                    continue
                # Read every regular member through: zipfile checks each CRC only at the end.
                sha256 = sha256_stream(entry.stream)
                mode = entry.mode
                if mode is not None and mode & _SPECIAL_BITS:
                    unsafe(member, f"has mode {mode:04o}, with setuid, setgid or sticky bits")
                elif mode is not None and mode not in (0o644, 0o755):
                    unsafe(
                        member,
                        f"has mode {mode:04o}, not the 0644 or 0755 that plugin-build writes",
                        severity="warning",
                    )
                if expected is None:
                    continue
                wanted = expected.get(member)
                if wanted is None:
                    mismatch(member, "is in the archive but is not a file of the source plugin")
                    continue
                source_sha256 = self.source_sha256(wanted)
                if source_sha256 is not None and source_sha256 != sha256:
                    mismatch(member, f"differs from the source file {wanted.source}")
                executable = mode is not None and bool(mode & 0o111)
                if executable != wanted.executable:
                    stored = "0755" if executable else "0644"
                    source = "executable" if wanted.executable else "not executable"
                    mismatch(member, f"is stored {stored} but the source file is {source}")
        except OSError as exc:
            # EINVAL: a seek to a nonsense offset read from a damaged archive
            if exc.errno not in (None, errno.EINVAL):  # the disk, not the archive
                self.add(
                    Code.READ_ERROR,
                    f"cannot read {name}: {_reason(exc)}; make it a readable regular file",
                    path=name,
                )
            else:  # gzip.BadGzipFile and friends
                self.unreadable(name, exc)
            return
        except UNREADABLE as exc:
            self.unreadable(name, exc)
            return
        finally:
            entries.close()
        for member in sorted(set(expected or ()) - seen):
            mismatch(member, "is a file of the source plugin but is not in the archive")

    def unreadable(self, name: str, exc: BaseException) -> None:
        kind = "gzip-compressed tar" if name.endswith(".tar.gz") else "zip"
        self.add(
            Code.ARCHIVE_UNREADABLE,
            f"{name} is not a readable {kind} archive ({_first_line(exc)}); "
            "fetch an intact copy or rebuild the plugin with plugin-build build",
            path=name,
        )

    # -- the source plugin --------------------------------------------------

    def source_contents(self, source: Path) -> Contents | None:
        """What ``build`` would package from ``source``; None (and diagnostics) if nothing."""
        from .contents import plugin_contents
        from .selection import SelectionError
        from .validate import validate_plugin

        report = validate_plugin(source, prune=[self.directory])
        if report.buildable:
            try:
                return plugin_contents(report, prune=[self.directory])
            except SelectionError as exc:
                self.add(
                    Code.READ_ERROR,
                    f"cannot read source plugin {source}: {exc}; make it readable",
                )
                return None
        # Build refuses this source, so no archive can match it; say why, pointing into it.
        self.add(
            Code.ARCHIVE_CONTENT_MISMATCH,
            f"source plugin {source} is not valid, so no archive can match it; fix its "
            f"errors (plugin-build validate {source}), then rebuild",
        )
        for found in report.diagnostics:
            where = source / found.path if found.path else source
            self.diagnostics.append(dataclasses.replace(found, path=where.as_posix()))
        return None

    def source_sha256(self, member: Member) -> str | None:
        if member.source not in self.source_hashes:
            try:
                with open_regular(member.source, follow=False) as f:
                    self.source_hashes[member.source] = sha256_stream(f)
            except OSError as exc:
                self.add(
                    Code.READ_ERROR,
                    f"cannot read source file {member.source}: {_reason(exc)}; make it "
                    "a readable regular file",
                    path=member.source.as_posix(),
                )
                self.source_hashes[member.source] = None
        return self.source_hashes[member.source]


def _member_name_problem(name: str, top: str, directory: bool) -> str | None:
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "has an absolute path, which could write outside the extraction directory"
    parts = re.split(r"[/\\]", name.rstrip("/"))
    if ".." in parts:
        return "has a '..' component, which could write outside the extraction directory"
    if parts[0] != top or (len(parts) < 2 and not directory):
        return f"is outside the archive's top folder {top}/"
    return None


# -- small helpers -----------------------------------------------------------


def _parse_line(raw: bytes, number: int, *, too_long: bool) -> tuple[str | None, _Listed | None]:
    """One SHA256SUMS line: (problem, None), (None, entry), or (None, None) if blank."""
    fix = "use '<sha256>  <file name>', as plugin-build build writes"
    if too_long:
        return f"{SHA256SUMS} line {number} is too long to be a checksum line; {fix}", None
    text_bytes = raw.removesuffix(b"\n")
    if not text_bytes.strip():
        return None, None
    if text_bytes.endswith(b"\r"):
        return (
            f"{SHA256SUMS} line {number} ends with a carriage return; "
            "write the file with LF line endings",
            None,
        )
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return f"{SHA256SUMS} line {number} is not UTF-8 text; {fix}", None
    match = SHA256SUMS_LINE.fullmatch(text)
    if match is None:
        return f"{SHA256SUMS} line {number} is not a checksum line; {fix}", None
    sha256, name = match.group(1).lower(), match.group(2)
    if _unsafe_file_name(name):
        return (
            f"{SHA256SUMS} line {number} names {name!r}, which is not a bare file name "
            "in this directory; list bare file names only",
            None,
        )
    return None, _Listed(name, SHA256SUMS, f"{SHA256SUMS} line {number}", sha256)


def _unsafe_file_name(name: str) -> bool:
    """Listed files must sit in the directory itself; anything else is refused, not opened."""
    return (
        not name
        or name in (".", "..")
        or ".." in name
        or any(c in name for c in "/\\\0")
        or _DRIVE.match(name) is not None
    )


def _package_key(value: object) -> object:
    """What ``package`` and ``packages[0]`` must agree on (``format`` is only in the latter)."""
    if not isinstance(value, dict):
        return value
    return {k: value.get(k) for k in ("filename", "size_bytes", "checksums")}


def _strip_suffix(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
