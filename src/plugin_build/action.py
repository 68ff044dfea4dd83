"""The GitHub Action's Python side: env inputs → build → outputs, annotations, summary.

``action.yml`` only installs plugin-build and runs ``python -m plugin_build.action
build`` (and ``release`` for a release step); every rule lives here and in the
core. Inputs arrive as ``PLUGIN_BUILD_*`` environment variables set from
``env:`` in ``action.yml``, never interpolated into a script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .batch import BatchResult, OutputLayoutError, build_plugins
from .build import FORMAT_CHOICES, BuildResult
from .diagnostics import Diagnostic, strict_refusal
from .discover import PluginPathError, resolve_plugins
from .escape import UNSAFE, printable
from .outputs import (
    FORMATS,
    SHA256SUMS,
    ArchiveFormat,
    render_sha256sums,
    size_human,
)
from .programs import which
from .validate import MANIFEST_NAMES, validate_plugins

ANNOTATION_CAP: Final = 10  # per severity per step; the rest are in the job summary
# GitHub keeps only these characters in release asset names; anything else
# (the '+' of SemVer build metadata) would be renamed behind our back.
_ASSET_SAFE: Final = re.compile(r"[A-Za-z0-9._-]+")
_ARTIFACT_UNSAFE: Final = re.compile(r'["<>|*?\\/:\r\n]')


class InputError(Exception):
    """An action input that cannot be used; fails the step with its message."""


@dataclass(frozen=True)
class Inputs:
    paths: tuple[str, ...]
    formats: tuple[ArchiveFormat, ...]
    output_dir: Path
    upload: bool
    artifact_name: str
    release_tag: str
    exclude: tuple[str, ...] = ()
    build: bool = True  # False: validate, annotate and summarise only (a pull-request check)
    strict: bool = False  # warnings fail the step, and nothing with a warning is built
    explorer: bool = False  # the InfluxDB 3 Explorer metadata rules are checked too


def read_inputs(environ: Mapping[str, str]) -> Inputs:
    def get(name: str, default: str = "") -> str:
        return environ.get(f"PLUGIN_BUILD_{name}", default).strip()

    paths = tuple(line.strip() for line in get("PATH", ".").splitlines() if line.strip())
    formats: list[ArchiveFormat] = []
    for word in get("FORMATS", "tar.gz zip").replace(",", " ").split():
        chosen = FORMAT_CHOICES.get(word)
        if chosen is None:
            raise InputError(f"formats: unsupported format {word!r}; use tar.gz and/or zip")
        formats.extend(chosen)
    if not formats:
        raise InputError("formats: name at least one of tar.gz, zip")
    flags = {}
    for name, default in (
        ("UPLOAD", "true"),
        ("BUILD", "true"),
        ("STRICT", "false"),
        ("EXPLORER", "false"),
    ):
        value = get(name, default).lower() or default
        if value not in ("true", "false"):
            raise InputError(f"{name.lower()}: expected 'true' or 'false', not {value!r}")
        flags[name] = value == "true"
    output_dir = get("OUTPUT_DIR", "dist") or "dist"
    if UNSAFE.search(output_dir):
        raise InputError(
            f"output-dir: {printable(output_dir)!r} holds control characters; name a plain "
            "directory"
        )
    return Inputs(
        paths=paths or (".",),
        formats=tuple(f for f in FORMATS if f in formats),
        output_dir=Path(output_dir),
        upload=flags["UPLOAD"],
        artifact_name=get("ARTIFACT_NAME", "{name}-{version}") or "{name}-{version}",
        release_tag=get("RELEASE_TAG"),
        exclude=tuple(get("EXCLUDE").split()),
        build=flags["BUILD"],
        strict=flags["STRICT"],
        explorer=flags["EXPLORER"],
    )


@dataclass(kw_only=True)
class ActionRun(BatchResult):
    """What one action step built (every plugin's build and the checksum list), for
    outputs, annotations and the summary."""

    workspace: Path
    inputs: Inputs

    def shown(self, path: Path) -> str:
        """A path as later steps use it: relative to the workspace when inside."""
        try:
            return Path(os.path.relpath(path, self.workspace)).as_posix()
        except ValueError:  # another drive
            return str(path)


def run_build(inputs: Inputs, workspace: Path, environ: Mapping[str, str]) -> ActionRun:
    try:
        roots = resolve_plugins(inputs.paths, workspace, inputs.exclude)
    except PluginPathError as exc:
        raise InputError(str(exc)) from None
    out = inputs.output_dir if inputs.output_dir.is_absolute() else workspace / inputs.output_dir
    run = ActionRun(workspace=workspace, inputs=inputs)
    if not inputs.build:
        return _validate_only(run, roots)
    try:
        batch = build_plugins(
            roots,
            formats=inputs.formats,
            output_dir=out,
            environ=environ,
            strict=inputs.strict,
            explorer=inputs.explorer,
        )
    except OutputLayoutError as exc:
        raise InputError(str(exc)) from None
    run.results.extend(batch.results)
    run.checksums = batch.checksums
    return run


def _validate_only(run: ActionRun, roots: Sequence[Path]) -> ActionRun:
    """``build: 'false'``: every plugin validated, nothing built."""
    reports = validate_plugins(roots)
    if run.inputs.explorer:
        from .explorer import with_explorer

        reports = [with_explorer(r) for r in reports]
    for root, report in zip(roots, reports, strict=True):
        diagnostics = report.diagnostics
        refusal = strict_refusal(diagnostics, "the plugin") if run.inputs.strict else None
        if refusal is not None and report.ok:
            diagnostics = (*diagnostics, refusal)
        ok = report.ok and refusal is None
        run.results.append(
            (
                root,
                BuildResult(
                    "success" if ok else "failed",
                    report=report,
                    diagnostics=diagnostics,
                    error=None if ok else "validation failed",
                ),
            )
        )
    return run


def artifact_name(template: str, results: Sequence[tuple[Path, BuildResult]]) -> str:
    """The template rendered per plugin (``{name}``, ``{version}``), joined for several."""
    names = []
    for _, result in results:
        report = result.report
        if report is None:  # a failed build uploads nothing
            continue
        name = (report.name if report else None) or ""
        version = (report.version if report else None) or ""
        names.append(template.replace("{name}", name).replace("{version}", version))
    name = "_".join(dict.fromkeys(names))
    return _ARTIFACT_UNSAFE.sub("-", name)


# -- outputs, annotations, summary -----------------------------------------------------


def outputs(run: ActionRun) -> dict[str, str]:
    packages = [
        {
            "path": run.shown(p.path),
            "format": p.format,
            "sha256": p.sha256,
            "md5": p.md5,
            "size_bytes": p.size_bytes,
        }
        for p in run.packages
    ]
    manifests = [run.shown(r.manifest_path) for _, r in run.results if r.manifest_path]
    uploads = [run.shown(p.path) for p in run.packages]
    uploads += [run.shown(r.checksums_path) for _, r in run.results if r.checksums_path]
    uploads += manifests
    if run.checksums is not None and run.shown(run.checksums) not in uploads:
        uploads.append(run.shown(run.checksums))
    for path in (*uploads, *manifests):
        if UNSAFE.search(path):  # a line of a list output: never more than one line
            raise InputError(f"{printable(path)} cannot be passed on to later steps; rename it")
    return {
        "ok": "true" if run.ok else "false",
        "packages": json.dumps(packages),
        "checksums-file": run.shown(run.checksums) if run.checksums else "",
        "manifest": "\n".join(manifests),
        "artifact-name": artifact_name(run.inputs.artifact_name, run.results),
        "artifact-paths": "\n".join(dict.fromkeys(uploads)),
    }


def annotate(run: ActionRun) -> None:
    """Workflow commands for every diagnostic of the build, capped per severity."""
    findings: list[tuple[Path, Diagnostic | str]] = []
    for root, result in run.results:
        findings += [(root, d) for d in result.diagnostics]
        if not result.diagnostics and result.error:
            findings.append((root, result.error))
    annotate_findings(findings, run.shown)


def annotate_findings(
    findings: Iterable[tuple[Path, Diagnostic | str]], shown: Callable[[Path], str]
) -> None:
    """A workflow command per finding (a diagnostic, or a failure message about a plugin
    root), at most ANNOTATION_CAP per severity, then a notice of how many more."""
    # actions-toolkit's core.error() writes every property, empty ones too
    # (`line=,col=`); its issue_command() takes exactly the ones we have.
    from actions_toolkit.command import issue_command

    counts = {"error": 0, "warning": 0}
    for root, finding in findings:
        if isinstance(finding, str):
            where = {"file": printable(shown(root)), "title": "plugin-build"}
            issue_command("error", where, printable(finding))
            continue
        d = finding
        counts[d.severity] += 1
        if counts[d.severity] > ANNOTATION_CAP:
            continue
        properties: dict[str, object] = {
            "file": printable(shown(root / (d.path or _manifest_name(root))))
        }
        if d.line is not None:
            properties["line"] = d.line
            if d.column is not None:
                properties["col"] = d.column
        properties["title"] = d.code
        issue_command(d.severity, properties, printable(d.message))
    for severity, count in counts.items():
        if count > ANNOTATION_CAP:
            issue_command(
                "notice",
                {"title": "plugin-build"},
                f"{count - ANNOTATION_CAP} more {severity}s are listed in the job summary",
            )


def _manifest_name(root: Path) -> str:
    return next((name for name in MANIFEST_NAMES if (root / name).exists()), MANIFEST_NAMES[0])


def summary(run: ActionRun) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: what was built, or what is wrong."""
    out = ["## plugin-build", ""]
    if run.packages:
        out += ["| plugin | version | format | size | SHA-256 |", "|---|---|---|---|---|"]
        for _, result in run.results:
            for p in result.packages:
                name = result.report.name if result.report else "?"
                version = result.report.version if result.report else "?"
                out.append(
                    f"| {name} | {version} | {p.format} | {size_human(p.size_bytes)} | "
                    f"`{p.sha256}` |"
                )
        out.append("")
    problems = [(root, d) for root, r in run.results for d in r.diagnostics]
    failures = [(root, r.error) for root, r in run.results if r.status == "failed"]
    if problems:
        out += ["| file | severity | code | message |", "|---|---|---|---|"]
        for root, d in problems:
            where = run.shown(root / (d.path or _manifest_name(root)))
            if d.line is not None:
                where += f":{d.line}"
            out.append(f"| `{cell(where)}` | {d.severity} | `{d.code}` | {cell(d.message)} |")
        out.append("")
    for root, error in failures:
        out.append(f"**{cell(run.shown(root))}: build failed** — {cell(error or '')}")
    if run.ok:
        done = "validated and built" if run.inputs.build else "validated (build: false)"
        out.append(f"All {len(run.results)} plugin(s) {done}.")
    return "\n".join(out) + "\n"


def cell(text: str) -> str:
    """Untrusted text inside one Markdown table cell: escaped, one line, no `|`/backtick."""
    return printable(text).replace("|", "\\|").replace("`", "'")


def write_outputs(values: Mapping[str, str]) -> None:
    # actions_toolkit.core would do the same, but it imports its GitHub-API helpers
    # (requests, PyGithub), which the action does not install: only the command and
    # file_command modules of actions-toolkit are used.
    from actions_toolkit.file_command import issue_file_command, prepare_key_value_message

    for name, value in values.items():
        issue_file_command("OUTPUT", prepare_key_value_message(name, value))


def append_summary(text: str, environ: Mapping[str, str]) -> None:
    path = environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


# -- the release step ------------------------------------------------------------------


def release_assets(
    packages: Sequence[Mapping[str, Any]], workspace: Path, staging: Path
) -> list[Path]:
    """The files to attach, under names GitHub keeps as they are, plus their SHA256SUMS.

    An archive whose name GitHub would rewrite (``+`` from SemVer build
    metadata) is attached under a safe name (``+`` → ``_``), and the attached
    SHA256SUMS lists the names as uploaded, so it verifies what people download.
    """
    staging.mkdir(parents=True, exist_ok=True)
    assets: list[Path] = []
    digests: dict[str, str] = {}
    for package in packages:
        source = workspace / str(package["path"])
        name = source.name
        if not _ASSET_SAFE.fullmatch(name):
            name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        target = staging / name
        if target in assets:
            raise InputError(f"two archives would be attached as {name}; rename a plugin")
        shutil.copyfile(source, target)
        assets.append(target)
        digests[name] = str(package["sha256"])
    sums = staging / SHA256SUMS
    sums.write_bytes(render_sha256sums(digests).encode("utf-8"))
    return [*assets, sums]


def run_release(environ: Mapping[str, str], workspace: Path) -> int:
    """Attach the archives and SHA256SUMS to ``release-tag``: a release that does not
    exist is created as a draft, filled, then published (``release-publish``), which
    works with immutable releases too; nothing is ever clobbered."""
    from .registry import GitHubRelease, RegistryError
    from .release import attach

    tag = environ.get("PLUGIN_BUILD_RELEASE_TAG", "").strip()
    packages = json.loads(environ.get("PLUGIN_BUILD_PACKAGES", "[]") or "[]")
    publish = environ.get("PLUGIN_BUILD_RELEASE_PUBLISH", "true").strip().lower() or "true"
    if publish not in ("true", "false"):
        raise InputError(f"release-publish: expected 'true' or 'false', not {publish!r}")
    if not tag or not packages:
        print("plugin-build: nothing to attach to a release")
        return 0
    repository = environ.get("GITHUB_REPOSITORY", "")
    owner, _, repo = repository.partition("/")
    gh = which("gh", environ)
    if gh is None:
        raise InputError("release-tag is set but the GitHub CLI (gh) is not on PATH")
    if not owner or not repo:
        raise InputError("release-tag is set but GITHUB_REPOSITORY is not OWNER/REPO")
    staging = Path(environ.get("RUNNER_TEMP", workspace)) / "plugin-build-release"
    assets = release_assets(packages, workspace, staging)
    release = GitHubRelease(owner, repo, tag, gh=gh, environ=environ)
    try:
        done = attach(release, assets, publish=publish == "true")
    except RegistryError as exc:
        from actions_toolkit.command import issue_command

        issue_command("error", {"title": "plugin-build release"}, printable(str(exc)))
        append_summary(f"## plugin-build release\n\n**{cell(str(exc))}**\n", environ)
        return 1
    lines = [f"## plugin-build release {cell(tag)}", ""]
    if done.created:
        lines.append(f"Created release {cell(tag)} as a draft.")
    lines += [f"- attached `{cell(name)}`" for name in done.uploaded]
    lines += [f"- `{cell(name)}` already attached with the same bytes" for name in done.skipped]
    if done.published:
        lines.append(f"Published release {cell(tag)}.")
    append_summary("\n".join(lines) + "\n", environ)
    for line in lines[2:]:
        print("plugin-build:", printable(line.lstrip("- ")))
    return 0


# -- entry point -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from actions_toolkit.command import issue_command

    from .cli import on_termination, utf8_streams

    utf8_streams()
    on_termination()
    args = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ
    workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
    try:
        if args == ["release"]:
            return run_release(environ, workspace)
        if args == ["publish"]:
            from .action_publish import run_publish

            return run_publish(environ, workspace)
        if args != ["build"]:
            raise InputError("usage: python -m plugin_build.action build|release|publish")
        inputs = read_inputs(environ)
        run = run_build(inputs, workspace, environ)
    except InputError as exc:
        issue_command("error", {"title": "plugin-build"}, printable(str(exc)))
        append_summary(f"## plugin-build\n\n**{cell(str(exc))}**\n", environ)
        return 1
    values = outputs(run)
    write_outputs(values)
    annotate(run)
    append_summary(summary(run), environ)
    for _, result in run.results:
        for p in result.packages:
            print(f"plugin-build: {printable(run.shown(p.path))}  sha256 {p.sha256}")
    return 0 if run.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
