"""plugin.yaml plugins (seed 000): whatever YAML parses becomes a valid build or a diagnostic."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_cli as cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin_build.betty import YAML_DEPTH_LIMIT, YAML_VALUE_LIMIT, load_plugin_yaml
from plugin_build.build import build_plugin
from plugin_build.diagnostics import Code

HEAD = "name: p\nversion: '1.0.0'\ndescription: d\n"


def plugin(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "plugin"
    root.mkdir(exist_ok=True)
    (root / "plugin.yaml").write_text(text, encoding="utf-8")
    return root


def test_yaml_only_values_become_the_text_written_in_every_output(tmp_path: Path) -> None:
    root = plugin(
        tmp_path,
        HEAD + "metadata:\n"
        "  released: 2024-01-01\n"
        "  stamp: 2024-01-01T10:00:00Z\n"
        "  icon: !!binary aGVsbG8=\n"
        "  tags: !!set {a, b}\n"
        "  ratio: .nan\n"
        "  huge: 1e999\n"
        "  digits: " + "9" * 5000 + "\n"
        "  1: one\n",
    )
    result = build_plugin(root, output_dir=tmp_path / "out")
    assert result.ok, result.error
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_bytes())
    metadata = manifest["metadata"]
    assert metadata["released"] == "2024-01-01"
    assert metadata["stamp"] == "2024-01-01T10:00:00Z"
    assert metadata["icon"] == "aGVsbG8="
    assert metadata["tags"] == ["a", "b"]
    assert (metadata["ratio"], metadata["huge"]) == (".nan", "1e999")
    assert metadata["digits"] == "9" * 5000  # past Python's int digit limit: the text
    assert metadata["1"] == "one"
    preview = yaml.safe_load((tmp_path / "out" / "plugin.preview.yaml").read_text("utf-8"))
    assert preview["metadata"]["released"] == "2024-01-01"
    json.loads((tmp_path / "out" / "p-1.0.0-build-report.json").read_bytes())


def test_merge_keys_are_expanded_explicit_keys_win(tmp_path: Path) -> None:
    root = plugin(
        tmp_path,
        HEAD + "base: &b {k: 1, j: 2}\nother: &o {k: 9, z: 3}\nm:\n  <<: [*b, *o]\n  j: 7\n",
    )
    result = load_plugin_yaml(root)
    assert result.plugin is not None
    assert result.plugin.data["m"] == {"k": 1, "j": 7, "z": 3}


def _alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return HEAD + "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_validate_time(tmp_path: Path) -> None:
    text = _alias_bomb()
    assert len(text) < 1200  # a kilobyte that would expand to 10**10 values
    root = plugin(tmp_path, text)
    (diag,) = load_plugin_yaml(root).diagnostics
    assert diag.code == Code.MANIFEST_TOO_LARGE
    assert f"{YAML_VALUE_LIMIT:,} values" in diag.message
    assert diag.line is not None
    result = cli("build", str(root), "--output-dir", str(tmp_path / "out"), "--json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["status"] == "failed"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("text", ["x: &a [*a]\n", "x: &a {y: *a}\n", "x: &a {<<: *a}\n"])
def test_a_recursive_alias_is_a_diagnostic(tmp_path: Path, text: str) -> None:
    (diag,) = load_plugin_yaml(plugin(tmp_path, HEAD + text)).diagnostics
    assert diag.code == Code.MANIFEST_SYNTAX
    assert "recursive alias" in diag.message


@pytest.mark.parametrize("depth", [YAML_DEPTH_LIMIT + 5, 50_000])
def test_deep_nesting_is_a_diagnostic(tmp_path: Path, depth: int) -> None:
    root = plugin(tmp_path, HEAD + "x: " + "[" * depth + "]" * depth + "\n")
    (diag,) = load_plugin_yaml(root).diagnostics
    assert diag.code == Code.MANIFEST_TOO_LARGE
    assert "deep" in diag.message


def test_an_unquoted_version_gets_the_hint_quoting_what_was_written(tmp_path: Path) -> None:
    (diag,) = load_plugin_yaml(plugin(tmp_path, "name: x\nversion: 1.10\n")).diagnostics
    assert diag.field == "version"
    assert 'quote it (version: "1.10")' in diag.message  # not "1.1", which YAML read


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX links")
def test_a_plugin_yaml_linked_outside_the_plugin_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(HEAD + "author: TOP-SECRET-TOKEN\n")
    root = tmp_path / "plugin"
    root.mkdir()
    (root / "plugin.yaml").symlink_to(secret)
    result = build_plugin(root, output_dir=tmp_path / "out")
    assert result.status == "failed"
    assert [d.code for d in result.diagnostics] == [Code.MANIFEST_MISSING]
    for path in (tmp_path / "out").rglob("*") if (tmp_path / "out").exists() else ():
        assert b"TOP-SECRET" not in path.read_bytes()
    assert "TOP-SECRET" not in json.dumps(result.as_dict())


# -- no YAML makes it crash ----------------------------------------------------------------

_SCALARS = st.sampled_from(
    [
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "!!binary aGk=",
        ".inf",
        "-.nan",
        "0x1F",
        "0o17",
        "1_000",
        "1:30",
        "~",
        "yes",
        "!!str 1",
        "!!int '3'",
        "!!float x",
        "!custom v",
        '"\\x1b[31m"',
        "'é'",
        "1e400",
        "9" * 4400,
    ]
)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = [HEAD.rstrip("\n")]
    anchors: list[str] = []
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["scalar", "list", "map", "alias", "set", "merge"]))
        anchor = f"&n{i} " if draw(st.booleans()) else ""
        if kind == "scalar":
            value = draw(_SCALARS)
        elif kind == "list":
            value = "[" + ", ".join(draw(st.lists(_SCALARS, max_size=3))) + "]"
        elif kind == "map":
            value = (
                "{"
                + ", ".join(
                    f"k{j}: {v}" for j, v in enumerate(draw(st.lists(_SCALARS, max_size=3)))
                )
                + "}"
            )
        elif kind == "set":
            value = "!!set {a, b}"
        elif kind == "alias" and anchors:
            value, anchor = "*" + draw(st.sampled_from(anchors)), ""
        elif kind == "merge" and anchors:
            value, anchor = "{<<: *" + draw(st.sampled_from(anchors)) + ", z: 1}", ""
        else:
            value = "x"
        if anchor:
            anchors.append(f"n{i}")
        key = draw(st.sampled_from(["metadata", "author", "license", "requirements", f"k{i}", "1"]))
        lines.append(f"{key}: {anchor}{value}")
    return "\n".join(lines) + "\n"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_documents())
def test_any_yaml_that_parses_builds_or_is_a_diagnostic(tmp_path: Path, text: str) -> None:
    out = tmp_path / "out"
    root = plugin(tmp_path, text)
    result = build_plugin(root, output_dir=out)
    if result.status == "failed":
        assert result.diagnostics or result.error
        return
    for name in ("manifest.json", "p-1.0.0-build-report.json"):
        json.loads((out / name).read_bytes())  # valid JSON: no NaN, no objects
    yaml.safe_load((out / "plugin.preview.yaml").read_bytes())
