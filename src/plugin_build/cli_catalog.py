"""The ``catalog`` command: plugin directories in, plugin_library.json out.

``catalog PATH... [--out FILE] [--check]``: without ``--out`` the catalogue is
printed; with it, FILE is read (the fields only it holds are carried forward,
see :mod:`plugin_build.catalog`) and replaced atomically; with ``--check`` as
well, nothing is written: exit 0 when FILE is what would be written, else 1
with a unified diff on stdout. Diagnostics go to stderr as
``PATH:LINE:COL: severity[code] message``; a plugin that cannot have an entry
exits 1 and nothing is written.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from .diagnostics import Code, Diagnostic
from .escape import json_text, printable

EXIT_OK, EXIT_INVALID = 0, 1
CATALOGUE_SIZE_LIMIT: Final = 16 << 20


def add_commands(commands: Any, parent: type[argparse.ArgumentParser]) -> None:
    """Add ``catalog`` to the CLI's subcommands."""
    catalog = commands.add_parser(
        "catalog",
        help="write or check plugin_library.json, the InfluxDB 3 Explorer's plugin catalogue",
        description=(
            "Build the Explorer's plugin catalogue from manifests and metadata docstrings. "
            "Each PATH is a plugin or a directory of plugins. Without --out the catalogue "
            "is printed; with --out FILE it replaces FILE (keeping each plugin's name, "
            "author and, while unchanged, last_update from it); --check compares instead "
            "and exits 1 with a diff when FILE is out of date."
        ),
    )
    catalog.add_argument(
        "paths", nargs="+", metavar="PATH", help="plugins or directories of plugins"
    )
    catalog.add_argument("--out", metavar="FILE", help="the catalogue file to write or check")
    catalog.add_argument(
        "--check", action="store_true", help="compare with --out FILE; write nothing"
    )
    catalog.add_argument(
        "--exclude", action="append", default=[], metavar="NAME", help="a directory to skip"
    )
    catalog.add_argument(
        "--root",
        default=".",
        metavar="DIR",
        help="the repository root entry paths are relative to (default: .)",
    )
    catalog.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="last_update of new and changed plugins (default: SOURCE_DATE_EPOCH, else today, UTC)",
    )
    catalog.add_argument(
        "--author", default="InfluxData", metavar="NAME", help="author of new plugins"
    )
    catalog.add_argument("--json", action="store_true", help="print one JSON document")
    del parent


def dispatch(args: argparse.Namespace, usage: type[Exception]) -> int:
    """Run ``catalog``; ``usage`` is the CLI's usage error (exit 2)."""
    from .catalog import Committed, build_catalogue, check, parse_committed
    from .discover import plugin_roots

    if args.check and args.out is None:
        raise usage("--check needs --out FILE: the committed catalogue to compare with")
    for given in args.paths:
        if not os.path.lexists(given):
            raise usage(f"no such file or directory: {given}")
    paths = [Path(p) for p in args.paths]
    if not os.path.isdir(args.root):
        raise usage(f"--root: no such directory: {args.root}")
    today = _today(args.date, usage)
    out = Path(args.out) if args.out is not None else None
    committed_text: str | None = None
    committed: Committed | None = None
    if out is not None and os.path.lexists(out):
        read = _read(out)
        if isinstance(read, str):
            parsed = parse_committed(read)
            if isinstance(parsed, Committed):
                committed_text, committed = read, parsed
            else:
                return _finish(args, [(out.parent, parsed._replace(path=out.name))])
        else:
            return _finish(args, [(out.parent, read)])
    catalogue = build_catalogue(
        plugin_roots(paths, args.exclude),
        repository=Path(args.root),
        today=today,
        committed=committed,
        author=args.author,
    )
    problems = [(p.root, p.diagnostic) for p in catalogue.problems]
    count = len(catalogue.entries)
    if not catalogue.ok:
        return _finish(args, problems)
    text = catalogue.text()
    if out is None:
        if args.json:
            return _finish(args, problems, catalogue=json.loads(text), plugins=count)
        sys.stdout.write(text)
        return _finish(args, problems)
    shown = printable(os.fspath(out))
    if args.check:
        if committed_text is None:
            message = f"{shown} does not exist; write it with --out and without --check"
            return _finish(
                args, problems, out=out, up_to_date=False, message=message, plugins=count
            )
        diff = check(committed_text, text, name=os.fspath(out))
        if diff is not None and not args.json:
            sys.stdout.write(diff)
        message = (
            f"{shown} is up to date ({count} plugins)"
            if diff is None
            else f"{shown} is out of date; regenerate it: plugin-build catalog ... --out {shown}"
        )
        return _finish(
            args,
            problems,
            out=out,
            up_to_date=diff is None,
            diff=diff,
            message=message,
            plugins=count,
        )
    written = committed_text != text
    if written:
        from .outputs import write_atomic

        try:
            out.parent.mkdir(parents=True, exist_ok=True)  # a first catalogue: its folder too
            write_atomic(out, text.encode("utf-8"))
        except OSError as exc:
            message = f"cannot write {shown}: {exc.strerror or exc}"
            return _finish(args, problems, out=out, message=message, failed=True)
    verb = "wrote" if written else "unchanged:"
    message = f"{verb} {shown} ({count} plugins)"
    return _finish(args, problems, out=out, written=written, message=message, plugins=count)


