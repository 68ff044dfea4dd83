"""The registry commands of the CLI: ``index new|yank|search|info`` and ``publish``.

Arguments in, core calls (:mod:`index`, :mod:`query`, :mod:`registry`,
:mod:`publish`), results out; the JSON documents follow the rest of the CLI
(``{"ok": …}`` with the SDK's result payload for the index commands).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .escape import json_text, printable

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class Failure(Exception):
    """A runtime failure of a registry command (exit 1), with its diagnostics."""

    def __init__(self, message: str, diagnostics: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)


def add_commands(commands: Any, parent: type[argparse.ArgumentParser]) -> None:
    """Add ``index`` and ``publish`` to the CLI's subcommands."""
    index = commands.add_parser(
        "index",
        help="create, yank and query a registry index.json (the SDK's index format)",
        description="Work with a registry index: index.json beside {name}-{version}.tar.gz.",
    )
    sub = index.add_subparsers(dest="index_command", metavar="COMMAND", required=True)

    new = sub.add_parser("new", help="write an empty index.json (the SDK's `new index`)")
    new.add_argument("directory", nargs="?", default=".", metavar="DIR")
    new.add_argument(
        "--artifacts-url",
        metavar="URL",
        help="where the artifacts are downloaded from (default: the file:// URL of DIR)",
    )
    new.add_argument("--force", action="store_true", help="overwrite an existing index.json")
    new.add_argument("--json", action="store_true", help="print the result as JSON")

    yank = sub.add_parser("yank", help="mark NAME@VERSION yanked (or not, with --undo)")
    yank.add_argument("target", metavar="NAME@VERSION")
    _source(yank)
    yank.add_argument("--out", metavar="DIR", help="write the new index.json into DIR")
    yank.add_argument("--undo", action="store_true", help="clear yanked instead")
    yank.add_argument("--json", action="store_true", help="print the result as JSON")

    search = sub.add_parser("search", help="find plugins in an index")
    search.add_argument("query", nargs="?", metavar="QUERY")
    _source(search)
    _filters(search, trigger=True)

    info = sub.add_parser("info", help="one plugin's entry: the latest selectable version")
    info.add_argument("name", metavar="NAME")
    _source(info)
    info.add_argument("--version", metavar="VERSION", help="an exact version")
    _filters(info, trigger=False)

    publish = commands.add_parser(
        "publish",
        help="validate, guard, build and publish plugins to a registry",
        description=(
            "Publish each new name@version to REG (a directory, a file:// URL or "
            "github:OWNER/REPO@TAG): validate with the version guard, build the tar.gz, "
            "roll index.json forward, upload the artifacts, then the index last. "
            "Nothing is uploaded when any plugin is refused."
        ),
    )
    publish.add_argument("paths", nargs="+", metavar="PATH", help="plugin directories or globs")
    publish.add_argument("--registry", required=True, metavar="REG")
    publish.add_argument("--dry-run", action="store_true", help="print the plan, upload nothing")
    publish.add_argument(
        "--strict", action="store_true", help="a new version with warnings is refused"
    )
    publish.add_argument(
        "--exclude", action="append", default=[], metavar="NAME", help="a directory to skip"
    )
    publish.add_argument("--json", action="store_true", help="print the result as JSON")
    del parent


