"""plugin-build: validate plugin directories and build reproducible archives.

The public API is importable from here; names resolve lazily so that
``import plugin_build`` (and the CLI's startup) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "1.0.0"

__all__ = [
    "Code",
    "Diagnostic",
    "Index",
    "Manifest",
    "PluginReport",
    "__version__",
    "build_catalogue",
    "explorer_diagnostics",
    "load_manifest",
    "parse_index",
    "parse_manifest",
    "validate_plugin",
    "validate_plugins",
]

_LOCATIONS = {
    "build_catalogue": "catalog",
    "explorer_diagnostics": "explorer",
    "Code": "diagnostics",
    "Diagnostic": "diagnostics",
    "Index": "index",
    "parse_index": "index",
    "Manifest": "manifest",
    "load_manifest": "manifest",
    "parse_manifest": "manifest",
    "PluginReport": "validate",
    "validate_plugin": "validate",
    "validate_plugins": "validate",
}

if TYPE_CHECKING:
    from .catalog import build_catalogue
    from .diagnostics import Code, Diagnostic
    from .explorer import explorer_diagnostics
    from .index import Index, parse_index
    from .manifest import Manifest, load_manifest, parse_manifest
    from .validate import PluginReport, validate_plugin, validate_plugins


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'plugin_build' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
