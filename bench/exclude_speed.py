"""How long does the exclude matcher take per file?

Times ``ExcludeMatcher.excludes`` over a generated tree of typical relative
paths (packages, tests, docs, caches, a .git directory) with a typical exclude
list, on a freshly compiled matcher each run (its directory memo starts empty,
as in a build), and prints the median microseconds per path.

    python bench/exclude_speed.py [--paths 20000] [--runs 9]
"""

from __future__ import annotations

import argparse
import statistics
import time

from plugin_build.selection import ExcludeMatcher

EXCLUDE = ["tests/", "*.pyc", "__pycache__/", ".git/", "docs/**", "!docs/keep.md"]


def typical_paths(count: int) -> list[str]:
    """``count`` distinct paths, 20 or 30 files per directory, 4 to 6 levels deep."""
    paths: list[str] = []
    tops = ["pkg", "tests", "docs", ".git/objects", "vendor/lib"]
    for i in range(count):
        block = i // 30  # one directory per block, each top in turn
        d = f"{tops[block % 5]}/m{block // 25}/s{block // 5 % 5}"
        leaf = [f"mod_{i}.py", f"__pycache__/mod_{i}.cpython-312.pyc", f"README_{i}.md"]
        paths.append(f"{d}/{leaf[i % 3]}")
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    paths = typical_paths(args.paths)
    per_path: list[float] = []
    excluded = 0
    for _ in range(args.runs):
        matcher = ExcludeMatcher.compile(EXCLUDE)
        start = time.perf_counter()
        excluded = sum(map(matcher.excludes, paths))
        per_path.append((time.perf_counter() - start) / len(paths) * 1e6)
    print(
        f"{len(paths)} paths, {excluded} excluded: median {statistics.median(per_path):.2f} µs"
        f" per path (min {min(per_path):.2f}, max {max(per_path):.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
