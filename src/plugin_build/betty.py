"""``plugin.yaml`` (command-handler) plugins, as seed 000 describes them.

Validation: YAML syntax, the fields the outputs are named after, and each
command's handler script existing on disk. Command problems do not stop a
build (seed 000 builds with ``success_with_warnings``); a plugin whose name or
version is unusable cannot be packaged at all.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final

from .diagnostics import Code, Diagnostic, render_field
from .manifest import PLUGIN_YAML
from .selection import Selection, walk

if TYPE_CHECKING:
    import yaml  # imported lazily: validating manifest.toml plugins never needs it

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
        best = self.node(*path)
        if best is None:
            return None, None
        mark = best.start_mark
        return mark.line + 1, mark.column + 1

    def node(self, *path: str | int) -> yaml.Node | None:
        """The node at ``path``, or the deepest one found on the way."""
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
        return best


def load_plugin_yaml(root: Path) -> BettyResult:
    import yaml

    from .manifest import MANIFEST_SIZE_LIMIT, read_manifest_file

    raw = read_manifest_file(root, PLUGIN_YAML, MANIFEST_SIZE_LIMIT)
    if isinstance(raw, Diagnostic):
        return BettyResult(None, (raw,))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        message = f"cannot read {PLUGIN_YAML}: it is not valid UTF-8; save it as UTF-8"
        return BettyResult(None, (Diagnostic(Code.MANIFEST_UNREADABLE, message, path=PLUGIN_YAML),))
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = _Converter().convert(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        return _yaml_problem(
            Code.MANIFEST_SYNTAX,
            f"Invalid YAML in {PLUGIN_YAML}: {problem}; fix the YAML syntax",
            mark,
        )
    except _Unbounded as exc:
        return _yaml_problem(exc.code, f"{PLUGIN_YAML} {exc.problem}", exc.mark)
    except RecursionError:
        return _yaml_problem(
            Code.MANIFEST_TOO_LARGE,
            f"{PLUGIN_YAML} nests too deeply to be read; flatten it",
            None,
        )
    except yaml.YAMLError as exc:
        message = f"Invalid YAML in {PLUGIN_YAML}: {exc}"
        return BettyResult(None, (Diagnostic(Code.MANIFEST_SYNTAX, message, path=PLUGIN_YAML),))
    finally:
        loader.dispose()
    return _Checker(root, _Located(node)).check(data)


def _yaml_problem(code: str, message: str, mark: yaml.Mark | None) -> BettyResult:
    return BettyResult(
        None,
        (
            Diagnostic(
                code,
                message,
                path=PLUGIN_YAML,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            ),
        ),
    )


# What a plugin.yaml may expand to: far above any real one, far below what hurts.
YAML_VALUE_LIMIT: Final = 100_000  # values after aliases are expanded
YAML_DEPTH_LIMIT: Final = 100  # nested sequences and mappings
_TAG: Final = "tag:yaml.org,2002:"


class _Unbounded(Exception):
    def __init__(
        self, problem: str, mark: yaml.Mark | None, code: str = Code.MANIFEST_TOO_LARGE
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark
        self.code = code


class _Converter:
    """A composed YAML document → plain JSON-safe values, within bounds.

    Used instead of PyYAML's constructor so that every value the outputs carry
    (manifest.json, the report, the preview) is one JSON and YAML can both hold:
    timestamps, ``!!binary`` and non-finite floats stay the text as written, a
    ``!!set`` becomes the list of its members, keys are the text as written.
    Aliases are expanded against a budget (an alias bomb is refused, not built),
    a recursive alias is refused, and merge keys (``<<``) are expanded here, under
    the same budget.
    """

    def __init__(self) -> None:
        import yaml

        self.yaml = yaml
        self.budget = YAML_VALUE_LIMIT
        self.active: set[int] = set()
        self.scalars = yaml.SafeLoader("")  # constructs single scalars only

    def convert(self, node: yaml.Node, depth: int = 0) -> Any:
        yaml = self.yaml
        self.budget -= 1
        if self.budget < 0:
            raise _Unbounded(
                f"expands to more than {YAML_VALUE_LIMIT:,} values (through aliases); "
                "write it without nested aliases",
                node.start_mark,
            )
        if depth > YAML_DEPTH_LIMIT:
            raise _Unbounded(
                f"nests more than {YAML_DEPTH_LIMIT} levels deep; flatten it", node.start_mark
            )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise _Unbounded(
                "has a recursive alias (a value that contains itself); remove it",
                node.start_mark,
                Code.MANIFEST_SYNTAX,
            )
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self.known(node, ("seq", "omap", "pairs"))
                return [self.convert(child, depth + 1) for child in node.value]
            assert isinstance(node, yaml.MappingNode)
            self.known(node, ("map", "set"))
            mapping = self.mapping(node, depth)
            return list(mapping) if node.tag == _TAG + "set" else mapping
        finally:
            self.active.discard(id(node))

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        yaml = self.yaml
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                # Earlier merged mappings win over later ones; explicit keys over all.
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    value = self.convert(source, depth + 1)
                    if not isinstance(value, dict):
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            "a merge key (<<) needs a mapping or a list of mappings",
                            source.start_mark,
                        )
                    for key, item in value.items():
                        merged.setdefault(key, item)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "a key is a list or a mapping; keys must be plain text",
                    key_node.start_mark,
                )
            self.budget -= 1
            out[str(key_node.value)] = self.convert(value_node, depth + 1)
        return {**merged, **out} if merged else out

    def known(self, node: yaml.Node, kinds: tuple[str, ...]) -> None:
        if node.tag not in tuple(_TAG + kind for kind in kinds):
            raise self.yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag {node.tag!r}",
                node.start_mark,
            )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag in (_TAG + "str", _TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"):
            try:
                value = self.scalars.construct_object(node)
            except (ValueError, OverflowError):  # e.g. an int past Python's digit limit
                return node.value
            if isinstance(value, float) and not math.isfinite(value):
                return node.value  # .nan / .inf: JSON has no such number
            return value
        if tag.startswith(_TAG):  # timestamp, binary, value, …: the text as written
            return node.value
        raise self.yaml.constructor.ConstructorError(
            None, None, f"could not determine a constructor for the tag {tag!r}", node.start_mark
        )


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
            node = self.located.node(key)
            written = getattr(node, "value", None)
            if isinstance(written, str):  # quote the text as written: 1.10, not 1.1
                quoted = json.dumps(written, ensure_ascii=False)
                hint = f"quote it ({key}: {quoted}) so YAML keeps it as written"
            else:
                hint = "write it as text"
            self.report(Code.MANIFEST_FIELD, f"{key} must be a string; {hint}", key)
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