def _source(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--index", metavar="FILE", help="an index.json file")
    where.add_argument("--registry", metavar="REG", help="a registry (as publish takes it)")


def _filters(parser: argparse.ArgumentParser, *, trigger: bool) -> None:
    if trigger:
        parser.add_argument(
            "--trigger-type",
            metavar="TRIGGER",
            help="process_writes, process_scheduled_call or process_request",
        )
    parser.add_argument("--database-version", metavar="X.Y.Z", help="hide incompatible versions")
    parser.add_argument("--include-yanked", action="store_true")
    parser.add_argument("--include-incompatible", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def dispatch(args: argparse.Namespace, usage: type[Exception]) -> int:
    """Run a registry command; ``usage`` is the CLI's usage error (exit 2)."""
    try:
        if args.command == "publish":
            return _publish(args, usage)
        handler = {"new": _new, "yank": _yank, "search": _search, "info": _info}
        return handler[args.index_command](args, usage)
    except Failure as failure:
        return _fail(args, failure)


def _fail(args: argparse.Namespace, failure: Failure) -> int:
    from .reporters import format_diagnostic

    if getattr(args, "json", False):
        document = {
            "ok": False,
            "error": failure.message,
            "diagnostics": [d.as_dict() for d in failure.diagnostics],
        }
        sys.stdout.write(json_text(document))
    else:
        for d in failure.diagnostics:
            sys.stderr.write(format_diagnostic(Path.cwd(), d) + "\n")
        sys.stderr.write(f"plugin-build: {printable(failure.message)}\n")
    return EXIT_INVALID


# -- reading an index --------------------------------------------------------------------


def _load(args: argparse.Namespace) -> tuple[Any, Any, bytes]:
    """(index, registry or None, the bytes read) from --index or --registry."""
    from .index import parse_index
    from .registry import RegistryError, open_registry

    registry = None
    if args.registry is not None:
        try:
            registry = open_registry(args.registry)
            data = registry.read_index()
        except RegistryError as exc:
            raise Failure(str(exc)) from exc
        where = registry.index_location
        if data is None:
            raise Failure(f"{registry.name} has no index.json; create one: {registry.index_hint}")
    else:
        where = args.index
        data = _read_index_file(Path(args.index))
    result = parse_index(data)
    if result.index is None:
        located = [d._replace(path=where) for d in result.diagnostics]
        raise Failure(f"{where} is not a valid registry index", located)
    return result.index, registry, data


def _read_index_file(path: Path) -> bytes:
    from .fileio import TooLargeError, open_regular
    from .registry import INDEX_SIZE_LIMIT

    try:
        with open_regular(path) as handle:
            data = handle.read(INDEX_SIZE_LIMIT + 1)
    except OSError as exc:
        raise Failure(f"cannot read --index {path}: {exc.strerror or exc}") from exc
    if len(data) > INDEX_SIZE_LIMIT:
        size = TooLargeError(len(data), INDEX_SIZE_LIMIT)
        raise Failure(f"--index {path} is over {INDEX_SIZE_LIMIT >> 20} MiB ({size})")
    return data


def read_index_for_validate(path: str) -> Any:
    """The parsed --index of ``validate``; Failure when it cannot be used."""
    from .index import parse_index

    result = parse_index(_read_index_file(Path(path)))
    if result.index is None:
        located = [d._replace(path=path) for d in result.diagnostics]
        raise Failure(f"{path} is not a valid registry index", located)
    return result.index


# -- index new -----------------------------------------------------------------------------


def _new(args: argparse.Namespace, usage: type[Exception]) -> int:
    from .index import INDEX_FILE, default_artifacts_url, new_index_json
    from .manifest import url_problem
    from .outputs import write_atomic

    directory = Path(os.path.abspath(args.directory))
    url = args.artifacts_url
    if url is not None:
        problem = url_problem(url, ("https", "http", "file"))
        if problem is not None:
            raise usage(f"--artifacts-url: {problem}")
    else:
        url = default_artifacts_url(Path(args.directory))
    target = directory / INDEX_FILE
    if os.path.lexists(target) and not args.force:
        raise Failure(f"{target} already exists; pass --force to overwrite it")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomic(target, new_index_json(url))
    except OSError as exc:
        raise Failure(f"cannot write {target}: {exc.strerror or exc}") from exc
    result = {
        "kind": "index",
        "template": "index",
        "target_dir": os.fspath(directory),
        "files_written": [INDEX_FILE],
    }
    if args.json:
        sys.stdout.write(json_text({"ok": True, **result}))
    else:
        sys.stdout.write(f"wrote {printable(os.fspath(target))} (artifacts at {printable(url)})\n")
    return EXIT_OK


# -- index yank ----------------------------------------------------------------------------


def _target(text: str, usage: type[Exception]) -> tuple[str, str]:
    from .manifest import plugin_name_problem
    from .semver import SemverError, Version

    name, at, version = text.partition("@")
    if not at or not name or not version:
        raise usage(f"{text!r} is not NAME@VERSION")
    problem = plugin_name_problem(name)
    if problem is not None:
        raise usage(problem)
    try:
        Version.parse(version)
    except SemverError as exc:
        raise usage(f"{version!r} is not a SemVer 2.0.0 version ({exc})") from exc
    return name, version


def _yank(args: argparse.Namespace, usage: type[Exception]) -> int:
    from .index import INDEX_FILE, EntryNotFound, IndexError
    from .outputs import write_atomic
    from .registry import RegistryError

    name, version = _target(args.target, usage)
    if args.registry is not None and args.out is not None:
        raise usage("--out goes with --index; with --registry the registry's index is updated")
    index, registry, data = _load(args)
    try:
        updated, outcome = index.yanked(name, version, undo=args.undo)
        payload = updated.to_json()
    except EntryNotFound as exc:
        raise Failure(
            f"{name}@{version} is not in the index (names and versions are exact)"
        ) from exc
    except IndexError as exc:
        raise Failure(str(exc), exc.diagnostics) from exc
    if registry is not None:
        try:
            registry.put_index(payload, expected=data)
        except RegistryError as exc:
            raise Failure(str(exc)) from exc
        written = registry.index_location
    else:
        target = Path(args.out) / INDEX_FILE if args.out else Path(args.index)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, payload)
        except OSError as exc:
            raise Failure(f"cannot write {target}: {exc.strerror or exc}") from exc
        written = os.path.abspath(target)
    entry = updated.find(name, version)
    result = {
        "name": name,
        "version": version,
        "published_at": entry.published_at if entry else None,
        "outcome": outcome,
        "index_path": written,
    }
    if args.json:
        sys.stdout.write(json_text({"ok": True, **result}))
    elif outcome.startswith("already"):
        state = "yanked" if outcome == "already_yanked" else "not yanked"
        sys.stdout.write(f"{name}@{version} is already {state}: no change\n  index: {written}\n")
    else:
        sys.stdout.write(f"{outcome} {name}@{version} (yanked={outcome == 'yanked'})\n")
        sys.stdout.write(f"  index: {printable(written)}\n")
    return EXIT_OK


# -- index search / info -------------------------------------------------------------------


def _query_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "database_version": args.database_version,
        "include_yanked": args.include_yanked,
        "include_incompatible": args.include_incompatible,
    }


