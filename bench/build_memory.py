"""Peak RSS of `plugin-build build --format all` on a plugin holding one 256 MB file.

The file is random (incompressible: the worst case for anything that buffers
compressed output). Memory must not grow with plugin size (target < 100 MB).

    python bench/build_memory.py [--megabytes 256]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = """\
manifest_schema_version = "1.3"

[plugin]
name = "big"
version = "1.0.0"
description = "One large file."
triggers = ["process_writes"]

[dependencies]
database_version = ">=3.0.0"
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "plugin"
        plugin.mkdir()
        (plugin / "manifest.toml").write_text(MANIFEST)
        (plugin / "__init__.py").write_text(
            "def process_writes(influxdb3_local, table_batches, args=None):\n    pass\n"
        )
        with open(plugin / "model.bin", "wb") as handle:
            for _ in range(args.megabytes):
                handle.write(os.urandom(1 << 20))
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "plugin_build",
                "build",
                str(plugin),
                "--format",
                "all",
                "--output-dir",
                str(Path(tmp) / "dist"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"python {sys.version.split()[0]}, one {args.megabytes} MiB random file, --format all")
    print(f"peak RSS {peak:.1f} MiB, wall {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
