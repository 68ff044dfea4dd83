"""index.json: the SDK's verdicts, canonical bytes, insert and yank (CONFORMANCE §2.7, §4)."""

from __future__ import annotations

import dataclasses
import json
import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_build.diagnostics import Code
from plugin_build.index import (
    INDEX_FILE,
    INDEX_SCHEMA_VERSION,
    Dependencies,
    DependencyRef,
    EntryNotFound,
    Index,
    IndexEntry,
    IndexError,
    IndexResult,
    InsertError,
    _dump,
    default_artifacts_url,
    entry_from_manifest,
    name_version_conflict,
    new_index_json,
    parse_index,
    posix_file_url,
    utc_timestamp,
    windows_file_url,
)
from plugin_build.manifest import parse_manifest

FIXTURES = Path(__file__).parent / "fixtures" / "index"
SNAPSHOTS = FIXTURES / "snapshots"
HASH_0 = "sha256:" + "0" * 64
HASH_1 = "sha256:" + "1" * 64
PUBLISHED = "2026-04-29T18:45:12Z"


def snapshot(name: str) -> str:
    """The body of an insta snapshot (insta drops the trailing newline)."""
    text = (SNAPSHOTS / name).read_text()
    return text.split("---\n", 2)[2]


def raw_entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "downsampler",
        "version": "1.2.0",
        "published_at": PUBLISHED,
        "description": "Test plugin",
        "triggers": ["process_writes"],
        "dependencies": {"database_version": ">=3.2.0,<4.0.0", "python": []},
        "hash": HASH_0,
    }
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not _DROP}


_DROP: Any = object()


def document(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "index_schema_version": "2.0",
        "artifacts_url": "https://plugins.example.com/artifacts",
        "plugins": list(entries),
    }
    doc.update(top)
    return {k: v for k, v in doc.items() if v is not _DROP}


def parse(doc: object) -> IndexResult:
    return parse_index(json.dumps(doc).encode() if not isinstance(doc, bytes) else doc)


def found(result: IndexResult) -> list[tuple[str, str | None]]:
    return [(d.code, d.field) for d in result.diagnostics]


def ok(doc: object) -> Index:
    result = parse(doc)
    assert result.diagnostics == ()
    assert result.index is not None
    return result.index


def entry(name: str = "x", version: str = "1.0.0", **fields: Any) -> IndexEntry:
    values: dict[str, Any] = {
        "name": name,
        "version": version,
        "published_at": PUBLISHED,
        "description": "desc",
        "triggers": ("process_writes",),
        "dependencies": Dependencies(">=3.0.0"),
        "hash": HASH_0,
    }
    values.update(fields)
    return IndexEntry(**values)


def index(*entries: IndexEntry, url: str = "https://example.com/artifacts") -> Index:
    return Index(url, entries)


# --- the SDK's fixtures (§4.6) -------------------------------------------------


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.json")), ids=lambda p: p.stem)
def test_sdk_valid_fixture_parses(path: Path) -> None:
    result = parse_index(path.read_bytes())
    assert result.diagnostics == ()
    assert result.index is not None


def test_full_index_fixture_values_are_kept_as_read() -> None:
    result = parse_index((FIXTURES / "valid" / "full_index.json").read_bytes())
    assert result.index is not None
    assert result.index.schema_version == "2.1"
    (plugin,) = result.index.plugins
    assert plugin.yanked is False
    assert plugin.homepage == "https://influxdata.com"  # normalised only when written
    assert plugin.triggers == ("process_writes", "process_scheduled_call")
    assert plugin.dependencies == Dependencies(
        ">=3.2.0,<4.0.0",
        ("requests>=2.31,<3", "pydantic~=2.0"),
        (DependencyRef("https://plugins.example.com/index.json", "geo-lookup", ">=1.0.0,<2.0.0"),),
    )


def test_minimal_index_fixture_is_schema_2_0_and_empty() -> None:
    result = parse_index((FIXTURES / "valid" / "minimal_index.json").read_bytes())
    assert result.index == Index("https://plugins.example.com/artifacts", (), "2.0")


INVALID = {
    "index_bad_database_version": [(Code.INDEX_FIELD, "plugins[0].dependencies.database_version")],
    "index_bad_hash": [(Code.INDEX_FIELD, "plugins[0].hash")],
    "index_bad_plugin_dep": [
        (Code.INDEX_FIELD, "plugins[0].dependencies.plugins[0].index_url"),
        (Code.INDEX_FIELD, "plugins[0].dependencies.plugins[0].name"),
        (Code.INDEX_FIELD, "plugins[0].dependencies.plugins[0].version"),
    ],
    "index_bad_published_at": [(Code.INDEX_FIELD, "plugins[0].published_at")],
    "index_bad_scheme": [(Code.INDEX_FIELD, "artifacts_url")],
    "index_bad_url_scheme": [(Code.INDEX_FIELD, "plugins[0].homepage")],
    "index_bad_version": [(Code.INDEX_FIELD, "plugins[0].version")],
    "index_duplicate_entry": [(Code.INDEX_DUPLICATE, "plugins[1]")],
    "index_duplicate_plugin_dep": [(Code.INDEX_FIELD, "plugins[0].dependencies.plugins[1]")],
    "index_empty_triggers": [(Code.INDEX_FIELD, "plugins[0].triggers")],
    "index_multi_defects": [
        (Code.INDEX_FIELD, "plugins[1].published_at"),
        (Code.INDEX_FIELD, "plugins[1].hash"),
        (Code.INDEX_DUPLICATE, "plugins[2]"),
    ],
    "index_unsupported_schema_version": [(Code.INDEX_SCHEMA_VERSION, "index_schema_version")],
}


