"""plugin-build: validate plugin directories and build reproducible archives."""

from __future__ import annotations

__version__ = "0.1.0"
