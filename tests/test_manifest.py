"""manifest.toml rules: CONFORMANCE §1 verdicts, SPEC §3 reporting."""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_build.diagnostics import Code, Diagnostic
from plugin_build.manifest import (
    MANIFEST_SIZE_LIMIT,
    TOML_NESTING_LIMIT,
    ManifestResult,
    canonical_name,
    load_manifest,
    normalized_url,
    parse_manifest,
    plugin_name_problem,
    schema_version_problem,
    url_problem,
)

FIXTURES = Path(__file__).parent / "fixtures" / "manifests"

BASE = """\
manifest_schema_version = "{msv}"

[plugin]
name = "sample"
version = "0.1.0"
description = "A sample plugin."
triggers = ["process_writes"]
{plugin}
[dependencies]
database_version = ">=3.0.0"
{deps}
"""


def check(msv: str = "1.3", plugin: str = "", deps: str = "") -> ManifestResult:
    return parse_manifest(BASE.format(msv=msv, plugin=plugin, deps=deps).encode())


def fields(result: ManifestResult) -> list[tuple[str, str | None]]:
    return [(d.code, d.field) for d in result.diagnostics]


def errors(result: ManifestResult) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.is_error]


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.toml")), ids=lambda p: p.stem)
def test_sdk_valid_fixture_parses(path: Path) -> None:
    result = parse_manifest(path.read_bytes())
    assert result.manifest is not None
    assert result.diagnostics == ()


def test_full_manifest_values_are_kept_as_written() -> None:
    result = parse_manifest((FIXTURES / "valid" / "full_manifest.toml").read_bytes())
    manifest = result.manifest
    assert manifest is not None
    assert manifest.triggers == ("process_writes", "process_request")
    assert manifest.exclude == ("tests/", "*.pyc")
    assert [p.name for p in manifest.plugins] == ["geo-lookup", "unit_convert"]
    assert manifest.plugins[1].version == "2.1"


EXPECTED_INVALID = {
    "manifest_bad_database_version": [(Code.MANIFEST_FIELD, "dependencies.database_version")],
    "manifest_bad_name": [(Code.MANIFEST_FIELD, "plugin.name")],
    "manifest_bad_pep508": [(Code.MANIFEST_FIELD, "dependencies.python[0]")],
    "manifest_bad_plugin_dep_scheme": [(Code.MANIFEST_FIELD, "dependencies.plugins[0].index_url")],
    "manifest_bad_plugin_dep_version": [(Code.MANIFEST_FIELD, "dependencies.plugins[0].version")],
    "manifest_bad_semver": [(Code.MANIFEST_FIELD, "plugin.version")],
    "manifest_bad_trigger": [(Code.MANIFEST_FIELD, "plugin.triggers[0]")],
    "manifest_bad_url_scheme": [(Code.MANIFEST_FIELD, "plugin.homepage")],
    "manifest_duplicate_plugin_dep": [(Code.MANIFEST_FIELD, "dependencies.plugins[1]")],
    "manifest_exclude_non_string": [
        (Code.MANIFEST_FIELD, "plugin.exclude[0]"),
        (Code.MANIFEST_FIELD, "plugin.exclude[1]"),
    ],
    "manifest_exclude_not_array": [(Code.MANIFEST_FIELD, "plugin.exclude")],
    "manifest_multi_defects": [
        (Code.MANIFEST_FIELD, "plugin.name"),
        (Code.MANIFEST_FIELD, "plugin.version"),
        (Code.MANIFEST_FIELD, "plugin.triggers[0]"),
        (Code.MANIFEST_FIELD, "plugin.homepage"),
    ],
    "manifest_too_long_description": [(Code.MANIFEST_FIELD, "plugin.description")],
}


def test_every_sdk_invalid_fixture_has_an_expectation() -> None:
    on_disk = {p.stem for p in (FIXTURES / "invalid").glob("*.toml")}
    assert on_disk == set(EXPECTED_INVALID)


@pytest.mark.parametrize("name", sorted(EXPECTED_INVALID))
def test_sdk_invalid_fixture_reports_the_sdk_fields_in_order(name: str) -> None:
    result = parse_manifest((FIXTURES / "invalid" / f"{name}.toml").read_bytes())
    assert fields(result) == EXPECTED_INVALID[name]
    assert all(d.path == "manifest.toml" and d.line and d.column for d in result.diagnostics)