def _queried(
    args: argparse.Namespace, usage: type[Exception], run: Callable[..., dict[str, Any]]
) -> dict[str, Any] | None:
    """``run(index, **options)`` on the loaded index; None once printed as JSON."""
    from .query import QueryError

    index, _, _ = _load(args)
    try:
        payload = run(index, **_query_options(args))
    except QueryError as exc:
        raise usage(str(exc)) from exc
    if args.json:
        sys.stdout.write(json_text({"ok": True, **payload}))
        return None
    return payload


def _search(args: argparse.Namespace, usage: type[Exception]) -> int:
    from .query import search

    payload = _queried(
        args,
        usage,
        lambda index, **options: search(
            index, args.query, trigger_type=args.trigger_type, **options
        ),
    )
    if payload is None:
        return EXIT_OK
    hits = payload["hits"]
    if not hits:
        sys.stdout.write("No matching plugins found.\n")
        return EXIT_OK
    rows = []
    for hit in hits:
        description = hit["description"]
        visibility = hit["visibility"]
        if visibility["status"] == "hidden":
            description = f"[{_reasons(visibility['reasons'])}] {description}"
        rows.append((hit["name"], hit["version"], ",".join(hit["triggers"]), description))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        sys.stdout.write(printable("  ".join([*cells, row[3]])) + "\n")
    return EXIT_OK


def _reasons(reasons: list[dict[str, Any]]) -> str:
    labels = []
    for reason in reasons:
        if reason["kind"] == "yanked":
            labels.append("yanked")
        else:
            labels.append(f"incompatible: requires {reason['required']}, actual {reason['actual']}")
    return ", ".join(labels)


