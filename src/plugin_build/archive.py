"""Canonical archives: the SDK's tar.gz byte for byte, and a canonical zip."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

ARCHIVE_PATH_LIMIT: Final = 255  # bytes; the SDK refuses longer archive paths


@dataclass(frozen=True)
class Member:
    """One file to archive: its path inside the archive and where to read it."""

    name: str  # full archive path, "{name}-{version}/{relpath}"
    source: Path  # regular file on disk (never followed if it became a link)
    executable: bool  # stored 0755 instead of 0644