def _today(given: str | None, usage: type[Exception]) -> datetime.date:
    if given is not None:
        try:
            return datetime.date.fromisoformat(given)
        except ValueError:
            raise usage(f"--date must be a date YYYY-MM-DD, not {given!r}") from None
    from .outputs import TimestampError, build_timestamp

    try:
        return datetime.datetime.fromisoformat(build_timestamp(os.environ)).date()
    except TimestampError as exc:
        raise usage(str(exc)) from None


def _read(path: Path) -> str | Diagnostic:
    """The committed file's text, or a diagnostic saying why it cannot be read."""
    from .fileio import open_regular

    try:
        with open_regular(path) as handle:
            data = handle.read(CATALOGUE_SIZE_LIMIT + 1)
        if len(data) > CATALOGUE_SIZE_LIMIT:
            reason = f"it is over {CATALOGUE_SIZE_LIMIT >> 20} MiB"
        else:
            return data.decode("utf-8")
    except UnicodeDecodeError:
        reason = "it is not UTF-8"
    except OSError as exc:
        reason = exc.strerror or str(exc)
    return Diagnostic(
        Code.CATALOG_SYNTAX,
        f"the catalogue cannot be read ({reason}); fix it, or delete it to generate it afresh",
        path=path.name,
    )


def _finish(
    args: argparse.Namespace,
    problems: Sequence[tuple[Path, Diagnostic]],
    *,
    out: Path | None = None,
    up_to_date: bool | None = None,
    diff: str | None = None,
    written: bool = False,
    message: str | None = None,
    catalogue: object = None,
    plugins: int | None = None,
    failed: bool = False,
) -> int:
    from .discover import display_path
    from .reporters import format_diagnostic, use_color

    ok = not failed and up_to_date is not False and not any(d.is_error for _, d in problems)
    if args.json:
        document: dict[str, object] = {
            "ok": ok,
            "out": os.fspath(out) if out is not None else None,
            "written": written,
            "up_to_date": up_to_date,
            "diff": diff,
            "plugins": plugins,
            "diagnostics": [{"root": display_path(root), **d.as_dict()} for root, d in problems],
        }
        if catalogue is not None:
            document["catalogue"] = catalogue
        if message is not None:
            document["message"] = message
        sys.stdout.write(json_text(document))
        return EXIT_OK if ok else EXIT_INVALID
    color = use_color(sys.stderr)
    for root, diagnostic in problems:
        sys.stderr.write(format_diagnostic(root, diagnostic, color=color) + "\n")
    if message is not None:
        (sys.stdout if ok else sys.stderr).write(message + "\n")
    elif not ok:
        errors = sum(d.is_error for _, d in problems)
        what = "checked" if args.check else "written"
        plural = "error" if errors == 1 else "errors"
        sys.stderr.write(f"plugin-build: {errors} {plural}; the catalogue was not {what}\n")
    return EXIT_OK if ok else EXIT_INVALID
