"""Finding the programs we run (git, gh, uv) without ever finding the caller's files.

``shutil.which`` takes a relative PATH entry (``.``, ``bin``) relative to the working
directory, which for the hook and the action is the repository being checked, and on
Windows it tries the working directory first of all: a ``git`` or ``gh`` committed
there would run, with the user's environment or the action's token. This searches
absolute PATH entries only. Hand-written, too, because importing shutil (bz2, lzma,
zlib) was 4 ms of the hook's run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def which(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The first executable ``name`` in the absolute entries of ``environ``'s PATH."""
    env = os.environ if environ is None else environ
    search = env.get("PATH", os.defpath)
    extensions = env.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";") if os.name == "nt" else [""]
    for folder in search.split(os.pathsep):
        if not folder or not os.path.isabs(folder):
            continue  # relative: it would name the working directory's files
        for extension in extensions:
            candidate = os.path.join(folder, name + extension)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None
