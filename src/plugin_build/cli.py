"""The ``plugin-build`` command line: arguments in, core calls, results out.

Exit codes: 0 success, 1 invalid plugin or failed build, 2 usage error,
3 internal error (a bug: the message says how to get the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .validate import PluginReport

from . import __version__
from .escape import json_text, printable

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    """Bad arguments the parser could not catch (a path that does not exist)."""


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without ``shutil``: argparse makes one per argument
    added, and importing shutil (with bz2, lzma and zlib) cost a one-plugin validate 4 ms."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24) -> None:
        super().__init__(prog, indent_increment, max_help_position, width=_columns() - 2)


def _columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal's, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with the ``command`` about to run (the first argument), only
    what that command needs, if it is one of CORE_COMMANDS."""
    parser = _Parser(
        prog="plugin-build",
        description="Validate plugin directories and build reproducible archives.",
    )
    parser.add_argument("--version", action="version", version=f"plugin-build {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check plugin directories and report every problem in one pass",
        description=(
            "Validate plugins. Each PATH is a plugin directory, its manifest, any file "
            "inside a plugin (mapped to the nearest directory holding manifest.toml or "
            "plugin.yaml), or a directory of plugins (every plugin below it); each plugin "
            "is validated once."
        ),
    )
    validate.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=["."],
        help="plugin directories, manifests, files inside plugins, or directories of plugins",
    )
    validate.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NAME",
        help="a directory a repository walk skips (name or relative path; repeatable)",
    )
    _output_format(validate, "the report on stdout")
    validate.add_argument(
        "--strict", action="store_true", help="warnings fail too (exit 1), as errors do"
    )
    _explorer_flag(validate)
    validate.add_argument(
        "--index",
        metavar="FILE",
        help=(
            "a registry index.json: also check name uniqueness and the version guard "
            "(a published name@version with other content is version-not-bumped)"
        ),
    )

    build = commands.add_parser(
        "build",
        help="validate a plugin and build reproducible archives with checksums and metadata",
        description=(
            "Build a plugin into {name}-{version}.tar.gz and/or .zip, with SHA256SUMS, "
            "manifest.json, plugin.preview.yaml and a build report. PATHs name plugins "
            "as validate's do; several plugins build into OUTPUT_DIR/<plugin directory>/ "
            "each, with OUTPUT_DIR/SHA256SUMS listing every archive. The progress log and "
            "the diagnostics go to stderr; --output-format json or sarif prints the result "
            "on stdout."
        ),
    )
    build.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="plugin directories, their manifest.toml / plugin.yaml, or directories of "
        "plugins (default: .)",
    )
    build.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NAME",
        help="a directory a repository walk skips (name or relative path; repeatable)",
    )
    build.add_argument(
        "--format",
        default="tar.gz",
        metavar="{tar.gz,zip,all}",
        help="archive format; 'all' builds both (default: tar.gz)",
    )
    build.add_argument(
        "--output-dir", default="dist", metavar="DIR", help="output directory (default: ./dist)"
    )
    _output_format(build, "the result on stdout (text: nothing but the log on stderr)")
    build.add_argument(
        "--strict", action="store_true", help="a warning refuses the build, as an error does"
    )
    _explorer_flag(build)

    verify = commands.add_parser(
        "verify",
        help="re-check built archives against SHA256SUMS, manifest.json and the source",
        description=(
            "Re-hash every archive in DIR against SHA256SUMS and manifest.json, check that no "
            "member is absolute, climbs out with '..', or is a link or device, and with "
            "--source that the archives hold exactly the plugin's files."
        ),
    )
    verify.add_argument("directory", nargs="?", default="dist", metavar="DIR")
    verify.add_argument(
        "--source", metavar="PLUGIN", help="plugin directory the archives came from"
    )
    verify.add_argument("--json", action="store_true", help="print one JSON document")
    if command not in CORE_COMMANDS:  # the others' modules only when they may be wanted
        from .cli_registry import add_commands

        add_commands(commands, _Parser)
        from .cli_scaffold import add_commands as add_new

        add_new(commands, _Parser)
        from .cli_catalog import add_commands as add_catalog_command

        add_catalog_command(commands, _Parser)
    return parser


# Commands whose parsers live here: their runs import nothing of the others (the hook's
# one-plugin validate is mostly start-up; issue 11).
CORE_COMMANDS = frozenset({"validate", "build", "verify"})


def _explorer_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--explorer",
        action="store_true",
        help="also check the InfluxDB 3 Explorer metadata docstring of each entry point",
    )


