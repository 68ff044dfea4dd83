"""The floor of `plugin-build validate`: a bare interpreter doing the unavoidable part.

For each plugin directory given, read its manifest.toml with tomllib, find its
entry point as the SDK does (`__init__.py`, else the one top-level .py file) and
parse it with tree-sitter, touching the root's children. No checks, no output:
what any validator of these plugins must at least pay. The benchmarks
(validate_speed.py, validate_one.py) time this script against plugin-build.

    python bench/validate_floor.py PLUGIN [PLUGIN ...]
"""

import os
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # as plugin-build itself
    import tomli as tomllib

import tree_sitter
import tree_sitter_python

parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
for root in sys.argv[1:]:
    with open(os.path.join(root, "manifest.toml"), "rb") as f:
        tomllib.loads(f.read().decode())
    entry = os.path.join(root, "__init__.py")
    if not os.path.exists(entry):
        entry = os.path.join(root, next(n for n in sorted(os.listdir(root)) if n.endswith(".py")))
    with open(entry, "rb") as f:
        tree = parser.parse(f.read())
    [c.type for c in tree.root_node.children]