def test_every_invalid_fixture_has_an_expectation() -> None:
    assert sorted(p.stem for p in (FIXTURES / "invalid").glob("*.json")) == sorted(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_sdk_invalid_fixture_reports_exact_fields_in_order(name: str) -> None:
    result = parse_index((FIXTURES / "invalid" / f"{name}.json").read_bytes())
    assert result.index is None
    assert found(result) == INVALID[name]
    assert all(d.path == INDEX_FILE and d.severity == "error" for d in result.diagnostics)


@pytest.mark.parametrize(
    ("name", "specifics"),
    [
        ("index_bad_database_version", ["'>=not-a-real-version'", "unexpected character 'n'"]),
        ("index_bad_hash", ["'sha256:abc'"]),
        ("index_bad_published_at", ["'2026-04-29T18:45:12.123Z'"]),
        ("index_bad_scheme", ["'s3://bucket/plugins'", "'s3'"]),
        ("index_bad_url_scheme", ["'ftp://bad.example.com/'", "'ftp'"]),
        ("index_bad_version", ["'not-semver'", "while parsing major version number"]),
        ("index_duplicate_entry", ["dup@1.0.0"]),
        ("index_unsupported_schema_version", ["'3.0'", "major version 2"]),
    ],
)
def test_fixture_messages_carry_the_sdk_specifics(name: str, specifics: list[str]) -> None:
    (diagnostic,) = parse_index((FIXTURES / "invalid" / f"{name}.json").read_bytes()).diagnostics
    for text in specifics:
        assert text in diagnostic.message


def test_duplicate_plugin_dep_names_the_lowercased_url_and_this_spelling() -> None:
    result = parse_index((FIXTURES / "invalid" / "index_duplicate_plugin_dep.json").read_bytes())
    (diagnostic,) = result.diagnostics
    assert "https://plugins.example.com/index.json" in diagnostic.message
    assert "'geo_lookup'" in diagnostic.message


def test_bad_plugin_dep_messages_name_scheme_name_and_semver_error() -> None:
    result = parse_index((FIXTURES / "invalid" / "index_bad_plugin_dep.json").read_bytes())
    url, name, version = (d.message for d in result.diagnostics)
    assert "'s3'" in url
    assert "'Bad Name'" in name
    assert "unexpected character 'b' while parsing major version number" in version


# --- §4.6 unit-test facts -------------------------------------------------------


def test_missing_published_at_reads_missing() -> None:
    result = parse(document(raw_entry(published_at=_DROP)))
    assert found(result) == [(Code.INDEX_FIELD, "plugins[0].published_at")]
    assert "<missing>" in result.diagnostics[0].message


def test_null_published_at_is_missing_too() -> None:
    result = parse(document(raw_entry(published_at=None)))
    assert found(result) == [(Code.INDEX_FIELD, "plugins[0].published_at")]
    assert "<missing>" in result.diagnostics[0].message


@pytest.mark.parametrize(("value", "shown"), [(123, "123"), (["x"], '["x"]'), (True, "true")])
def test_non_string_published_at_is_a_field_error_showing_the_value(
    value: object, shown: str
) -> None:
    result = parse(document(raw_entry(published_at=value)))
    assert found(result) == [(Code.INDEX_FIELD, "plugins[0].published_at")]
    assert shown in result.diagnostics[0].message


def two(first: str, second: str, v1: str = "1.0.0", v2: str = "1.0.0") -> dict[str, Any]:
    return document(
        raw_entry(name=first, version=v1, hash=HASH_0), raw_entry(name=second, version=v2)
    )


@pytest.mark.parametrize(
    ("first", "second"), [("foo-bar", "foo_bar"), ("MyPlugin", "myplugin"), ("Foo", "foo")]
)
def test_canonical_collision_at_the_later_entry(first: str, second: str) -> None:
    result = parse(two(first, second))
    assert found(result) == [(Code.INDEX_DUPLICATE, "plugins[1]")]
    message = result.diagnostics[0].message
    assert f"{second!r}" in message
    assert f"{first}@1.0.0" in message


def test_three_way_collision_reports_each_later_entry_listing_all_earlier() -> None:
    result = parse(
        document(
            raw_entry(name="foo-bar"),
            raw_entry(name="foo_bar", hash=HASH_1),
            raw_entry(name="FOO-BAR", hash="sha256:" + "2" * 64),
        )
    )
    assert found(result) == [
        (Code.INDEX_DUPLICATE, "plugins[1]"),
        (Code.INDEX_DUPLICATE, "plugins[2]"),
    ]
    assert "foo-bar@1.2.0" in result.diagnostics[1].message
    assert "foo_bar@1.2.0" in result.diagnostics[1].message


def test_canonical_collision_across_versions() -> None:
    assert found(parse(two("foo-bar", "foo_bar", "1.0.0", "1.0.1"))) == [
        (Code.INDEX_DUPLICATE, "plugins[1]")
    ]


def test_same_spelling_new_version_is_fine() -> None:
    assert len(ok(two("alpha", "alpha", "1.0.0", "1.1.0")).plugins) == 2


def test_version_and_build_metadata_variant_coexist() -> None:
    """§7.1: uniqueness compares raw strings, so 1.0.0 and 1.0.0+build.7 are two entries."""
    assert len(ok(two("alpha", "alpha", "1.0.0", "1.0.0+build.7")).plugins) == 2


def test_uniqueness_runs_on_raw_strings_even_for_invalid_entries() -> None:
    result = parse(document(raw_entry(name="Bad Name"), raw_entry(name="Bad Name")))
    assert found(result) == [
        (Code.INDEX_FIELD, "plugins[0].name"),
        (Code.INDEX_FIELD, "plugins[1].name"),
        (Code.INDEX_DUPLICATE, "plugins[1]"),
    ]


def test_canonical_form_folds_ascii_letters_only() -> None:
    """The Kelvin sign lower-cases to 'k' in Python, not in Rust's to_ascii_lowercase."""
    result = parse(two("\u212afoo", "kfoo"))
    assert found(result) == [(Code.INDEX_FIELD, "plugins[0].name")]


def test_unknown_fields_are_ignored_at_every_level() -> None:
    doc = document(
        raw_entry(
            experimental_tag="beta",
            dependencies={"database_version": ">=3", "python": [], "extra": 1},
        ),
        experimental_top_level=True,
    )
    assert len(ok(doc).plugins) == 1


def test_schema_version_99_short_circuits_even_with_a_bad_artifacts_url() -> None:
    result = parse(document(index_schema_version="99.0", artifacts_url="ftp://bad"))
    assert found(result) == [(Code.INDEX_SCHEMA_VERSION, "index_schema_version")]


def test_a_1_0_index_is_an_unsupported_major() -> None:
    result = parse(document(raw_entry(published_at=_DROP), index_schema_version="1.0"))
    assert found(result) == [(Code.INDEX_SCHEMA_VERSION, "index_schema_version")]
    assert "'1.0'" in result.diagnostics[0].message
    assert "not supported" in result.diagnostics[0].message


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2.0", True),
        ("2.1", True),
        ("2.42", True),
        ("+2.01", True),  # Rust's u32 parser: '+' and leading zeros
        ("2", False),
        ("2.0.0", False),
        ("abc", False),
        (" 2.0", False),
        ("4294967298.0", False),  # overflowing u32: malformed, not unsupported
        ("3.0", False),
    ],
)
def test_schema_version_rules(text: str, valid: bool) -> None:
    result = parse(document(index_schema_version=text))
    assert (result.index is not None) is valid
    if not valid:
        assert found(result) == [(Code.INDEX_SCHEMA_VERSION, "index_schema_version")]
        assert ("malformed" in result.diagnostics[0].message) is (text != "3.0")


def test_collects_all_entry_defects_and_the_duplicate_in_one_pass() -> None:
    result = parse(
        document(
            raw_entry(name="alpha", version="1.0.0"),
            raw_entry(name="beta", version="2.0.0", hash="not-a-hash"),
            raw_entry(name="alpha", version="1.0.0", hash=HASH_1),
            raw_entry(name="gamma", version="3.0.0", description="a" * 201),
        )
    )
    assert found(result) == [
        (Code.INDEX_FIELD, "plugins[1].hash"),
        (Code.INDEX_DUPLICATE, "plugins[2]"),
        (Code.INDEX_FIELD, "plugins[3].description"),
    ]


def test_published_at_defect_collected_with_other_entry_defects() -> None:
    result = parse(
        document(raw_entry(published_at="2026-04-29T18:45:12.123Z", triggers=[], hash="x"))
    )
    assert found(result) == [
        (Code.INDEX_FIELD, "plugins[0].published_at"),
        (Code.INDEX_FIELD, "plugins[0].triggers"),
        (Code.INDEX_FIELD, "plugins[0].hash"),
    ]


def test_field_errors_follow_the_sdk_order_within_an_entry() -> None:
    bad = raw_entry(
        name="1bad",
        version="1.2",
        published_at="yesterday",
        description="",
        triggers=["process_writes", "on_start"],
        homepage="ftp://h/",
        repository="git://r/",
        documentation="not a url",
        dependencies={
            "database_version": ">=x",
            "python": ["requests>>=2.0"],
            "plugins": [{"index_url": "s3://b", "name": "ok", "version": "1"}],
        },
        hash="sha256:ABC",
    )
    result = parse(document(bad, artifacts_url="oci://r"))
    assert [d.field for d in result.diagnostics] == [
        "artifacts_url",
        "plugins[0].name",
        "plugins[0].version",
        "plugins[0].published_at",
        "plugins[0].description",
        "plugins[0].triggers[1]",
        "plugins[0].homepage",
        "plugins[0].repository",
        "plugins[0].documentation",
        "plugins[0].dependencies.database_version",
        "plugins[0].dependencies.python[0]",
        "plugins[0].dependencies.plugins[0].index_url",
        "plugins[0].hash",
    ]
    assert {d.code for d in result.diagnostics} == {Code.INDEX_FIELD}
    assert "relative URL without a base" in result.diagnostics[8].message


def test_description_rules_multiline_wins_over_length() -> None:
    result = parse(document(raw_entry(description="a" * 200 + "\n")))
    assert found(result) == [(Code.INDEX_FIELD, "plugins[0].description")]
    assert "one line" in result.diagnostics[0].message
    assert ok(document(raw_entry(description="a" * 199 + "\t")))  # tabs are allowed


