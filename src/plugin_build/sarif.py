"""Diagnostics as SARIF 2.1.0, the format GitHub code scanning takes.

One run, tool ``plugin-build``; a rule per diagnostic code that occurs (the
code is the rule id, its description from :data:`DESCRIPTIONS`); every result
has exactly one location, a path relative to the repository root (``%SRCROOT%``)
with a line, since code scanning drops a result without one: a finding about
a whole plugin is placed on its manifest, a finding about a whole file on its
line 1. The repository root is the nearest directory above the working
directory that holds ``.git``, else the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from . import __version__
from .diagnostics import DESCRIPTIONS, Diagnostic, sorted_diagnostics
from .escape import json_text

SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT: Final = "%SRCROOT%"
Findings = Iterable[tuple[Path, Sequence[Diagnostic], str | None]]  # root, diagnostics, manifest


def repository_root(start: Path | None = None) -> Path:
    """The git work tree holding ``start`` (default: the working directory), else ``start``."""
    here = Path(os.path.abspath(start if start is not None else os.getcwd()))
    for directory in (here, *here.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return here


def render_sarif(findings: Findings, *, base: Path | None = None) -> str:
    """One SARIF log of every plugin's diagnostics; paths relative to ``base`` (default:
    :func:`repository_root`)."""
    root = Path(os.path.abspath(base)) if base is not None else repository_root()
    results: list[dict[str, Any]] = []
    rules: dict[str, int] = {}
    for plugin, diagnostics, manifest in findings:
        for d in sorted_diagnostics(diagnostics):
            index = rules.setdefault(d.code, len(rules))
            results.append(_result(d, index, _uri(root, plugin, d, manifest)))
    driver: dict[str, Any] = {
        "name": "plugin-build",
        "version": __version__,
        "rules": [_rule(code) for code in rules],
    }
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json_text(log)


def _rule(code: str) -> dict[str, Any]:
    text = DESCRIPTIONS.get(code, code)
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.split("-")),
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {"text": f"{text}. The message of each result says the fix."},
    }


def _result(d: Diagnostic, rule_index: int, uri: tuple[str, bool]) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": d.line or 1}
    if d.line is not None and d.column is not None:
        region["startColumn"] = d.column
    artifact = {"uri": uri[0], "uriBaseId": SRCROOT} if uri[1] else {"uri": uri[0]}
    location: dict[str, Any] = {"artifactLocation": artifact, "region": region}
    return {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": "error" if d.is_error else "warning",
        "message": {"text": d.message},
        "locations": [{"physicalLocation": location}],
    }


def _uri(root: Path, plugin: Path, d: Diagnostic, manifest: str | None) -> tuple[str, bool]:
    """The file as a URI reference relative to the repository root (True), or an
    absolute ``file:`` URI outside it (False); a finding about the plugin directory
    is placed on its manifest."""
    relative = d.path.rstrip("/") if d.path else (manifest or "manifest.toml")
    target = Path(os.path.abspath(plugin)) / relative
    try:
        inside = target.relative_to(root)
    except ValueError:
        return target.as_uri(), False
    # names that are not UTF-8 are surrogate-escaped: quote their bytes
    return quote(os.fsencode(inside.as_posix()), safe="/"), True
