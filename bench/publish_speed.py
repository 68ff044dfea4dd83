"""How much does registry bookkeeping add to publishing?

The floor is what any publish must do: one process that validates the ~50 generated
plugins and builds their 50 SDK-identical tar.gz archives (plugin-build's own writer).
Against it: `plugin-build publish --dry-run` (plan: read the index, guard, build) and a
real `publish` into a fresh directory registry (plus: roll the index forward, copy the
artifacts, write index.json last). Fresh processes, alternating, median of the per-run
ratios printed last (target: <= 1.2).

    python bench/publish_speed.py [--plugins 50] [--lines 300] [--runs 9]
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

sys.path.insert(0, str(Path(__file__).parent))
from plugins import generate

FLOOR = """
import sys, tempfile
from pathlib import Path
from plugin_build.guard import package_tar_gz
from plugin_build.validate import validate_plugins
with tempfile.TemporaryDirectory() as out:
    for report in validate_plugins([Path(p) for p in sys.argv[1:]]):
        assert report.ok, report.diagnostics
        package_tar_gz(report, Path(out))
"""

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["SOURCE_DATE_EPOCH"] = "1767225600"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, check=False, capture_output=True, env=ENV)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.stderr.write(result.stdout.decode() + result.stderr.decode())
        raise SystemExit(f"failed: {' '.join(cmd[:5])} …")
    return wall


def fresh_registry(where: Path) -> Path:
    shutil.rmtree(where, ignore_errors=True)
    url = "https://plugins.example.com/artifacts"
    cmd = [sys.executable, "-m", "plugin_build", "index", "new", str(where), "--artifacts-url", url]
    subprocess.run(cmd, check=True, capture_output=True)
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugins", type=int, default=50)
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        roots = [str(p) for p in generate(Path(tmp) / "plugins", args.plugins, args.lines)]
        registry = Path(tmp) / "registry"
        floor = [sys.executable, "-c", FLOOR, *roots]
        publish = [sys.executable, "-m", "plugin_build", "publish", *roots, "--registry"]
        dry = [*publish, str(registry), "--dry-run"]
        real = [*publish, str(registry)]
        fresh_registry(registry)
        timed(floor), timed(dry)  # warm the page cache and the bytecode
        samples: dict[str, list[float]] = {"floor": [], "dry-run": [], "publish": []}
        ratios: dict[str, list[float]] = {"dry-run": [], "publish": []}
        for i in range(args.runs):
            runs = [("floor", floor), ("dry-run", dry), ("publish", real)]
            if i % 2:
                runs.reverse()
            result = {}
            for name, cmd in runs:
                fresh_registry(registry)
                result[name] = timed(cmd)
                samples[name].append(result[name])
            for name, values in ratios.items():
                values.append(result[name] / result["floor"])

    print(
        f"python {sys.version.split()[0]}, {args.plugins} plugins x {args.lines} lines, "
        f"{args.runs} alternating runs, {os.cpu_count()} CPUs"
    )
    for name, values in samples.items():
        print(f"{name:<8} median {statistics.median(values) * 1000:.0f} ms")
    print(
        f"median ratio  dry-run {statistics.median(ratios['dry-run']):.2f}x   "
        f"publish {statistics.median(ratios['publish']):.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
