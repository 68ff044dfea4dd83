"""Peak RSS and wall time of `plugin-build verify` on an archive pair with many members.

For each member count a tar.gz and a zip (zip64 past 65,535 entries) are
generated with SHA256SUMS and manifest.json, then `python -m plugin_build
verify` runs in a child whose peak RSS is read with getrusage(RUSAGE_CHILDREN).
Generating and measuring each run in processes of their own keeps the figure
verify's alone (a child's peak includes what it inherits at fork, and
RUSAGE_CHILDREN is a maximum over all children). Memory must not grow with the
member count. With --hostile every member has the same problem (a `/./` in its
name), so verify finds one per member and must still keep memory and output
bounded.

    python bench/verify_memory.py [--members 20000 200000] [--hostile]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

TOP = "big-1.0.0"
DATA = b"X = 1\n"


def names(count: int, *, hostile: bool) -> list[str]:
    # Sorted, as plugin-build writes them; 1,000 files a folder.
    middle = "./" if hostile else ""
    return [f"{TOP}/{middle}d{i // 1000:04d}/f{i:07d}.py" for i in range(count)]


def write_pair(directory: Path, count: int, *, hostile: bool) -> None:
    members = names(count, hostile=hostile)
    tar_path, zip_path = directory / f"{TOP}.tar.gz", directory / f"{TOP}.zip"
    padding = bytes(-len(DATA) % 512)
    with gzip.GzipFile(tar_path, "wb", compresslevel=1, mtime=0) as gz:
        for name in members:
            header = tarfile.TarInfo(name)
            header.size, header.mode = len(DATA), 0o644
            gz.write(header.tobuf(tarfile.GNU_FORMAT) + DATA + padding)
        gz.write(bytes(1024))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            archive.writestr(info, DATA)
    packages = []
    lines = []
    for path in (tar_path, zip_path):
        md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                md5.update(chunk)
                sha256.update(chunk)
        lines.append(f"{sha256.hexdigest()}  {path.name}\n")
        packages.append(
            {
                "filename": path.name,
                "format": "zip" if path.suffix == ".zip" else "tar.gz",
                "size_bytes": path.stat().st_size,
                "checksums": {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()},
            }
        )
    (directory / "SHA256SUMS").write_text("".join(lines), newline="\n")
    document = {"name": "big", "version": "1.0.0", "packages": packages}
    (directory / "manifest.json").write_text(json.dumps(document))


def measure(directory: Path) -> str:
    """Run verify on ``directory``; its peak RSS and wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "plugin_build", "verify", str(directory)],
        check=False,
        capture_output=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr.decode(errors="replace"))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    lines = done.stdout.count(b"\n")
    return (
        f"peak RSS {peak:6.1f} MiB, wall {elapsed:6.1f} s, exit {done.returncode}, "
        f"{lines:,} output lines"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--hostile", action="store_true", help="give every member a problem")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Each step in a fresh process: a child's peak RSS counts what it inherited from
    # its parent at fork, and RUSAGE_CHILDREN is a maximum over all children.
    if args.generate is not None:
        write_pair(args.generate, args.members[0], hostile=args.hostile)
        return 0
    if args.measure is not None:
        print(measure(args.measure), flush=True)
        return 0
    kind = "every member non-canonical" if args.hostile else "clean"
    print(f"python {sys.version.split()[0]}, {kind}, stored {len(DATA)}-byte members", flush=True)
    for count in args.members:
        with tempfile.TemporaryDirectory() as tmp:
            hostile = ["--hostile"] if args.hostile else []
            own = [sys.executable, __file__, "--members", str(count), *hostile]
            subprocess.run([*own, "--generate", tmp], check=True)
            print(f"{count:>9,} members x 2 archives: ", end="", flush=True)
            subprocess.run([*own, "--measure", tmp], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
