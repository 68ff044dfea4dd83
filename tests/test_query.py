"""search / info over an index: the SDK CLI's payloads and every fact of CONFORMANCE §4.7."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from plugin_build.index import Dependencies, DependencyRef, Index, IndexEntry, parse_index
from plugin_build.query import QueryError, info, search

SNAPSHOTS = Path(__file__).parent / "fixtures" / "index" / "snapshots"


def hash_of(digit: int) -> str:
    return "sha256:" + str(digit) * 64


def raw(
    name: str, version: str, published_at: str, description: str, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "version": version,
        "published_at": published_at,
        "description": description,
        "triggers": extra.pop("triggers", ["process_writes"]),
    }
    for key in ("homepage", "repository", "documentation"):
        if key in extra:
            out[key] = extra.pop(key)
    out["dependencies"] = extra.pop(
        "dependencies", {"database_version": extra.pop("db", ">=3.0.0"), "python": []}
    )
    out.update(extra)
    return out


# index_smoke.rs's rich_index()
RICH = {
    "index_schema_version": "2.0",
    "artifacts_url": "https://plugins.example.com/artifacts",
    "plugins": [
        raw(
            "alpha_writer", "1.0.0", "2026-04-29T18:45:12Z", "Alpha writer plugin", hash=hash_of(0)
        ),
        raw(
            "downsampler",
            "1.0.0",
            "2026-04-30T10:00:00Z",
            "Downsample writes older version",
            hash=hash_of(1),
        ),
        raw(
            "downsampler",
            "1.2.0",
            "2026-05-01T11:22:33Z",
            "Downsample writes",
            homepage="https://example.com/downsampler",
            repository="https://github.com/example/downsampler",
            documentation="https://docs.example.com/downsampler",
            dependencies={
                "database_version": ">=3.0.0",
                "python": ["requests>=2.31,<3"],
                "plugins": [
                    {
                        "index_url": "https://plugins.example.com/index.json",
                        "name": "geo-lookup",
                        "version": ">=1.0.0, <2.0.0",
                    }
                ],
            },
            hash=hash_of(2),
        ),
        raw(
            "downsampler",
            "2.0.0",
            "2026-06-01T09:00:00Z",
            "Yanked major downsampler",
            hash=hash_of(3),
            yanked=True,
        ),
        raw(
            "future_writer",
            "2.0.0",
            "2026-05-02T12:00:00Z",
            "Future writer plugin",
            db=">=4.0.0",
            hash=hash_of(4),
        ),
        raw(
            "http_auth",
            "0.3.0",
            "2026-05-03T12:00:00Z",
            "Authenticate request plugins",
            triggers=["process_request"],
            hash=hash_of(5),
        ),
        raw(
            "legacy_rollup",
            "0.9.0",
            "2026-05-04T12:00:00Z",
            "Legacy rollup job",
            triggers=["process_scheduled_call"],
            hash=hash_of(6),
            yanked=True,
        ),
    ],
}


def load(doc: dict[str, Any]) -> Index:
    result = parse_index(json.dumps(doc, indent=2).encode())
    assert result.index is not None, result.diagnostics
    return result.index


@pytest.fixture
def rich() -> Index:
    return load(RICH)


def snapshot_result(name: str) -> Any:
    text = (SNAPSHOTS / name).read_text().split("---\n", 2)[2]
    doc = json.loads(text)
    assert doc["status"] == "ok"
    return doc["result"]


def names(payload: dict[str, Any]) -> list[str]:
    return [hit["name"] for hit in payload["hits"]]


def hit(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in payload["hits"] if h["name"] == name)


HIT_KEYS = ["name", "version", "published_at", "description", "triggers", "visibility"]
PLUGIN_KEYS = [
    "name",
    "version",
    "published_at",
    "description",
    "triggers",
    "homepage",
    "repository",
    "documentation",
    "artifact_url",
    "dependencies",
    "hash",
    "visibility",
]


# --- the CLI snapshots ------------------------------------------------------------


def test_search_equals_the_cli_snapshot_with_serde_key_order(rich: Index) -> None:
    payload = search(rich)
    assert payload == snapshot_result("index_smoke__index_search_json.snap")
    assert list(payload) == ["hits"]
    assert all(list(h) == HIT_KEYS for h in payload["hits"])


def test_info_found_equals_the_cli_snapshot_with_serde_key_order(rich: Index) -> None:
    payload = info(rich, "downsampler")
    assert payload == snapshot_result("index_smoke__index_info_found_json.snap")
    assert list(payload) == ["outcome", "plugin"]
    assert list(payload["plugin"]) == PLUGIN_KEYS
    assert list(payload["plugin"]["dependencies"]) == ["database_version", "python", "plugins"]
    assert list(payload["plugin"]["dependencies"]["plugins"][0]) == ["index_url", "name", "version"]
    assert "versions" not in payload["plugin"]


def test_info_not_found_equals_the_cli_snapshot(rich: Index) -> None:
    payload = info(rich, "no_such_plugin")
    assert payload == snapshot_result("index_smoke__index_info_not_found_json.snap")
    assert list(payload) == ["outcome", "name", "version"]


def test_info_filtered_out_equals_the_cli_snapshot(rich: Index) -> None:
    payload = info(rich, "legacy_rollup")
    assert payload == snapshot_result("index_smoke__index_info_filtered_out_json.snap")
    assert list(payload) == ["outcome", "name", "version", "reasons"]


# --- index_smoke.rs scenarios ------------------------------------------------------


def test_search_all_visible(rich: Index) -> None:
    payload = search(rich)
    assert names(payload) == ["alpha_writer", "downsampler", "future_writer", "http_auth"]
    assert hit(payload, "downsampler")["version"] == "1.2.0"
    assert hit(payload, "downsampler")["published_at"] == "2026-05-01T11:22:33Z"
    assert hit(payload, "downsampler")["visibility"] == {"status": "visible"}


def test_search_text_filters_by_name_and_description(rich: Index) -> None:
    assert names(search(rich, "http")) == ["http_auth"]
    assert names(search(rich, "Authenticate")) == ["http_auth"]


def test_search_trigger_filter(rich: Index) -> None:
    payload = search(rich, trigger_type="process_request")
    assert names(payload) == ["http_auth"]
    assert all("process_request" in h["triggers"] for h in payload["hits"])


def test_search_hides_and_includes_yanked(rich: Index) -> None:
    default = search(rich)
    assert "legacy_rollup" not in names(default)
    assert hit(default, "downsampler")["version"] == "1.2.0"
    included = search(rich, include_yanked=True)
    assert hit(included, "downsampler")["version"] == "2.0.0"
    assert hit(included, "legacy_rollup")["visibility"] == {
        "status": "hidden",
        "reasons": [{"kind": "yanked"}],
    }


def test_search_hides_and_includes_incompatible(rich: Index) -> None:
    default = search(rich, database_version="3.2.0")
    assert names(default) == ["alpha_writer", "downsampler", "http_auth"]
    included = search(rich, database_version="3.2.0", include_incompatible=True)
    visibility = hit(included, "future_writer")["visibility"]
    assert visibility == {
        "status": "hidden",
        "reasons": [
            {"kind": "incompatible_database_version", "required": ">=4.0.0", "actual": "3.2.0"}
        ],
    }
    assert list(visibility["reasons"][0]) == ["kind", "required", "actual"]
    assert list(visibility) == ["status", "reasons"]


def test_search_empty_index_and_no_match_are_empty_hits(rich: Index) -> None:
    assert search(load({**RICH, "plugins": []})) == {"hits": []}
    assert search(rich, "does-not-match") == {"hits": []}


def test_info_exact_version(rich: Index) -> None:
    payload = info(rich, "downsampler", version="1.0.0")
    assert payload["outcome"] == "found"
    assert payload["plugin"]["version"] == "1.0.0"
    assert payload["plugin"]["artifact_url"] == (
        "https://plugins.example.com/artifacts/downsampler-1.0.0.tar.gz"
    )


def test_info_exact_hidden_versions_are_found_with_reasons(rich: Index) -> None:
    yanked = info(rich, "legacy_rollup", version="0.9.0")
    assert yanked["outcome"] == "found"
    assert yanked["plugin"]["visibility"] == {"status": "hidden", "reasons": [{"kind": "yanked"}]}
    incompatible = info(rich, "future_writer", version="2.0.0", database_version="3.2.0")
    assert incompatible["plugin"]["visibility"] == {
        "status": "hidden",
        "reasons": [
            {"kind": "incompatible_database_version", "required": ">=4.0.0", "actual": "3.2.0"}
        ],
    }


def test_info_not_found_outcomes(rich: Index) -> None:
    assert info(rich, "no_such_plugin") == {
        "outcome": "not_found",
        "name": "no_such_plugin",
        "version": None,
    }
    assert info(rich, "downsampler", version="9.9.9") == {
        "outcome": "not_found",
        "name": "downsampler",
        "version": "9.9.9",
    }
    assert info(rich, "nonexistent", version="1.0.0")["version"] == "1.0.0"


def test_info_artifact_url_for_included_hidden_versions(rich: Index) -> None:
    yanked = info(rich, "legacy_rollup", include_yanked=True)
    assert yanked["plugin"]["artifact_url"] == (
        "https://plugins.example.com/artifacts/legacy_rollup-0.9.0.tar.gz"
    )
    future = info(rich, "future_writer", database_version="3.2.0", include_incompatible=True)
    assert future["outcome"] == "found"
    assert future["plugin"]["artifact_url"] == (
        "https://plugins.example.com/artifacts/future_writer-2.0.0.tar.gz"
    )


def test_info_artifact_url_uses_a_file_base() -> None:
    base = load({**RICH, "artifacts_url": "file:///tmp/reg", "plugins": RICH["plugins"][:1]})
    assert info(base, "alpha_writer")["plugin"]["artifact_url"] == (
        "file:///tmp/reg/alpha_writer-1.0.0.tar.gz"
    )


def test_not_found_and_filtered_out_carry_no_plugin_or_artifact_url(rich: Index) -> None:
    for payload in (info(rich, "no_such_plugin"), info(rich, "legacy_rollup")):
        assert "plugin" not in payload
        assert "artifact_url" not in payload


def test_queries_do_not_change_the_index(rich: Index) -> None:
    before = rich.to_json()
    search(rich, "downsample")
    info(rich, "downsampler")
    assert rich.to_json() == before


# --- argument errors (exit 2 in the CLI) -----------------------------------------------


def test_unknown_trigger_type_is_invalid_value(rich: Index) -> None:
    """Fact 7."""
    with pytest.raises(QueryError) as caught:
        search(rich, trigger_type="nope")
    assert (caught.value.kind, caught.value.argument, caught.value.value) == (
        "invalid_value",
        "--trigger-type",
        "nope",
    )
    with pytest.raises(QueryError):
        search(rich, trigger_type="Process_Writes")


def test_bad_database_version(rich: Index) -> None:
    with pytest.raises(QueryError) as caught:
        info(rich, "x", database_version=">=3")  # a version, not a requirement
    assert (caught.value.kind, caught.value.argument) == (
        "invalid_database_version",
        "--database-version",
    )
    with pytest.raises(QueryError, match="'nope'") as caught:
        search(rich, database_version="nope")
    assert caught.value.kind == "invalid_database_version"
    assert "unexpected character 'n'" in str(caught.value)


@pytest.mark.parametrize("name", ["7plugin", "downsampler@1.2.0", "", "con", "a b"])
def test_bad_info_name(rich: Index, name: str) -> None:
    with pytest.raises(QueryError) as caught:
        info(rich, name)
    assert caught.value.kind == "invalid_name"
    assert caught.value.argument == "NAME"
    if name == "7plugin":
        assert "starting with a letter" in str(caught.value)


def test_bad_info_version_is_a_value_error_on_version(rich: Index) -> None:
    with pytest.raises(QueryError) as caught:
        info(rich, "downsampler", version="nope")
    assert (caught.value.kind, caught.value.argument) == ("invalid_value", "--version")


def test_info_checks_name_then_version_then_database_version(rich: Index) -> None:
    with pytest.raises(QueryError) as caught:
        info(rich, "7", version="x", database_version="y")
    assert caught.value.kind == "invalid_name"
    with pytest.raises(QueryError) as caught:
        info(rich, "ok", version="x", database_version="y")
    assert caught.value.argument == "--version"


def test_search_checks_the_trigger_before_the_database_version(rich: Index) -> None:
    with pytest.raises(QueryError) as caught:
        search(rich, trigger_type="x", database_version="y")
    assert caught.value.argument == "--trigger-type"


# --- index_query.rs semantics and the further facts --------------------------------------


def entry(name: str, version: str, **fields: Any) -> IndexEntry:
    values: dict[str, Any] = {
        "name": name,
        "version": version,
        "published_at": "2026-04-29T18:45:12Z",
        "description": "desc",
        "triggers": ("process_writes",),
        "dependencies": Dependencies(">=3.0.0"),
        "hash": hash_of(0),
    }
    values.update(fields)
    return IndexEntry(**values)


def index(*entries: IndexEntry) -> Index:
    return Index("https://example.com/artifacts", entries)


def test_info_looks_names_up_canonically_and_echoes_the_typed_name() -> None:
    """Fact 1."""
    value = index(entry("alpha_writer", "1.0.0", yanked=True))
    assert info(value, "Alpha-Writer", include_yanked=True)["plugin"]["name"] == "alpha_writer"
    assert info(value, "Alpha-Writer")["name"] == "Alpha-Writer"  # filtered_out
    assert info(value, "Beta-Writer")["name"] == "Beta-Writer"  # not_found
    assert info(value, "ALPHA_WRITER", version="2.0.0")["name"] == "ALPHA_WRITER"
    exact = info(value, "alpha-writer", version="1.0.0")
    assert exact["plugin"]["artifact_url"].endswith("/alpha_writer-1.0.0.tar.gz")


def test_build_metadata_breaks_precedence_ties() -> None:
    """Fact 2: 1.0.0+b.1 beats 1.0.0 (full order, identifier by identifier, numerically)."""
    for order in (
        (entry("p", "1.0.0"), entry("p", "1.0.0+b.1")),
        (entry("p", "1.0.0+b.1"), entry("p", "1.0.0")),
    ):
        assert search(index(*order))["hits"][0]["version"] == "1.0.0+b.1"
        assert info(index(*order), "p")["plugin"]["version"] == "1.0.0+b.1"
    numeric = index(entry("p", "1.0.0+10"), entry("p", "1.0.0+9"), entry("p", "1.0.0+b"))
    assert info(numeric, "p")["plugin"]["version"] == "1.0.0+b"
    assert (
        info(index(entry("p", "1.0.0+10"), entry("p", "1.0.0+9")), "p")["plugin"]["version"]
        == "1.0.0+10"
    )
    assert (
        info(index(entry("p", "1.0.0+b"), entry("p", "1.0.1-rc.1")), "p")["plugin"]["version"]
        == "1.0.1-rc.1"
    )


def test_case_insensitivity_is_ascii_only() -> None:
    """Fact 3."""
    value = index(entry("cafe", "1.0.0", description="Un café noir"))
    assert names(search(value, "CAFÉ")) == []
    assert names(search(value, "CAFé")) == ["cafe"]
    assert names(search(value, "NOIR")) == ["cafe"]


def test_trigger_filters_versions_before_the_latest_is_picked() -> None:
    """Fact 4."""
    value = index(
        entry("alpha", "1.0.0", triggers=("process_writes",)),
        entry("alpha", "2.0.0", triggers=("process_request",)),
    )
    (only,) = search(value, trigger_type="process_writes")["hits"]
    assert (only["version"], only["triggers"]) == ("1.0.0", ["process_writes"])


@pytest.mark.parametrize(
    ("required", "database", "compatible"),
    [
        (">=3.0.0", "3.1.0-rc.1", False),  # a pre-release needs a comparator naming it
        (">=3.1.0-rc.0", "3.1.0-rc.1", True),
        (">=3.0.0-alpha", "3.1.0-rc.1", False),  # another major.minor.patch
        (">=3.0.0, <3.1.0-rc.5", "3.1.0-rc.1", True),
        ("*", "3.1.0-rc.1", False),
        ("*", "3.1.0", True),
        (">=3.0.0", "3.1.0+build", True),
        ("^3.2", "3.10.0", True),
        ("~3.2", "3.10.0", False),
    ],
)
def test_database_version_matching_follows_semver(
    required: str, database: str, compatible: bool
) -> None:
    """Fact 5."""
    value = index(entry("p", "1.0.0", dependencies=Dependencies(required)))
    assert (names(search(value, database_version=database)) == ["p"]) is compatible


def test_filtered_out_reasons_are_distinct_and_yanked_first() -> None:
    """Fact 6: one yanked reason, then the first incompatible reason in index order."""
    value = index(
        entry("p", "1.0.0", dependencies=Dependencies(">=5.0.0,<6")),
        entry("p", "2.0.0", dependencies=Dependencies(">=4.0.0"), yanked=True),
        entry("p", "3.0.0", yanked=True),
    )
    assert info(value, "p", database_version="3.2.0") == {
        "outcome": "filtered_out",
        "name": "p",
        "version": None,
        "reasons": [
            {"kind": "yanked"},
            {"kind": "incompatible_database_version", "required": ">=5.0.0, <6", "actual": "3.2.0"},
        ],
    }
    assert info(value, "p", database_version="3.2.0", include_yanked=True)["plugin"]["version"] == (
        "3.0.0"
    )
    assert (
        info(value, "p", database_version="3.2.0", include_incompatible=True)["plugin"]["version"]
        == "1.0.0"
    )
    # a version hidden for both reasons needs both opt-ins
    both = index(value.plugins[1])
    assert info(both, "p", database_version="3.2.0", include_yanked=True)["outcome"] == (
        "filtered_out"
    )
    assert info(both, "p", database_version="3.2.0", include_incompatible=True)["outcome"] == (
        "filtered_out"
    )
    assert (
        info(both, "p", database_version="3.2.0", include_yanked=True, include_incompatible=True)[
            "plugin"
        ]["version"]
        == "2.0.0"
    )


def test_info_payload_always_has_dependency_plugins_and_omits_absent_urls() -> None:
    """Fact 6."""
    plugin = info(index(entry("p", "1.0.0")), "p")["plugin"]
    assert plugin["dependencies"] == {"database_version": ">=3.0.0", "python": [], "plugins": []}
    assert [k for k in PLUGIN_KEYS if k in plugin] == [
        k for k in PLUGIN_KEYS if k not in ("homepage", "repository", "documentation")
    ]
    assert list(plugin) == [k for k in PLUGIN_KEYS if k in plugin]


def test_info_and_search_show_normalised_urls_and_ranges_but_raw_descriptions() -> None:
    dep = DependencyRef("HTTPS://P.Example:443", "geo", ">=1,<2")
    value = index(
        entry(
            "p",
            "1.0.0",
            description="cafe\u0301",
            homepage="https://Example.com",
            dependencies=Dependencies(">=3.2.0,<4.0.0", ("numpy",), (dep,)),
        )
    )
    plugin = info(value, "p")["plugin"]
    assert plugin["homepage"] == "https://example.com/"
    assert plugin["dependencies"]["database_version"] == ">=3.2.0, <4.0.0"
    assert plugin["dependencies"]["plugins"] == [
        {"index_url": "https://p.example/", "name": "geo", "version": ">=1, <2"}
    ]
    assert plugin["description"] == "cafe\u0301"  # NFC happens only when the index is written
    assert search(value)["hits"][0]["description"] == "cafe\u0301"
    hidden = search(value, database_version="5.0.0", include_incompatible=True)["hits"][0]
    assert hidden["visibility"]["reasons"][0]["required"] == ">=3.2.0, <4.0.0"


def test_search_matches_name_canonical_name_or_description() -> None:
    value = index(
        entry("my-plugin", "1.0.0"), entry("other", "1.0.0", description="about MY_PLUGIN")
    )
    assert names(search(value, "my_plugin")) == ["my-plugin", "other"]
    assert names(search(value, "MY-PLUGIN")) == ["my-plugin"]  # canonical match on names only
    assert names(search(value, "y-pl")) == ["my-plugin"]
    assert names(search(index(entry("x", "1.0.0", hash=hash_of(7))), "777")) == []  # not the hash


def test_search_trims_rust_whitespace_only() -> None:
    value = index(entry("http_auth", "1.0.0"))
    assert names(search(value, "  http\u3000\t")) == ["http_auth"]
    assert names(search(value, " \u00a0 ")) == ["http_auth"]  # whitespace-only: everything
    assert (
        names(search(value, "http\x1f")) == []
    )  # Python's strip() would drop U+001F; Rust keeps it


def test_hits_are_ordered_by_canonical_name_one_per_plugin() -> None:
    value = index(
        entry("zebra", "1.0.0"),
        entry("Middle", "1.0.0"),
        entry("alpha", "1.0.0"),
        entry("alpha", "1.1.0"),
        entry("a_c", "1.0.0"),
    )
    assert names(search(value)) == ["a_c", "alpha", "Middle", "zebra"]
    assert hit(search(value), "alpha")["version"] == "1.1.0"


def test_hit_summarises_the_selected_version() -> None:
    value = index(
        entry("p", "1.0.0", description="old"),
        entry(
            "p",
            "2.0.0",
            description="new description",
            triggers=("process_writes", "process_request"),
            published_at="2027-01-02T03:04:05Z",
        ),
    )
    (selected,) = search(value)["hits"]
    assert selected["description"] == "new description"
    assert selected["triggers"] == ["process_writes", "process_request"]
    assert selected["published_at"] == "2027-01-02T03:04:05Z"


def test_text_match_runs_on_surviving_versions_only() -> None:
    value = index(
        entry("alpha", "1.0.0", description="common desc"),
        entry("alpha", "2.0.0", description="common in both versions", yanked=True),
    )
    assert search(value, "common")["hits"][0]["version"] == "1.0.0"
    assert search(value, "both")["hits"] == []


def test_yanked_and_incompatible_reasons_accumulate_in_order() -> None:
    value = index(entry("p", "1.0.0", yanked=True, dependencies=Dependencies(">=4.0.0")))
    visibility = search(
        value, database_version="3.2.0", include_yanked=True, include_incompatible=True
    )["hits"][0]["visibility"]
    assert [r["kind"] for r in visibility["reasons"]] == ["yanked", "incompatible_database_version"]
    exact = info(value, "p", version="1.0.0", database_version="3.2.0")
    assert [r["kind"] for r in exact["plugin"]["visibility"]["reasons"]] == [
        "yanked",
        "incompatible_database_version",
    ]


def test_no_compatibility_filter_without_a_database_version() -> None:
    value = index(entry("p", "1.0.0", dependencies=Dependencies(">=99.0.0")))
    assert search(value)["hits"][0]["visibility"] == {"status": "visible"}
    assert info(value, "p")["plugin"]["visibility"] == {"status": "visible"}


def test_info_selects_the_latest_visible_version() -> None:
    value = index(entry("p", "1.0.0"), entry("p", "2.0.0"), entry("p", "3.0.0", yanked=True))
    assert info(value, "p")["plugin"]["version"] == "2.0.0"
    assert info(value, "p", include_yanked=True)["plugin"]["version"] == "3.0.0"
    assert info(index(), "p") == {"outcome": "not_found", "name": "p", "version": None}


def test_queries_accept_an_index_from_entries_as_read() -> None:
    """Values are kept as read and normalised on the way out, as the SDK's Display does."""
    read = dataclasses.replace(
        index(entry("p", "1.0.0")), artifacts_url="HTTPS://Example.com/artifacts/?x=1"
    )
    assert info(read, "p")["plugin"]["artifact_url"] == (
        "https://example.com/artifacts/p-1.0.0.tar.gz?x=1"
    )
