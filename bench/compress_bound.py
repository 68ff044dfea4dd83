"""What bounds `build --format all`: the compression its bytes commit it to.

The tar.gz must be the SDK's bytes (one deflate stream, miniz_oxide level 6, which
cramjam pins) and the zip our canonical one (each member its own level-6 stream).
On the plugin of bench/build_small_files.py (seeded, ~700-byte text files) this
times, in this one process:

- gzip of the plugin's uncompressed tar (as plugin-build writes it): cramjam
  (what we must write) against GNU `gzip -6 -n` (what the pipeline runs);
- one zip member's deflate: cramjam level 6 (ours), level 1 (how much of it is
  per-stream set-up), and CPython's zlib level 6 (Info-ZIP's engine; not ours:
  zlib builds differ between platforms, so its bytes would too);
- both compressions at once (the gzip in a thread, the members here), as a
  build runs them, against one after the other: what two vCPUs give.

Printed last: the compression CPU per file against the pipeline's whole time per
file (from bench/build_small_files.py's figures, given with --pipeline-us).

    python bench/compress_bound.py [--files 10000] [--pipeline-us 94]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import cramjam

sys.path.insert(0, str(Path(__file__).parent))
from build_small_files import generate


def best(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--pipeline-us", type=float, default=94.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "plugin"
        generate(plugin, args.files)
        # the uncompressed tar plugin-build writes (its gzip is the tar.gz)
        from plugin_build.archive import write_tar
        from plugin_build.contents import plugin_contents
        from plugin_build.validate import validate_plugin

        contents = plugin_contents(validate_plugin(plugin))
        out = io.BytesIO()
        with contents.selection.tree() as tree:
            write_tar(contents.members, out, tree=tree)
        data = out.getvalue()
        members = [Path(m.source).read_bytes() for m in contents.members]
    bytearray(4 << 20)  # as packing.py does: glibc's mmap threshold up (see there)
    n = len(members)
    ours_gzip = best(lambda: cramjam.gzip.compress(data, level=6))
    gnu = shutil.which("gzip")
    gnu_gzip = (
        best(
            lambda: subprocess.run(
                [gnu, "-6", "-n", "-c"], input=data, stdout=subprocess.DEVNULL, check=True
            )
        )
        if gnu
        else float("nan")
    )
    level6 = best(lambda: [cramjam.deflate.compress(m, level=6) for m in members])
    level1 = best(lambda: [cramjam.deflate.compress(m, level=1) for m in members])

    def zlib_raw(member: bytes) -> bytes:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(member) + compressor.flush()

    zlib6 = best(lambda: [zlib_raw(m) for m in members])

    def together() -> None:
        thread = threading.Thread(target=lambda: cramjam.gzip.compress(data, level=6))
        thread.start()
        for m in members:
            cramjam.deflate.compress(m, level=6)
        thread.join()

    both = best(together)
    print(f"python {sys.version.split()[0]}, {n} files, tar {len(data) / 1e6:.1f} MB")
    print(
        f"gzip of the tar: cramjam {ours_gzip * 1000:.0f} ms, GNU gzip -6 {gnu_gzip * 1000:.0f} ms"
    )
    print(
        f"one zip member's deflate: cramjam level 6 {level6 / n * 1e6:.1f} us, "
        f"level 1 {level1 / n * 1e6:.1f} us, zlib level 6 {zlib6 / n * 1e6:.1f} us"
    )
    print(
        f"both at once {both * 1000:.0f} ms, one after the other "
        f"{(ours_gzip + level6) * 1000:.0f} ms"
    )
    per_file = (ours_gzip + level6) / n * 1e6
    print(
        f"compression CPU {per_file:.0f} us a file against the pipeline's "
        f"{args.pipeline_us:.0f} us a file: {per_file / args.pipeline_us:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
