"""The ``plugin-build`` command line: arguments in, core calls, results out.

Exit codes: 0 success, 1 invalid plugin or failed build, 2 usage error,
3 internal error (a bug: the message says how to get the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
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
            "Validate plugins. Each PATH is a plugin directory, its manifest, or any file "
            "inside a plugin (mapped to the nearest directory holding manifest.toml or "
            "plugin.yaml); each plugin is validated once."
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
    validate.add_argument("--json", action="store_true", help="print one JSON document")
    validate.add_argument(
        "--strict", action="store_true", help="warnings fail too (exit 1), as errors do"
    )
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
            "manifest.json, plugin.preview.yaml and a build report. The progress log goes "
            "to stderr; --json prints the result on stdout."
        ),
    )
    build.add_argument(
        "path",
        nargs="?",
        default=".",
        metavar="PATH",
        help="plugin directory, or its manifest.toml / plugin.yaml (default: .)",
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
    build.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    build.add_argument(
        "--strict", action="store_true", help="a warning refuses the build, as an error does"
    )

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
    from .cli_registry import add_commands

    add_commands(commands, _Parser)
    from .cli_catalog import add_commands as add_catalog_command

    add_catalog_command(commands, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    return guarded(lambda: _dispatch(build_parser().parse_args(args_list)))


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return _validate(
            args.paths,
            as_json=args.json,
            index=args.index,
            strict=args.strict,
            exclude=args.exclude,
        )
    if args.command in ("index", "publish"):
        from .cli_registry import dispatch

        return dispatch(args, UsageError)
    if args.command == "build":
        return _build(
            args.path, args.format, args.output_dir, as_json=args.json, strict=args.strict
        )
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


def guarded(action: Callable[[], int]) -> int:
    """The one error boundary: usage errors exit 2, bugs exit 3 with a hint."""
    utf8_streams()
    on_termination()
    try:
        return action()
    except UsageError as exc:
        print(f"plugin-build: error: {printable(str(exc))}", file=sys.stderr)
        print("Try 'plugin-build --help' for usage.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("plugin-build: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one boundary for bugs
        if os.environ.get("PLUGIN_BUILD_TRACEBACK"):
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
    as_json: bool,
    index: str | None = None,
    strict: bool = False,
    exclude: Sequence[str] = (),
) -> int:
    from .discover import plugin_roots
    from .reporters import passed, render_json, render_text, use_color
    from .validate import validate_plugins

    reports = validate_plugins(plugin_roots(_existing(paths), exclude))
    if index is not None:
        guarded = _guarded(reports, index, as_json=as_json)
        if guarded is None:
            return EXIT_INVALID
        reports = guarded
    if as_json:
        sys.stdout.write(render_json(reports, strict=strict))
    else:
        sys.stdout.write(render_text(reports, color=use_color(sys.stdout), strict=strict))
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


def _build(path: str, fmt: str, output_dir: str, *, as_json: bool, strict: bool = False) -> int:

    from .build import FORMAT_CHOICES, build_plugin
    from .progress import Console

    formats = FORMAT_CHOICES.get(fmt)
    if formats is None:
        raise UsageError(f"Unsupported output format {fmt!r}: use tar.gz, zip or all")
    target = Path(path)
    named_manifest = target.name in ("manifest.toml", "plugin.yaml") and target.parent.is_dir()
    if not os.path.lexists(target) and not named_manifest:
        raise UsageError(f"no such file or directory: {path}")
    console = Console(sys.stderr, progress=not as_json)
    try:
        result = build_plugin(
            target,
            formats=formats,
            output_dir=Path(output_dir),
            log=console.log,
            progress=console.progress if console.show_progress else None,
            strict=strict,
        )
    finally:
        console.close()
    if as_json:
        sys.stdout.write(json_text(result.as_dict()))
    return EXIT_OK if result.ok else EXIT_INVALID


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
