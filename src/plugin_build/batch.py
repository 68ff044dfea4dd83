"""Several plugins built in one run: each into its own output directory, one checksum list.

One plugin builds into the output directory itself (seed 000); several build
into ``OUTPUT_DIR/<plugin directory>/`` each, since a directory holds one
plugin's ``manifest.json``, and ``OUTPUT_DIR/SHA256SUMS`` then lists every
archive by its path below ``OUTPUT_DIR``. The CLI's ``build PATH...`` and the
action share this.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .build import BuildResult, Log, Progress, Report, build_plugin, plugin_root
from .outputs import SHA256SUMS, ArchiveFormat, Package, render_sha256sums, write_atomic

_SAFE_DIR: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")


class OutputLayoutError(Exception):
    """Two plugins would build into one output directory."""


@dataclass
class BatchResult:
    """Every plugin's build, in the order named, and the combined checksum list."""

    results: list[tuple[Path, BuildResult]] = field(default_factory=list)
    checksums: Path | None = None

    @property
    def ok(self) -> bool:
        return all(result.ok for _, result in self.results)

    @property
    def packages(self) -> list[Package]:
        return [p for _, result in self.results for p in result.packages]


def output_subdirs(roots: Sequence[Path]) -> list[str]:
    """One output subdirectory per plugin, named after its directory, made safe: an
    unusual character becomes ``_``, so no path printed or passed on (the action's
    multi-line outputs) can gain a line or a control character from a directory name."""
    names = [
        root.name if _SAFE_DIR.match(root.name) else re.sub(r"[^A-Za-z0-9._+-]", "_", root.name)
        for root in roots
    ]
    for name, count in ((n, names.count(n)) for n in dict.fromkeys(names)):
        if count > 1:
            raise OutputLayoutError(
                f"{count} plugins would build into the output directory {name!r}; give the "
                "plugin directories distinct names"
            )
    return names


def build_plugins(
    paths: Sequence[Path],
    *,
    formats: Sequence[ArchiveFormat],
    output_dir: Path,
    log: Log | None = None,
    report: Report | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
    explorer: bool = False,
) -> BatchResult:
    """Build each plugin (a directory, or a manifest file naming one) in turn.

    Raises :class:`OutputLayoutError` before building anything when two plugins
    would share an output directory.
    """
    roots = [plugin_root(p) for p in paths]
    subdirs = output_subdirs(roots) if len(paths) > 1 else [""]
    batch = BatchResult()
    for path, subdir in zip(paths, subdirs, strict=True):
        result = build_plugin(
            path,
            formats=formats,
            output_dir=output_dir / subdir if subdir else output_dir,
            log=log,
            report=report,
            progress=progress,
            environ=environ,
            strict=strict,
            explorer=explorer,
        )
        batch.results.append((path, result))
    if len(paths) > 1 and batch.packages:
        out = Path(os.path.abspath(output_dir))
        digests = {Path(os.path.relpath(p.path, out)).as_posix(): p.sha256 for p in batch.packages}
        write_atomic(out / SHA256SUMS, render_sha256sums(digests).encode("utf-8"))
        batch.checksums = out / SHA256SUMS
    elif batch.packages:
        batch.checksums = batch.packages[0].path.parent / SHA256SUMS
    return batch