def test_exclude_shape_errors_stop_the_cross_file_checks() -> None:
    result = parse_manifest((FIXTURES / "invalid" / "manifest_exclude_not_array.toml").read_bytes())
    assert result.manifest is None


def test_field_value_errors_keep_the_manifest_for_the_cross_file_checks() -> None:
    result = parse_manifest((FIXTURES / "invalid" / "manifest_multi_defects.toml").read_bytes())
    assert result.manifest is not None
    assert result.manifest.triggers == ("on_startup",)


def test_exclude_non_string_points_at_the_element() -> None:
    result = parse_manifest(
        (FIXTURES / "invalid" / "manifest_exclude_non_string.toml").read_bytes()
    )
    first = result.diagnostics[0]
    assert (first.line, first.column) == (8, 12)  # the SDK's toml error points here too


def test_diagnostics_carry_the_line_of_the_offending_value() -> None:
    result = check(plugin='homepage = "ftp://bad"')
    (diag,) = result.diagnostics
    assert (diag.line, diag.column) == (8, 12)
    assert "ftp" in diag.message
    assert "http" in diag.message


@pytest.mark.parametrize(
    ("msv", "ok"),
    [
        ("1.0", True),
        ("1.1", True),
        ("1.42", True),
        ("+1.+3", True),
        ("01.03", True),
        ("2.0", False),
        ("99.0", False),
        ("1", False),
        ("1.0.0", False),
        ("a.b", False),
        ("1.", False),
        (".1", False),
        (" 1.0", False),
        ("-0.1", False),
        ("1_0.1", False),
        ("4294967296.0", False),
        ("1.4294967295", True),
        ("\u0661.0", False),
    ],
)
def test_schema_version_rules(msv: str, ok: bool) -> None:
    assert (schema_version_problem(msv) is None) is ok


def test_bad_schema_version_is_the_only_diagnostic() -> None:
    text = BASE.format(msv="99.0", plugin='homepage = "ftp://x"', deps="").replace(
        'name = "sample"', 'name = "Bad Name"'
    )
    result = parse_manifest(text.encode())
    assert fields(result) == [(Code.MANIFEST_SCHEMA_VERSION, "manifest_schema_version")]
    assert result.manifest is None


def test_malformed_wins_over_unsupported_major() -> None:
    problem = schema_version_problem("4294967296.0")
    assert problem is not None
    assert "malformed" in problem


def test_missing_schema_version_is_reported_on_its_own() -> None:
    result = parse_manifest(b'[plugin]\nname = "x"\n')
    assert fields(result) == [(Code.MANIFEST_SCHEMA_VERSION, "manifest_schema_version")]


def test_schema_version_as_a_float_names_the_type() -> None:
    result = parse_manifest(
        BASE.format(msv="1.3", plugin="", deps="").replace('"1.3"', "1.3").encode()
    )
    (diag,) = result.diagnostics
    assert diag.code == Code.MANIFEST_SCHEMA_VERSION
    assert "float" in diag.message


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a", True),
        ("A" + "b" * 63, True),
        ("A" + "b" * 64, False),
        ("", False),
        ("1bad", False),
        ("-x", False),
        ("Bad Name", False),
        ("ok_name-2", True),
        ("con", False),
        ("CON", False),
        ("Lpt9", False),
        ("com0", False),
        ("console", True),
        ("com10", True),
        ("com", True),
        ("naïve", False),
    ],
)
def test_plugin_name_rules(name: str, ok: bool) -> None:
    assert (plugin_name_problem(name) is None) is ok


def test_reserved_name_message_says_why() -> None:
    problem = plugin_name_problem("nul")
    assert problem is not None
    assert "reserved" in problem


def test_canonical_name() -> None:
    assert canonical_name("Geo-Lookup") == canonical_name("geo_lookup") == "geo_lookup"
    # Rust's to_ascii_lowercase: only ASCII letters fold (the Kelvin sign stays)
    assert canonical_name("\u212aFoo-\u00c9") == "\u212afoo_\u00c9"


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("https://example.com/x^y", "https://example.com/x^y"),  # url 2.5.8 keeps ^ in paths
        ("https://example.com/x%5Ey^", "https://example.com/x%5Ey^"),
        ("https://u^:p@example.com/^?q=^#^", "https://u%5E:p@example.com/^?q=^#^"),
        ("file:///a^b/../c^", "file:///c^"),
        ("HTTPS://Example.COM:443", "https://example.com/"),
        ("not a url", "not a url"),
    ],
)
def test_normalized_url_is_the_url_crates(url: str, written: str) -> None:
    assert normalized_url(url) == written


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "relative URL without a base"),
        ("", "relative URL without a base"),
        ("http://", "empty host"),
        ("https://a:99999/", "invalid port number"),
        ("https://[::1/", "invalid IPv6 address"),
        ("http://1.2.3.999/", "invalid IPv4 address"),
        ("https://ex ample.com/", "invalid domain character"),
    ],
)
def test_url_problem_names_the_parse_error(url: str, reason: str) -> None:
    problem = url_problem(url, ("https",))
    assert problem is not None
    assert f"({reason})" in problem


