"""Diagnostics are values: a stable code, a severity, a message and a location.

Reporters (``reporters.py``) render them as text lines, JSON or GitHub
annotations; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

Severity = Literal["error", "warning"]


class Code:
    """Stable diagnostic codes (SPEC §3). Add new ones; never rename one."""

    MANIFEST_MISSING: Final = "manifest-missing"
    MANIFEST_UNREADABLE: Final = "manifest-unreadable"
    MANIFEST_SYNTAX: Final = "manifest-syntax"
    MANIFEST_SCHEMA_VERSION: Final = "manifest-schema-version"
    MANIFEST_FIELD: Final = "manifest-field"
    MANIFEST_UNKNOWN_FIELD: Final = "manifest-unknown-field"
    MANIFEST_TOO_LARGE: Final = "manifest-too-large"
    MANIFEST_POSITIONAL_TABLE: Final = "manifest-positional-table"
    EXCLUDE_PATTERN: Final = "exclude-pattern"
    ENTRY_POINT_MISSING: Final = "entry-point-missing"
    ENTRY_POINT_AMBIGUOUS: Final = "entry-point-ambiguous"
    PYTHON_SYNTAX: Final = "python-syntax"
    PYTHON_RUNTIME_SYNTAX: Final = "python-runtime-syntax"
    TRIGGER_MISSING: Final = "trigger-missing"
    TRIGGER_ASYNC: Final = "trigger-async"
    HANDLER_MISSING: Final = "handler-missing"
    PATH_TOO_LONG: Final = "path-too-long"
    PATH_COLLISION: Final = "path-collision"
    PATH_ENCODING: Final = "path-encoding"
    ENTRY_POINT_TOO_LARGE: Final = "entry-point-too-large"
    SUSPICIOUS_FILE: Final = "suspicious-file"
    READ_ERROR: Final = "read-error"
    OUTPUT_CONFLICT: Final = "output-conflict"
    # registry: the version guard and publishing
    VERSION_NOT_BUMPED: Final = "version-not-bumped"
    VERSION_LOWER: Final = "version-lower"
    NAME_COLLISION: Final = "name-collision"
    NOT_PUBLISHABLE: Final = "not-publishable"
    INDEX_MISSING: Final = "index-missing"
    STRICT: Final = "strict"  # --strict: warnings refuse a build or a publish
    # verify
    CHECKSUM_MISSING: Final = "checksum-missing"
    CHECKSUM_MISMATCH: Final = "checksum-mismatch"
    ARCHIVE_UNREADABLE: Final = "archive-unreadable"
    ARCHIVE_UNSAFE_MEMBER: Final = "archive-unsafe-member"
    ARCHIVE_CONTENT_MISMATCH: Final = "archive-content-mismatch"
    # a zip's central directory and local headers disagree: extractors see different members
    ARCHIVE_INCONSISTENT: Final = "archive-inconsistent"
    # names equal but for letter case or Unicode normal form (or too many names to tell)
    ARCHIVE_CASE_CONFLICT: Final = "archive-case-conflict"
    ARCHIVE_UNSORTED: Final = "archive-unsorted"  # members out of the name order build writes
    # index.json (CONFORMANCE §4): the SDK's JsonParse, schema-version, field and uniqueness errors
    INDEX_SYNTAX: Final = "index-syntax"
    INDEX_SCHEMA_VERSION: Final = "index-schema-version"
    INDEX_FIELD: Final = "index-field"
    INDEX_DUPLICATE: Final = "index-duplicate"
    # validate --index: this name@version (canonical name, full version) is already in the index
    NAME_VERSION_CONFLICT: Final = "name-version-conflict"
    # the InfluxDB 3 Explorer's docstring metadata (explorer.py; REQUIRED_PLUGIN_METADATA.md)
    EXPLORER_DOCSTRING_MISSING: Final = "explorer-docstring-missing"
    # the file's text between the quotes and the string Python reads disagree (escapes)
    EXPLORER_DOCSTRING_ESCAPE: Final = "explorer-docstring-escape"
    EXPLORER_JSON: Final = "explorer-json"
    EXPLORER_PLUGIN_TYPE: Final = "explorer-plugin-type"
    EXPLORER_ARGS_CONFIG: Final = "explorer-args-config"
    # plugin_library.json (catalog.py)
    CATALOG_SYNTAX: Final = "catalog-syntax"  # the committed catalogue is not the expected JSON
    CATALOG_FIELD: Final = "catalog-field"  # a catalogue field has no source in the plugin
    CATALOG_REQUIRED_PLUGIN: Final = "catalog-required-plugin"
    CATALOG_SKIPPED: Final = "catalog-skipped"  # warning: a plugin.yaml plugin is not listed


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a plugin.

    ``path`` is relative to the plugin root with ``/`` separators, absent when
    the finding is about the directory. ``line`` and ``column`` are 1-based.
    ``field`` is the dotted manifest field (``plugin.version``).
    """

    code: str
    message: str
    severity: Severity = "error"
    path: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of SPEC §3; absent locations are omitted."""
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }
        for key in ("path", "line", "column", "field"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def render_field(path: tuple[str | int, ...]) -> str:
    """``("plugin", "triggers", 1)`` → ``plugin.triggers[1]``, as diagnostics name fields."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def strict_refusal(diagnostics: Sequence[Diagnostic], what: str) -> Diagnostic | None:
    """Under ``--strict``, the error that warnings make of ``what`` (None without any)."""
    warnings = [d for d in diagnostics if not d.is_error]
    if not warnings:
        return None
    codes = ", ".join(dict.fromkeys(d.code for d in warnings))
    return Diagnostic(
        Code.STRICT,
        f"strict mode: {len(warnings)} warning(s) ({codes}) refuse {what}; fix them, or "
        "drop --strict to let warnings pass",
    )
