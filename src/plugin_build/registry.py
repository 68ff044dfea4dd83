"""Where a registry lives: an ``index.json`` beside its ``{name}-{version}.tar.gz`` artifacts.

A backend is a small value chosen once from the ``--registry`` string; publishing
never knows which one it holds:

* a directory, or a ``file://`` URL of one;
* ``github:OWNER/REPO@TAG``: the assets of one GitHub release, reached through the
  GitHub CLI (``gh``) that GitHub's runners ship, with ``gh release view``,
  ``gh release download`` and ``gh release upload`` only.

Published artifacts are immutable: one that exists with the same bytes is skipped,
with other bytes it is refused. The index is written last and only if it is still
the one the caller read (``expected``); otherwise :class:`RegistryChanged`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, Protocol

from .fileio import CHUNK, TooLargeError, file_digests, open_regular
from .index import INDEX_FILE
from .locking import HeldTemp, locked, remove_stale
from .programs import which

__all__ = [
    "INDEX_SIZE_LIMIT",
    "DirectoryRegistry",
    "GitHubRelease",
    "Registry",
    "RegistryChanged",
    "RegistryError",
    "open_registry",
]

# An index of thousands of entries is a few MB; bounds every read of one.
INDEX_SIZE_LIMIT: Final = 64 << 20
_GITHUB: Final = re.compile(r"github:([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)@(.+)\Z")
_ASSET_SAFE: Final = re.compile(r"[A-Za-z0-9._-]+\Z")  # what GitHub keeps as written


class RegistryError(Exception):
    """A registry that cannot be read or written; one sentence naming the fix."""


class RegistryChanged(RegistryError):
    """The registry's index is no longer the one this run started from."""


class Registry(Protocol):
    """What publishing needs of a registry."""

    @property
    def name(self) -> str: ...  # as the user named it
    @property
    def index_location(self) -> str: ...  # where index.json lives (a path or a URL)
    @property
    def index_hint(self) -> str: ...  # how to create an empty index there
    def read_index(self) -> bytes | None: ...  # None: the registry has no index.json
    def artifact_sha256(self, filename: str) -> str | None: ...  # None: no such artifact
    def refuses(self, filename: str) -> str | None: ...  # why it cannot hold this name
    def put_artifacts(self, files: Sequence[Path]) -> None: ...
    def put_index(self, data: bytes, *, expected: bytes | None) -> None: ...


def open_registry(spec: str, *, environ: Mapping[str, str] | None = None) -> Registry:
    """The backend ``spec`` names (see the module docstring)."""
    env = dict(os.environ if environ is None else environ)
    match = _GITHUB.match(spec)
    if match is not None:
        gh = which("gh", env)
        if gh is None:
            raise RegistryError(
                f"{spec} is reached through the GitHub CLI, which is not on PATH; install gh "
                "(GitHub's runners have it)"
            )
        return GitHubRelease(*match.groups(), gh=gh, environ=env)
    if spec.startswith("github:"):
        raise RegistryError(f"{spec!r} is not github:OWNER/REPO@TAG")
    if spec.startswith("file:"):
        import urllib.parse
        import urllib.request  # here: it costs 15 ms to import, and only file: URLs need it

        parsed = urllib.parse.urlparse(spec)
        if parsed.netloc not in ("", "localhost"):
            raise RegistryError(f"{spec!r} names a file on another host; use a local path")
        return DirectoryRegistry(Path(urllib.request.url2pathname(parsed.path)), spec)
    if "://" in spec:
        raise RegistryError(
            f"{spec!r}: a registry is a directory, a file:// URL or github:OWNER/REPO@TAG"
        )
    return DirectoryRegistry(Path(spec), spec)


def _index_hint(where: str, url: str) -> str:
    return f"plugin-build index new {where} --artifacts-url {url}"


