"""The source plugin's side of ``verify --source``: what its archives must hold.

:func:`load_source` validates the plugin and works out the members ``build``
would package; :class:`SourcePlugin` compares an archive's members with them
(bytes and exec bit, each source file hashed once for all archives) and tells
an archive of another version of the same plugin by its name. The validator
is imported only here, and only when there is a source to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Code, Diagnostic
from .fileio import open_regular, reason, sha256_stream
from .listing import SUFFIXES, strip_suffix
from .semver import is_valid_version

if TYPE_CHECKING:
    from .archive import Member  # archive.py imports the validator

__all__ = ["SourcePlugin", "load_source"]


@dataclass
class SourcePlugin:
    root: Path
    name: str
    version: str
    members: Mapping[str, Member]  # by archive path, "{name}-{version}/{relpath}"
    diagnostics: list[Diagnostic] = field(default_factory=list)  # source files not read
    _hashes: dict[str | Path, str | None] = field(default_factory=dict)

    @property
    def top(self) -> str:
        return f"{self.name}-{self.version}"

    def other_version(self, archive: str) -> str | None:
        """The version of this plugin ``archive`` is named for, when it is another one."""
        stem = strip_suffix(archive)
        if not archive.endswith(SUFFIXES) or not stem.startswith(f"{self.name}-"):
            return None
        version = stem[len(self.name) + 1 :]
        return version if version != self.version and is_valid_version(version) else None

    def differences(self, path: str, sha256: str, mode: int | None) -> list[tuple[str, str]]:
        """(kind, problem) for each way member ``path`` differs from the source file."""
        wanted = self.members.get(path)
        if wanted is None:
            return [
                ("not in the source", "is in the archive but is not a file of the source plugin")
            ]
        found = []
        source_sha256 = self._sha256(wanted)
        if source_sha256 is not None and source_sha256 != sha256:
            found.append(("different bytes", f"differs from the source file {wanted.source}"))
        executable = mode is not None and bool(mode & 0o111)
        if executable != wanted.executable:
            stored = "0755" if executable else "0644"
            source = "executable" if wanted.executable else "not executable"
            found.append(("exec bits", f"is stored {stored} but the source file is {source}"))
        return found

    def _sha256(self, member: Member) -> str | None:
        if member.source not in self._hashes:
            try:
                with open_regular(member.source, follow=False) as f:
                    self._hashes[member.source] = sha256_stream(f)
            except OSError as exc:
                self.diagnostics.append(
                    Diagnostic(
                        Code.READ_ERROR,
                        f"cannot read source file {member.source}: {reason(exc)}; make it "
                        "a readable regular file",
                        path=Path(member.source).as_posix(),
                    )
                )
                self._hashes[member.source] = None
        return self._hashes[member.source]


def load_source(root: Path, *, prune: Path) -> tuple[SourcePlugin | None, list[Diagnostic]]:
    """What ``build`` would package from ``root``; None (and why) when nothing.

    ``prune`` (the directory being verified) is left out, as ``build`` leaves
    out its own output directory.
    """
    from .contents import plugin_contents
    from .selection import SelectionError
    from .validate import validate_plugin

    report = validate_plugin(root, prune=[prune])
    if report.buildable and report.name is not None and report.version is not None:
        try:
            contents = plugin_contents(report, prune=[prune])
        except SelectionError as exc:
            return None, [
                Diagnostic(
                    Code.READ_ERROR, f"cannot read source plugin {root}: {exc}; make it readable"
                )
            ]
        members = {m.name: m for m in contents.members}
        return SourcePlugin(root, report.name, report.version, members), []
    # Build refuses this source, so no archive can match it; say why, pointing into it.
    found = [
        Diagnostic(
            Code.ARCHIVE_CONTENT_MISMATCH,
            f"source plugin {root} is not valid, so no archive can match it; fix its "
            f"errors (plugin-build validate {root}), then rebuild",
        )
    ]
    for diagnostic in report.diagnostics:
        where = root / diagnostic.path if diagnostic.path else root
        found.append(diagnostic._replace(path=where.as_posix()))
    return None, found
