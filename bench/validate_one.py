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
from pathlib import Path

from runs import Command, ratios, rotating

HERE = Path(__file__).parent
FLOOR = str(HERE / "validate_floor.py")


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
            "floor": Command([sys.executable, FLOOR, plugin.name], cwd=repo),
            "hook": Command([sys.executable, "-m", "plugin_build.hook", *files], cwd=repo),
            "validate": Command(
                [sys.executable, "-m", "plugin_build", "validate", plugin.name], cwd=repo
            ),
        }
        samples = rotating(commands, args.runs)
    names = list(commands)
    median_ratio = {
        name: statistics.median(ratios(samples, name, "floor")) for name in ("hook", "validate")
    }
    print(
        f"python {sys.version.split()[0]}, {args.plugin.name}, {args.runs} rotating runs, "
        f"{os.cpu_count()} CPUs"
    )
    for name in names:
        print(f"{name:8} median {statistics.median(samples[name]) * 1000:.0f} ms")
    print(f"hook     median ratio {median_ratio['hook']:.2f}x")
    print(f"validate median ratio {median_ratio['validate']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
