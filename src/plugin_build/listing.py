"""What an output directory says it holds: SHA256SUMS, manifest.json, and its archives.

:func:`read_listing` parses both listing files (either may be missing) into
:class:`Listed` claims about files, with a diagnostic for every malformed line
or field; :func:`archive_files` names the archives actually present, so that
one no listing names can be reported.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .diagnostics import Code, Diagnostic, render_field
from .fileio import CHUNK, first_line, open_regular, reason
from .outputs import MANIFEST_JSON, SHA256SUMS, SHA256SUMS_LINE

__all__ = ["SUFFIXES", "Listed", "Listing", "archive_files", "read_listing", "strip_suffix"]

SUFFIXES: Final = (".tar.gz", ".zip")
_MAX_LINE: Final = 4096  # a checksum line is ~100 bytes; longer is not one
_MAX_MALFORMED: Final = 10  # then one summary, so a binary file does not flood the output
_MAX_MANIFEST: Final = 16 << 20  # manifest.json is small metadata, parsed whole
_DRIVE: Final = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class Listed:
    """A file named by SHA256SUMS or manifest.json, with what that file claims about it."""

    name: str
    file: str  # SHA256SUMS or MANIFEST_JSON
    where: str  # "SHA256SUMS line 3", "manifest.json packages[0]"
    sha256: str | None
    md5: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Listing:
    sums: tuple[Listed, ...] | None  # None: there is no SHA256SUMS
    packages: tuple[Listed, ...] | None  # None: there is no manifest.json
    top: str | None  # manifest.json's "{name}-{version}", when both are strings
    diagnostics: tuple[Diagnostic, ...]

    def by_name(self) -> dict[str, list[Listed]]:
        """Every listed file name, sorted, with all the claims about it."""
        claims: dict[str, list[Listed]] = {}
        for entry in (*(self.sums or ()), *(self.packages or ())):
            claims.setdefault(entry.name, []).append(entry)
        return dict(sorted(claims.items()))


def read_listing(directory: Path) -> Listing:
    reader = _Reader(directory)
    sums = reader.checksums()
    packages, top = reader.manifest()
    if sums is not None and packages is not None:
        in_sums = {entry.name for entry in sums}
        for package in packages:
            if package.name not in in_sums:
                reader.add(
                    Code.CHECKSUM_MISSING,
                    f"{package.name} is listed in {MANIFEST_JSON} but has no line in "
                    f"{SHA256SUMS}; rebuild the plugin with plugin-build build",
                    path=SHA256SUMS,
                )
    return Listing(
        None if sums is None else tuple(sums),
        None if packages is None else tuple(packages),
        top,
        tuple(reader.diagnostics),
    )


def archive_files(directory: Path) -> list[str]:
    """Names of the archives in ``directory``, sorted; hidden names (a build's temp
    files) are not archives yet."""
    names = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.endswith(SUFFIXES) and not entry.name.startswith("."):
                try:
                    if entry.is_file():
                        names.append(entry.name)
                except OSError:
                    continue  # vanished, or a link we may not follow: not an archive here
    return sorted(names)


def strip_suffix(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


class _Reader:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.diagnostics: list[Diagnostic] = []

    def add(
        self,
        code: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.diagnostics.append(Diagnostic(code, message, path=path, line=line, field=field))

    # -- SHA256SUMS ---------------------------------------------------------

    def checksums(self) -> list[Listed] | None:
        """The lines of SHA256SUMS, or None when there is no such file."""
        path = self.directory / SHA256SUMS
        if not os.path.lexists(path):
            return None
        entries: list[Listed] = []
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
                f"cannot read {SHA256SUMS}: {reason(exc)}; make it a readable file",
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

    # -- manifest.json ------------------------------------------------------

    def manifest(self) -> tuple[list[Listed] | None, str | None]:
        """(packages, top) of manifest.json; (None, None) when there is no such file."""
        path = self.directory / MANIFEST_JSON
        if not os.path.lexists(path):
            return None, None
        try:
            with open_regular(path) as f:
                raw = f.read(_MAX_MANIFEST + 1)
        except OSError as exc:
            self.add(
                Code.READ_ERROR,
                f"cannot read {MANIFEST_JSON}: {reason(exc)}; make it a readable file",
                path=MANIFEST_JSON,
            )
            return [], None
        if len(raw) > _MAX_MANIFEST:
            self.add(
                Code.READ_ERROR,
                f"{MANIFEST_JSON} is over {_MAX_MANIFEST >> 20} MiB, too large to be a build "
                "manifest; regenerate it with plugin-build build",
                path=MANIFEST_JSON,
            )
            return [], None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
            self.add(
                Code.READ_ERROR,
                f"{MANIFEST_JSON} is not valid JSON ({first_line(exc)}); "
                "regenerate it with plugin-build build",
                path=MANIFEST_JSON,
                line=line,
            )
            return [], None
        if not isinstance(data, dict):
            self.manifest_field((), "must be a JSON object")
            return [], None

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
                return [], top
            listed = [self.manifest_package(p, ("packages", i)) for i, p in enumerate(packages)]
            first, package = packages[0], data.get("package")
            if package is not None and _package_key(package) != _package_key(first):
                self.manifest_field(("package",), "does not match packages[0]")
        elif "package" in data:
            listed = [self.manifest_package(data["package"], ("package",))]
        else:
            self.manifest_field((), "lists no archive (it has neither packages nor package)")
            return [], top
        return [p for p in listed if p is not None], top

    def manifest_package(self, value: object, where: tuple[str | int, ...]) -> Listed | None:
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
        return Listed(
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


def _parse_line(raw: bytes, number: int, *, too_long: bool) -> tuple[str | None, Listed | None]:
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
    return None, Listed(name, SHA256SUMS, f"{SHA256SUMS} line {number}", sha256)


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


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
