"""Verify a build's output directory: archives against SHA256SUMS, manifest.json and the source.

The steps, each in its own module: :mod:`.listing` reads what SHA256SUMS and
manifest.json claim and which archives are present; each listed file is
re-hashed here against those claims (in a thread, while the members are read);
:mod:`.members` reads each archive once and checks its members as extractors
would write them (:mod:`.fastread`, :mod:`.readback` and :mod:`.zipread` read,
:mod:`.membernames` resolves names); with a source plugin, :mod:`.sourcecheck`
says what its archives must hold. Nothing is extracted, everything is streamed
in pieces of at most 1 MiB, and memory does not grow with the number of members.
Every finding is a :class:`Diagnostic` whose ``path`` is the file in the
directory it is about; the CLI renders the :class:`VerifyResult`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .diagnostics import Code, Diagnostic, has_errors
from .fileio import Digests, file_digests, reason
from .listing import SUFFIXES, Listed, archive_files, read_listing, strip_suffix
from .members import check_members
from .outputs import MANIFEST_JSON, SHA256SUMS

if TYPE_CHECKING:
    from .sourcecheck import SourcePlugin

__all__ = ["VerifyResult", "verify_outputs"]

_DIGEST_CHUNK: Final = 256 << 10


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of verifying one output directory."""

    directory: Path
    archives: tuple[str, ...]  # archive file names that were opened and checked, sorted
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(list(self.diagnostics))


def verify_outputs(directory: Path, *, source: Path | None = None) -> VerifyResult:
    """Check every file SHA256SUMS and manifest.json name, every archive's members,
    and that no archive in the directory goes unlisted.

    With ``source`` (a plugin directory) each of that plugin's archives must hold
    exactly the files ``build`` would package, byte for byte, with the same exec
    bit, and an archive of another version of the plugin is an error.
    """
    directory = Path(directory)
    if not directory.is_dir():
        problem = Diagnostic(
            Code.READ_ERROR,
            f"{directory} is not a directory; pass the output directory of "
            "plugin-build build (dist/ by default)",
        )
        return VerifyResult(directory, (), (problem,))
    listing = read_listing(directory)
    diagnostics = list(listing.diagnostics)
    if listing.sums is None and listing.packages is None:
        diagnostics.append(
            Diagnostic(
                Code.CHECKSUM_MISSING,
                f"nothing to verify in {directory}: neither {SHA256SUMS} nor "
                f"{MANIFEST_JSON} exists; run plugin-build build, which writes both",
            )
        )
        return VerifyResult(directory, (), tuple(diagnostics))
    plugin: SourcePlugin | None = None
    if source is not None:
        from .sourcecheck import load_source  # the validator, only when it is needed

        plugin, found = load_source(Path(source), prune=directory)
        diagnostics.extend(found)

    claims = listing.by_name()
    in_manifest = {package.name for package in listing.packages or ()}
    archives = []
    # The listed files are hashed in a thread while the members are read here: hashlib
    # and zlib let go of the GIL. Without a source, reading the members has no lasting
    # effects, so an archive's members are read before its digest is known, and the
    # findings dropped if the file turns out unreadable; with one, after.
    digests = _Digester(directory, list(claims))
    for name, entries in claims.items():
        top = listing.top if listing.top and name in in_manifest else strip_suffix(name)
        early = None
        if plugin is None and name.endswith(SUFFIXES):
            early = check_members(directory, name, top)
        digest = digests.result(name)
        if not _check_listed(name, entries, digest, diagnostics) or not name.endswith(SUFFIXES):
            continue
        ours = plugin is not None and strip_suffix(name) == plugin.top
        archives.append(name)
        if early is None:
            early = check_members(directory, name, top, plugin if ours else None)
        diagnostics.extend(early)
        if plugin is not None:
            diagnostics.extend(plugin.diagnostics)  # source files it could not read
            plugin.diagnostics.clear()

    diagnostics.extend(_present(directory, claims, plugin))
    if plugin is not None and not any(
        strip_suffix(name) == plugin.top for name in claims if name.endswith(SUFFIXES)
    ):
        diagnostics.append(
            Diagnostic(
                Code.CHECKSUM_MISSING,
                f"no archive of {plugin.top} is listed in {SHA256SUMS} or {MANIFEST_JSON}; "
                f"build {source} into {directory} with plugin-build build",
            )
        )
    return VerifyResult(directory, tuple(sorted(archives)), tuple(diagnostics))


