"""Wall time of the composite action under `act` (host mode) on the bundled example.

Runs a one-job workflow that copies examples/wind-chill into the workspace and
calls `uses: org/plugin-build@v1` (mapped to a clean clone of HEAD; nested
actions mapped to stand-ins, `upload: 'false'`), and reports act's own timing
of the action step — installing plugin-build's locked wheels into a fresh
virtualenv, then validating and building tar.gz and zip — over several runs,
in four modes: with pip or with uv on PATH, each with its download cache emptied
before every run (cold) or kept (warm). This machine's own pip configuration
(mirrors, find-links, constraints) is set aside, as a GitHub runner has none; uv
is installed into a temporary directory when there is none on PATH.

    python bench/action_time.py [--runs 5] [--modes pip-cold,pip-warm,uv-cold,uv-warm]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: rm -rf plugin dist && cp -r "$PLUGIN_SRC" plugin
      - uses: org/plugin-build@v1
        with:
          path: plugin
          upload: "false"
"""
STAND_IN = """\
name: stand-in
description: must not run
runs:
  using: composite
  steps:
    - shell: bash
      run: exit 1
"""


def _uv(base: Path) -> Path:
    found = shutil.which("uv")
    if found:
        return Path(found).parent
    tools = base / "uv-tool"
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
    subprocess.run([str(tools / "bin" / "pip"), "install", "-q", "uv"], check=True)
    (base / "uv-bin").mkdir()
    (base / "uv-bin" / "uv").symlink_to(tools / "bin" / "uv")
    return base / "uv-bin"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default="pip-cold,pip-warm,uv-cold,uv-warm")
    args = parser.parse_args()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    # The tool's pip and uv must not be found first on PATH unless the mode asks.
    path = os.pathsep.join(
        p for p in clean.get("PATH", "").split(os.pathsep) if not (Path(p) / "uv").exists()
    )
    env = {
        **clean,
        "PATH": path,
        "PIP_CONFIG_FILE": os.devnull,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        subprocess.run(["git", "clone", "-q", str(REPO), str(base / "action")], check=True)
        (base / "stand-in").mkdir()
        (base / "stand-in" / "action.yml").write_text(STAND_IN)
        repo = base / "repo"
        (repo / ".github" / "workflows").mkdir(parents=True)
        (repo / ".github" / "workflows" / "t.yml").write_text(WORKFLOW)
        subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(repo), "commit", "-qm", "b"], check=True, env=env)
        action = yaml.safe_load((REPO / "action.yml").read_text())
        command = [
            "act",
            "push",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--env",
            f"PLUGIN_SRC={REPO / 'examples' / 'wind-chill'}",
            "--local-repository",
            f"org/plugin-build@v1={base / 'action'}",
        ]
        for step in action["runs"]["steps"]:
            if "uses" in step:
                command += ["--local-repository", f"{step['uses']}={base / 'stand-in'}"]
        uv_dir = _uv(base) if any(m.startswith("uv") for m in args.modes.split(",")) else None
        for mode in args.modes.split(","):
            tool, warmth = mode.split("-")
            mode_env = dict(env)
            if tool == "uv":
                assert uv_dir is not None
                mode_env["PATH"] = f"{uv_dir}{os.pathsep}{env['PATH']}"
            caches = base / f"cache-{mode}"
            for run in range(args.runs + (1 if warmth == "warm" else 0)):
                if warmth == "cold":
                    shutil.rmtree(caches, ignore_errors=True)
                mode_env["PIP_CACHE_DIR"] = str(caches / "pip")
                mode_env["UV_CACHE_DIR"] = str(caches / "uv")
                result = subprocess.run(
                    command, cwd=repo, env=mode_env, capture_output=True, text=True, check=False
                )
                match = re.search(
                    r"Success - Main org/plugin-build@v1 \[([\d.]+)(m?s)\]", result.stdout
                )
                if result.returncode != 0 or match is None:
                    print(result.stdout[-3000:], result.stderr[-2000:], file=sys.stderr)
                    return 1
                how = re.search(r"plugin-build install: (\w+ \(\w+\))", result.stdout)
                if how is None or how.group(1) != f"locked ({tool})":
                    print(f"{mode}: installed {how.group(1) if how else '?'}", file=sys.stderr)
                    return 1
                if warmth == "warm" and run == 0:
                    continue  # fills the cache
                value = float(match.group(1))
                results.setdefault(mode, []).append(
                    value / 1000 if match.group(2) == "ms" else value
                )
    print(f"act host mode, examples/wind-chill, {args.runs} runs per mode")
    print("action step = install the locked wheels + validate + build tar.gz and zip")
    for mode, values in results.items():
        print(
            f"{mode:<9} median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
