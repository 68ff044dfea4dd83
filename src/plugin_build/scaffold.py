"""``new``: a plugin directory from a built-in template, one that validates clean.

The three ``manifest.toml`` templates follow the plugin SDK's ``new`` (0.7.0):
``manifest.toml`` at schema 1.3 with the recommended ``exclude`` list, a single
``<module>.py`` entry point defining the trigger as the runtime calls it, and a
``README.md``. ``plugin-yaml`` writes a seed-000 command-handler plugin.

Refusals are :class:`ScaffoldError` values with codes in the SDK's namespaces
(``usage::*`` for what the caller typed, ``new::*`` for what is on disk).
Writing is all or nothing: every file goes to a temporary name beside its
final one first, and only when all are written are they renamed into place;
nothing is ever written through a symbolic link.
"""

from __future__ import annotations

import contextlib
import keyword
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "DEFAULT_DATABASE_VERSION",
    "ScaffoldError",
    "Scaffolded",
    "Template",
    "module_name",
    "quoted",
    "scaffold",
    "templates",
]

# The SDK bakes ">=" + the latest InfluxDB 3 release into its binary at build time
# and falls back to 3.0.0 without one; a floor we cannot know offline would be a
# guess, so we use the SDK's fallback (its getting-started guide shows the same).
DEFAULT_DATABASE_VERSION: Final = ">=3.0.0"
# Spelled here, not imported: the CLI lists the templates without loading the
# manifest parser (which every other command would then pay for at startup).
MANIFEST_FILE: Final = "manifest.toml"
PLUGIN_YAML: Final = "plugin.yaml"
_FILE_MODE: Final = 0o644
_PLACEHOLDER: Final = re.compile(r"\{\{([a-z_]+)\}\}")


@dataclass(frozen=True)
class Template:
    short_name: str
    name: str  # as `new list` shows it
    description: str
    format: Literal["manifest.toml", "plugin.yaml"]


@dataclass(frozen=True)
class Scaffolded:
    """What :func:`scaffold` wrote; the fields of the SDK's ``new`` JSON result."""

    kind: Literal["plugin"]
    template: str
    target_dir: Path  # absolute, symbolic links as typed
    name: str
    files_written: tuple[str, ...]  # relative to target_dir, "/"-separated

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "template": self.template,
            "target_dir": os.fspath(self.target_dir),
            "name": self.name,
            "files_written": list(self.files_written),
        }


class ScaffoldError(Exception):
    """A refusal: ``code`` is ``usage::…`` (bad input) or ``new::…`` (the disk says no)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def usage(self) -> bool:
        return self.code.startswith("usage::")


_TEMPLATES: Final = (
    Template(
        "process_writes",
        "Process Writes Plugin",
        "Plugin triggered by rows written to a database.",
        "manifest.toml",
    ),
    Template(
        "process_scheduled_call",
        "Scheduled Call Plugin",
        "Plugin triggered on a schedule.",
        "manifest.toml",
    ),
    Template(
        "process_request",
        "Process Request Plugin",
        "Plugin triggered by an HTTP request.",
        "manifest.toml",
    ),
    Template(
        "plugin-yaml",
        "Command Handler Plugin",
        "plugin.yaml plugin whose commands run handler scripts.",
        "plugin.yaml",
    ),
)
# The one-line plugin.description of each manifest.toml template (the SDK's).
_DESCRIPTIONS: Final = {
    "process_writes": "A new write-processing plugin.",
    "process_scheduled_call": "A new scheduled-call plugin.",
    "process_request": "A new request-handling plugin.",
}
# plugin-yaml: (file written, template resource, quote values?) in write order.
_PLUGIN_YAML_FILES: Final = (
    (PLUGIN_YAML, "plugin-yaml/plugin.yaml.tmpl", True),
    ("README.md", "plugin-yaml/README.md.tmpl", False),
    ("skills/hello/skill.yaml", "plugin-yaml/skill.yaml.tmpl", True),
    ("skills/hello/SKILL.md", "plugin-yaml/SKILL.md.tmpl", False),
    ("skills/hello/hello.py", "plugin-yaml/hello.py.tmpl", False),
)


def templates() -> tuple[Template, ...]:
    """The built-in templates, in the order ``new list`` shows them."""
    return _TEMPLATES


def module_name(name: str) -> str:
    """The entry point's module name for a valid plugin name.

    The SDK writes ``<name>.py`` as spelled; a plugin name may hold ``-``, which
    no Python module name can, so it becomes ``_`` (and a keyword gets a
    trailing ``_``) — for a name that is already an identifier, the SDK's file.
    """
    module = name.replace("-", "_")
    return module + "_" if keyword.iskeyword(module) else module


def quoted(value: str) -> str:
    """``value`` as a double-quoted string that TOML (a basic string) and YAML both
    read back unchanged: everything but printable ASCII is an escape."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError("a lone surrogate cannot be written to TOML or YAML")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    out.append('"')
    return "".join(out)


def fill(text: str, values: Mapping[str, str], *, quote: bool) -> str:
    """Replace each ``{{key}}`` in one pass (a value is never scanned again)."""

    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]  # a KeyError is a template bug
        return quoted(value) if quote else value

    return _PLACEHOLDER.sub(one, text)


