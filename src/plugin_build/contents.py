"""What goes into a plugin's archives: the top folder and the member files."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from . import betty
from .archive import Member
from .selection import Selection
from .validate import PluginReport


@dataclass(frozen=True)
class Contents:
    top: str  # "{name}-{version}", the one folder at the archive root
    selection: Selection
    members: tuple[Member, ...]  # sorted by archive path


def plugin_contents(report: PluginReport, *, prune: Collection[Path] = ()) -> Contents:
    """The archive contents of a buildable plugin (``report.buildable``).

    ``manifest.toml`` plugins package the SDK's selection (computed by
    validation, with ``prune`` already applied); ``plugin.yaml`` plugins the
    file set of seed 000.
    """
    if not report.buildable or report.name is None or report.version is None:
        raise ValueError(f"plugin at {report.root} is not buildable")
    if report.betty is not None:
        selection = betty.gather(report.root, report.betty, prune=prune)
    else:
        assert report.selection is not None  # buildable manifest.toml plugins have one
        selection = report.selection
    top = f"{report.name}-{report.version}"
    members = tuple(
        Member(f"{top}/{f.relpath}", f.location, f.executable, f.rel) for f in selection.files
    )
    return Contents(top, selection, members)
