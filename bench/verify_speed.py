"""`plugin-build verify` against the system tools listing and hashing the same outputs.

A generated plugin of --members small files (seeded, ~100-800 bytes of text
each, 1,000 a folder) is built with `plugin-build build --format all`, so the
tar.gz, zip, SHA256SUMS and manifest.json are exactly what verify checks in
practice. Then `python -m plugin_build verify DIR` and the shell line

    tar -tzf X.tar.gz >/dev/null; unzip -l X.zip >/dev/null; sha256sum -c SHA256SUMS

(run in DIR) each run as fresh processes: one warm-up each, then --runs pairs,
alternating which goes first. Medians of each and, last, the median of the
per-pair ratios are printed (target: <= 1.5).

    python bench/verify_speed.py [--runs 9] [--members 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from runs import Command, ratios, rotating

NAME, VERSION = "bench-verify", "1.0.0"
TOP = f"{NAME}-{VERSION}"
MANIFEST = f"""\
manifest_schema_version = "1.3"

[plugin]
name = "{NAME}"
version = "{VERSION}"
description = "A generated plugin of many small files for the verify benchmark."
triggers = ["process_writes"]

[dependencies]
database_version = ">=3.0.0"
"""
SHELL = f"""
set -euo pipefail
tar -tzf {TOP}.tar.gz >/dev/null
unzip -l {TOP}.zip >/dev/null
sha256sum -c SHA256SUMS >/dev/null
"""


def generate(root: Path, members: int, seed: int = 7) -> None:
    """A plugin of ``members`` files: its entry point and manifest, the rest data."""
    rng = random.Random(seed)
    words = [f"{w}{i}" for i, w in enumerate(["temp", "wind", "load", "rate", "host"] * 20)]
    root.mkdir(parents=True)
    (root / "manifest.toml").write_text(MANIFEST)
    (root / "__init__.py").write_text(
        "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
    )
    for i in range(members - 2):
        directory = root / "data" / f"d{i // 1000:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(15, 120)))
        (directory / f"f{i:06d}.txt").write_text(text + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--members", type=int, default=20_000)
    args = parser.parse_args()
    for program in ("tar", "unzip", "sha256sum", "bash"):
        if shutil.which(program) is None:
            print(f"{program} is needed for the shell line", file=sys.stderr)
            return 1
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        plugin, dist = Path(tmp) / "plugin", Path(tmp) / "dist"
        generate(plugin, args.members)
        build = [sys.executable, "-m", "plugin_build", "build", str(plugin)]
        build += ["--format", "all", "--output-dir", str(dist)]
        subprocess.run(build, check=True, env=env, capture_output=True)
        tool = [sys.executable, "-m", "plugin_build", "verify", str(dist)]
        check = subprocess.run(tool, check=False, env=env, capture_output=True, text=True)
        if check.returncode != 0 or "all good" not in check.stdout:
            print(check.stdout + check.stderr, file=sys.stderr)
            return 1
        commands = {
            "verify": Command(tool, env, dist),
            "tools": Command(["bash", "-c", SHELL], env, dist),
        }
        samples = rotating(commands, args.runs)
        tools, shells = samples["verify"], samples["tools"]
        size = sum(f.stat().st_size for f in dist.glob(f"{TOP}.*"))
    print(
        f"python {sys.version.split()[0]}, {args.members:,} members x 2 archives "
        f"({size / 1e6:.1f} MB), {args.runs} alternating runs, {os.cpu_count()} CPUs"
    )
    print(f"tar/unzip/sha256sum median {statistics.median(shells) * 1000:.0f} ms")
    print(f"plugin-build verify median {statistics.median(tools) * 1000:.0f} ms")
    print(f"median ratio {statistics.median(ratios(samples, 'verify', 'tools')):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