def _output_format(parser: argparse.ArgumentParser, what: str) -> None:
    # ruff's name for it; --format is the archive format (seed 000)
    parser.add_argument(
        "--output-format",
        choices=("text", "json", "sarif"),
        default="text",
        help=f"{what}: text, one JSON document, or SARIF 2.1.0 for code scanning",
    )
    parser.add_argument(
        "--json",
        dest="output_format",
        action="store_const",
        const="json",
        help="the same as --output-format json",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list else None
    return guarded(lambda: _dispatch(build_parser(command).parse_args(args_list)))


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return _validate(
            args.paths,
            output_format=args.output_format,
            index=args.index,
            strict=args.strict,
            exclude=args.exclude,
            explorer=args.explorer,
        )
    if args.command in ("index", "publish"):
        from .cli_registry import dispatch

        return dispatch(args, UsageError)
    if args.command == "new":
        from .cli_scaffold import dispatch as new

        return new(args)
    if args.command == "build":
        from .cli_build import build

        return build(args, UsageError)
    if args.command == "verify":
        return _verify(args.directory, args.source, as_json=args.json)
    if args.command == "catalog":
        from .cli_catalog import dispatch as catalog

        return catalog(args, UsageError)
    raise UsageError(f"unknown command {args.command!r}")  # pragma: no cover


def utf8_streams() -> None:
    """Write UTF-8 even where the console or pipe says otherwise (Windows code pages):
    the log's emoji and non-ASCII paths must never become an encoding error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if reconfigure is not None and encoding != "utf8":
            reconfigure(encoding="utf-8", errors="replace")


def on_termination() -> None:
    """SIGTERM (CI cancellation, ``timeout``, ``docker stop``) unwinds like Ctrl-C does,
    so every temporary file is removed on the way out; exit status 128 + 15."""
    import signal

    def terminate(signum: int, frame: object) -> None:
        del frame
        raise SystemExit(128 + signum)

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, terminate)


def guarded(action: Callable[[], int], prog: str = "plugin-build") -> int:
    """The one error boundary: usage errors exit 2, bugs exit 3 with a hint."""
    utf8_streams()
    on_termination()
    try:
        return action()
    except UsageError as exc:
        print(f"{prog}: error: {printable(str(exc))}", file=sys.stderr)
        print(f"Try '{prog} --help' for usage.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("plugin-build: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one boundary for bugs
        if os.environ.get("PLUGIN_BUILD_TRACEBACK"):
            import traceback

            traceback.print_exc()
        print(
            f"plugin-build: internal error: {type(exc).__name__}: {printable(str(exc))}\n"
            "This is a bug; rerun with PLUGIN_BUILD_TRACEBACK=1 and report the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _existing(paths: Sequence[str]) -> list[Path]:
    out = []
    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):
            raise UsageError(f"no such file or directory: {raw}")
        out.append(path)
    return out


def _validate(
    paths: Sequence[str],
    *,
    output_format: str = "text",
    index: str | None = None,
    strict: bool = False,
    exclude: Sequence[str] = (),
    explorer: bool = False,
) -> int:
    from .discover import plugin_roots
    from .reporters import passed, render, use_color
    from .validate import validate_plugins

    reports = validate_plugins(plugin_roots(_existing(paths), exclude))
    if explorer:
        from .explorer import with_explorer

        reports = [with_explorer(r) for r in reports]
    if index is not None:
        guarded = _guarded(reports, index, as_json=output_format == "json")
        if guarded is None:
            return EXIT_INVALID
        reports = guarded
    color = use_color(sys.stdout)
    sys.stdout.write(render(reports, output_format, color=color, strict=strict))
    return EXIT_OK if all(passed(r, strict=strict) for r in reports) else EXIT_INVALID


def _guarded(
    reports: list[PluginReport], index_path: str, *, as_json: bool
) -> list[PluginReport] | None:
    """The reports with the index's verdicts (uniqueness, version guard); None when the
    index cannot be used (the failure is printed)."""
    from .cli_registry import Failure, _fail, read_index_for_validate
    from .guard import assess
    from .publish import published_at

    try:
        index = read_index_for_validate(index_path)
    except Failure as failure:
        _fail(argparse.Namespace(json=as_json), failure)
        return None
    when = published_at({})
    return [assess(report, index, published_at=when).report for report in reports]


def _verify(directory: str, source: str | None, *, as_json: bool) -> int:

    from .reporters import format_diagnostic, use_color
    from .verify import verify_outputs

    for given in (directory, source):
        if given is not None and not os.path.isdir(given):
            raise UsageError(f"no such directory: {given}")
    result = verify_outputs(Path(directory), source=Path(source) if source else None)
    if as_json:
        document = {
            "ok": result.ok,
            "directory": directory,
            "archives": list(result.archives),
            "diagnostics": [d.as_dict() for d in result.diagnostics],
        }
        sys.stdout.write(json_text(document))
    else:
        color = use_color(sys.stdout)
        for d in result.diagnostics:
            sys.stdout.write(format_diagnostic(result.directory, d, color=color) + "\n")
        errors = sum(d.is_error for d in result.diagnostics)
        count = f"{len(result.archives)} archive{'s' if len(result.archives) != 1 else ''}"
        verdict = "all good" if result.ok else f"{errors} problem{'s' if errors != 1 else ''}"
        sys.stdout.write(f"verified {count} in {printable(directory)}: {verdict}\n")
    return EXIT_OK if result.ok else EXIT_INVALID
