"""The hook's case: `plugin-build validate` and `plugin-build-hook` on one plugin,
against the floor (bench/validate_floor.py: tomllib + tree-sitter, nothing else).

The plugin (default: the shipped examples/wind-chill) is copied into a fresh git
repository and staged, as pre-commit sees it; the hook gets the plugin's files as
pre-commit passes them. The three commands run as fresh processes, in rotating
order, after one warm-up each (page cache, bytecode cache). Printed: the median
of each and the median of the per-round ratios to the floor, the validate ratio
last (target: <= 1.5 for both).

    python bench/validate_one.py [--plugin DIR] [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
FLOOR = str(HERE / "validate_floor.py")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{cmd[:3]} failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugin", type=Path, default=HERE.parent / "examples" / "wind-chill")
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        plugin = repo / args.plugin.name
        shutil.copytree(args.plugin, plugin)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        files = sorted(str(p.relative_to(repo)) for p in plugin.rglob("*") if p.is_file())
        commands = {
            "floor": [sys.executable, FLOOR, plugin.name],
            "hook": [sys.executable, "-m", "plugin_build.hook", *files],
            "validate": [sys.executable, "-m", "plugin_build", "validate", plugin.name],
        }
        for cmd in commands.values():
            timed(cmd, repo)  # warm-up
        samples: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        for i in range(args.runs):
            for name in names[i % 3 :] + names[: i % 3]:
                samples[name].append(timed(commands[name], repo))
    ratios = {
        name: statistics.median(t / f for t, f in zip(samples[name], samples["floor"], strict=True))
        for name in ("hook", "validate")
    }
    print(
        f"python {sys.version.split()[0]}, {args.plugin.name}, {args.runs} rotating runs, "
        f"{os.cpu_count()} CPUs"
    )
    for name in names:
        print(f"{name:8} median {statistics.median(samples[name]) * 1000:.0f} ms")
    print(f"hook     median ratio {ratios['hook']:.2f}x")
    print(f"validate median ratio {ratios['validate']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