@pytest.mark.parametrize(
    ("description", "ok", "word"),
    [
        ("", False, "empty"),
        ("two\nlines", False, "one line"),
        ("carriage\rreturn", False, "one line"),
        ("a" * 200, True, ""),
        ("a" * 201, False, "201"),
        ("é" * 200, True, ""),
        ("\t  ", True, ""),
        ("x" * 300 + "\n", False, "one line"),  # multiline wins over length
    ],
)
def test_description_rules(description: str, ok: bool, word: str) -> None:
    escaped = description.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    text = BASE.format(msv="1.3", plugin="", deps="").replace('"A sample plugin."', f'"{escaped}"')
    result = parse_manifest(text.encode())
    assert (not errors(result)) is ok
    if not ok:
        assert word in result.diagnostics[0].message


def test_empty_triggers() -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").replace('["process_writes"]', "[]")
    result = parse_manifest(text.encode())
    assert fields(result) == [(Code.MANIFEST_FIELD, "plugin.triggers")]


def test_unknown_trigger_suggests_the_close_one() -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").replace(
        '["process_writes"]', '["process_writes", "process_write"]'
    )
    (diag,) = parse_manifest(text.encode()).diagnostics
    assert diag.field == "plugin.triggers[1]"
    assert "process_writes" in diag.message


def test_duplicate_triggers_are_allowed() -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").replace(
        '["process_writes"]', '["process_writes", "process_writes"]'
    )
    assert parse_manifest(text.encode()).diagnostics == ()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://influxdata.com", True),
        ("http://example.com/x", True),
        ("  https://example.com/  ", True),
        ("not a url", False),
        ("", False),
        ("http://", False),
        ("ftp://bad", False),
        ("file:///tmp/x", False),
        ("mailto:a@b.c", False),
    ],
)
def test_url_fields(url: str, ok: bool) -> None:
    for key in ("homepage", "repository", "documentation"):
        result = check(plugin=f'{key} = "{url}"')
        assert (result.diagnostics == ()) is ok, key


def test_plugin_dependencies_collide_by_normalised_url_and_canonical_name() -> None:
    deps = """
[[dependencies.plugins]]
index_url = "https://plugins.EXAMPLE.com:443/index.json"
name = "GEO-lookup"
version = "1"

[[dependencies.plugins]]
index_url = "https://plugins.example.com/index.json"
name = "geo_lookup"
version = "1"

[[dependencies.plugins]]
index_url = "https://other.example.com/index.json"
name = "geo_lookup"
version = "1"
"""
    result = check(deps=deps)
    assert fields(result) == [(Code.MANIFEST_FIELD, "dependencies.plugins[1]")]
    assert "https://plugins.example.com/index.json" in result.diagnostics[0].message


def test_a_malformed_dependency_never_cascades_into_a_duplicate() -> None:
    deps = """
[[dependencies.plugins]]
index_url = "s3://bucket"
name = "geo"
version = "1"

[[dependencies.plugins]]
index_url = "https://x.example.com/"
name = "geo"
version = ">=bad"
"""
    assert fields(check(deps=deps)) == [
        (Code.MANIFEST_FIELD, "dependencies.plugins[0].index_url"),
        (Code.MANIFEST_FIELD, "dependencies.plugins[1].version"),
    ]


def test_exclude_and_plugins_accepted_under_schema_1_0() -> None:
    deps = '[[dependencies.plugins]]\nindex_url = "file:///x"\nname = "a"\nversion = "*"'
    assert check(msv="1.0", plugin='exclude = ["x/"]', deps=deps).diagnostics == ()


def test_wrong_type_names_field_and_type() -> None:
    result = check().manifest
    assert result is not None
    text = BASE.format(msv="1.3", plugin="", deps="").replace('"0.1.0"', "1")
    (diag,) = parse_manifest(text.encode()).diagnostics
    assert diag.field == "plugin.version"
    assert "string" in diag.message
    assert "integer" in diag.message


