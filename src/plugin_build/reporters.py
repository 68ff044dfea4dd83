"""Render validation reports as text lines, one JSON document, or SARIF (:mod:`sarif`).

Every reporter lists a plugin's diagnostics in reading order: by file, then
line, then column (:func:`plugin_build.diagnostics.sorted_diagnostics`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .diagnostics import Diagnostic, sorted_diagnostics
from .escape import json_text, printable

if TYPE_CHECKING:
    from .validate import PluginReport

_COLORS = {"error": "31;1", "warning": "33;1", "dim": "2", "ok": "32;1"}


def use_color(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal; ``NO_COLOR`` wins, ``FORCE_COLOR`` forces it."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(text: str, style: str, color: bool) -> str:
    return f"\033[{_COLORS[style]}m{text}\033[0m" if color else text


def diagnostic_location(root: Path, diagnostic: Diagnostic) -> str:
    """``PATH[:LINE[:COL]]`` with PATH as the user can open it."""
    # Here, not at the top: discover imports the validator, which verify does not need.
    from .discover import display_path

    shown = display_path(root / diagnostic.path if diagnostic.path else root)
    if diagnostic.path and diagnostic.path.endswith("/"):
        shown += "/"
    if diagnostic.line is not None:
        shown += f":{diagnostic.line}"
        if diagnostic.column is not None:
            shown += f":{diagnostic.column}"
    return shown


def format_diagnostic(root: Path, diagnostic: Diagnostic, *, color: bool = False) -> str:
    """One line, names escaped (:mod:`plugin_build.escape`), then coloured."""
    severity = _paint(f"{diagnostic.severity}[{diagnostic.code}]", diagnostic.severity, color)
    location = printable(diagnostic_location(root, diagnostic))
    return f"{location}: {severity} {printable(diagnostic.message)}"


def passed(report: PluginReport, *, strict: bool = False) -> bool:
    """Valid, and under ``--strict`` without a warning either."""
    return report.ok and not (strict and report.diagnostics)


def render_text(
    reports: Sequence[PluginReport], *, color: bool = False, strict: bool = False
) -> str:
    lines = [
        format_diagnostic(r.root, d, color=color)
        for r in reports
        for d in sorted_diagnostics(r.diagnostics)
    ]
    lines.append(summary(reports, color=color, strict=strict))
    return "\n".join(lines) + "\n"


def summary(reports: Sequence[PluginReport], *, color: bool = False, strict: bool = False) -> str:
    errors = sum(d.is_error for r in reports for d in r.diagnostics)
    warnings = sum(not d.is_error for r in reports for d in r.diagnostics)
    invalid = sum(not r.ok for r in reports)
    failed = sum(not passed(r, strict=strict) for r in reports)
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    checked = f"checked {_plural(len(reports), 'plugin')}"
    if invalid:
        verdict = _paint(f"{invalid} invalid", "error", color)
    elif failed:
        verdict = _paint(f"{failed} with warnings, which --strict refuses", "error", color)
    else:
        verdict = _paint("all valid", "ok", color)
    return f"{checked}: {verdict} ({counts})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def report_as_dict(report: PluginReport) -> dict[str, object]:
    """The per-plugin JSON object of SPEC §3."""
    from .discover import display_path

    return {
        "root": display_path(report.root),
        "format": report.format,
        "name": report.name,
        "version": report.version,
        "entry_point": report.entry_point,
        "triggers": list(report.triggers),
        "ok": report.ok,
        "diagnostics": [d.as_dict() for d in sorted_diagnostics(report.diagnostics)],
    }


def render_json(reports: Sequence[PluginReport], *, strict: bool = False) -> str:
    document = {
        "ok": all(passed(r, strict=strict) for r in reports),
        "plugins": [report_as_dict(r) for r in reports],
    }
    return json_text(document)


def render_sarif(reports: Sequence[PluginReport]) -> str:
    """Validation reports as one SARIF log (:mod:`plugin_build.sarif`)."""
    from .sarif import render_sarif as render

    return render((r.root, r.diagnostics, r.format) for r in reports)


def render(
    reports: Sequence[PluginReport],
    output_format: str,
    *,
    color: bool = False,
    strict: bool = False,
) -> str:
    """The validation reports in an ``--output-format``: text, json or sarif."""
    if output_format == "json":
        return render_json(reports, strict=strict)
    if output_format == "sarif":
        return render_sarif(reports)
    return render_text(reports, color=color, strict=strict)
