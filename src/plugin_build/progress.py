"""Terminal rendering of a build: seed 000's log lines and a progress line."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from typing import TextIO

from .escape import printable


class Console:
    """Writes ``LEVEL: message`` lines to a stream (stderr), and on a terminal a
    ``\\r``-rewritten progress line once a build has run for a second (so small
    builds never show one), refreshed at most ten times a second. Never in CI."""

    DELAY = 1.0
    INTERVAL = 0.1

    def __init__(
        self,
        stream: TextIO,
        *,
        progress: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        ci = env.get("CI", "").lower() not in ("", "0", "false")
        isatty = getattr(stream, "isatty", None)
        self.stream = stream
        self.show_progress = progress and not ci and bool(isatty and isatty())
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.lock = threading.Lock()

    def log(self, level: str, message: str) -> None:
        """Seed 000's form: ``INFO: 🏗️ Starting plugin build...``."""
        with self.lock:
            self._clear()
            self.stream.write(f"{level}: {printable(message)}\n")
            self.stream.flush()

    def line(self, text: str) -> None:
        """A line as it is (a diagnostic, already escaped by its reporter)."""
        with self.lock:
            self._clear()
            self.stream.write(text + "\n")
            self.stream.flush()

    def progress(self, done: int, total: int) -> None:
        if not self.show_progress:
            return
        now = time.monotonic()
        with self.lock:
            if now - self.start < self.DELAY or now - self.last < self.INTERVAL:
                return
            self.last = now
            self.shown = True
            percent = 100 * done // total if total else 100
            self.stream.write(f"\r🗜️ {percent:3d}%  {done / 1e6:,.1f} / {total / 1e6:,.1f} MB ")
            self.stream.flush()

    def close(self) -> None:
        with self.lock:
            self._clear()

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.shown = False