def test_missing_key_names_the_field_and_points_at_its_table() -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").replace('version = "0.1.0"\n', "")
    (diag,) = parse_manifest(text.encode()).diagnostics
    assert (diag.code, diag.field, diag.line) == (Code.MANIFEST_FIELD, "plugin.version", 3)


def test_misspelled_key_gets_a_did_you_mean() -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").replace("triggers =", "trigers =")
    result = parse_manifest(text.encode())
    (error,) = result.diagnostics  # the error points at the misspelling: no warning besides
    assert (error.code, error.field) == (Code.MANIFEST_FIELD, "plugin.triggers")
    assert (error.line, error.column) == (
        text.splitlines().index('trigers = ["process_writes"]') + 1,
        1,
    )
    assert "'plugin.trigers' is written instead" in error.message
    assert error.message.endswith("rename it 'triggers'")


def test_misspelt_optional_key_is_a_warning() -> None:
    result = check(plugin='homepag = "https://example.com"')
    (warning,) = result.diagnostics
    assert (warning.code, warning.severity) == (Code.MANIFEST_UNKNOWN_FIELD, "warning")
    assert "did you mean 'homepage'?" in warning.message


@pytest.mark.parametrize(
    ("before", "after", "code", "field", "shown"),
    [
        (
            "manifest_schema_version =",
            "manifest_schema_verison =",
            Code.MANIFEST_SCHEMA_VERSION,
            "manifest_schema_version",
            "'manifest_schema_verison' is written instead; if that is a misspelling",
        ),
        (
            "[plugin]",
            "[Plugin]",
            Code.MANIFEST_FIELD,
            "plugin",
            "[Plugin] is written instead, and TOML names are case-sensitive",
        ),
        (
            "[dependencies]",
            "[dependancies]",
            Code.MANIFEST_FIELD,
            "dependencies",
            "[dependancies] is written instead; if that is a misspelling",
        ),
        (
            "name =",
            "Name =",
            Code.MANIFEST_FIELD,
            "plugin.name",
            "'plugin.Name' is written instead, and TOML names are case-sensitive",
        ),
    ],
)
def test_a_missing_table_or_key_points_at_its_misspelling(
    before: str, after: str, code: str, field: str, shown: str
) -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").replace(before, after, 1)
    (error,) = parse_manifest(text.encode()).diagnostics
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(after))
    assert (error.code, error.field, error.line, error.column) == (code, field, line, 1)
    assert shown in error.message


def test_unknown_fields_are_ignored() -> None:
    result = check(plugin='colour = "blue"\nauthor = "me"', deps="extra = 1")
    assert result.diagnostics == ()


def test_missing_plugin_table_is_fatal() -> None:
    result = parse_manifest(b'manifest_schema_version = "1.3"\n[dependencies]\n')
    assert fields(result) == [(Code.MANIFEST_FIELD, "plugin")]
    assert result.manifest is None


def test_missing_dependencies_table_is_a_field_error_not_fatal() -> None:
    text = BASE.format(msv="1.3", plugin="", deps="").split("[dependencies]")[0]
    result = parse_manifest(text.encode())
    assert fields(result) == [(Code.MANIFEST_FIELD, "dependencies")]
    assert result.manifest is not None


def test_toml_syntax_error_has_a_position() -> None:
    (diag,) = parse_manifest(b'manifest_schema_version = "1.3"\n[plugin\n').diagnostics
    assert diag.code == Code.MANIFEST_SYNTAX
    assert diag.line == 2
    assert diag.column


def test_duplicate_keys_are_a_syntax_error() -> None:
    (diag,) = parse_manifest(b'a = "1"\na = "2"\n').diagnostics
    assert diag.code == Code.MANIFEST_SYNTAX


def test_a_bom_is_skipped_as_the_sdk_does() -> None:
    text = "\ufeff" + BASE.format(msv="1.3", plugin="", deps="")
    assert parse_manifest(text.encode()).diagnostics == ()


def test_invalid_utf8_is_unreadable_with_its_line() -> None:
    data = BASE.format(msv="1.3", plugin="", deps="").encode().replace(b"sample", b"sam\xffple")
    (diag,) = parse_manifest(data).diagnostics
    assert (diag.code, diag.line) == (Code.MANIFEST_UNREADABLE, 4)


def test_empty_manifest() -> None:
    (diag,) = parse_manifest(b"").diagnostics
    assert diag.code == Code.MANIFEST_SCHEMA_VERSION


