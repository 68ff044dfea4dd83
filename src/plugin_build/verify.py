"""Verify a build's output directory: archives against SHA256SUMS, manifest.json and the source.

Everything is streamed in 1 MiB chunks and nothing is extracted: an archive is
only ever read, never unpacked. Every finding becomes a :class:`Diagnostic`
whose ``path`` is the file inside the directory it is about; the CLI renders
the :class:`VerifyResult`.
"""

from __future__ import annotations

import dataclasses
import errno
import gzip
import hashlib
import io
import json
import os
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, Literal

from .diagnostics import Code, Diagnostic, Severity, has_errors, render_field

if TYPE_CHECKING:
    from .archive import Member
    from .contents import Contents

__all__ = ["CHECKSUMS_FILE", "MANIFEST_JSON", "VerifyResult", "verify_outputs"]

CHECKSUMS_FILE: Final = "SHA256SUMS"
MANIFEST_JSON: Final = "manifest.json"

_CHUNK: Final = 1 << 20
_SUFFIXES: Final = (".tar.gz", ".zip")
_REBUILD: Final = "rebuild it with plugin-build build"
_LINE: Final = re.compile(r"([0-9A-Fa-f]{64}) [ *](.+)")  # sha256sum's text and binary forms
_MAX_LINE: Final = 4096  # a checksum line is ~100 bytes; longer is not one
_MAX_MALFORMED: Final = 10  # then one summary, so a binary file does not flood the output
_MAX_MANIFEST: Final = 16 << 20  # manifest.json is small metadata, parsed whole
_DRIVE: Final = re.compile(r"[A-Za-z]:")
_SPECIAL_BITS: Final = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX
_END_OF_TAR: Final = 1024  # two zero blocks close a tar
_TAIL_KEEP: Final = 64 << 10  # well above tarfile's read-ahead (one 10 KiB record)


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
    file: str  # CHECKSUMS_FILE or MANIFEST_JSON
    where: str  # "SHA256SUMS line 3", "manifest.json packages[0]"
    sha256: str | None
    md5: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class _Manifest:
    top: str | None  # "{name}-{version}" when both are strings
    packages: tuple[_Listed, ...]


@dataclass(frozen=True)
class _Digest:
    size: int
    md5: str
    sha256: str


_Kind = Literal["file", "directory", "symlink", "hardlink", "device", "fifo", "other"]


@dataclass(frozen=True)
class _Entry:
    name: str
    kind: _Kind
    mode: int | None  # permission bits; None for a zip entry without unix attributes
    stream: IO[bytes] | None  # the member's bytes, regular files only; read before the next


class _Damaged(Exception):
    """An archive that the standard library reads without complaint but is not whole."""


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
        self.digests: dict[str, _Digest | OSError] = {}
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
                f"nothing to verify in {self.directory}: neither {CHECKSUMS_FILE} nor "
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
                        f"{CHECKSUMS_FILE}; rebuild the plugin with plugin-build build",
                        path=CHECKSUMS_FILE,
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
                f"no archive of {contents.top} is listed in {CHECKSUMS_FILE} or {MANIFEST_JSON}; "
                f"build {source} into {self.directory} with plugin-build build",
            )

    # -- SHA256SUMS and manifest.json ---------------------------------------

    def read_checksums(self) -> list[_Listed] | None:
        """The lines of SHA256SUMS, or None when there is no such file."""
        path = self.directory / CHECKSUMS_FILE
        if not os.path.lexists(path):
            return None
        entries: list[_Listed] = []
        malformed = 0
        try:
            with _open_regular(path) as f:
                number = 0
                while raw := f.readline(_MAX_LINE + 1):
                    number += 1
                    if len(raw) > _MAX_LINE and not raw.endswith(b"\n"):
                        while (rest := f.readline(_CHUNK)) and not rest.endswith(b"\n"):
                            pass  # skip the rest of an overlong line
                    problem, entry = _parse_line(raw, number, too_long=len(raw) > _MAX_LINE)
                    if entry is not None:
                        entries.append(entry)
                    elif problem is not None:
                        malformed += 1
                        if malformed <= _MAX_MALFORMED:
                            self.add(Code.READ_ERROR, problem, path=CHECKSUMS_FILE, line=number)
        except OSError as exc:
            self.add(
                Code.READ_ERROR,
                f"cannot read {CHECKSUMS_FILE}: {_reason(exc)}; make it a readable file",
                path=CHECKSUMS_FILE,
            )
            return entries
        if malformed > _MAX_MALFORMED:
            self.add(
                Code.READ_ERROR,
                f"{CHECKSUMS_FILE} has {malformed - _MAX_MALFORMED} more malformed lines; "
                "regenerate it with plugin-build build",
                path=CHECKSUMS_FILE,
            )
        if not entries and not malformed:
            self.add(
                Code.CHECKSUM_MISSING,
                f"{CHECKSUMS_FILE} lists no files; regenerate it with plugin-build build",
                path=CHECKSUMS_FILE,
            )
        return entries

    def read_manifest(self) -> _Manifest | None:
        """The packages manifest.json lists, or None when there is no such file."""
        path = self.directory / MANIFEST_JSON
        if not os.path.lexists(path):
            return None
        empty = _Manifest(None, ())
        try:
            with _open_regular(path) as f:
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

    def digest(self, name: str) -> _Digest | OSError:
        cached = self.digests.get(name)
        if cached is None:
            try:
                cached = _hash_file(self.directory / name)
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

        entries = _tar_entries(path) if name.endswith(".tar.gz") else _zip_entries(path)
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
                    unsafe(member, f"is a {_KIND_NAMES[entry.kind]}, not a regular file")
                    continue
                # Read every regular member through: zipfile checks each CRC only at the end.
                sha256 = _hash_stream(entry.stream)
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
        except _UNREADABLE as exc:
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
                with _open_regular(member.source, follow=False) as f:
                    self.source_hashes[member.source] = _hash_stream(f)
            except OSError as exc:
                self.add(
                    Code.READ_ERROR,
                    f"cannot read source file {member.source}: {_reason(exc)}; make it "
                    "a readable regular file",
                    path=member.source.as_posix(),
                )
                self.source_hashes[member.source] = None
        return self.source_hashes[member.source]


