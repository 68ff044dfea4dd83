"""The ``new`` command of the CLI: ``new list`` and ``new TEMPLATE [PATH]``.

Arguments in, :func:`plugin_build.scaffold.scaffold` called, the result out:
the SDK's ``new`` result (``kind``, ``template``, ``target_dir``, ``name``,
``files_written``) beside our ``"ok"`` under ``--json``, or what was written
and what to run next. Exit 0 written, 1 refused by what is on disk, 2 refused
for what was typed (the SDK's classes).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

from .escape import json_text, printable

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def add_commands(commands: Any, parent: type[argparse.ArgumentParser]) -> None:
    """Add ``new`` to the CLI's subcommands."""
    from .scaffold import DEFAULT_DATABASE_VERSION, templates

    new = commands.add_parser(
        "new",
        help="start a plugin from a template (the SDK's `new`)",
        description=(
            "Write a new plugin that validates clean: manifest.toml, <name>.py and README.md "
            "for a trigger template, or a plugin.yaml command-handler plugin. Existing files "
            "are refused unless --force; `new list` shows the templates."
        ),
    )
    sub = new.add_subparsers(dest="new_template", metavar="TEMPLATE", required=True)
    listing = sub.add_parser("list", help="list the templates")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    for template in templates():
        parser = sub.add_parser(
            template.short_name, help=template.description, description=template.description
        )
        parser.add_argument(
            "path",
            nargs="?",
            default=".",
            metavar="PATH",
            help="the plugin directory, created if missing (default: .)",
        )
        parser.add_argument(
            "--name", metavar="NAME", help="the plugin name (default: the basename of PATH)"
        )
        if template.format == "manifest.toml":
            parser.add_argument(
                "--database-version",
                metavar="RANGE",
                help=(
                    "dependencies.database_version, a SemVer range "
                    f"(default: {DEFAULT_DATABASE_VERSION})"
                ),
            )
        parser.add_argument(
            "--force", action="store_true", help="overwrite the files the template writes"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON document")
    del parent


def dispatch(args: argparse.Namespace) -> int:
    """Run ``new``; every refusal is one line (or one JSON document) and an exit code."""
    from .scaffold import ScaffoldError, scaffold

    if args.new_template == "list":
        return _list(as_json=args.json)
    try:
        result = scaffold(
            args.new_template,
            args.path,
            name=args.name,
            database_version=getattr(args, "database_version", None),
            force=args.force,
        )
    except ScaffoldError as exc:
        status = EXIT_USAGE if exc.usage else EXIT_INVALID
        if args.json:
            error = {"code": exc.code, "message": exc.message}
            sys.stdout.write(json_text({"ok": False, "error": error}))
        else:
            sys.stderr.write(f"plugin-build: error: {printable(exc.message)}\n")
            if exc.usage:
                sys.stderr.write(f"Try 'plugin-build new {args.new_template} --help' for usage.\n")
        return status
    if args.json:
        sys.stdout.write(json_text({"ok": True, **result.as_dict()}))
        return EXIT_OK
    shown = _shown(os.fspath(result.target_dir))
    lines = [
        f"Scaffolded {result.kind} ({result.template} template) at {shown}",
        f"  name: {result.name}",
        "  files written:",
        *(f"    {rel}" for rel in result.files_written),
        f"next: plugin-build validate {shlex.quote(shown)}",
    ]
    sys.stdout.write("".join(printable(line) + "\n" for line in lines))
    return EXIT_OK


def _shown(target: str) -> str:
    """The target relative to the working directory when it is below it."""
    try:
        relative = os.path.relpath(target)
    except ValueError:  # another drive (Windows)
        return target
    return target if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def _list(*, as_json: bool) -> int:
    from .scaffold import templates

    rows = [(t.name, t.short_name, t.format) for t in templates()]
    if as_json:
        listed = [{"name": n, "short_name": s, "format": f} for n, s, f in rows]
        sys.stdout.write(json_text({"ok": True, "templates": listed}))
        return EXIT_OK
    header = ("Template Name", "Short Name", "Format")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]
    for row in [header, ("-" * widths[0], "-" * widths[1], "-" * len(header[2])), *rows]:
        sys.stdout.write(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}\n")
    return EXIT_OK