def _resource(name: str) -> str:
    from importlib import resources

    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    return text.replace("\r\n", "\n")  # LF, whatever a checkout did to the package data


def render(template: str, name: str, database_version: str) -> dict[str, bytes]:
    """The files of ``template`` for plugin ``name``: relative path → UTF-8 bytes."""
    if template == "plugin-yaml":
        values = {"name": name}
        return {
            rel: fill(_resource(res), values, quote=quote).encode()
            for rel, res, quote in _PLUGIN_YAML_FILES
        }
    from .manifest import CURRENT_SCHEMA_VERSION

    module = module_name(name)
    values = {
        "manifest_schema_version": CURRENT_SCHEMA_VERSION,
        "name": name,
        "module": module,
        "trigger": template,
        "description": _DESCRIPTIONS[template],
        "database_version": database_version,
    }
    return {
        MANIFEST_FILE: fill(_resource("manifest.toml.tmpl"), values, quote=True).encode(),
        f"{module}.py": _resource(f"{template}.py.tmpl").encode(),
        "README.md": fill(_resource("README.md.tmpl"), values, quote=False).encode(),
    }


def scaffold(
    template: str,
    target: str | os.PathLike[str],
    *,
    name: str | None = None,
    database_version: str | None = None,
    force: bool = False,
) -> Scaffolded:
    """Write ``template`` into the directory ``target`` (created if missing).

    ``name`` defaults to the basename of ``target``; ``database_version`` (for
    ``manifest.toml`` templates) to :data:`DEFAULT_DATABASE_VERSION`. ``force``
    overwrites the files the template writes, never anything else.
    """
    from .manifest import requirement_problem

    chosen = next((t for t in _TEMPLATES if t.short_name == template), None)
    if chosen is None:
        known = ", ".join(t.short_name for t in _TEMPLATES)
        raise ScaffoldError("usage::unknown_template", f"no template {template!r}; use {known}")
    target_dir = _target_dir(target)
    name = _plugin_name(target_dir, name)
    if chosen.format == PLUGIN_YAML:
        if database_version is not None:
            raise ScaffoldError(
                "usage::value_validation",
                "--database-version applies to manifest.toml templates only",
            )
    elif database_version is not None:
        problem = requirement_problem("--database-version", database_version)
        if problem is not None:
            raise ScaffoldError("usage::invalid_database_version", problem)
    files = render(template, name, database_version or DEFAULT_DATABASE_VERSION)
    try:
        _check_siblings(target_dir, name)
        existing = _check_target(target_dir, chosen, files, force=force)
        _write_all(target_dir, files, existing)
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else target_dir
        message = f"cannot write {where}: {_reason(exc)}"
        raise ScaffoldError("new::scaffold_failed", message) from exc
    return Scaffolded("plugin", template, target_dir, name, tuple(files))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _target_dir(target: str | os.PathLike[str]) -> Path:
    raw = os.fspath(target)
    if "\0" in raw:
        raise ScaffoldError("usage::invalid_target", f"PATH {raw!r} contains a NUL character")
    try:
        os.fsencode(raw)
    except UnicodeEncodeError:
        raise ScaffoldError(
            "usage::invalid_target", f"PATH {raw!r} cannot be a file name here"
        ) from None
    # Absolute without resolving links: the directory the user named, as typed.
    return Path(os.path.abspath(raw))


def _plugin_name(target_dir: Path, name: str | None) -> str:
    """``name``, or the basename of the target; the SDK's codes for each failure."""
    from .manifest import plugin_name_problem

    if name is not None:
        problem = plugin_name_problem(name)
        if problem is not None:
            raise ScaffoldError("usage::invalid_name", f"--name: {problem}")
        return name
    derived = target_dir.name
    if not derived:
        raise ScaffoldError(
            "new::derived_name_unavailable",
            f"cannot derive a plugin name from {target_dir}; pass --name NAME",
        )
    problem = plugin_name_problem(derived)
    if problem is not None:
        raise ScaffoldError(
            "new::derived_name_invalid",
            f"the plugin name comes from the directory name: {problem}; pass --name NAME",
        )
    return derived


def _check_siblings(target_dir: Path, name: str) -> None:
    """Refuse a name that collides canonically with a sibling directory spelled
    otherwise (``geo-lookup`` beside ``Geo_Lookup``): a registry cannot hold both.

    The target directory itself is not its own sibling, and names that are not
    plugin names can never collide; an unreadable parent has no siblings.
    """
    from .manifest import canonical_name, plugin_name_problem

    wanted = canonical_name(name)
    try:
        with os.scandir(target_dir.parent) as entries:
            for entry in entries:
                other = entry.name
                if other in (name, target_dir.name) or plugin_name_problem(other):
                    continue
                if canonical_name(other) == wanted and entry.is_dir():
                    raise ScaffoldError(
                        "usage::sibling_canonical_collision",
                        f"plugin name {name!r} collides with the sibling directory {other!r} "
                        f"(both are {wanted!r} once case and '-'/'_' are folded); "
                        "rename the new plugin or use the existing spelling",
                    )
    except OSError:
        return