# -- archive readers ---------------------------------------------------------

_UNREADABLE: Final = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,  # a gzip stream cut short
    ValueError,  # includes undecodable names
    RuntimeError,  # encrypted or unsupported zip members, runaway recursion
    _Damaged,
)
_KIND_NAMES: Final[dict[_Kind, str]] = {
    "file": "regular file",
    "directory": "directory",
    "symlink": "symbolic link",
    "hardlink": "hard link",
    "device": "device file",
    "fifo": "FIFO",
    "other": "special entry",
}


class _Tail(io.RawIOBase):
    """gzip's output as tarfile reads it, keeping the last bytes handed over.

    tarfile ends quietly at the first block that is not a valid header, so a
    damaged header would silently hide the rest. The kept tail lets the reader
    check that the block tarfile stopped at, and all after it, are zero padding.
    """

    def __init__(self, inner: gzip.GzipFile) -> None:
        super().__init__()
        self.inner = inner
        self.position = 0
        self.kept = bytearray()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        data = self.inner.read(size)
        self.position += len(data)
        self.kept += data
        if len(self.kept) > 2 * _TAIL_KEEP:
            del self.kept[:-_TAIL_KEEP]
        return data


def _tar_entries(path: Path) -> Generator[_Entry, None, None]:
    with _open_regular(path) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
        tail = _Tail(gz)
        with tarfile.open(fileobj=tail, mode="r|") as tar:
            for info in tar:
                kind = _tar_kind(info)
                stream = tar.extractfile(info) if kind == "file" else None
                yield _Entry(info.name, kind, stat.S_IMODE(info.mode), stream)
            end = tar.offset  # where the block that ended the listing starts
        start = len(tail.kept) - (tail.position - end)
        if start < 0:
            raise _Damaged("cannot inspect the end of the archive")
        rest = bytes(tail.kept[start:])
        padding = 0
        # Reading gz to its end also makes gzip check its CRC and length.
        while rest:
            if rest.count(0) != len(rest):
                raise _Damaged("a damaged header or data after the end-of-archive marker")
            padding += len(rest)
            rest = gz.read(_CHUNK)
        if padding < _END_OF_TAR:
            raise _Damaged("it ends without the end-of-archive marker")


def _tar_kind(info: tarfile.TarInfo) -> _Kind:
    if info.isreg():
        return "file"
    if info.isdir():
        return "directory"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    if info.ischr() or info.isblk():
        return "device"
    if info.isfifo():
        return "fifo"
    return "other"


def _zip_entries(path: Path) -> Generator[_Entry, None, None]:
    with _open_regular(path) as raw, zipfile.ZipFile(raw) as archive:
        for info in archive.infolist():
            unix = info.external_attr >> 16
            kind = _zip_kind(info, stat.S_IFMT(unix))
            mode = stat.S_IMODE(unix) if unix else None
            if kind != "file":
                yield _Entry(info.filename, kind, mode, None)
                continue
            # Only what the build writes; other methods would bring their own errors.
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _Damaged(
                    f"member {info.filename} uses compression method {info.compress_type}, "
                    "not stored or deflate"
                )
            with archive.open(info) as stream:
                yield _Entry(info.filename, kind, mode, stream)


def _zip_kind(info: zipfile.ZipInfo, file_type: int) -> _Kind:
    if info.filename.endswith("/") or file_type == stat.S_IFDIR:
        return "directory"
    if file_type in (0, stat.S_IFREG):  # 0: written without unix attributes
        return "file"
    if file_type == stat.S_IFLNK:
        return "symlink"
    if file_type in (stat.S_IFCHR, stat.S_IFBLK):
        return "device"
    if file_type == stat.S_IFIFO:
        return "fifo"
    return "other"


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
        return f"{CHECKSUMS_FILE} line {number} is too long to be a checksum line; {fix}", None
    text_bytes = raw.removesuffix(b"\n")
    if not text_bytes.strip():
        return None, None
    if text_bytes.endswith(b"\r"):
        return (
            f"{CHECKSUMS_FILE} line {number} ends with a carriage return; "
            "write the file with LF line endings",
            None,
        )
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return f"{CHECKSUMS_FILE} line {number} is not UTF-8 text; {fix}", None
    match = _LINE.fullmatch(text)
    if match is None:
        return f"{CHECKSUMS_FILE} line {number} is not a checksum line; {fix}", None
    sha256, name = match.group(1).lower(), match.group(2)
    if _unsafe_file_name(name):
        return (
            f"{CHECKSUMS_FILE} line {number} names {name!r}, which is not a bare file name "
            "in this directory; list bare file names only",
            None,
        )
    return None, _Listed(name, CHECKSUMS_FILE, f"{CHECKSUMS_FILE} line {number}", sha256)


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


def _open_regular(path: Path, *, follow: bool = True) -> IO[bytes]:
    """Open a regular file for reading; never block on a FIFO or read a device."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _hash_stream(stream: IO[bytes]) -> str:
    sha256 = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        sha256.update(chunk)
    return sha256.hexdigest()


def _hash_file(path: Path) -> _Digest:
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with _open_regular(path) as f:
        while chunk := f.read(_CHUNK):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return _Digest(size, md5.hexdigest(), sha256.hexdigest())


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
