"""The GitHub Action's publish step: env inputs → plan → (upload) → outputs and summary.

Runs when the ``registry`` input is set: the same plan and execution as
``plugin-build publish`` (:mod:`plugin_build.publish`). With ``dry-run: 'true'`` it is
the pull-request check: the version guard runs, nothing is uploaded, and the step fails
exactly when the real publish would refuse.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .action import InputError, annotate_findings, append_summary, cell, write_outputs
from .diagnostics import Diagnostic
from .discover import PluginPathError, resolve_plugins
from .escape import printable
from .outputs import TimestampError
from .publish import Plan, execute, plan_publish, published_at
from .registry import RegistryError, open_registry
from .validate import validate_plugins


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(f"PLUGIN_BUILD_{name}", "false").strip().lower() or "false"
    if value not in ("true", "false"):
        raise InputError(
            f"{name.lower().replace('_', '-')}: expected 'true' or 'false', not {value!r}"
        )
    return value == "true"


def run_publish(environ: Mapping[str, str], workspace: Path) -> int:
    spec = environ.get("PLUGIN_BUILD_REGISTRY", "").strip()
    paths = [line.strip() for line in environ.get("PLUGIN_BUILD_PATH", ".").splitlines()]
    exclude = environ.get("PLUGIN_BUILD_EXCLUDE", "").split()
    try:
        dry_run = _flag(environ, "DRY_RUN")
        if not spec:
            raise InputError("registry: name a directory, a file:// URL or github:OWNER/REPO@TAG")
        roots = resolve_plugins([p for p in paths if p] or ["."], workspace, exclude)
        when = published_at(environ)
        registry = open_registry(spec, environ=environ)
        reports = validate_plugins(roots)
        with tempfile.TemporaryDirectory(prefix="plugin-build-publish-") as work:
            plan = plan_publish(
                reports, registry, Path(work), published=when, strict=_flag(environ, "STRICT")
            )
            error = None
            if plan.ok and not dry_run:
                try:
                    execute(plan, registry)
                except RegistryError as exc:
                    error = str(exc)
    except (InputError, PluginPathError, TimestampError, RegistryError) as exc:
        from actions_toolkit.command import issue_command

        issue_command("error", {"title": "plugin-build publish"}, printable(str(exc)))
        append_summary(f"## plugin-build publish\n\n**{cell(str(exc))}**\n", environ)
        return 1

    def shown(path: Path) -> str:
        try:
            return Path(os.path.relpath(path, workspace)).as_posix()
        except ValueError:
            return str(path)

    findings: list[tuple[Path, Diagnostic | str]] = [
        (item.report.root, d) for item in plan.items for d in item.report.diagnostics
    ]
    findings += [(workspace, d) for d in plan.problems]
    if error is not None:
        findings.append((workspace, error))
    annotate_findings(findings, shown)
    published = [] if error is not None or dry_run else plan.of("publish")
    write_outputs(
        {
            "published": json.dumps([f"{a.name}@{a.version}" for a in published]),
            "unchanged": json.dumps([f"{a.name}@{a.version}" for a in plan.of("unchanged")]),
            "index": plan.index_location,
        }
    )
    append_summary(summary(plan, dry_run=dry_run, error=error), environ)
    return 0 if plan.ok and error is None else 1


def summary(plan: Plan, *, dry_run: bool, error: str | None) -> str:
    """The plan as a Markdown table for ``$GITHUB_STEP_SUMMARY``."""
    title = "plan (dry run: nothing uploaded)" if dry_run else "publish"
    out = [f"## plugin-build {title}", "", f"Registry `{cell(plan.registry)}`", ""]
    if plan.items:
        out += ["| plugin | version | action | SHA-256 / reason |", "|---|---|---|---|"]
        for item in plan.items:
            errors = [d.message for d in item.report.diagnostics if d.is_error]
            if item.action == "refused":
                detail = cell("; ".join(errors) or "invalid")
            else:
                detail = f"`{item.sha256}`" if item.sha256 else ""
            name = cell(item.name or str(item.report.root.name))
            out.append(f"| {name} | {cell(item.version or '?')} | {item.action} | {detail} |")
        out.append("")
    for problem in plan.problems:
        out.append(f"**{cell(problem.message)}**")
    if error is not None:
        out.append(f"**publish failed: {cell(error)}**")
    elif not plan.ok:
        out.append("Nothing was uploaded: every plugin must be publishable or unchanged.")
    return "\n".join(out) + "\n"
