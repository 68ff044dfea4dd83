"""The ``build`` command of the CLI: PATHs in, :func:`batch.build_plugins`, results out.

The log (seed 000's lines) and the diagnostics (validate's lines, relative to
the working directory) go to stderr; stdout carries only a document asked for
with ``--output-format json`` or ``sarif``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .batch import BatchResult, OutputLayoutError, build_plugins
from .build import FORMAT_CHOICES, plugin_root
from .diagnostics import Diagnostic
from .discover import display_path, plugin_roots, unique_roots
from .escape import json_text, printable
from .outputs import SHA256SUMS
from .progress import Console
from .reporters import format_diagnostic, use_color
from .validate import MANIFEST_NAMES

EXIT_OK, EXIT_INVALID = 0, 1


def build(args: argparse.Namespace, usage_error: Callable[[str], Exception]) -> int:
    formats = FORMAT_CHOICES.get(args.format)
    if formats is None:
        raise usage_error(f"Unsupported output format {args.format!r}: use tar.gz, zip or all")
    targets = build_targets(args.paths, args.exclude, usage_error)
    console = Console(sys.stderr, progress=args.output_format == "text")
    color = use_color(sys.stderr)

    def show(root: Path, diagnostics: Sequence[Diagnostic]) -> None:
        for d in diagnostics:
            console.line(format_diagnostic(root, d, color=color))

    try:
        batch = build_plugins(
            targets,
            formats=formats,
            output_dir=Path(args.output_dir),
            log=console.log,
            report=show,
            progress=console.progress if console.show_progress else None,
            strict=args.strict,
            explorer=args.explorer,
        )
    except OutputLayoutError as exc:
        raise usage_error(str(exc)) from None
    finally:
        console.close()
    if len(targets) > 1:
        console.log(*_batch_summary(batch, args.output_dir))
    if args.output_format == "json":
        sys.stdout.write(json_text(_document(batch)))
    elif args.output_format == "sarif":
        from .sarif import render_sarif

        sys.stdout.write(render_sarif(_findings(batch)))
    return EXIT_OK if batch.ok else EXIT_INVALID


def build_targets(
    paths: Sequence[str], exclude: Sequence[str], usage_error: Callable[[str], Exception]
) -> list[Path]:
    """The plugins the PATHs name, each once: a manifest file names its plugin (and
    which manifest), anything else is resolved as validate resolves it."""
    targets: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.name in MANIFEST_NAMES and not path.is_dir() and path.parent.is_dir():
            targets.append(path)  # build_plugin says so if the named manifest is missing
            continue
        if not os.path.lexists(path):
            raise usage_error(f"no such file or directory: {raw}")
        targets.extend(plugin_roots([path], exclude))
    chosen = {os.path.abspath(plugin_root(t)): t for t in reversed(targets)}  # first wins
    return [chosen[os.path.abspath(root)] for root in unique_roots(plugin_root(t) for t in targets)]


def _batch_summary(batch: BatchResult, output_dir: str) -> tuple[str, str]:
    failed = sum(not result.ok for _, result in batch.results)
    built = len(batch.results) - failed
    line = f"📦 Built {built} of {len(batch.results)} plugins into {output_dir}"
    if batch.checksums is not None:
        line += f"; {SHA256SUMS} lists {len(batch.packages)} archives"
    if failed:
        names = ", ".join(display_path(plugin_root(p)) for p, r in batch.results if not r.ok)
        return "ERROR", f"❌ {line}; {failed} failed: {printable(names)}"
    return "INFO", line


def _document(batch: BatchResult) -> dict[str, Any]:
    """Seed 000's result document for one plugin; for several, one per plugin."""
    if len(batch.results) == 1:
        return batch.results[0][1].as_dict()
    return {
        "ok": batch.ok,
        "plugins": [
            {"path": display_path(plugin_root(path)), **result.as_dict()}
            for path, result in batch.results
        ],
        "checksums_path": str(batch.checksums) if batch.checksums else None,
    }


def _findings(batch: BatchResult) -> list[tuple[Path, Sequence[Diagnostic], str | None]]:
    return [
        (plugin_root(path), result.diagnostics, result.report.format if result.report else None)
        for path, result in batch.results
    ]