@pytest.mark.parametrize(
    "url", ["https://plugins.example/artifacts", "http://localhost:8080/a", "file:///srv/plugins"]
)
def test_artifacts_url_schemes_accepted(url: str) -> None:
    assert ok(document(artifacts_url=url)).artifacts_url == url


@pytest.mark.parametrize(
    "url",
    [
        "oci://registry.example",
        "s3://bucket/plugins",
        "git://example/plugins",
        "git+https://example/plugins",
        "git+ssh://example/plugins",
        "ftp://example/plugins",
        "sftp://example/plugins",
        "not a url",
    ],
)
def test_artifacts_url_refused(url: str) -> None:
    assert found(parse(document(artifacts_url=url))) == [(Code.INDEX_FIELD, "artifacts_url")]


@pytest.mark.parametrize("key", ["homepage", "repository", "documentation"])
@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("http://example.com", True),
        ("https://github.com/x/y", True),
        ("file:///x", False),
        ("s3://b/docs", False),
    ],
)
def test_optional_urls_take_http_and_https_only(key: str, url: str, valid: bool) -> None:
    result = parse(document(raw_entry(**{key: url})))
    assert found(result) == ([] if valid else [(Code.INDEX_FIELD, f"plugins[0].{key}")])


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", True),
        ("sha512:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", False),
        ("sha256:abc", False),
        ("sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", False),
        ("sha256:g" + "0" * 63, False),
        ("sha256:z" + "0" * 63, False),
        ("sha256:!" + "0" * 63, False),
        ("sha256: " + "0" * 63, False),
        ("sha256:" + "0" * 64 + "\n", False),
        ("sha256:" + "0" * 63 + "\u0660", False),  # an Arabic-Indic digit is not hex
    ],
)
def test_hash_rule(value: str, valid: bool) -> None:
    expected = [] if valid else [(Code.INDEX_FIELD, "plugins[0].hash")]
    assert found(parse(document(raw_entry(hash=value)))) == expected


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2026-04-29T18:45:12Z", True),
        ("2000-02-29T00:00:00Z", True),
        ("0000-02-29T23:59:59Z", True),  # year 0 is a leap year in the proleptic calendar
        ("9999-12-31T23:59:59Z", True),
        ("2026-04-29T18:45:12.123Z", False),
        ("2026-04-29T13:45:12-05:00", False),
        ("2026-04-29T18:45:12+00:00", False),
        ("2026-4-29T18:45:12Z", False),
        ("2026-04-29t18:45:12Z", False),
        ("2026-04-29T18:45:12z", False),
        ("2026-04-29 18:45:12Z", False),
        ("2026-02-30T18:45:12Z", False),
        ("1900-02-29T00:00:00Z", False),
        ("2026-13-01T00:00:00Z", False),
        ("2026-00-01T00:00:00Z", False),
        ("2026-01-00T00:00:00Z", False),
        ("2026-04-29T24:00:00Z", False),
        ("2026-04-29T23:60:00Z", False),
        ("2026-12-31T23:59:60Z", False),  # no leap seconds
        ("\uff12026-04-29T18:45:12Z", False),  # a full-width digit
        ("2026-04-29T18:45:12Z\n", False),
    ],
)
def test_published_at_rule(value: str, valid: bool) -> None:
    expected = [] if valid else [(Code.INDEX_FIELD, "plugins[0].published_at")]
    assert found(parse(document(raw_entry(published_at=value)))) == expected


def test_entry_plugin_dependencies_parse_and_default_to_empty() -> None:
    dep = {
        "index_url": "https://plugins.example.com/index.json",
        "name": "geo-lookup",
        "version": ">=1.0.0,<2.0.0",
    }
    parsed = ok(
        document(
            raw_entry(dependencies={"database_version": ">=3", "python": [], "plugins": [dep]})
        )
    )
    assert parsed.plugins[0].dependencies.plugins == (DependencyRef(**dep),)
    bare = ok(document(raw_entry(dependencies={"database_version": ">=3"})))
    assert bare.plugins[0].dependencies == Dependencies(">=3")


def test_dependency_errors_carry_index_paths() -> None:
    deps = {
        "database_version": ">=3.0.0",
        "python": [],
        "plugins": [
            {
                "index_url": "https://plugins.example.com/index.json",
                "name": "geo-lookup",
                "version": ">=1.0.0",
            },
            {"index_url": "s3://bucket/index.json", "name": "Bad Name", "version": ">=bad"},
        ],
    }
    assert [d.field for d in parse(document(raw_entry(dependencies=deps))).diagnostics] == [
        "plugins[0].dependencies.plugins[1].index_url",
        "plugins[0].dependencies.plugins[1].name",
        "plugins[0].dependencies.plugins[1].version",
    ]


def test_duplicate_entry_dependency_by_normalised_url_and_canonical_name() -> None:
    deps = {
        "database_version": ">=3.0.0",
        "plugins": [
            {
                "index_url": "https://plugins.example.com/index.json",
                "name": "geo-lookup",
                "version": ">=1.0.0",
            },
            {
                "index_url": "https://plugins.EXAMPLE.com:443/index.json",
                "name": "geo_lookup",
                "version": ">=2.0.0",
            },
        ],
    }
    result = parse(document(raw_entry(dependencies=deps)))
    assert found(result) == [(Code.INDEX_FIELD, "plugins[0].dependencies.plugins[1]")]


# --- root JsonParse: serde_json's verdicts --------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'{"index_schema_version": "2.0"} extra',
        b"[]",
        b"42",
        b'"hello"',
        b'{"index_schema_version": "2.0", "plugins": []}',
        b'{"index_schema_version": "2.0", "artifacts_url": "https://example.com/a"}',
        b"",
        b"\xef\xbb\xbf" + json.dumps(document()).encode(),  # a BOM
        json.dumps(document()).encode().replace(b'"plugins"', b'"plugins": NaN, "x"'),
        b"\xff" + json.dumps(document()).encode(),
        json.dumps(document()).encode() + b"\xc3",
    ],
    ids=[
        "not-json",
        "trailing-garbage",
        "root-empty-array",
        "root-number",
        "root-string",
        "missing-artifacts-url",
        "missing-plugins",
        "empty",
        "bom",
        "nan",
        "not-utf8",
        "truncated-utf8",
    ],
)
def test_root_syntax_errors_short_circuit_with_one_root_diagnostic(data: bytes) -> None:
    result = parse_index(data)
    assert result.index is None
    assert found(result) == [(Code.INDEX_SYNTAX, None)]
    assert result.diagnostics[0].path == INDEX_FILE


def test_syntax_error_has_line_and_column() -> None:
    (diagnostic,) = parse_index(b'{\n  "a": 1,\n  oops\n}').diagnostics
    assert (diagnostic.line, diagnostic.column) == (3, 3)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("name"),
        lambda e: e.pop("version"),
        lambda e: e.pop("description"),
        lambda e: e.pop("triggers"),
        lambda e: e.pop("dependencies"),
        lambda e: e.pop("hash"),
        lambda e: e["dependencies"].pop("database_version"),
        lambda e: e.update(yanked="true"),
        lambda e: e.update(yanked=None),  # fact 9: null is refused for yanked
        lambda e: e.update(name=1),
        lambda e: e.update(triggers="process_writes"),
        lambda e: e.update(triggers=[1]),
        lambda e: e.update(homepage=1),
        lambda e: e["dependencies"].update(python=None),  # ... and for python
        lambda e: e["dependencies"].update(plugins=None),  # ... and for plugins
        lambda e: e["dependencies"].update(python="x"),
        lambda e: e["dependencies"].update(plugins=[{"index_url": "file:///x", "name": "a"}]),
        lambda e: e.update(dependencies=None),
        lambda e: e.update(description="\ud800"),  # a lone surrogate in a known string
    ],
)
def test_type_and_shape_errors_are_one_root_diagnostic(mutate: Any) -> None:
    bad = raw_entry()
    mutate(bad)
    assert found(parse(document(bad, raw_entry(name="other")))) == [(Code.INDEX_SYNTAX, None)]