def test_missing_manifest_file(tmp_path: Path) -> None:
    (diag,) = load_manifest(tmp_path).diagnostics
    assert diag.code == Code.MANIFEST_MISSING
    assert diag.path is None


def test_manifest_that_is_a_directory_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").mkdir()
    (diag,) = load_manifest(tmp_path).diagnostics
    assert diag.code == Code.MANIFEST_UNREADABLE


def test_pep508_requirements() -> None:
    result = check(
        deps='python = ["requests>=2", "pandas[excel]; python_version >= \\"3.10\\"", "bad req !!"]'
    )
    assert fields(result) == [(Code.MANIFEST_FIELD, "dependencies.python[2]")]


def test_database_version_forms() -> None:
    for req in (">=3.2.0,<4.0.0", "^1.2", "~1", "1.2", "*", "1.*", "> 0.0.9, <= 2.5.3"):
        text = BASE.format(msv="1.3", plugin="", deps="").replace('">=3.0.0"', f'"{req}"')
        assert parse_manifest(text.encode()).diagnostics == (), req
    for req in ("", "v1.2.3", "1.2.3 - 2.3.4", ">=1 <2", "1.0,", "*, 1.0"):
        text = BASE.format(msv="1.3", plugin="", deps="").replace('">=3.0.0"', f'"{req}"')
        assert fields(parse_manifest(text.encode())) == [
            (Code.MANIFEST_FIELD, "dependencies.database_version")
        ], req


_toml_scalars = st.one_of(
    st.text(max_size=12).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.integers().map(str),
    st.sampled_from(["true", "1.5", "[]", '["process_writes"]', "[1, 2]", "{}", '"1.3"']),
)
_toml_keys = st.sampled_from(
    [
        "name",
        "version",
        "description",
        "triggers",
        "homepage",
        "exclude",
        "database_version",
        "python",
        "plugins",
        "manifest_schema_version",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    top=st.lists(st.tuples(_toml_keys, _toml_scalars), max_size=3),
    plugin=st.lists(st.tuples(_toml_keys, _toml_scalars), max_size=6),
    deps=st.lists(st.tuples(_toml_keys, _toml_scalars), max_size=4),
    with_tables=st.booleans(),
)
def test_random_manifests_never_raise(
    top: list[tuple[str, str]],
    plugin: list[tuple[str, str]],
    deps: list[tuple[str, str]],
    with_tables: bool,
) -> None:
    def body(pairs: list[tuple[str, str]]) -> str:
        return "".join(f"{k} = {v}\n" for k, v in dict(pairs).items())

    text = body(top)
    if with_tables:
        text += "[plugin]\n" + body(plugin) + "[dependencies]\n" + body(deps)
    result = parse_manifest(text.encode())
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)
    assert result.manifest is not None or result.diagnostics


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = parse_manifest(data)
    assert result.manifest is not None or result.diagnostics


# -- a manifest is a bounded regular file inside the plugin (issue 7, class 3) ------------

GOOD = BASE.format(msv="1.3", plugin="", deps="").encode()