def _check_target(
    target_dir: Path, template: Template, files: Mapping[str, bytes], *, force: bool
) -> frozenset[str]:
    """Every refusal the directory's contents call for; the written paths that exist."""
    try:
        mode = os.stat(target_dir).st_mode
    except FileNotFoundError:
        return frozenset()  # nothing there yet, so nothing in the way
    if not stat.S_ISDIR(mode):
        raise ScaffoldError("new::scaffold_failed", f"{target_dir} exists and is not a directory")
    with os.scandir(target_dir) as entries:
        names = {entry.name: entry for entry in entries}
    # The other format's manifest would win (or lose) against ours: refused even
    # with --force, which overwrites only what this template writes.
    other = PLUGIN_YAML if template.format == MANIFEST_FILE else MANIFEST_FILE
    if other in names:
        raise ScaffoldError(
            "new::conflicting_manifest",
            f"{target_dir} already holds {other}; a directory is one plugin, so remove it "
            f"or scaffold elsewhere",
        )
    if template.format == MANIFEST_FILE:
        # As the SDK: another top-level .py would make the entry point ambiguous
        # (or, as __init__.py, take its place). Links are never entry points.
        ours = next(rel for rel in files if rel.endswith(".py"))
        python = sorted(
            n
            for n, e in names.items()
            if n.endswith(".py") and n != ours and e.is_file(follow_symlinks=False)
        )
        if python:
            raise ScaffoldError(
                "new::conflicting_entry_point",
                f"{target_dir} already has the top-level Python file {python[0]}, which would "
                f"conflict with the entry point {ours}; remove or migrate it first "
                "(--force never overwrites it)",
            )
    existing = []
    for rel in files:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            _directory_on_the_way(target_dir, "/".join(parts[:depth]))
        try:
            st = os.lstat(target_dir.joinpath(*parts))
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            raise ScaffoldError(
                "new::conflicting_path",
                f"{target_dir.joinpath(*parts)} is a directory; the template writes a file there",
            )
        existing.append(rel)
    if existing and not force:
        listed = ", ".join(existing)
        raise ScaffoldError(
            "new::already_exists",
            f"{listed} already exist{'s' if len(existing) == 1 else ''} in {target_dir}; "
            "pass --force to overwrite what the template writes",
        )
    return frozenset(existing)


def _directory_on_the_way(target_dir: Path, rel: str) -> None:
    """A directory the template writes into must be a real one (or not exist yet)."""
    path = target_dir / rel
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    is_junction = getattr(os.path, "isjunction", None)  # Python 3.12+, Windows
    if stat.S_ISLNK(st.st_mode) or (is_junction is not None and is_junction(path)):
        raise ScaffoldError(
            "new::conflicting_path",
            f"{path} is a symbolic link; plugin-build never writes through one",
        )
    if not stat.S_ISDIR(st.st_mode):
        raise ScaffoldError("new::conflicting_path", f"{path} exists and is not a directory")


def _write_all(target_dir: Path, files: Mapping[str, bytes], existing: frozenset[str]) -> None:
    """Write every file or none: temporaries first, then renames.

    A failure while writing (disk full, permission) removes every temporary and
    every directory this call created. A rename failing midway (rare) also
    removes the files it had placed that did not exist before; a file already
    overwritten under --force keeps its new content (the old one was given up).
    """
    from .locking import temp_name

    created: list[Path] = []
    temps: list[tuple[Path, Path, str]] = []
    placed: list[Path] = []
    try:
        for rel, data in files.items():
            final = target_dir.joinpath(*rel.split("/"))
            _make_dirs(final.parent, created)
            temp = final.with_name(temp_name(final.name))
            _write_temp(temp, data)
            temps.append((temp, final, rel))
        for temp, final, rel in temps:
            if rel in existing:
                os.replace(temp, final)  # replaces a link itself, never its target
                continue
            # A hard link never replaces a name, so a file created since the checks
            # is not clobbered; without hard links here, check again, then rename.
            try:
                os.link(temp, final)
            except FileExistsError:
                raise _appeared(final) from None
            except OSError:
                if os.path.lexists(final):
                    raise _appeared(final) from None
                os.replace(temp, final)
            placed.append(final)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    except BaseException:
        for path in [t for t, _, _ in temps] + placed:
            with contextlib.suppress(OSError):
                os.unlink(path)
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        raise


def _appeared(path: Path) -> ScaffoldError:
    return ScaffoldError(
        "new::already_exists", f"{path} appeared while scaffolding; pass --force to overwrite it"
    )


def _make_dirs(directory: Path, created: list[Path]) -> None:
    """Create ``directory`` and its missing parents, recording each one created."""
    missing: list[Path] = []
    while not os.path.lexists(directory) and directory.parent != directory:
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        os.mkdir(path)
        created.append(path)


def _write_temp(temp: Path, data: bytes) -> None:
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    fd = os.open(temp, flags, _FILE_MODE)
    try:
        handle = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), _FILE_MODE)  # 0644 whatever the umask
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