@pytest.mark.parametrize("key", ["homepage", "repository", "documentation"])
def test_null_optional_url_is_absent(key: str) -> None:
    parsed = ok(document(raw_entry(**{key: None})))
    assert getattr(parsed.plugins[0], key) is None


def test_yanked_true_and_false_parse() -> None:
    assert ok(document(raw_entry(yanked=True))).plugins[0].yanked is True
    assert ok(document(raw_entry(yanked=False))).plugins[0].yanked is False
    assert ok(document(raw_entry())).plugins[0].yanked is False


@pytest.mark.parametrize(
    "text",
    [
        '{"index_schema_version": "2.0", "index_schema_version": "2.0", '
        '"artifacts_url": "https://e.example/", "plugins": []}',
        '{"index_schema_version": "2.0", "artifacts_url": "https://e.example/", '
        '"plugins": [{"name": "a", "name": "a", "version": "1.0.0", "description": "d", '
        '"triggers": ["process_writes"], "dependencies": {"database_version": "*"}, '
        f'"hash": "{HASH_0}"}}]}}',
        '{"index_schema_version": "2.0", "artifacts_url": "https://e.example/", '
        '"plugins": [{"name": "a", "version": "1.0.0", "description": "d", '
        '"triggers": ["process_writes"], "dependencies": {"database_version": "*", '
        f'"python": [], "python": []}}, "hash": "{HASH_0}"}}]}}',
    ],
    ids=["top", "entry", "dependencies"],
)
def test_a_known_key_twice_is_a_syntax_error(text: str) -> None:
    assert found(parse_index(text.encode())) == [(Code.INDEX_SYNTAX, None)]


def test_an_unknown_key_twice_is_ignored() -> None:
    text = json.dumps(document(raw_entry())).replace('"plugins"', '"x": 1, "x": 2, "plugins"', 1)
    assert len(ok(text.encode()).plugins) == 1


def test_structs_may_be_arrays_filled_by_position() -> None:
    """serde fills a struct from a JSON array (visit_seq): defaults may trail off."""
    entry_array = [
        "alpha",
        "1.0.0",
        PUBLISHED,
        "desc",
        ["process_writes"],
        None,
        None,
        None,
        [">=3.0.0"],
        HASH_0,
    ]
    parsed = ok(["2.0", "https://e.example/a", [entry_array]])
    assert parsed.plugins[0] == dataclasses.replace(
        entry("alpha"), dependencies=Dependencies(">=3.0.0")
    )
    assert ok(["2.0", "https://e.example/a", [[*entry_array, True]]]).plugins[0].yanked


@pytest.mark.parametrize(
    "doc",
    [
        ["2.0", "https://e.example/a"],  # lacks plugins
        ["2.0", "https://e.example/a", [], "extra"],  # more elements than fields
        ["2.0", "https://e.example/a", [["a", "1.0.0", PUBLISHED, "d", ["process_writes"]]]],
    ],
)
def test_positional_structs_need_their_required_fields_and_no_more(doc: object) -> None:
    assert found(parse(doc)) == [(Code.INDEX_SYNTAX, None)]


def test_ignored_values_are_only_syntax_checked() -> None:
    """Unknown fields may hold what serde skips unparsed: lone surrogates, huge numbers."""
    text = json.dumps(document(raw_entry())).replace(
        '"plugins"', '"x": ["\\ud800", 1' + "0" * 5000 + ", 1e999999, -0], " + '"plugins"', 1
    )
    assert len(ok(text.encode()).plugins) == 1


def test_a_surrogate_in_a_struct_key_is_a_syntax_error() -> None:
    text = json.dumps(document(raw_entry())).replace('"plugins"', '"\\udc00": 1, "plugins"', 1)
    assert found(parse_index(text.encode())) == [(Code.INDEX_SYNTAX, None)]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e999", Code.INDEX_SYNTAX),  # serde_json: number out of range
        ("[1e999]", Code.INDEX_SYNTAX),
        ('{"\\ud800": 1}', Code.INDEX_SYNTAX),
        ("1" + "0" * 400, Code.INDEX_SYNTAX),  # past f64's range
        ("1" + "0" * 300, Code.INDEX_FIELD),
        ("[" * 124 + "]" * 124, Code.INDEX_FIELD),
        ("[" * 125 + "]" * 125, Code.INDEX_SYNTAX),  # serde_json's depth limit
    ],
)
def test_published_at_is_decoded_as_a_serde_value(value: str, code: str) -> None:
    text = json.dumps(document(raw_entry(published_at="P"))).replace('"P"', value)
    assert [d.code for d in parse_index(text.encode()).diagnostics] == [code]


def test_arbitrarily_deep_input_is_a_diagnostic_not_a_crash() -> None:
    result = parse_index(b"[" * 100_000 + b"]" * 100_000)
    assert found(result) == [(Code.INDEX_SYNTAX, None)]


# --- canonical serialisation (§4.2) ----------------------------------------------


def full_shape_index() -> Index:
    beta = entry(
        "beta",
        "2.1.0",
        yanked=True,
        dependencies=Dependencies(
            ">=3.0.0",
            (),
            (
                DependencyRef(
                    "https://plugins.example.com/index.json", "geo-lookup", ">=1.0.0,<2.0.0"
                ),
            ),
        ),
    )
    return index(entry("alpha", "1.0.0"), beta)


def test_canonical_full_shape_equals_the_sdk_snapshot() -> None:
    expected = snapshot(
        "influxdb3_plugin_schemas__index__canonical_serialization_tests__canonical_full_shape.snap"
    )
    assert full_shape_index().to_json() == expected.encode()
    assert expected.endswith("}\n")


CANONICAL_FULL_INDEX = """\
{
  "index_schema_version": "2.1",
  "artifacts_url": "https://plugins.example.com/artifacts",
  "plugins": [
    {
      "name": "downsampler",
      "version": "1.2.0",
      "published_at": "2026-04-29T18:45:12Z",
      "description": "Notify an HTTP endpoint on every WAL commit.",
      "triggers": [
        "process_writes",
        "process_scheduled_call"
      ],
      "homepage": "https://influxdata.com/",
      "repository": "https://github.com/influxdata/plugin-downsampler",
      "documentation": "https://github.com/influxdata/plugin-downsampler/readme.md",
      "dependencies": {
        "database_version": ">=3.2.0, <4.0.0",
        "python": [
          "requests>=2.31,<3",
          "pydantic~=2.0"
        ],
        "plugins": [
          {
            "index_url": "https://plugins.example.com/index.json",
            "name": "geo-lookup",
            "version": ">=1.0.0, <2.0.0"
          }
        ]
      },
      "hash": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    }
  ]
}
"""

CANONICAL_MINIMAL_INDEX = """\
{
  "index_schema_version": "2.1",
  "artifacts_url": "https://plugins.example.com/artifacts",
  "plugins": []
}
"""


@pytest.mark.parametrize(
    ("name", "expected"),
    [("full_index", CANONICAL_FULL_INDEX), ("minimal_index", CANONICAL_MINIMAL_INDEX)],
)
def test_canonical_bytes_of_the_valid_fixtures(name: str, expected: str) -> None:
    parsed = parse_index((FIXTURES / "valid" / f"{name}.json").read_bytes()).index
    assert parsed is not None
    assert parsed.to_json() == expected.encode()


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.json")), ids=lambda p: p.stem)
def test_canonical_form_is_a_fixed_point(path: Path) -> None:
    first = parse_index(path.read_bytes()).index
    assert first is not None
    once = first.to_json()
    again = parse_index(once).index
    assert again is not None
    assert again.to_json() == once


