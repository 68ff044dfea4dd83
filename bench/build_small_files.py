"""`plugin-build build --format all` on many small files, against the shell pipeline.

For each file count N a plugin of N small text files (~700 bytes each, a seeded
RNG, spread over nested directories as a real plugin spreads its modules, data
and templates) is generated; `plugin-build build PLUGIN --format all` and the
shell pipeline doing the same work (a reproducible tar piped to gzip -6 -n,
zip -X -r -6, then sha256sum and md5sum of both archives: the SHELL block of
bench/build_speed.py) run as fresh processes, alternating which goes first,
after one warm-up of each (page cache, bytecode cache), with their outputs
removed between runs. Printed: per N the medians and the median of the per-pair
ratios, then the median of those ratios over every N, last (target: <= 0.8 at
every N).

    python bench/build_small_files.py [--files 100 1000 10000 100000] [--runs 7]
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

from build_speed import MANIFEST, SHELL
from runs import ENV, Command, rotating

FILE_SIZE = 700  # bytes, about

WORDS = [
    "temperature",
    "humidity",
    "host",
    "region",
    "cpu",
    "load",
    "rate",
    "window",
    "threshold",
    "alert",
    "value",
    "field",
    "tag",
    "series",
    "query",
    "write",
    "=",
    "+",
    "(",
    ")",
    ":",
    "return",
    "def",
    "if",
    "for",
    "in",
    "self",
    "None",
    "0",
    "1",
    "100",
]
SUFFIXES = [".py", ".py", ".py", ".json", ".yaml", ".txt", ".sql", ".md"]


def generate(root: Path, files: int, seed: int = 11) -> int:
    """A plugin of `files` small files plus the manifest and the entry point; its size."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / "manifest.toml").write_text(MANIFEST)
    (root / "__init__.py").write_text(
        "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
    )
    # Nested like a real plugin: packages of modules, a few levels deep, about
    # 40 files a directory.
    dirs = max(1, files // 40)
    layout = []
    for d in range(dirs):
        depth = 1 + d % 3
        parts = [f"{('pkg', 'data', 'templates', 'lib')[d % 4]}{d // 64:02d}"]
        parts += [f"sub{(d // 4 + k) % 16}" for k in range(1, depth)]
        layout.append("/".join(parts))
    size = 0
    for i in range(files):
        directory = root / layout[i % dirs]
        directory.mkdir(parents=True, exist_ok=True)
        lines, n = [], 0
        target = rng.randint(FILE_SIZE // 2, FILE_SIZE * 3 // 2)
        while n < target:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))) + "\n"
            lines.append(line)
            n += len(line)
        data = "".join(lines).encode()
        (directory / f"m{i:06d}{rng.choice(SUFFIXES)}").write_bytes(data)
        size += len(data)
    return size


def fresh(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()


def measure(tmp: Path, files: int, runs: int) -> tuple[int, list[float], list[float]]:
    """(plugin bytes, our times, the pipeline's times), rotating, after a warm-up."""
    plugin = tmp / f"plugin-{files}"
    size = generate(plugin, files)
    out_tool, out_shell = tmp / f"dist-tool-{files}", tmp / f"dist-shell-{files}"
    tool = [sys.executable, "-m", "plugin_build", "build", str(plugin)]
    tool += ["--format", "all", "--output-dir", str(out_tool)]
    shell_env = {**ENV, "OUT": str(out_shell), "PLUGIN": str(plugin)}
    commands = {"ours": Command(tool), "pipeline": Command(["bash", "-c", SHELL], shell_env)}

    def empty_outputs() -> None:
        fresh(out_tool)
        fresh(out_shell)

    samples = rotating(commands, runs, empty_outputs)
    for directory in (plugin, out_tool, out_shell):
        shutil.rmtree(directory)
    return size, samples["ours"], samples["pipeline"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, nargs="+", default=[100, 1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for program in ("tar", "gzip", "zip", "sha256sum", "md5sum", "bash"):
        if shutil.which(program) is None:
            print(f"{program} is needed for the shell pipeline", file=sys.stderr)
            return 1
    print(
        f"python {sys.version.split()[0]}, ~{FILE_SIZE}-byte text files, "
        f"{args.runs} alternating runs, {os.cpu_count()} CPUs"
    )
    print(f"{'files':>8} | {'MB':>6} | {'ours ms':>8} | {'pipeline ms':>11} | ratio")
    medians = []
    with tempfile.TemporaryDirectory() as tmp:
        for files in args.files:
            size, tools, shells = measure(Path(tmp), files, args.runs)
            ratio = statistics.median(t / s for t, s in zip(tools, shells, strict=True))
            medians.append(ratio)
            print(
                f"{files:>8,} | {size / 1e6:>6.1f} | {statistics.median(tools) * 1000:>8.0f} | "
                f"{statistics.median(shells) * 1000:>11.0f} | {ratio:.2f}x",
                flush=True,
            )
    print(f"median ratio {statistics.median(medians):.2f}x (worst {max(medians):.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