class _Digester:
    """:func:`file_digests` of each of ``names`` in ``directory``, in that order, in a thread."""

    def __init__(self, directory: Path, names: list[str]) -> None:
        self._directory, self._names = directory, names
        self._done: dict[str, Digests | OSError] = {}
        self._failure: BaseException | None = None
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="verify-digests", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for name in self._names:
            try:
                # Smaller pieces than usual: these are in memory beside the members'.
                path = self._directory / name
                found: Digests | OSError = file_digests(path, chunk_size=_DIGEST_CHUNK)
            except OSError as exc:
                found = exc
            except BaseException as exc:  # a bug: raised again where the result is used
                with self._ready:
                    self._failure = exc
                    self._ready.notify_all()
                return
            with self._ready:
                self._done[name] = found
                self._ready.notify_all()

    def result(self, name: str) -> Digests | OSError:
        with self._ready:
            while name not in self._done:
                if self._failure is not None:
                    raise self._failure
                self._ready.wait()
            return self._done.pop(name)


def _check_listed(
    name: str, entries: list[Listed], digest: Digests | OSError, diagnostics: list[Diagnostic]
) -> bool:
    """Size and checksums of one listed file; False when it cannot be read."""
    if isinstance(digest, OSError):
        exc = digest
        files = " and ".join(dict.fromkeys(e.file for e in entries))
        if isinstance(exc, FileNotFoundError):
            message = (
                f"{name} is listed in {files} but is not in the directory; copy it here "
                "or rebuild the plugin with plugin-build build"
            )
            diagnostics.append(Diagnostic(Code.CHECKSUM_MISSING, message, path=name))
        else:
            message = f"cannot read {name}: {reason(exc)}; make it a readable regular file"
            diagnostics.append(Diagnostic(Code.READ_ERROR, message, path=name))
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
            diagnostics.append(
                Diagnostic(
                    Code.CHECKSUM_MISMATCH,
                    f"{name} does not match the {' and '.join(wrong)} in {entry.where}; "
                    "fetch an intact copy or rebuild the plugin with plugin-build build",
                    path=name,
                )
            )
    return True


def _present(
    directory: Path, claims: dict[str, list[Listed]], plugin: SourcePlugin | None
) -> list[Diagnostic]:
    """Archives in the directory that no listing names, or that are another version."""
    try:
        present = archive_files(directory)
    except OSError as exc:
        message = f"cannot list {directory}: {reason(exc)}; make it a readable directory"
        return [Diagnostic(Code.READ_ERROR, message)]
    found = []
    for name in present:
        if name not in claims:
            found.append(
                Diagnostic(
                    Code.CHECKSUM_MISSING,
                    f"{name} is in the directory but neither {SHA256SUMS} nor {MANIFEST_JSON} "
                    "lists it, so its integrity cannot be checked; delete it, or rebuild with "
                    "plugin-build build into this directory so that both list it",
                    path=name,
                )
            )
        version = plugin.other_version(name) if plugin is not None else None
        if plugin is not None and version is not None:
            found.append(
                Diagnostic(
                    Code.ARCHIVE_CONTENT_MISMATCH,
                    f"{name} is an archive of {plugin.name} {version}, not of the source's "
                    f"version {plugin.version}, so it cannot hold this source's files; move it "
                    "out of the directory, or verify it against that version's source",
                    path=name,
                )
            )
    return found
