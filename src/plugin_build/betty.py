"""``plugin.yaml`` (command-handler) plugins, as seed 000 describes them.

Validation: YAML syntax, the fields the outputs are named after, and each
command's handler script existing on disk. Command problems do not stop a
build (seed 000 builds with ``success_with_warnings``); a plugin whose name or
version is unusable cannot be packaged at all.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final

from .diagnostics import Code, Diagnostic, render_field
from .selection import Selection, walk

if TYPE_CHECKING:
    import yaml  # imported lazily: validating manifest.toml plugins never needs it

PLUGIN_YAML: Final = "plugin.yaml"
# Names and versions become file names ({name}-{version}.tar.gz): no separators.
_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_VERSION_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}\Z")


@dataclass(frozen=True)
class Command:
    name: str
    runtime: str | None
    script: str | None
    exists: bool  # the script is a regular file inside the plugin


@dataclass(frozen=True)
class BettyPlugin:
    name: str | None
    version: str | None
    data: Mapping[str, Any]
    commands: tuple[Command, ...]

    @property
    def buildable(self) -> bool:
        return self.name is not None and self.version is not None


@dataclass(frozen=True)
class BettyResult:
    plugin: BettyPlugin | None  # None when plugin.yaml cannot be read or parsed
    diagnostics: tuple[Diagnostic, ...]


class _Located:
    """Field paths → source marks of a composed YAML document."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def find(self, *path: str | int) -> tuple[int | None, int | None]:
        import yaml

        node = self.root
        best = node
        for part in path:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == part:
                        child = value
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
            if child is None:
                break
            node = best = child
        if best is None:
            return None, None
        mark = best.start_mark
        return mark.line + 1, mark.column + 1


def load_plugin_yaml(root: Path) -> BettyResult:
    import yaml

    path = root / PLUGIN_YAML
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"{PLUGIN_YAML} not found: {path}; add one at the plugin root"
        return BettyResult(None, (Diagnostic(Code.MANIFEST_MISSING, message),))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        message = f"cannot read {PLUGIN_YAML}: {reason}"
        return BettyResult(None, (Diagnostic(Code.MANIFEST_UNREADABLE, message, path=PLUGIN_YAML),))
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        return BettyResult(
            None,
            (
                Diagnostic(
                    Code.MANIFEST_SYNTAX,
                    f"Invalid YAML in {PLUGIN_YAML}: {problem}; fix the YAML syntax",
                    path=PLUGIN_YAML,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                ),
            ),
        )
    except yaml.YAMLError as exc:
        message = f"Invalid YAML in {PLUGIN_YAML}: {exc}"
        return BettyResult(None, (Diagnostic(Code.MANIFEST_SYNTAX, message, path=PLUGIN_YAML),))
    finally:
        loader.dispose()
    return _Checker(root, _Located(node)).check(data)