def _plugin_with(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    return root


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX links")
@pytest.mark.parametrize("target", ["/dev/zero", "outside"])
def test_a_symlinked_manifest_is_refused_without_being_read(tmp_path: Path, target: str) -> None:
    root = _plugin_with(tmp_path)
    outside = tmp_path / "secret.toml"
    outside.write_bytes(GOOD.replace(b'"sample"', b'"SECRET-NAME"'))
    (root / "manifest.toml").symlink_to(outside if target == "outside" else target)
    result = load_manifest(root)
    assert result.manifest is None
    (diag,) = result.diagnostics
    assert diag.code == Code.MANIFEST_MISSING  # what the SDK says: links are never packaged
    assert "symbolic link" in diag.message
    assert "SECRET" not in repr(result)  # never read through the link


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_manifest_is_refused_without_blocking(tmp_path: Path) -> None:
    root = _plugin_with(tmp_path)
    os.mkfifo(root / "manifest.toml")
    done: list[ManifestResult] = []
    worker = threading.Thread(target=lambda: done.append(load_manifest(root)), daemon=True)
    worker.start()
    worker.join(10)
    assert done, "reading a FIFO manifest blocked"
    (diag,) = done[0].diagnostics
    assert diag.code == Code.MANIFEST_UNREADABLE
    assert "a FIFO, not a regular file" in diag.message


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs a device")
def test_a_device_manifest_is_refused(tmp_path: Path) -> None:
    root = _plugin_with(tmp_path)
    try:
        os.mknod(root / "manifest.toml", 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except (PermissionError, AttributeError):
        pytest.skip("cannot create a device node here")
    (diag,) = load_manifest(root).diagnostics
    assert diag.code == Code.MANIFEST_UNREADABLE
    assert "a device, not a regular file" in diag.message


def test_an_oversized_manifest_is_refused_with_its_size(tmp_path: Path) -> None:
    root = _plugin_with(tmp_path)
    (root / "manifest.toml").write_bytes(GOOD + b"# " + b"x" * (MANIFEST_SIZE_LIMIT) + b"\n")
    (diag,) = load_manifest(root).diagnostics
    assert diag.code == Code.MANIFEST_TOO_LARGE
    assert f"{MANIFEST_SIZE_LIMIT >> 10} KiB" in diag.message
    (root / "manifest.toml").write_bytes(GOOD)
    assert load_manifest(root).manifest is not None


# -- tables written as arrays: the SDK fills them by position (class 14a) ---------------


def test_tables_written_as_arrays_are_read_by_position_with_a_warning() -> None:
    result = parse_manifest(
        b'manifest_schema_version = "1.2"\n'
        b'plugin = ["p", "0.1.0", "x", ["process_writes"], "https://example.com"]\n'
        b'dependencies = [">=3.0.0", ["requests"]]\n'
    )
    manifest = result.manifest
    assert manifest is not None
    assert (manifest.name, manifest.version, manifest.description) == ("p", "0.1.0", "x")
    assert (manifest.triggers, manifest.homepage) == (("process_writes",), "https://example.com")
    assert (manifest.database_version, manifest.python) == (">=3.0.0", ("requests",))
    assert [(d.code, d.severity, d.field) for d in result.diagnostics] == [
        (Code.MANIFEST_POSITIONAL_TABLE, "warning", "plugin"),
        (Code.MANIFEST_POSITIONAL_TABLE, "warning", "dependencies"),
    ]
    assert all("write it as a [" in d.message for d in result.diagnostics)


def test_a_positional_field_error_points_at_its_element() -> None:
    result = parse_manifest(
        b'manifest_schema_version = "1.2"\nplugin = ["p", "0.1", "x", ["process_writes"]]\n'
        b'[dependencies]\ndatabase_version = ">=3"\n'
    )
    (error,) = errors(result)
    assert (error.field, error.line, error.column) == ("plugin.version", 2, 16)


def test_a_positional_table_too_short_is_the_sdks_parse_error() -> None:
    result = parse_manifest(
        b'manifest_schema_version = "1.2"\nplugin = ["p", "0.1.0", "x"]\n'
        b'[dependencies]\ndatabase_version = ">=3"\n'
    )
    assert result.manifest is None
    (error,) = errors(result)
    assert error.field == "plugin"
    assert "needs name, version, description, triggers" in error.message


def test_positional_plugin_dependencies() -> None:
    result = check(
        msv="1.3",
        deps='plugins = [["https://plugins.example.com/index.json", "geo", ">=1.0"]]',
    )
    assert result.manifest is not None
    (dep,) = result.manifest.plugins
    assert (dep.index_url, dep.name, dep.version) == (
        "https://plugins.example.com/index.json",
        "geo",
        ">=1.0",
    )
    assert [d.field for d in result.diagnostics] == ["dependencies.plugins[0]"]


# -- nesting: the SDK's TOML parser stops at 80 levels; we never overflow the stack -------


@pytest.mark.parametrize(
    "value",
    [
        lambda n: "a = " + "[" * n + "]" * n,
        lambda n: "a = " + "{b = " * n + "1" + "}" * n,
        lambda n: "a" + ".a" * (n - 1) + " = 1",
        lambda n: "[" + ".".join(["t"] * n) + "]",
    ],
    ids=["arrays", "inline tables", "dotted key", "table header"],
)
def test_nesting_limit_is_the_sdks(value: Callable[[int], str]) -> None:
    def verdict(n: int) -> list[str]:
        text = f"{BASE.format(msv='1.3', plugin='', deps='')}\n[extra]\n{value(n)}\n"
        return [d.code for d in errors(parse_manifest(text.encode()))]

    assert verdict(TOML_NESTING_LIMIT - 1) == []
    assert verdict(TOML_NESTING_LIMIT) == [Code.MANIFEST_SYNTAX]
    assert verdict(20_000) == [Code.MANIFEST_SYNTAX]  # deeper than Python's recursion limit