def test_legacy_2_0_rewrite_differs_only_in_the_stamped_version() -> None:
    legacy = ok(document(raw_entry()))
    current = ok(document(raw_entry(), index_schema_version="2.1"))
    assert legacy.schema_version == "2.0"
    assert legacy.to_json() == current.to_json()
    assert b'"index_schema_version": "2.1"' in legacy.to_json()
    assert b'"index_schema_version": "2.1"' in ok(document(index_schema_version="2.7")).to_json()
    assert INDEX_SCHEMA_VERSION == "2.1"


def test_unknown_fields_are_dropped_on_rewrite() -> None:
    parsed = ok(document(raw_entry(experimental_tag="beta"), experimental_top=1))
    assert b"experimental" not in parsed.to_json()


def order(*entries: IndexEntry) -> list[tuple[str, str]]:
    written = json.loads(index(*entries).to_json())
    return [(p["name"], p["version"]) for p in written["plugins"]]


def test_sorted_by_name_then_version() -> None:
    assert order(entry("zebra", "1.0.0"), entry("alpha", "2.0.0"), entry("alpha", "1.0.0")) == [
        ("alpha", "1.0.0"),
        ("alpha", "2.0.0"),
        ("zebra", "1.0.0"),
    ]


def test_names_compare_byte_wise_uppercase_first() -> None:
    assert order(entry("alpha"), entry("Zeta"), entry("Beta"), entry("a_b"), entry("a-c")) == [
        ("Beta", "1.0.0"),
        ("Zeta", "1.0.0"),
        ("a-c", "1.0.0"),
        ("a_b", "1.0.0"),
        ("alpha", "1.0.0"),
    ]


def test_versions_sort_by_semver_precedence() -> None:
    versions = [
        "10.0.0",
        "2.0.0",
        "1.0.0",
        "1.0.0-beta",
        "1.0.0-alpha.10",
        "1.0.0-alpha.beta",
        "1.0.0-alpha.2",
        "1.0.0-alpha",
        "1.0.0-1",
        "1.0.0-rc.1",
    ]
    assert [v for _, v in order(*(entry("p", v) for v in versions))] == [
        "1.0.0-1",  # numeric identifiers before alphanumeric ones
        "1.0.0-alpha",  # a shorter prefix first
        "1.0.0-alpha.2",
        "1.0.0-alpha.10",  # numerically
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-rc.1",
        "1.0.0",  # pre-release before release
        "2.0.0",
        "10.0.0",
    ]


def test_build_metadata_is_ignored_for_order_and_ties_keep_input_order() -> None:
    assert order(entry("p", "1.0.0+build.2"), entry("p", "1.0.0"), entry("p", "1.0.0+build.1")) == [
        ("p", "1.0.0+build.2"),
        ("p", "1.0.0"),
        ("p", "1.0.0+build.1"),
    ]


def test_published_at_and_yanked_do_not_affect_order() -> None:
    later = entry("alpha", published_at="2027-01-02T03:04:05Z", yanked=True)
    assert order(entry("beta"), later) == [("alpha", "1.0.0"), ("beta", "1.0.0")]
    assert b'"published_at": "2027-01-02T03:04:05Z"' in index(later).to_json()


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("https://influxdata.com", "https://influxdata.com/"),
        ("HTTPS://Plugins.EXAMPLE.com:443/index.json", "https://plugins.example.com/index.json"),
        ("http://example.com:80/a/./b/../c", "http://example.com/a/c"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/x^y", "https://example.com/x^y"),  # url 2.5.8 keeps ^ in paths
        ("https://\u2603.example/", "https://xn--n3h.example/"),
        ("  https://example.com/\t", "https://example.com/"),
    ],
)
def test_every_url_is_written_normalised(url: str, written: str) -> None:
    dep = DependencyRef(url, "geo", "1")
    value = index(
        entry(
            homepage=url,
            repository=url,
            documentation=url,
            dependencies=Dependencies("1", (), (dep,)),
        ),
        url=url,
    )
    doc = json.loads(value.to_json())
    plugin = doc["plugins"][0]
    assert plugin["homepage"] == plugin["repository"] == plugin["documentation"] == written
    assert plugin["dependencies"]["plugins"][0]["index_url"] == written
    assert doc["artifacts_url"] == written


@pytest.mark.parametrize(
    ("req", "written"),
    [
        (">=3.2.0,<4.0.0", ">=3.2.0, <4.0.0"),
        ("2.1", "^2.1"),
        ("1.x", "1.*"),
        ("1.*.*", "1.*"),
        (">=1.*", ">=1"),
        (">= 1.0.0", ">=1.0.0"),
        ("=0.1.0+meta", "=0.1.0"),
        ("x", "*"),
    ],
)
def test_version_requirements_are_written_normalised(req: str, written: str) -> None:
    dep = DependencyRef("https://p.example/index.json", "geo", req)
    doc = json.loads(index(entry(dependencies=Dependencies(req, (), (dep,)))).to_json())
    deps = doc["plugins"][0]["dependencies"]
    assert deps["database_version"] == written
    assert deps["plugins"][0]["version"] == written


def test_names_versions_python_and_triggers_are_written_verbatim() -> None:
    value = entry(
        "My-Plugin",
        "1.0.0-rc.1+build.007",
        triggers=("process_request", "process_request"),
        dependencies=Dependencies("*", ("Requests >= 2.0 ; python_version>'3'",)),
    )
    plugin = json.loads(index(value).to_json())["plugins"][0]
    assert (plugin["name"], plugin["version"]) == ("My-Plugin", "1.0.0-rc.1+build.007")
    assert plugin["triggers"] == ["process_request", "process_request"]
    assert plugin["dependencies"]["python"] == ["Requests >= 2.0 ; python_version>'3'"]


def test_descriptions_are_nfc_normalised() -> None:
    decomposed = index(entry(description="cafe\u0301"))
    assert decomposed.to_json() == index(entry(description="caf\u00e9")).to_json()
    assert "caf\u00e9".encode() in decomposed.to_json()
    assert decomposed.plugins[0].description == "cafe\u0301"  # the value itself is kept


def test_nfc_that_pushes_a_description_past_200_is_an_index_error() -> None:
    # U+0958 is a composition exclusion: its NFC is two characters
    grown = "\u0958" * 101
    assert len(grown) <= 200 < len(unicodedata.normalize("NFC", grown))
    value = index(entry("a"), entry("b", description=grown))
    with pytest.raises(IndexError) as caught:
        value.to_json()
    assert [(d.code, d.field) for d in caught.value.diagnostics] == [
        (Code.INDEX_FIELD, "plugins[1].description")
    ]
    assert "202 characters" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_optional_keys_omitted_python_always_written() -> None:
    plugin = json.loads(index(entry()).to_json())["plugins"][0]
    assert list(plugin) == [
        "name",
        "version",
        "published_at",
        "description",
        "triggers",
        "dependencies",
        "hash",
    ]
    assert plugin["dependencies"] == {"database_version": ">=3.0.0", "python": []}
    assert b'"python": []' in index(entry()).to_json()


def test_full_key_order() -> None:
    dep = DependencyRef("https://p.example/i.json", "g", "1")
    full = entry(
        homepage="https://h.example/",
        repository="https://r.example/",
        documentation="https://d.example/",
        yanked=True,
        dependencies=Dependencies("1", ("a",), (dep,)),
    )
    doc = json.loads(index(full).to_json())
    assert list(doc) == ["index_schema_version", "artifacts_url", "plugins"]
    plugin = doc["plugins"][0]
    assert list(plugin) == [
        "name",
        "version",
        "published_at",
        "description",
        "triggers",
        "homepage",
        "repository",
        "documentation",
        "dependencies",
        "hash",
        "yanked",
    ]
    assert list(plugin["dependencies"]) == ["database_version", "python", "plugins"]
    assert list(plugin["dependencies"]["plugins"][0]) == ["index_url", "name", "version"]
    assert plugin["yanked"] is True