class _Checker:
    def __init__(self, root: Path, located: _Located) -> None:
        self.root = root
        self.located = located
        self.diagnostics: list[Diagnostic] = []

    def report(self, code: str, message: str, *path: str | int) -> None:
        line, column = self.located.find(*path)
        self.diagnostics.append(
            Diagnostic(
                code,
                message,
                path=PLUGIN_YAML,
                line=line,
                column=column,
                field=render_field(path) or None,
            )
        )

    def check(self, data: object) -> BettyResult:
        if not isinstance(data, dict):
            self.report(
                Code.MANIFEST_FIELD,
                f"{PLUGIN_YAML} must be a mapping with name, version and commands",
            )
            return BettyResult(None, tuple(self.diagnostics))
        name = self.identifier(data, "name", _NAME_RE)
        version = self.identifier(data, "version", _VERSION_RE)
        commands = self.commands(data.get("commands"))
        plugin = BettyPlugin(name, version, data, commands)
        return BettyResult(plugin, tuple(self.diagnostics))

    def identifier(self, data: Mapping[str, Any], key: str, pattern: re.Pattern[str]) -> str | None:
        value = data.get(key)
        if value is None:
            self.report(Code.MANIFEST_FIELD, f"{key} is missing from {PLUGIN_YAML}; add it")
            return None
        if not isinstance(value, str):
            self.report(
                Code.MANIFEST_FIELD,
                f'{key} must be a string; quote it ({key}: "{value}") so YAML keeps it as written',
                key,
            )
            return None
        if not pattern.match(value):
            self.report(
                Code.MANIFEST_FIELD,
                f"{key} {value!r} cannot name an archive: use letters, digits, '.', '_' and '-'",
                key,
            )
            return None
        return value

    def commands(self, value: object) -> tuple[Command, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.report(Code.MANIFEST_FIELD, "commands must be a list of commands", "commands")
            return ()
        return tuple(self.command(i, item) for i, item in enumerate(value))

    def command(self, i: int, item: object) -> Command:
        where = ("commands", i)
        if not isinstance(item, dict):
            self.report(Code.MANIFEST_FIELD, f"commands[{i}] must be a mapping", *where)
            return Command(f"commands[{i}]", None, None, exists=False)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            self.report(
                Code.MANIFEST_FIELD, f"commands[{i}] has no name; give it a name", *where, "name"
            )
            name = f"commands[{i}]"
        handler = item.get("handler")
        if not isinstance(handler, dict):
            self.report(
                Code.HANDLER_MISSING,
                f"Command {name!r}: no handler; add handler: {{runtime: python, script: ...}}",
                *where,
            )
            return Command(name, None, None, exists=False)
        runtime = handler.get("runtime")
        if not isinstance(runtime, str) or not runtime:
            self.report(
                Code.MANIFEST_FIELD,
                f"Command {name!r}: handler.runtime is missing; add runtime: python",
                *where,
                "handler",
            )
            runtime = None
        script = handler.get("script")
        if not isinstance(script, str) or not script:
            self.report(
                Code.HANDLER_MISSING,
                f"Command {name!r}: handler.script is missing; name the handler file",
                *where,
                "handler",
            )
            return Command(name, runtime, None, exists=False)
        exists = self.handler_exists(script)
        if not exists:
            self.report(
                Code.HANDLER_MISSING,
                f"Command {name!r}: handler not found at {script}",
                *where,
                "handler",
                "script",
            )
        return Command(name, runtime, script, exists=exists)

    def handler_exists(self, script: str) -> bool:
        """A regular file inside the plugin, reached without symbolic links.

        Anything else would not be packaged (symlinks are never followed), so
        it counts as missing.
        """
        rel = PurePosixPath(script.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            return False
        current = self.root
        for part in rel.parts:
            current = current / part
            try:
                mode = os.lstat(current).st_mode
            except OSError:
                return False
            if stat.S_ISLNK(mode):
                return False
        return stat.S_ISREG(mode)


# Seed 000's file set: always plugin.yaml, the skill directories the commands'
# handlers live in, betty/ and registry/*.json; the optional top-level files
# when present; never caches, hidden files, build output or IDE folders.
OPTIONAL_FILES: Final = ("requirements.txt", "README.md", "LICENSE", "CHANGELOG.md")
_SKIPPED_DIRS: Final = frozenset({"__pycache__", "dist", "build", "node_modules"})
_SKIPPED_SUFFIXES: Final = (".pyc", ".pyo", ".tmp", ".swp", "~")


def handler_directory(script: str) -> str | None:
    """The directory packaged for a handler: ``skills/<skill>`` for a skill's
    handler, else the handler's own directory (``None`` at the plugin root)."""
    parts = PurePosixPath(script.replace("\\", "/")).parts
    if len(parts) >= 3 and parts[0] == "skills":
        return "/".join(parts[:2])
    return "/".join(parts[:-1]) or None


def gather(root: Path, plugin: BettyPlugin, *, prune: Collection[Path] = ()) -> Selection:
    """The files seed 000 packages for ``plugin``, walked without following links."""
    trees = {"betty", "registry"}
    single = {PLUGIN_YAML, *OPTIONAL_FILES}
    for command in plugin.commands:
        if command.exists and command.script is not None:
            directory = handler_directory(command.script)
            if directory is None:
                single.add(command.script)
            else:
                trees.add(directory)

    def junk(name: str) -> bool:
        return name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES)

    def under_tree(rel: str) -> bool:
        return any(rel == tree or rel.startswith(tree + "/") for tree in trees)

    def enter(rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if junk(name) or name in _SKIPPED_DIRS:
            return False
        # Descend towards a packaged tree, or inside one.
        return under_tree(rel) or any(tree.startswith(rel + "/") for tree in trees)

    def excluded(rel: str) -> bool:
        if rel in single:
            return False
        if junk(rel.rsplit("/", 1)[-1]) or not under_tree(rel):
            return True
        return rel.startswith("registry/") and ("/" in rel[9:] or not rel.endswith(".json"))

    return walk(root, prune=prune, enter=enter, excluded=excluded)
