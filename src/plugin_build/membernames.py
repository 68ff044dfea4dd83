"""Member names as extractors resolve them, and the clashes between them.

GNU tar, Info-ZIP unzip and Python's tarfile and zipfile do not write a member
exactly where its raw name says: the file system collapses ``//`` and ``/./``,
a leading ``./`` is dropped, C strings end at a NUL, and Windows tools take
``\\`` for a separator too. :func:`resolved` gives the path they all arrive at;
the checks run on that, since that is what lands on disk.

:class:`NameClashes` finds members that land on the same path (extraction keeps
one) or on paths equal but for letter case (a case-insensitive file system,
macOS's or Windows', keeps one) in memory that does not grow with the member
count: plugin-build writes members sorted by name, so an exact duplicate is
next to its twin; case twins need a table, of 64-bit digests, of fixed size.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import secrets
import sys
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "TRACKED_NAMES",
    "Clash",
    "NameClashes",
    "TopFolder",
    "oddity",
    "path_problem",
    "resolved",
]

# 2**18 names in 2**19 slots of two 8-byte digests: an 8 MiB table at most.
TRACKED_NAMES: Final = 1 << 18
_DRIVE: Final = re.compile(r"[A-Za-z]:")
# str's hash is keyed with a secret made at startup unless PYTHONHASHSEED fixes it.
_SECRET_HASH: Final = bool(sys.flags.hash_randomization) and (
    bool(sys.flags.ignore_environment) or os.environ.get("PYTHONHASHSEED", "random") == "random"
)


def resolved(name: str) -> str:
    """The path an extractor writes ``name`` to; a directory keeps one trailing ``/``."""
    # What could change a name: a NUL, a backslash, an empty or "." component (a
    # trailing "/" alone is kept, and so is a leading one). A name with none of
    # them is its own path; the checks are quicker than taking it apart.
    if not ("\0" in name or "\\" in name or "//" in name or "/." in name or name.startswith(".")):
        return name
    return taken_apart(name)


def taken_apart(name: str) -> str:
    """``resolved`` without its shortcut: every name taken apart (the tests' reference)."""
    text = name.split("\0", 1)[0].replace("\\", "/")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    path = "/".join(parts)
    if text.startswith("/"):
        path = "/" + path
    if text.endswith("/") and parts:
        path += "/"
    return path


def oddity(name: str) -> str:
    """What in ``name`` makes :func:`resolved` change it, as a phrase."""
    if "\0" in name:
        return "a NUL byte, where extractors cut the name short"
    if "\\" in name:
        return "a backslash, which Windows extractors take for a folder separator"
    return "an empty or '.' path component, which extractors drop"


def path_problem(path: str, top: str, directory: bool) -> str | None:
    """Why a resolved path may not be extracted under ``top``, or None."""
    if path.startswith("/") or _DRIVE.match(path):
        return "has an absolute path, which could write outside the extraction directory"
    parts = path.rstrip("/").split("/")
    if ".." in parts:
        return "has a '..' component, which could write outside the extraction directory"
    if parts[0] != top or (len(parts) < 2 and not directory):
        return f"is outside the archive's top folder {top}/"
    return None


class TopFolder:
    """:func:`path_problem` under one top folder, quick for the path of an ordinary member."""

    def __init__(self, top: str) -> None:
        self.top = top
        # A path that starts with this, has more after it, no '..' and no trailing '/'
        # has no problem, when the top folder is one plain, relative component.
        plain = top not in ("", ".", "..") and "/" not in top
        ok = plain and path_problem(f"{top}/x", top, False) is None
        self._below = f"{top}/" if ok else None

    def problem(self, path: str, directory: bool) -> str | None:
        below = self._below
        if (
            below is not None
            and path.startswith(below)
            and len(path) > len(below)
            and ".." not in path
            and not path.endswith("/")
        ):
            return None
        return path_problem(path, self.top, directory)


@dataclass(frozen=True)
class Clash:
    """One way a member collides with those before it."""

    kind: Literal["duplicate", "case", "order"]
    earlier: str | None  # the previous member's path, where it is known


class NameClashes:
    """Duplicates, case twins and order over one archive's resolved member paths.

    A duplicate is always found next to its twin in a sorted archive, and within
    the first :data:`TRACKED_NAMES` names in any archive. A case twin is found
    when its first spelling is among the first :data:`TRACKED_NAMES` names;
    :attr:`full` says when later names were no longer remembered.
    """

    def __init__(self, tracked: int = TRACKED_NAMES) -> None:
        self._previous: str | None = None
        self._table = _DigestTable(tracked)
        # Keyed, so a hostile archive cannot aim its names at one run of slots.
        self._key = secrets.token_bytes(16)

    @property
    def full(self) -> bool:
        return self._table.dropped > 0

    def add(self, path: str) -> list[Clash]:
        """Record the next member's resolved path (no trailing ``/``); what it clashes with."""
        clashes: list[Clash] = []
        previous, self._previous = self._previous, path
        digest = self._digest(path)
        folded = _caseless(path)
        stored = self._table.get_or_add(digest if folded == path else self._digest(folded), digest)
        if path == previous or stored == digest:
            clashes.append(Clash("duplicate", previous if path == previous else None))
        elif stored is not None:
            clashes.append(Clash("case", None))
        if previous is not None and path < previous:
            clashes.append(Clash("order", previous))
        return clashes

    def _digest(self, text: str) -> int:
        # 0 marks an empty slot.
        if _SECRET_HASH:  # SipHash with the interpreter's secret key: keyed, and quick
            return hash(text) & 0xFFFF_FFFF_FFFF_FFFF or 1
        # surrogatepass: tar names may carry undecodable bytes.
        data = text.encode("utf-8", "surrogatepass")
        value = hashlib.blake2b(data, digest_size=8, key=self._key).digest()
        return int.from_bytes(value, "little") or 1


def _caseless(path: str) -> str:
    # Unicode's canonical caseless match: it also folds NFC against NFD, which
    # macOS file systems treat as one name.
    if path.isascii():
        return path.lower()
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", path).casefold())


class _DigestTable:
    """A fixed-size open-addressing map of 64-bit digests to 64-bit digests.

    The slots live in anonymous memory, which the system hands out zeroed and only
    when written: a small archive costs a few pages, not the whole table.
    """

    def __init__(self, capacity: int) -> None:
        slots = 2 * max(capacity, 1)
        slots = 1 << (slots - 1).bit_length()  # a power of two, at most half full
        memory = memoryview(mmap.mmap(-1, 16 * slots))
        self._keys = memory[: 8 * slots].cast("Q")
        self._values = memory[8 * slots :].cast("Q")
        self._mask = slots - 1
        self._room = capacity
        self.dropped = 0  # keys not stored because the table was full

    def get_or_add(self, key: int, value: int) -> int | None:
        """The value stored under ``key``; else None, after storing ``value`` if there is room."""
        slot = key & self._mask
        while (found := self._keys[slot]) != 0:
            if found == key:
                return int(self._values[slot])
            slot = (slot + 1) & self._mask
        if self._room:
            self._room -= 1
            self._keys[slot], self._values[slot] = key, value
        else:
            self.dropped += 1
        return None
