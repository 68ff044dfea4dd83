"""Diagnostics are values: a stable code, a severity, a message and a location.

Reporters (``reporters.py``) render them as text lines, JSON or GitHub
annotations; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, NamedTuple

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


# What each code means, in a line: the SARIF rules' descriptions (README's tables agree).
DESCRIPTIONS: Final[dict[str, str]] = {
    Code.MANIFEST_MISSING: "No manifest.toml or plugin.yaml, or the manifest would not be packaged",
    Code.MANIFEST_UNREADABLE: "The manifest cannot be read, is not UTF-8, or is not a file",
    Code.MANIFEST_SYNTAX: "The manifest is not valid TOML or YAML",
    Code.MANIFEST_SCHEMA_VERSION: "manifest_schema_version is missing, malformed or unsupported",
    Code.MANIFEST_FIELD: "A manifest field is missing, of the wrong type or invalid",
    Code.MANIFEST_UNKNOWN_FIELD: "An unknown manifest key that looks like a misspelt known one",
    Code.MANIFEST_TOO_LARGE: "The manifest is over 1 MiB, or its YAML expands or nests too far",
    Code.MANIFEST_POSITIONAL_TABLE: "A table written as an array is read by position",
    Code.EXCLUDE_PATTERN: "An exclude pattern does not compile",
    Code.ENTRY_POINT_MISSING: "No top-level .py file to be the entry point",
    Code.ENTRY_POINT_AMBIGUOUS: "Several top-level .py files and no __init__.py",
    Code.ENTRY_POINT_TOO_LARGE: "The entry point is over 32 MiB",
    Code.PYTHON_SYNTAX: "The entry point does not parse",
    Code.PYTHON_RUNTIME_SYNTAX: "CPython refuses the entry point that the SDK's parser accepts",
    Code.TRIGGER_MISSING: "A declared trigger has no top-level def in the entry point",
    Code.TRIGGER_ASYNC: "A trigger is defined with async def; the runtime calls it synchronously",
    Code.HANDLER_MISSING: "A plugin.yaml command's handler script does not exist",
    Code.PATH_TOO_LONG: "An archive path would exceed 255 bytes",
    Code.PATH_COLLISION: "Names that are not UTF-8 would be stored as one archive member",
    Code.PATH_ENCODING: "A name that is not UTF-8 is stored with U+FFFD",
    Code.SUSPICIOUS_FILE: "A secret, a cache or an earlier build's output is about to be packaged",
    Code.READ_ERROR: "The plugin directory cannot be walked or read",
    Code.OUTPUT_CONFLICT: "The output directory holds another plugin's build",
    Code.VERSION_NOT_BUMPED: "The plugin changed but its version is already published",
    Code.VERSION_LOWER: "The version is lower than the latest published one",
    Code.NAME_COLLISION: "The name collides with another plugin's in the registry",
    Code.NOT_PUBLISHABLE: "The plugin cannot be published as it is",
    Code.INDEX_MISSING: "The registry has no index.json",
    Code.STRICT: "Warnings refuse the run under --strict",
    Code.CHECKSUM_MISSING: "An archive is missing from SHA256SUMS or manifest.json",
    Code.CHECKSUM_MISMATCH: "An archive's checksum differs from the one recorded",
    Code.ARCHIVE_UNREADABLE: "An archive cannot be read",
    Code.ARCHIVE_UNSAFE_MEMBER: "An archive member is absolute, climbs out, or is a link or device",
    Code.ARCHIVE_CONTENT_MISMATCH: "The archives do not hold exactly the plugin's files",
    Code.ARCHIVE_INCONSISTENT: "A zip's central directory and local headers disagree",
    Code.ARCHIVE_CASE_CONFLICT: "Member names equal but for letter case or Unicode normal form",
    Code.ARCHIVE_UNSORTED: "Members are not in the order build writes them",
    Code.INDEX_SYNTAX: "index.json is not valid JSON",
    Code.INDEX_SCHEMA_VERSION: "index.json's schema version is missing or unsupported",
    Code.INDEX_FIELD: "An index.json field is missing, of the wrong type or invalid",
    Code.INDEX_DUPLICATE: "index.json lists a name and version twice",
    Code.NAME_VERSION_CONFLICT: "This name and version are already in the index",
    Code.EXPLORER_DOCSTRING_MISSING: "The entry point does not start with the Explorer's "
    "metadata docstring",
    Code.EXPLORER_DOCSTRING_ESCAPE: "The metadata docstring reads differently as source "
    "text and as the string Python makes of it",
    Code.EXPLORER_JSON: "The metadata docstring is not one JSON object",
    Code.EXPLORER_PLUGIN_TYPE: "plugin_type is not a list of scheduled, onwrite, http "
    "matching the manifest's triggers",
    Code.EXPLORER_ARGS_CONFIG: "An *_args_config entry lacks name, example, description or "
    "a boolean required",
    Code.CATALOG_SYNTAX: "The committed catalogue is not the expected JSON",
    Code.CATALOG_FIELD: "A catalogue field has no source in the plugin",
    Code.CATALOG_REQUIRED_PLUGIN: "A required plugin is not in the catalogue",
    Code.CATALOG_SKIPPED: "A plugin.yaml plugin is not listed in the catalogue",
}


class Diagnostic(NamedTuple):
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


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int]:
    """File, then line, then column; what concerns the whole plugin or file comes first."""
    return (diagnostic.path or "", diagnostic.line or 0, diagnostic.column or 0)


def sorted_diagnostics(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """In reading order (:func:`sort_key`); a stable sort, so equal places keep the
    order the checks found them in."""
    return sorted(diagnostics, key=sort_key)


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
