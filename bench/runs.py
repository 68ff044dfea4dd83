"""What the benchmarks here share: fresh processes, timed, in rotating order.

Each command runs once to warm the page cache and the bytecode cache, then
`runs` rounds follow; round i starts with command i (mod their number), so no
command always runs first (or always right after the same one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Both sides may cache bytecode, as any installed tool does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Command:
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=lambda: ENV)
    cwd: Path | None = None


def timed(command: Command) -> float:
    """Wall seconds of one run; a failing run ends the benchmark with its output."""
    start = time.perf_counter()
    done = subprocess.run(
        list(command.argv), cwd=command.cwd, env=dict(command.env), capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{list(command.argv)[:4]} failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    return elapsed


def rotating(
    commands: Mapping[str, Command], runs: int, before_each: Callable[[], None] | None = None
) -> dict[str, list[float]]:
    """{name: its `runs` times}, after one warm-up each; ``before_each`` runs before
    every run (to empty an output directory, say)."""
    names = list(commands)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(-1, runs):
        start = max(round_, 0) % len(names)
        for name in names[start:] + names[:start]:
            if before_each is not None:
                before_each()
            elapsed = timed(commands[name])
            if round_ >= 0:
                samples[name].append(elapsed)
    return samples


def ratios(samples: Mapping[str, list[float]], name: str, base: str) -> list[float]:
    """Per-round ratios of ``name`` to ``base``."""
    return [t / b for t, b in zip(samples[name], samples[base], strict=True)]
