"""plugin_library.json: entries from manifests and docstrings, canonical text, --check."""

from __future__ import annotations

import dataclasses
import datetime
import json
import shutil
from pathlib import Path

import pytest
from conftest import native
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_build.catalog import (
    Committed,
    Entry,
    RequiredPlugin,
    build_catalogue,
    check,
    parse_committed,
    readme_title,
    render,
)
from plugin_build.cli import main
from plugin_build.diagnostics import Code

FIXTURE = Path(__file__).parent / "fixtures" / "repository"
LIBRARY = "influxdata/library/plugin_library.json"
# The two plugins whose docstrings the Explorer cannot use (see test_explorer.py).
BROKEN = ["--exclude", "signal_generator", "--exclude", "state_change"]
DATE = ["--date", "2026-04-01"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture repository as the working directory."""
    shutil.copytree(FIXTURE, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return tmp_path / "repo"


def catalog(*args: str) -> int:
    return main(["catalog", "influxdata", *BROKEN, *DATE, *args])


# -- the command -----------------------------------------------------------------------------


def test_check_passes_on_the_committed_catalogue(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (repo / LIBRARY).read_bytes()
    assert catalog("--out", LIBRARY, "--check") == 0
    out = capsys.readouterr()
    assert out.out == f"{LIBRARY} is up to date (3 plugins)\n"
    assert out.err == ""
    assert (repo / LIBRARY).read_bytes() == before


def test_check_fails_with_a_diff_after_a_description_changes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = repo / "influxdata/downsampler/manifest.toml"
    manifest.write_text(
        manifest.read_text().replace("Downsamples data", "Downsamples time series"),
        encoding="utf-8",
    )
    before = (repo / LIBRARY).read_bytes()
    assert catalog("--out", LIBRARY, "--check") == 1
    out = capsys.readouterr()
    changed = [line for line in out.out.splitlines() if line[:1] in "+-"]
    assert changed == [
        f"--- {LIBRARY} (committed)",
        f"+++ {LIBRARY} (generated)",
        '-        "last_updated": "2026-03-02T00:00:00+00:00",',
        '+        "last_updated": "2026-04-01T00:00:00+00:00",',
        '-                "description": "Downsamples data on a schedule or on request, '
        'aggregating fields over time intervals.",',
        '+                "description": "Downsamples time series on a schedule or on request, '
        'aggregating fields over time intervals.",',
        '-                "last_update": "2025-07-18",',
        '+                "last_update": "2026-04-01",',
    ]
    assert f"{LIBRARY} is out of date" in out.err
    assert (repo / LIBRARY).read_bytes() == before  # --check never writes


def test_out_round_trip_is_byte_stable(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    committed = (repo / LIBRARY).read_bytes()
    target = repo / "influxdata/library/copy.json"
    shutil.copyfile(repo / LIBRARY, target)
    assert catalog("--out", str(target)) == 0
    assert capsys.readouterr().out == f"unchanged: {target} (3 plugins)\n"
    assert target.read_bytes() == committed
    # regenerated from nothing but the committed copy's carried fields: the same bytes
    assert (
        main(["catalog", "influxdata", *BROKEN, "--date", "2030-01-01", "--out", str(target)]) == 0
    )
    assert target.read_bytes() == committed


def test_out_writes_a_new_file_and_a_second_run_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = repo / "new.json"
    assert catalog("--out", "new.json") == 0
    assert capsys.readouterr().out == "wrote new.json (3 plugins)\n"
    first = target.read_bytes()
    assert catalog("--out", "new.json") == 0
    assert capsys.readouterr().out == "unchanged: new.json (3 plugins)\n"
    assert target.read_bytes() == first
    assert not [p.name for p in repo.iterdir() if p.name.startswith(".")]  # no temp files


def test_printing_twice_gives_identical_bytes(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert catalog() == 0
    first = capsys.readouterr().out
    assert catalog() == 0
    assert capsys.readouterr().out == first
    document = json.loads(first)["plugin_library"]
    # nothing committed to carry: names from the READMEs, entries by path
    assert [(p["name"], p["path"]) for p in document["plugins"]] == [
        ("Downsampler", "influxdata/downsampler/downsampler.py"),
        ("MAD-Based Anomaly Detection", "influxdata/mad_check/mad_check_plugin.py"),
        ("Notifier", "influxdata/notifier/notifier_plugin.py"),
    ]
    assert document["last_updated"] == "2026-04-01T00:00:00+00:00"


def test_source_date_epoch_is_the_default_date(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert main(["catalog", "influxdata/notifier"]) == 0
    document = json.loads(capsys.readouterr().out)["plugin_library"]
    assert document["plugins"][0]["last_update"] == "2026-01-01"


def test_plugins_without_an_entry_are_diagnostics_and_nothing_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (repo / LIBRARY).read_bytes()
    assert main(["catalog", "influxdata", *DATE, "--out", LIBRARY]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    escape = native("influxdata/signal_generator/signal_generator.py")
    state = native("influxdata/state_change/state_change_check_plugin.py")
    assert [line.split(" ", 2)[:2] for line in lines[:-1]] == [
        [f"{escape}:7:27:", "error[explorer-docstring-escape]"],
        [f"{state}:3:20:", "error[explorer-plugin-type]"],
        [f"{state}:3:34:", "error[explorer-plugin-type]"],
    ]
    assert lines[-1] == "plugin-build: 3 errors; the catalogue was not written"
    assert (repo / LIBRARY).read_bytes() == before


def test_a_required_plugin_must_be_catalogued(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert catalog("--exclude", "notifier") == 1
    (line,) = capsys.readouterr().err.splitlines()[:1]
    assert line.startswith(
        f"{native('influxdata/mad_check/manifest.toml')}: error[catalog-required-plugin] "
        "dependencies.plugins[0] is notifier"
    )


def test_a_broken_committed_catalogue(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / LIBRARY).write_text('{\n  "plugin_library": [,\n}\n', encoding="utf-8")
    assert catalog("--out", LIBRARY, "--check") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{native(LIBRARY)}:2:22: error[catalog-syntax] ")  # the ','
    assert err.endswith("plugin-build: 1 error; the catalogue was not checked\n")


def test_check_of_a_missing_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert catalog("--out", "absent.json", "--check") == 1
    assert "absent.json does not exist" in capsys.readouterr().err


def test_json_output(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = repo / "influxdata/notifier/manifest.toml"
    manifest.write_text(manifest.read_text().replace('"twilio"', '"twilio>=9"'), "utf-8")
    assert catalog("--out", LIBRARY, "--check", "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert document["up_to_date"] is False
    assert document["plugins"] == 3
    assert document["diagnostics"] == []
    assert '+                "required_libraries": ["httpx", "twilio>=9"],' in document["diff"]


@pytest.mark.parametrize(
    "args",
    [
        ["catalog", "influxdata", "--check"],
        ["catalog", "missing-dir"],
        ["catalog", "influxdata", "--date", "April"],
        ["catalog", "influxdata", "--root", "nowhere"],
        ["catalog"],
    ],
)
def test_usage_errors_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(args) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_an_unreadable_out_file_is_a_diagnostic(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "adir").mkdir()
    assert catalog("--out", "adir") == 1
    assert "error[catalog-syntax] the catalogue cannot be read" in capsys.readouterr().err


def test_a_plugin_yaml_plugin_is_skipped_with_a_warning(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(
        Path(__file__).parent / "fixtures" / "plugins" / "betty_missing_handler",
        repo / "influxdata" / "betty",
    )
    assert catalog("--out", LIBRARY, "--check") == 0
    assert "warning[catalog-skipped]" in capsys.readouterr().err


# -- the core --------------------------------------------------------------------------------


def committed() -> Committed:
    parsed = parse_committed((FIXTURE / LIBRARY).read_text(encoding="utf-8"))
    assert isinstance(parsed, Committed)
    return parsed


def entries_of(parsed: Committed) -> list[Entry]:
    out = []
    for item in parsed.plugins:
        assert isinstance(item, dict)
        fields = dict(item)
        fields["required_plugins"] = tuple(RequiredPlugin(**r) for r in item["required_plugins"])
        fields["required_libraries"] = tuple(item["required_libraries"])
        fields["trigger_types_supported"] = tuple(item["trigger_types_supported"])
        out.append(Entry(**fields))
    return out


def test_render_reproduces_the_committed_file() -> None:
    parsed = committed()
    text = render(
        entries_of(parsed),
        version=parsed.version,
        last_updated=parsed.last_updated or "",
        order=parsed.order,
    )
    assert text == (FIXTURE / LIBRARY).read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")


def test_entries_keep_the_committed_order_and_new_ones_follow_by_path() -> None:
    roots = sorted((FIXTURE / "influxdata").glob("[dmn]*"))
    catalogue = build_catalogue(
        roots, repository=FIXTURE, today=datetime.date(2026, 4, 1), committed=committed()
    )
    assert catalogue.ok
    assert [e.path.split("/")[1] for e in catalogue.entries] == [
        "mad_check",
        "downsampler",
        "notifier",
    ]
    mad = catalogue.entries[0]
    # carried: the display names (README says "Notifier Plugin"), author, dates
    assert mad.required_plugins == (
        RequiredPlugin("Notification sender", "influxdata/notifier/notifier_plugin.py"),
    )
    assert (mad.name, mad.last_update) == ("MAD Anomaly Detection", "2026-03-02")
    assert catalogue.text() == (FIXTURE / LIBRARY).read_text(encoding="utf-8")


def test_a_new_plugin_is_appended_with_the_given_author_and_date(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "repo")
    new = tmp_path / "repo" / "influxdata" / "aaa_new"
    shutil.copytree(tmp_path / "repo" / "influxdata" / "notifier", new)
    toml = new / "manifest.toml"
    toml.write_text(toml.read_text().replace('name = "notifier"', 'name = "aaa_new"'), "utf-8")
    (new / "README.md").write_text("```\n# not this\n```\n## Sub\n# Brand New Plugin\n", "utf-8")
    roots = [p for p in (tmp_path / "repo" / "influxdata").iterdir() if p.name[0] in "admn"]
    catalogue = build_catalogue(
        roots,
        repository=tmp_path / "repo",
        today=datetime.date(2026, 4, 1),
        committed=committed(),
        author="Someone",
    )
    last = catalogue.entries[-1]
    assert (last.name, last.author, last.last_update) == ("Brand New", "Someone", "2026-04-01")
    assert last.path == "influxdata/aaa_new/notifier_plugin.py"
    assert catalogue.last_updated == "2026-04-01T00:00:00+00:00"  # the list changed


def test_readme_title(tmp_path: Path) -> None:
    assert readme_title(tmp_path) is None
    (tmp_path / "README.md").write_text("intro\n#hashtag\n#   Gap Filler Plugin  #\n", "utf-8")
    assert readme_title(tmp_path) == "Gap Filler"


def test_check_returns_none_or_an_escaped_diff() -> None:
    assert check("same\n", "same\n") is None
    diff = check('"a\x1b[31m"\n', '"b"\n', name="lib\x07.json")
    assert diff is not None
    assert "--- lib\\x07.json (committed)" in diff
    assert '-"a\\x1b[31m"' in diff
    assert "\x1b" not in diff
    assert "\x07" not in diff
    unterminated = check("x", "x\n")
    assert unterminated is not None
    assert "\\ No newline at end of file\n" in unterminated


def test_parse_committed_refuses_the_wrong_shape() -> None:
    for text in ("[]", '{"plugin_library": {"plugins": {}}}', "{"):
        parsed = parse_committed(text)
        assert not isinstance(parsed, Committed)
        assert parsed.code == Code.CATALOG_SYNTAX


def test_non_ascii_is_written_as_utf8_and_controls_are_escaped() -> None:
    entry = dataclasses.replace(entries_of(committed())[0], description="Café — naïve\u202e\x1b")
    text = render([entry], last_updated="x")
    assert '"description": "Café — naïve\\u202e\\u001b",' in text
    assert json.loads(text)["plugin_library"]["plugins"][0]["description"] == entry.description


@settings(max_examples=100, deadline=None)
@given(st.permutations(range(3)), st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True))
def test_render_does_not_depend_on_the_order_of_entries(
    permutation: list[int], order: list[str]
) -> None:
    base = entries_of(committed())
    entries = [dataclasses.replace(base[i], path=p) for i, p in enumerate("cab")]
    shuffled = [entries[i] for i in permutation]
    assert render(shuffled, last_updated="t", order=order) == render(
        entries, last_updated="t", order=order
    )


def test_what_validate_refuses_is_reported_as_validate_said(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "influxdata/notifier/notifier_plugin.py").write_bytes(b'"""\xff"""\n')
    (repo / "influxdata/mad_check/manifest.toml").unlink()
    assert main(["catalog", "influxdata/notifier", "influxdata/mad_check", *DATE]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 2)[1] for line in lines[:-1]] == [
        "error[entry-point-missing]",  # notifier_plugin.py is not UTF-8
        "error[manifest-missing]",
    ]
