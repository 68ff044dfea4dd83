"""Source positions of keys and values in a TOML document.

``tomllib`` decides what a manifest *means* (its verdict is the SDK's); it keeps
no positions. To point a diagnostic at the offending key or value we re-read the
same text with tree-sitter-toml (the engine that already parses the Python
sources) and index every key path. Only used when there is something to
report, so a valid manifest never pays for it.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

Key = tuple[str | int, ...]


class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, in characters


@functools.cache
def _parser() -> Parser:
    import tree_sitter
    import tree_sitter_toml

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_toml.language()))


def syntax_tree(source: bytes) -> Node:
    """The root node of ``source`` parsed by tree-sitter-toml."""
    return _parser().parse(source).root_node


# Values nested deeper than this are not indexed (positions fall back to an ancestor);
# it keeps the recursive indexing far from Python's recursion limit.
_MAX_DEPTH = 100


class TomlPositions:
    """Maps key paths such as ``("plugin", "triggers", 1)`` to positions.

    ``value(path)`` is where the value of that key (or array element) starts;
    ``key(path)`` where the key itself is written; ``table(path)`` where a
    ``[table]`` header or the inline table for that path starts. Lookups fall
    back to the nearest known ancestor, then to line 1.
    """

    def __init__(self, source: bytes) -> None:
        self._source = source
        self._lines = source.split(b"\n")
        self._values: dict[Key, Position] = {}
        self._keys: dict[Key, Position] = {}
        self._tables: dict[Key, Position] = {}
        self._index_document(syntax_tree(source))

    # -- lookups ---------------------------------------------------------
    def value(self, path: Key) -> Position:
        return self._lookup(self._values, path)

    def key(self, path: Key) -> Position:
        return self._lookup(self._keys, path)

    def table(self, path: Key) -> Position:
        return self._lookup(self._tables, path)

    def _lookup(self, index: dict[Key, Position], path: Key) -> Position:
        for depth in range(len(path), 0, -1):
            prefix = path[:depth]
            for table in (index, self._values, self._tables, self._keys):
                if prefix in table:
                    return table[prefix]
        return Position(1, 1)

    # -- indexing --------------------------------------------------------
    def _pos(self, node: Node) -> Position:
        row, byte_col = node.start_point
        line = self._lines[row] if row < len(self._lines) else b""
        column = len(line[:byte_col].decode("utf-8", "replace")) + 1
        return Position(row + 1, column)

    def _index_document(self, root: Node) -> None:
        array_counts: dict[Key, int] = {}
        for child in root.named_children:
            if child.type == "pair":
                self._index_pair(child, ())
            elif child.type in ("table", "table_array_element"):
                header = next((c for c in child.named_children if _is_key(c)), None)
                if header is None:
                    continue
                prefix: Key = tuple(_key_parts(header))
                if child.type == "table_array_element":
                    index = array_counts.get(prefix, 0)
                    array_counts[prefix] = index + 1
                    self._tables.setdefault(prefix, self._pos(child))
                    prefix = (*prefix, index)
                self._tables.setdefault(prefix, self._pos(child))
                for pair in child.named_children:
                    if pair.type == "pair":
                        self._index_pair(pair, prefix)

    def _index_pair(self, pair: Node, prefix: Key) -> None:
        children = pair.named_children
        key_node = next((c for c in children if _is_key(c)), None)
        if key_node is None:
            return
        path: Key = (*prefix, *_key_parts(key_node))
        self._keys.setdefault(path, self._pos(key_node))
        value = next((c for c in children if c is not key_node and c.type != "comment"), None)
        if value is not None:
            self._index_value(value, path)

    def _index_value(self, value: Node, path: Key) -> None:
        self._values.setdefault(path, self._pos(value))
        if len(path) > _MAX_DEPTH:
            return
        if value.type == "array":
            elements = [c for c in value.named_children if c.type != "comment"]
            for i, element in enumerate(elements):
                self._index_value(element, (*path, i))
        elif value.type == "inline_table":
            self._tables.setdefault(path, self._pos(value))
            for pair in value.named_children:
                if pair.type == "pair":
                    self._index_pair(pair, path)


def _is_key(node: Node) -> bool:
    return node.type in ("bare_key", "quoted_key", "dotted_key")


def _key_parts(node: Node) -> Iterator[str]:
    if node.type == "dotted_key":
        for child in node.named_children:
            yield from _key_parts(child)
        return
    text = (node.text or b"").decode("utf-8", "replace")
    if node.type == "quoted_key" and len(text) >= 2:
        inner = text[1:-1]
        if text[0] == '"':
            with contextlib.suppress(ValueError):  # TOML basic strings escape like JSON
                inner = json.loads(text)
        yield inner
        return
    yield text