def test_control_characters_escaped_like_serde_json() -> None:
    controls = "".join(chr(c) for c in range(0x20) if chr(c) not in "\n\r")
    written = index(entry(description=controls + '"\\')).to_json()
    expected = (
        "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\u000b\\f"
        "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
        '\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\"\\\\'
    )
    assert f'"description": "{expected}"'.encode() in written
    # descriptions cannot hold \n or \r; the writer still uses the short forms
    assert _dump(["\n\r"]) == b'[\n  "\\n\\r"\n]\n'


def test_non_ascii_and_c1_bidi_are_written_raw() -> None:
    """Unlike escape.json_text (terminal safety), the index writer is byte-exact serde_json."""
    text = "\u00e9\u0085\u2028\u202e\x7f\U0001f600"
    written = index(entry(description=text)).to_json()
    assert f'"description": "{text}"'.encode() in written
    assert written.decode().count("\\u") == 0


def test_writing_refuses_what_parsing_refuses() -> None:
    with pytest.raises(IndexError) as caught:
        index(entry("a"), entry("a"), entry("A", "2.0.0"), entry("b", hash="x")).to_json()
    assert [(d.code, d.field) for d in caught.value.diagnostics] == [
        (Code.INDEX_DUPLICATE, "plugins[1]"),
        (Code.INDEX_DUPLICATE, "plugins[2]"),
        (Code.INDEX_FIELD, "plugins[3].hash"),
    ]
    with pytest.raises(IndexError):
        Index("s3://bucket").to_json()


# --- new index (§4.7 fact 8) ------------------------------------------------------


def test_new_index_json_is_the_sdk_template_with_the_url_verbatim() -> None:
    template = (SNAPSHOTS / "registry_index.json.template").read_text()
    url = "HTTPS://Plugins.Example.com:443/artifacts"
    expected = template.replace("{{index_schema_version}}", "2.1").replace("{{artifacts_url}}", url)
    assert new_index_json(url) == expected.encode()
    assert f'"artifacts_url": "{url}"'.encode() in new_index_json(url)  # not normalised
    parsed = parse_index(new_index_json(url)).index
    assert parsed == Index(url, (), "2.1")


@pytest.mark.parametrize(
    "url",
    [
        "s3://bucket",
        "not a url",
        'https://x.example/a"b',
        "https://x.example/a\\b",
        "https://x.example/\n",
    ],
)
def test_new_index_json_refuses_urls_the_sdk_refuses_or_would_write_broken(url: str) -> None:
    with pytest.raises(IndexError) as caught:
        new_index_json(url)
    assert [(d.code, d.field) for d in caught.value.diagnostics] == [
        (Code.INDEX_FIELD, "artifacts_url")
    ]


def test_new_index_snapshot_payload_names_index_json() -> None:
    payload = json.loads(snapshot("new_smoke__new_index_json.snap"))
    assert payload["result"]["files_written"] == [INDEX_FILE]


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/tmp/reg", "file:///tmp/reg"),
        ("/tmp/my reg/", "file:///tmp/my%20reg"),
        ("/tmp/r\u00e9g", "file:///tmp/r%C3%A9g"),
        ("/srv/a/../b", "file:///srv/a/../b"),
        ("/srv/./a//b/.", "file:///srv/a/b"),
        ("//srv/x", "file:///srv/x"),
        ("/", "file:///"),
        ('/t/"<>`#?{}%\\', "file:///t/%22%3C%3E%60%23%3F%7B%7D%25%5C"),
        ("/t/^|[]@!$&'()*+,;=:~", "file:///t/^|[]@!$&'()*+,;=:~"),
        ("/t/\x01\x7f", "file:///t/%01%7F"),
    ],
)
def test_posix_file_url_percent_encodes_the_lexical_path(path: str, url: str) -> None:
    assert posix_file_url(path.encode(), b"/unused") == url
    assert parse_index(new_index_json(url)).index is not None


@pytest.mark.parametrize(
    ("path", "cwd", "url"),
    [
        ("reg", "/home/u", "file:///home/u/reg"),
        ("./reg/", "/home/u", "file:///home/u/reg"),
        ("././reg", "/home/u", "file:///home/u/reg"),
        ("../reg", "/home/my u", "file:///home/my%20u/../reg"),
        (".", "/", "file:///"),
    ],
)
def test_posix_file_url_joins_a_relative_path_to_the_cwd(path: str, cwd: str, url: str) -> None:
    assert posix_file_url(path.encode(), cwd.encode()) == url


def test_posix_file_url_encodes_undecodable_bytes() -> None:
    assert posix_file_url(b"/t/\xff\xc3", b"/") == "file:///t/%FF%C3"


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("C:\\a\\b", "file:///C:/a/b"),
        ("c:\\", "file:///c:/"),
        ("C:\\my reg\\r\u00e9g", "file:///C:/my%20reg/r%C3%A9g"),
        ("C:\\a\\%#^", "file:///C:/a/%25%23^"),
        ("\\\\?\\C:\\x", "file:///C:/x"),
        ("\\\\Server\\share\\x y", "file://server/share/x%20y"),
        ("\\\\?\\UNC\\Server\\share\\x", "file://server/share/x"),
    ],
)
def test_windows_file_url_follows_the_url_crate(path: str, url: str) -> None:
    assert windows_file_url(path) == url


@pytest.mark.skipif(os.name == "nt", reason="POSIX paths")
def test_default_artifacts_url_of_a_relative_path_joins_the_cwd_without_resolving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path / "link")
    cwd = os.getcwd()  # the process's cwd, as the SDK's getcwd() gives it
    assert default_artifacts_url(Path("./reg")) == default_artifacts_url(Path(cwd) / "reg")
    assert default_artifacts_url(Path("../x")).endswith("/../x")
    assert default_artifacts_url(Path("/abs/link")) == "file:///abs/link"


@pytest.mark.skipif(os.name == "nt", reason="POSIX paths")
def test_default_artifacts_url_encodes_undecodable_bytes() -> None:
    assert default_artifacts_url(Path(os.fsdecode(b"/t/\xff"))) == "file:///t/%FF"
    assert default_artifacts_url(Path("/srv/a/../b")) == "file:///srv/a/../b"


# --- artifact URLs (§4.4) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "name", "version", "expected"),
    [
        (
            "https://example.com/artifacts",
            "n",
            "1.2.3",
            "https://example.com/artifacts/n-1.2.3.tar.gz",
        ),
        (
            "https://example.com/artifacts/",
            "n",
            "1.2.3",
            "https://example.com/artifacts/n-1.2.3.tar.gz",
        ),
        ("file:///path/to/registry", "n", "1.2.3", "file:///path/to/registry/n-1.2.3.tar.gz"),
        ("file:///path/to/registry/", "n", "1.2.3", "file:///path/to/registry/n-1.2.3.tar.gz"),
        ("https://host/a/b/c", "n", "1.2.3", "https://host/a/b/c/n-1.2.3.tar.gz"),
        ("https://host/a/b/c/", "n", "1.2.3", "https://host/a/b/c/n-1.2.3.tar.gz"),
        (
            "https://example.com/artifacts",
            "foo-bar",
            "1.2.3",
            "https://example.com/artifacts/foo-bar-1.2.3.tar.gz",
        ),
        (
            "https://example.com/artifacts",
            "foo_bar",
            "1.2.3",
            "https://example.com/artifacts/foo_bar-1.2.3.tar.gz",
        ),
        (
            "https://example.com/artifacts",
            "n",
            "1.2.3-alpha.1",
            "https://example.com/artifacts/n-1.2.3-alpha.1.tar.gz",
        ),
        (
            "https://example.com/artifacts",
            "n",
            "1.2.3+build.7",
            "https://example.com/artifacts/n-1.2.3+build.7.tar.gz",
        ),
        (
            "https://example.com/artifacts?channel=stable",
            "n",
            "1.2.3",
            "https://example.com/artifacts/n-1.2.3.tar.gz?channel=stable",
        ),
        (
            "https://example.com/artifacts#deploy",
            "n",
            "1.2.3",
            "https://example.com/artifacts/n-1.2.3.tar.gz#deploy",
        ),
        (
            "https://example.com/artifacts?t=1#x",
            "n",
            "1.2.3",
            "https://example.com/artifacts/n-1.2.3.tar.gz?t=1#x",
        ),
        (
            "http://localhost:8080/artifacts",
            "n",
            "1.2.3",
            "http://localhost:8080/artifacts/n-1.2.3.tar.gz",
        ),
        ("https://u:p@host/path", "n", "1.2.3", "https://u:p@host/path/n-1.2.3.tar.gz"),
        ("file://server/share/plugins", "n", "1.2.3", "file://server/share/plugins/n-1.2.3.tar.gz"),
        ("https://xn--n3h.example/a", "n", "1.2.3", "https://xn--n3h.example/a/n-1.2.3.tar.gz"),
        ("https://host", "n", "1.2.3", "https://host/n-1.2.3.tar.gz"),
        (
            "https://host/a//",
            "n",
            "1.2.3",
            "https://host/a//n-1.2.3.tar.gz",
        ),  # one empty segment popped
        ("HTTPS://Host:443/A/", "n", "1.2.3", "https://host/A/n-1.2.3.tar.gz"),
    ],
)
def test_artifact_url(base: str, name: str, version: str, expected: str) -> None:
    assert Index(base).artifact_url(name, version) == expected


