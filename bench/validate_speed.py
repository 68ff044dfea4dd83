"""How much does `plugin-build validate` cost over the floor?

The floor (bench/validate_floor.py) is a bare interpreter doing the unavoidable
part of the same job: read each manifest with tomllib and parse each entry point
with tree-sitter.
Both run as fresh processes over the same ~50 generated plugins, alternating,
and the median of the per-pair ratios is printed (target: <= 1.2).

    python bench/validate_speed.py [--plugins 50] [--lines 3000] [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from plugins import generate

FLOOR = str(Path(__file__).parent / "validate_floor.py")


# Both sides may cache bytecode, as any installed tool does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (CPU includes its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugins", type=int, default=50)
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        roots = [str(p) for p in generate(Path(tmp), args.plugins, args.lines)]
        floor = [sys.executable, FLOOR, *roots]
        tool = [sys.executable, "-m", "plugin_build", "validate", *roots]
        check = subprocess.run(tool, capture_output=True, text=True, check=False)
        if check.returncode != 0:
            print(check.stdout, check.stderr, file=sys.stderr)
            return 1
        timed(floor), timed(tool)  # warm the page cache
        walls: list[float] = []
        cpus: list[float] = []
        samples: dict[str, list[float]] = {"floor": [], "validate": []}
        for i in range(args.runs):
            order = [("floor", floor), ("validate", tool)]
            if i % 2:
                order.reverse()
            result = {name: timed(cmd) for name, cmd in order}
            walls.append(result["validate"][0] / result["floor"][0])
            cpus.append(result["validate"][1] / result["floor"][1])
            samples["floor"].append(result["floor"][0])
            samples["validate"].append(result["validate"][0])

    print(
        f"python {sys.version.split()[0]}, {args.plugins} plugins x {args.lines} lines, "
        f"{args.runs} alternating runs, {os.cpu_count()} CPUs"
    )
    print(f"floor    median {statistics.median(samples['floor']) * 1000:.0f} ms")
    print(f"validate median {statistics.median(samples['validate']) * 1000:.0f} ms")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"median ratio (wall) {wall:.2f}x   (cpu) {cpu:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