def _info(args: argparse.Namespace, usage: type[Exception]) -> int:
    from .query import info

    payload = _queried(
        args,
        usage,
        lambda index, **options: info(index, args.name, version=args.version, **options),
    )
    if payload is None:
        return EXIT_OK
    lines: list[str] = []
    if payload["outcome"] == "found":
        plugin = payload["plugin"]
        deps = plugin["dependencies"]
        lines += [
            plugin["name"],
            plugin["description"],
            f"version: {plugin['version']}",
            f"published_at: {plugin['published_at']}",
            f"triggers: {','.join(plugin['triggers'])}",
            f"database: {deps['database_version']}",
            f"python: {', '.join(deps['python']) or '<none>'}",
            "plugins: "
            + (
                "; ".join(f"{d['name']} {d['version']} ({d['index_url']})" for d in deps["plugins"])
                or "<none>"
            ),
        ]
        lines += [
            f"{key}: {plugin[key]}"
            for key in ("homepage", "repository", "documentation")
            if plugin.get(key)
        ]
        visibility = plugin["visibility"]
        shown = (
            "visible"
            if visibility["status"] == "visible"
            else f"hidden ({_reasons(visibility['reasons'])})"
        )
        lines += [
            f"artifact_url: {plugin['artifact_url']}",
            f"hash: {plugin['hash']}",
            f"visibility: {shown}",
        ]
    elif payload["outcome"] == "not_found":
        version = payload.get("version")
        lines.append(
            f"Plugin version not found: {payload['name']}@{version}"
            if version
            else f"Plugin not found: {payload['name']}"
        )
    else:
        lines.append(f"No selectable version found for {payload['name']}.")
        lines += [f"  reason: {_reasons([reason])}" for reason in payload["reasons"]]
    sys.stdout.write("".join(printable(line) + "\n" for line in lines))
    return EXIT_OK


# -- publish -------------------------------------------------------------------------------


def _publish(args: argparse.Namespace, usage: type[Exception]) -> int:
    from .discover import PluginPathError, resolve_plugins
    from .outputs import TimestampError
    from .publish import execute, plan_publish, published_at
    from .registry import RegistryError, open_registry
    from .validate import validate_plugins

    cwd = Path.cwd()
    try:
        roots = resolve_plugins(args.paths, cwd, args.exclude, confined=False, source="PATH")
    except PluginPathError as exc:
        raise usage(str(exc)) from exc
    try:
        when = published_at(os.environ)
        registry = open_registry(args.registry)
    except (TimestampError, RegistryError) as exc:
        raise Failure(str(exc)) from exc
    reports = validate_plugins(roots)
    with tempfile.TemporaryDirectory(prefix="plugin-build-publish-") as work:
        try:
            plan = plan_publish(reports, registry, Path(work), published=when, strict=args.strict)
        except RegistryError as exc:
            raise Failure(str(exc)) from exc
        executed = False
        error: str | None = None
        if plan.ok and not args.dry_run:
            try:
                execute(plan, registry)
                executed = True
            except RegistryError as exc:
                error = str(exc)
    document = plan.as_dict(dry_run=args.dry_run)
    if error is not None:
        document.update(ok=False, error=error, published=[])
    if args.json:
        sys.stdout.write(json_text(document))
    else:
        sys.stdout.write(render_plan(plan, dry_run=args.dry_run, executed=executed, error=error))
    return EXIT_OK if document["ok"] else EXIT_INVALID


def render_plan(plan: Any, *, dry_run: bool, executed: bool, error: str | None) -> str:
    """The plan as text: one line per plugin, the diagnostics that matter, a summary."""
    from .reporters import format_diagnostic

    lines = [f"registry {printable(plan.registry)} (index: {printable(plan.index_location)})"]
    for problem in plan.problems:
        lines.append(format_diagnostic(Path.cwd(), problem))
    for item in plan.items:
        what = (
            f"{item.name}@{item.version}" if item.name and item.version else str(item.report.root)
        )
        detail = f"  sha256:{item.sha256}" if item.action == "publish" and item.sha256 else ""
        lines.append(printable(f"  {item.action:<9}  {what}{detail}"))
        for d in item.report.diagnostics:
            if d.is_error or item.action != "refused":
                lines.append("    " + format_diagnostic(item.report.root, d))
    counts = ", ".join(f"{len(plan.of(a))} {a}" for a in ("publish", "unchanged", "refused"))
    if error is not None:
        verdict = f"failed: {printable(error)}"
    elif not plan.ok:
        verdict = "nothing uploaded: fix what is refused"
    elif dry_run:
        verdict = "dry run: nothing uploaded"
    elif executed and plan.of("publish"):
        verdict = "published; index.json uploaded last"
    else:
        verdict = "nothing new to publish"
    lines.append(f"{counts} — {verdict}")
    return "\n".join(lines) + "\n"
