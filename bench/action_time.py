"""Wall time of the composite action under `act` (host mode) on the bundled example.

Runs a one-job workflow that copies examples/wind-chill into the workspace and
calls `uses: org/plugin-build@v1` (mapped to a clean clone of HEAD; nested
actions mapped to stand-ins, `upload: 'false'`), and reports act's own timing
of the action step — installing plugin-build into a fresh virtualenv, then
validating and building tar.gz and zip — over several runs.

    python bench/action_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
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
        steps, jobs = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = subprocess.run(
                command, cwd=repo, env=env, capture_output=True, text=True, check=False
            )
            jobs.append(time.perf_counter() - start)
            match = re.search(
                r"Success - Main org/plugin-build@v1 \[([\d.]+)(m?s)\]", result.stdout
            )
            if result.returncode != 0 or match is None:
                print(result.stdout[-3000:], result.stderr[-2000:], file=sys.stderr)
                return 1
            value = float(match.group(1))
            steps.append(value / 1000 if match.group(2) == "ms" else value)
    print(f"act host mode, examples/wind-chill, {args.runs} runs (pip's download cache warm)")
    print(
        f"action step (install + validate + build tar.gz and zip): median "
        f"{statistics.median(steps):.1f} s, min {min(steps):.1f} s, max {max(steps):.1f} s"
    )
    print(f"whole job under act: median {statistics.median(jobs):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
