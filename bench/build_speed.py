"""`plugin-build build --format all` against the shell pipeline doing the same work.

The pipeline is what plugin repositories keep in their workflows: a
reproducible tar piped to gzip -6 -n, zip -X -r -6, then sha256sum and md5sum
of both archives. Both run as fresh processes over a generated ~50 MB,
1500-file plugin (half text, half random), alternating; the median of the
per-pair ratios is printed (target: <= 0.8).

    python bench/build_speed.py [--runs 9] [--megabytes 50] [--files 1500]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from runs import Command, ratios, rotating

MANIFEST = """\
manifest_schema_version = "1.3"

[plugin]
name = "bench-build"
version = "1.0.0"
description = "A large generated plugin for the build benchmark."
triggers = ["process_writes"]

[dependencies]
database_version = ">=3.0.0"
"""

SHELL = r"""
set -euo pipefail
cd "$OUT"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --transform 's,^\./,bench-build-1.0.0/,' -C "$PLUGIN" -cf - . \
    | gzip -6 -n > bench-build-1.0.0.tar.gz
(cd "$PLUGIN" && zip -X -r -6 -q "$OUT/bench-build-1.0.0.zip" .)
sha256sum bench-build-1.0.0.tar.gz bench-build-1.0.0.zip > SHA256SUMS
md5sum bench-build-1.0.0.tar.gz bench-build-1.0.0.zip > MD5SUMS
"""


def generate(root: Path, megabytes: int, files: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    words = [f"{w}{i}" for i, w in enumerate(["temp", "wind", "load", "rate", "host"] * 40)]
    root.mkdir(parents=True)
    (root / "manifest.toml").write_text(MANIFEST)
    (root / "__init__.py").write_text(
        "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
    )
    per_file = megabytes * 1_000_000 // files
    for i in range(files):
        directory = root / f"pkg{i % 30:02d}" / f"sub{i % 7}"
        directory.mkdir(parents=True, exist_ok=True)
        if i % 2:
            (directory / f"blob{i:04d}.bin").write_bytes(rng.randbytes(per_file))
        else:
            lines = []
            size = 0
            while size < per_file:
                line = " ".join(rng.choice(words) for _ in range(12)) + "\n"
                lines.append(line)
                size += len(line)
            (directory / f"text{i:04d}.txt").write_text("".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--files", type=int, default=1500)
    args = parser.parse_args()
    for program in ("tar", "gzip", "zip", "sha256sum", "md5sum", "bash"):
        if shutil.which(program) is None:
            print(f"{program} is needed for the shell pipeline", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "plugin"
        generate(plugin, args.megabytes, args.files)
        out_tool, out_shell = Path(tmp) / "dist-tool", Path(tmp) / "dist-shell"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        tool = [
            sys.executable,
            "-m",
            "plugin_build",
            "build",
            str(plugin),
            "--format",
            "all",
            "--output-dir",
            str(out_tool),
        ]
        shell = ["bash", "-c", SHELL]
        shell_env = {**env, "OUT": str(out_shell), "PLUGIN": str(plugin)}

        def empty_outputs() -> None:
            for directory in (out_tool, out_shell):
                shutil.rmtree(directory, ignore_errors=True)
                directory.mkdir()

        commands = {"ours": Command(tool, env), "pipeline": Command(shell, shell_env)}
        samples = rotating(commands, args.runs, empty_outputs)
        tools, shells = samples["ours"], samples["pipeline"]
        size = sum(f.stat().st_size for f in plugin.rglob("*") if f.is_file())
    print(
        f"python {sys.version.split()[0]}, {size / 1e6:.1f} MB in {args.files + 2} files, "
        f"{args.runs} alternating runs, {os.cpu_count()} CPUs"
    )
    print(f"shell pipeline median {statistics.median(shells) * 1000:.0f} ms")
    print(f"plugin-build   median {statistics.median(tools) * 1000:.0f} ms")
    print(f"median ratio {statistics.median(ratios(samples, 'ours', 'pipeline')):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