class DirectoryRegistry:
    """``index.json`` and artifacts in one directory; every write atomic (temp + rename),
    artifacts before the index, under the directory's lock, so a killed publish leaves
    the old index or the new one and every artifact the index names exists."""

    def __init__(self, root: Path, spec: str) -> None:
        self.root = root
        self._name = spec

    @property
    def name(self) -> str:
        return self._name

    @property
    def index_location(self) -> str:
        return os.fspath(self.root / INDEX_FILE)

    @property
    def index_hint(self) -> str:
        return f"`{_index_hint(os.fspath(self.root), 'URL')}` (URL: where the artifacts are served)"

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise RegistryError(
                f"registry directory {self.root} does not exist; create one with "
                f"`{_index_hint(os.fspath(self.root), 'URL')}` (URL: where the artifacts "
                "will be served from)"
            )

    def read_index(self) -> bytes | None:
        self._check_root()
        return _read_bounded(self.root / INDEX_FILE)

    def artifact_sha256(self, filename: str) -> str | None:
        try:
            return file_digests(self.root / filename, follow=False).sha256
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RegistryError(f"cannot read {self.root / filename}: {exc.strerror}") from exc

    def refuses(self, filename: str) -> str | None:
        del filename
        return None

    def put_artifacts(self, files: Sequence[Path]) -> None:
        self._check_root()
        remove_stale(self.root)  # what a killed publish left
        with locked(self.root):
            for source in files:
                target = self.root / source.name
                digest = self.artifact_sha256(source.name)
                if digest is not None:
                    if digest == file_digests(source).sha256:
                        continue
                    raise RegistryError(_immutable(source.name, self.name))
                _copy_atomic(source, target)

    def put_index(self, data: bytes, *, expected: bytes | None) -> None:
        self._check_root()
        with locked(self.root):
            if _read_bounded(self.root / INDEX_FILE) != expected:
                raise RegistryChanged(_changed(self.name))
            temp = HeldTemp(self.root, INDEX_FILE)
            try:
                with open(temp.path, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                temp.release()  # Windows cannot rename an open file
                os.replace(temp.path, self.root / INDEX_FILE)
            finally:
                temp.discard()


class GitHubRelease:
    """The assets of one GitHub release, through ``gh`` (view, download, upload only).

    ``gh`` authenticates with ``GH_TOKEN`` from the environment it is given. Asset
    names GitHub would rewrite (the ``+`` of SemVer build metadata) are refused: the
    index's artifact URLs must name the assets exactly.
    """

    def __init__(
        self, owner: str, repo: str, tag: str, *, gh: str, environ: Mapping[str, str]
    ) -> None:
        self.owner, self.repo, self.tag = owner, repo, tag
        self.gh = gh
        self.environ = dict(environ)
        self._assets: set[str] | None = None
        self._digests: dict[str, str] = {}

    @property
    def name(self) -> str:
        return f"github:{self.owner}/{self.repo}@{self.tag}"

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def download_url(self) -> str:
        return f"https://github.com/{self.slug}/releases/download/{self.tag}"

    @property
    def index_location(self) -> str:
        return f"{self.download_url}/{INDEX_FILE}"

    @property
    def index_hint(self) -> str:
        return (
            f"`{_index_hint('registry', self.download_url)}` then "
            f"`gh release upload {self.tag} registry/{INDEX_FILE} --repo {self.slug}`"
        )

    def _gh(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        command = [self.gh, "release", *args, "--repo", self.slug]
        try:
            return subprocess.run(
                command, capture_output=True, env=self.environ, timeout=600, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RegistryError(f"cannot run gh release {args[0]}: {exc}") from exc

    def _failed(self, what: str, result: subprocess.CompletedProcess[bytes]) -> RegistryError:
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        return RegistryError(f"gh release {what} failed: {said[-1] if said else result.returncode}")

    def assets(self) -> set[str]:
        if self._assets is None:
            result = self._gh("view", self.tag, "--json", "assets")
            if result.returncode != 0:
                if b"not found" in result.stderr.lower():
                    raise RegistryError(
                        f"release {self.tag} of {self.slug} does not exist; create it with "
                        f"`{_index_hint('registry', self.download_url)}` then "
                        f"`gh release create {self.tag} registry/{INDEX_FILE} --repo {self.slug}`"
                    )
                raise self._failed("view", result)
            try:
                listed = json.loads(result.stdout)["assets"]
                self._assets = {str(asset["name"]) for asset in listed}
            except (ValueError, KeyError, TypeError) as exc:
                raise RegistryError(f"gh release view printed no asset list ({exc})") from exc
        return self._assets

    def state(self) -> dict[str, bool] | None:
        """``{"draft", "immutable"}`` of the release, or None when there is none."""
        result = self._gh("view", self.tag, "--json", "isDraft,isImmutable,assets")
        if result.returncode != 0:
            if b"not found" in result.stderr.lower():
                return None
            raise self._failed("view", result)
        try:
            data = json.loads(result.stdout)
            self._assets = {str(asset["name"]) for asset in data.get("assets", [])}
            return {"draft": bool(data.get("isDraft")), "immutable": bool(data.get("isImmutable"))}
        except (ValueError, KeyError, TypeError) as exc:
            raise RegistryError(f"gh release view printed no release ({exc})") from exc

    def create_draft(self, *, title: str, notes: str) -> None:
        """Create the release as a draft on its existing tag (assets go in before it is
        published: an immutable release takes none afterwards)."""
        result = self._gh(
            "create", self.tag, "--draft", "--verify-tag", "--title", title, "--notes", notes
        )
        if result.returncode != 0:
            raise self._failed("create", result)
        self._assets = set()

    def publish_draft(self) -> None:
        result = self._gh("edit", self.tag, "--draft=false")
        if result.returncode != 0:
            raise self._failed("edit", result)

    def _download(self, asset: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="plugin-build-gh-") as temp:
            result = self._gh("download", self.tag, "--pattern", asset, "--dir", temp)
            if result.returncode != 0:
                raise self._failed("download", result)
            return _read_bounded(Path(temp) / asset) or b""

    def read_index(self) -> bytes | None:
        if INDEX_FILE not in self.assets():
            return None
        return self._download(INDEX_FILE)

    def artifact_sha256(self, filename: str) -> str | None:
        if filename not in self.assets():
            return None
        if filename not in self._digests:
            self._digests[filename] = hashlib.sha256(self._download(filename)).hexdigest()
        return self._digests[filename]

    def refuses(self, filename: str) -> str | None:
        if _ASSET_SAFE.match(filename):
            return None
        return (
            f"GitHub would rename the release asset {filename} (it keeps only letters, "
            "digits and ._-), so the index could not name it; publish a version without "
            "build metadata ('+')"
        )

    def put_artifacts(self, files: Sequence[Path]) -> None:
        new = []
        for source in files:
            digest = self.artifact_sha256(source.name)
            if digest is None:
                new.append(source)
            elif digest != file_digests(source).sha256:
                raise RegistryError(_immutable(source.name, self.name))
        if new:
            result = self._gh("upload", self.tag, *map(os.fspath, new))
            if result.returncode != 0:
                raise self._failed("upload", result)
            self.assets().update(p.name for p in new)

    def put_index(self, data: bytes, *, expected: bytes | None) -> None:
        # Read it again, as late as possible: a concurrent publish must be detected,
        # not overwritten. (gh cannot make the check and the upload one step.)
        self._assets = None
        if self.read_index() != expected:
            raise RegistryChanged(_changed(self.name))
        with tempfile.TemporaryDirectory(prefix="plugin-build-gh-") as temp:
            path = Path(temp) / INDEX_FILE
            path.write_bytes(data)
            result = self._gh("upload", self.tag, os.fspath(path), "--clobber")
        if result.returncode != 0:
            raise self._failed("upload", result)


def _read_bounded(path: Path) -> bytes | None:
    try:
        with open_regular(path, follow=False) as handle:
            data = handle.read(INDEX_SIZE_LIMIT + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > INDEX_SIZE_LIMIT:
        raise RegistryError(
            f"{path} is over {INDEX_SIZE_LIMIT >> 20} MiB, too large to be an index",
        ) from TooLargeError(len(data), INDEX_SIZE_LIMIT)
    return data


def _copy_atomic(source: Path, target: Path) -> None:
    """Copy under a held temporary name (call with the directory lock), then rename."""
    temp = HeldTemp(target.parent, target.name)
    try:
        with open_regular(source) as reader, open(temp.path, "wb") as writer:
            while chunk := reader.read(CHUNK):
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        temp.release()
        os.replace(temp.path, target)
    finally:
        temp.discard()


def _immutable(filename: str, registry: str) -> str:
    return (
        f"{filename} is already in {registry} with different bytes; published artifacts are "
        "never replaced: bump plugin.version"
    )


def _changed(registry: str) -> str:
    return (
        f"the index of {registry} changed while this publish ran (another publish?); "
        "nothing was overwritten: run the publish again"
    )