# --- insert (§4.3) ------------------------------------------------------------------


def test_insert_appends_and_leaves_the_original_alone() -> None:
    empty = index()
    one = empty.inserted(entry("alpha"))
    assert one.plugins == (entry("alpha"),)
    assert empty.plugins == ()
    assert len(one.inserted(entry("alpha", "1.1.0")).plugins) == 2


def test_insert_same_spelling_same_version_is_already_published() -> None:
    base = index(entry("alpha", "1.0.0"), entry("alpha", "1.1.0"), entry("beta", "2.0.0"))
    with pytest.raises(InsertError) as caught:
        base.inserted(entry("alpha", "1.0.0", published_at="2027-01-02T03:04:05Z"))
    error = caught.value
    assert error.kind == "already_published"
    assert [e.version for e in error.existing] == ["1.0.0", "1.1.0"]  # index order, this name only
    assert "1.0.0, 1.1.0" in str(error)
    assert "bump" in str(error)
    assert "yank" in str(error)
    assert str(error).count(";") == 1


@pytest.mark.parametrize(
    ("first", "second", "version"),
    [
        ("foo-bar", "foo_bar", "1.0.0"),
        ("MyPlugin", "myplugin", "1.0.0"),
        ("myplugin", "MyPlugin", "1.0.0"),
        ("my_plugin", "my-plugin", "1.0.1"),  # any version
    ],
)
def test_insert_another_spelling_is_a_canonical_collision(
    first: str, second: str, version: str
) -> None:
    with pytest.raises(InsertError) as caught:
        index(entry(first, "1.0.0")).inserted(entry(second, version))
    assert caught.value.kind == "canonical_collision"
    assert caught.value.existing == (entry(first, "1.0.0"),)
    assert f"publish it as {first!r}" in str(caught.value)


def test_insert_build_metadata_makes_a_different_version() -> None:
    """§4.3/§7.1: full Version equality, so 1.0.0 and 1.0.0+build.7 coexist."""
    both = index(entry("p", "1.0.0")).inserted(entry("p", "1.0.0+build.7"))
    assert [e.version for e in both.plugins] == ["1.0.0", "1.0.0+build.7"]
    with pytest.raises(InsertError):
        both.inserted(entry("p", "1.0.0+build.7"))


# --- yank (§4.5) ---------------------------------------------------------------------

SEEDED_INDEX = """{
  "index_schema_version": "2.0",
  "artifacts_url": "https://plugins.example.com/artifacts",
  "plugins": [
    {
      "name": "downsampler",
      "version": "1.2.0",
      "published_at": "2026-04-29T18:45:12Z",
      "description": "seed entry",
      "triggers": ["process_writes"],
      "dependencies": { "database_version": ">=3.0.0", "python": [] },
      "hash": "sha256:0000000000000000000000000000000000000000000000000000000000000000"
    }
  ]
}
"""


def seeded(yanked: bool = False) -> Index:
    parsed = parse_index(SEEDED_INDEX.encode()).index
    assert parsed is not None
    return dataclasses.replace(
        parsed, plugins=(dataclasses.replace(parsed.plugins[0], yanked=yanked),)
    )


@pytest.mark.parametrize(
    ("yanked", "undo", "snap"),
    [
        (False, False, "yank_smoke__yank_transitioned_json.snap"),
        (True, True, "yank_smoke__yank_undo_transitioned_json.snap"),
        (True, False, "yank_smoke__yank_already_yanked_json.snap"),
    ],
)
def test_yank_outcomes_match_the_cli_snapshots(yanked: bool, undo: bool, snap: str) -> None:
    expected = json.loads(snapshot(snap))["result"]
    after, outcome = seeded(yanked).yanked("downsampler", "1.2.0", undo=undo)
    assert outcome == expected["outcome"]
    target = after.find(expected["name"], expected["version"])
    assert target is not None
    assert target.published_at == expected["published_at"]
    assert target.yanked is not undo
    written = json.loads(after.to_json())["plugins"][0]
    assert written.get("yanked", False) is not undo
    assert written["published_at"] == expected["published_at"]


def test_unyank_of_an_unyanked_entry_is_a_no_op() -> None:
    before = seeded()
    after, outcome = before.yanked("downsampler", "1.2.0", undo=True)
    assert (after, outcome) == (before, "already_unyanked")


def test_yank_no_op_still_rewrites_canonically() -> None:
    after, outcome = seeded(yanked=True).yanked("downsampler", "1.2.0")
    assert outcome == "already_yanked"
    assert after.to_json().startswith(b'{\n  "index_schema_version": "2.1",')


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("Downsampler", "1.2.0"),
        ("down-sampler", "1.2.0"),
        ("downsampler", "1.2.0+b"),
        ("downsampler", "1.2"),
    ],
)
def test_yank_needs_the_exact_spelling_and_version(name: str, version: str) -> None:
    with pytest.raises(EntryNotFound) as caught:
        seeded().yanked(name, version)
    assert (caught.value.name, caught.value.version) == (name, version)
    assert isinstance(caught.value, KeyError)
    assert str(caught.value).startswith(f"{name}@{version} is not in the index")


def test_yank_touches_only_the_target() -> None:
    base = index(entry("a", "1.0.0"), entry("a", "1.0.0+b"), entry("b", "1.0.0"))
    after, _ = base.yanked("a", "1.0.0+b")
    assert [e.yanked for e in after.plugins] == [False, True, False]


# --- lookups -------------------------------------------------------------------------


def test_find_is_exact_and_versions_of_is_canonical() -> None:
    base = index(entry("foo-bar", "1.0.0"), entry("other"), entry("foo-bar", "2.0.0+b"))
    assert base.find("foo-bar", "2.0.0+b") == entry("foo-bar", "2.0.0+b")
    assert base.find("foo-bar", "2.0.0") is None
    assert base.find("foo_bar", "1.0.0") is None
    assert base.versions_of("FOO_BAR") == (entry("foo-bar", "1.0.0"), entry("foo-bar", "2.0.0+b"))


# --- validate --index (§2.7, §2.8) ---------------------------------------------------


@pytest.mark.parametrize(
    ("published", "manifest"),
    [("foo-bar", "foo_bar"), ("Foo", "foo"), ("Foo-Bar_Baz", "foo_bar_baz"), ("same", "same")],
)
def test_name_version_conflict_same_canonical_name_same_version(
    published: str, manifest: str
) -> None:
    conflict = name_version_conflict(index(entry(published, "1.2.0")), manifest, "1.2.0")
    assert conflict is not None
    assert conflict.code == Code.NAME_VERSION_CONFLICT == "name-version-conflict"
    assert conflict.field == f"{manifest}@1.2.0"
    assert conflict.message.startswith(f"{manifest}@1.2.0 already exists in the index")


