"""Attach built archives to a GitHub release: draft → upload → publish, never clobber.

Since GitHub's immutable releases, assets cannot be added to a published release of a
repository that turned them on (HTTP 422). So a release that does not exist yet is
created as a draft, the assets go in, and only then is it published; an existing
draft is used as it is. An asset already there with the same bytes is skipped, with
other bytes refused: a published asset is never replaced (no ``--clobber``). Uses only
``gh release view``, ``create``, ``upload`` and ``edit``
(:class:`~plugin_build.registry.GitHubRelease`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .fileio import file_digests
from .registry import GitHubRelease, RegistryError

__all__ = ["Attached", "attach"]


@dataclass
class Attached:
    """What attaching did."""

    created: bool = False  # the release was created (as a draft)
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already there, same bytes
    published: bool = False  # a draft was published


def attach(
    release: GitHubRelease, files: Sequence[Path], *, publish: bool, title: str | None = None
) -> Attached:
    """Attach ``files`` to ``release`` (see the module docstring); RegistryError on refusal."""
    done = Attached()
    state = release.state()
    if state is None:
        release.create_draft(
            title=title or release.tag,
            notes=f"Plugin archives and their SHA256SUMS, built by plugin-build ({release.tag}).",
        )
        state = {"draft": True, "immutable": False}
        done.created = True
    new: list[Path] = []
    for path in files:
        there = release.artifact_sha256(path.name)
        if there is None:
            new.append(path)
        elif there == file_digests(path).sha256:
            done.skipped.append(path.name)
        else:
            raise RegistryError(
                f"{path.name} is already attached to release {release.tag} with other bytes; "
                "a published asset is never replaced: build a new version and release a new tag"
            )
    if new and not state["draft"] and state["immutable"]:
        raise RegistryError(
            f"release {release.tag} is published and immutable, so assets can no longer be "
            f"added ({', '.join(p.name for p in new)}); let the action create the release: run "
            "it on the tag push with release-tag and no release yet (it drafts, uploads, then "
            "publishes)"
        )
    if new:
        try:
            release.put_artifacts(new)
        except RegistryError as exc:
            if "422" in str(exc) or "immutable" in str(exc).lower():
                raise RegistryError(
                    f"release {release.tag} refused new assets ({exc}); it is probably an "
                    "immutable release published before its assets: let the action create it "
                    "(draft, upload, publish) on the tag push instead"
                ) from exc
            raise
        done.uploaded = [p.name for p in new]
    if publish and state["draft"]:
        release.publish_draft()
        done.published = True
    return done