@pytest.mark.parametrize(
    ("published", "manifest", "version"),
    [
        ("foo-bar", "foo_bar", "1.2.1"),
        ("Foo", "foo", "2.0.0"),
        ("foo", "foo", "1.2.0+b"),
        ("bar", "foo", "1.2.0"),
    ],
)
def test_name_version_conflict_passes_otherwise(
    published: str, manifest: str, version: str
) -> None:
    assert name_version_conflict(index(entry(published, "1.2.0")), manifest, version) is None


# --- package's entry (§3.1) -----------------------------------------------------------


def test_entry_from_manifest_copies_the_manifest() -> None:
    manifest = parse_manifest(
        (
            Path(__file__).parent / "fixtures" / "manifests" / "valid" / "full_manifest.toml"
        ).read_bytes()
    ).manifest
    assert manifest is not None
    made = entry_from_manifest(manifest, hash=HASH_1, published_at=PUBLISHED)
    assert (made.name, made.version, made.description) == (
        manifest.name,
        manifest.version,
        manifest.description,
    )
    assert made.triggers == manifest.triggers
    assert (made.homepage, made.repository, made.documentation) == (
        manifest.homepage,
        manifest.repository,
        manifest.documentation,
    )
    assert made.dependencies.database_version == manifest.database_version
    assert made.dependencies.python == manifest.python
    assert made.dependencies.plugins == tuple(
        DependencyRef(d.index_url, d.name, d.version) for d in manifest.plugins
    )
    assert (made.hash, made.published_at, made.yanked) == (HASH_1, PUBLISHED, False)
    assert parse_index(index(made).to_json()).index is not None


def test_entry_from_manifest_refuses_an_incomplete_manifest() -> None:
    manifest = parse_manifest(b'manifest_schema_version = "1.3"\n[plugin]\nname = "x"\n').manifest
    assert manifest is not None
    with pytest.raises(ValueError, match="manifest lacks"):
        entry_from_manifest(manifest, hash=HASH_0, published_at=PUBLISHED)


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1777488312, "2026-04-29T18:45:12Z"),
        (951782400, "2000-02-29T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (253402300799, "9999-12-31T23:59:59Z"),
        (-62167219200, "0000-01-01T00:00:00Z"),
    ],
)
def test_utc_timestamp(epoch: int, text: str) -> None:
    assert utc_timestamp(epoch) == text
    assert parse_index(index(entry(published_at=text)).to_json()).index is not None


@pytest.mark.parametrize("epoch", [253402300800, -62167219201])
def test_utc_timestamp_outside_four_digit_years_raises(epoch: int) -> None:
    with pytest.raises(ValueError, match="four digits"):
        utc_timestamp(epoch)


# --- properties ----------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_LETTERS),
    st.text(_LETTERS + "0123456789-_", max_size=12),
).filter(
    lambda n: (
        n.lower() not in {"con", "prn", "aux", "nul"}
        and not (n[:3].lower() in ("com", "lpt") and len(n) == 4 and n[3].isdigit())
    )
)
_idents = st.one_of(
    st.integers(0, 30).map(str),
    st.text("abcdefghij-", min_size=1, max_size=4).filter(lambda s: not s.isdigit()),
)
versions = st.builds(
    lambda a, b, c, pre, build: (
        f"{a}.{b}.{c}"
        + (f"-{'.'.join(pre)}" if pre else "")
        + (f"+{'.'.join(build)}" if build else "")
    ),
    st.integers(0, 12),
    st.integers(0, 12),
    st.integers(0, 12),
    st.lists(_idents, max_size=2),
    st.lists(st.text("0123456789ab", min_size=1, max_size=3), max_size=2),
)
descriptions = st.text(
    st.characters(codec="utf-8", exclude_characters="\n\r"),  # utf-8: no surrogates
    min_size=1,
    max_size=80,
) | st.sampled_from(["cafe\u0301", "\u0958" * 3, "\uff21\u212b\u2126", "\t\x00\x7f\u2028"])
urls = st.sampled_from(
    [
        "https://example.com",
        "HTTP://Example.COM:80/a/../b",
        "https://example.com/x^y?q=^#f",
        "https://u:p@h.example/p%20q",
        "https://\u2603.example/a b",
    ]
)
reqs = st.sampled_from(
    [">=3.0.0", ">=3.2.0,<4.0.0", "2.1", "1.x", "*", "~1.2.3-rc.1", "=0.1.0+meta"]
)
timestamps = st.integers(0, 253402300799).map(utc_timestamp)
entries = st.builds(
    lambda name, version, published_at, description, triggers, url, req, python, deps, yanked: (
        IndexEntry(
            name=name,
            version=version,
            published_at=published_at,
            description=description,
            triggers=tuple(triggers),
            dependencies=Dependencies(
                req, tuple(python), tuple(DependencyRef(url, n, req) for n in sorted(set(deps)))
            ),
            hash="sha256:" + "ab" * 32,
            homepage=url if yanked else None,
            repository=None if yanked else url,
            yanked=yanked,
        )
    ),
    names,
    versions,
    timestamps,
    descriptions,
    st.lists(
        st.sampled_from(["process_writes", "process_scheduled_call", "process_request"]),
        min_size=1,
        max_size=3,
    ),
    urls,
    reqs,
    st.lists(st.sampled_from(["requests>=2.31,<3", "pydantic~=2.0", "numpy"]), max_size=2),
    st.lists(st.sampled_from(["geo", "lookup", "x-y"]), max_size=2),
    st.booleans(),
)


def _distinct(values: list[IndexEntry]) -> tuple[IndexEntry, ...]:
    """One spelling per canonical name and one entry per version, as a valid index has."""
    spelling: dict[str, str] = {}
    out: dict[tuple[str, str], IndexEntry] = {}
    for value in values:
        name = spelling.setdefault(value.name.lower().replace("-", "_"), value.name)
        out.setdefault((name, value.version), dataclasses.replace(value, name=name))
    return tuple(out.values())


indexes = st.builds(
    lambda url, values: Index(url, _distinct(values)),
    urls | st.sampled_from(["file:///srv/reg/", "http://localhost:8080/a?x=1"]),
    st.lists(entries, max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indexes)
def test_property_parse_of_serialised_is_idempotent(value: Index) -> None:
    once = value.to_json()
    parsed = parse_index(once)
    assert parsed.diagnostics == ()
    assert parsed.index is not None
    assert parsed.index.to_json() == once
    assert len(parsed.index.plugins) == len(value.plugins)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries, max_size=4), urls | st.sampled_from(["s3://x", "not a url"]))
def test_property_serialising_never_produces_what_parsing_refuses(
    values: list[IndexEntry], url: str
) -> None:
    value = Index(url, tuple(values))
    try:
        written = value.to_json()
    except IndexError as exc:
        refused: IndexError | None = exc
    else:
        refused = None
        assert parse_index(written).index is not None
    assert refused is None or refused.diagnostics


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_property_parse_never_raises_on_arbitrary_input(data: bytes) -> None:
    result = parse_index(data)
    assert (result.index is None) == bool(result.diagnostics)
    assert all(d.path == INDEX_FILE for d in result.diagnostics)


@settings(max_examples=150, deadline=None)
@given(indexes, st.data())
def test_property_parse_never_raises_on_mutated_indexes(value: Index, data: st.DataObject) -> None:
    doc = json.loads(value.to_json())
    targets: list[tuple[Any, Any]] = [(doc, k) for k in doc]
    for plugin in doc["plugins"]:
        targets += [(plugin, k) for k in plugin] + [
            (plugin["dependencies"], k) for k in plugin["dependencies"]
        ]
    holder, key = data.draw(st.sampled_from(targets))
    holder[key] = data.draw(json_values)
    result = parse_index(json.dumps(doc).encode())
    assert (result.index is None) == bool(result.diagnostics)
