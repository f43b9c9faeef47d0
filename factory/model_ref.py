"""Model references: a local path or `hf://OWNER/REPO/FILE[@REVISION]`, resolved to a local file.

A Hub reference is downloaded once with huggingface_hub into its cache (HF_HOME, HF_ENDPOINT and HF_TOKEN
apply as usual); what a build used is recorded as the local path, the resolved commit and the file's sha256.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from factory.provenance import sha256_file

HF_SCHEME = "hf://"
_REF = re.compile(r"hf://(?P<repo>[\w.-]+/[\w.-]+)/(?P<file>[^@]+?)(?:@(?P<rev>[^@/][^@]*))?")


class ModelRefError(ValueError):
    """A reference that is malformed or cannot be fetched."""


@dataclass(frozen=True)
class HubRef:
    repo_id: str
    filename: str
    revision: str | None = None

    @classmethod
    def parse(cls, ref: str) -> HubRef | None:
        """The parts of an `hf://` reference; None for a local path; ModelRefError when malformed."""
        if not ref.startswith(HF_SCHEME):
            return None
        match = _REF.fullmatch(ref)
        if match is None:
            raise ModelRefError(f"{ref!r} is not hf://OWNER/REPO/FILE[@REVISION]")
        return cls(match["repo"], match["file"], match["rev"])


@dataclass(frozen=True)
class ResolvedModel:
    source: str  # the reference as written in the recipe
    path: Path  # the local file
    revision: str | None  # the Hub commit the file came from; None for a local path
    sha256: str

    def info(self) -> dict:
        return {"source": self.source, "path": str(self.path), "revision": self.revision, "sha256": self.sha256}


def is_hub_ref(ref: str | None) -> bool:
    return bool(ref) and ref.startswith(HF_SCHEME)


_RESOLVED: dict[str, ResolvedModel] = {}


def resolve_model(ref: str) -> ResolvedModel:
    """The local file behind `ref`, downloading a Hub reference into the huggingface_hub cache (once per process)."""
    key = f"{ref}|{os.environ.get('HF_HOME')}|{os.environ.get('HF_ENDPOINT')}"
    if key in _RESOLVED and _RESOLVED[key].path.is_file():
        return _RESOLVED[key]
    hub = HubRef.parse(ref)
    if hub is None:
        path = Path(ref)
        if not path.is_file():
            raise ModelRefError(f"no such file: {ref}")
        resolved = ResolvedModel(ref, path, None, sha256_file(path))
    else:
        resolved = _download(ref, hub)
    _RESOLVED[key] = resolved
    return resolved


def _download(ref: str, hub: HubRef) -> ResolvedModel:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        local = Path(hf_hub_download(hub.repo_id, hub.filename, revision=hub.revision))
    except LocalEntryNotFoundError as e:
        raise ModelRefError(f"cannot fetch {ref}: the Hub is unreachable and the file is not cached ({e})") from None
    except HfHubHTTPError as e:
        status = e.response.status_code if e.response is not None else "?"
        raise ModelRefError(f"cannot fetch {ref}: HTTP {status} ({str(e).splitlines()[0]})") from None
    except (OSError, ValueError) as e:
        raise ModelRefError(f"cannot fetch {ref}: {type(e).__name__}: {e}") from None
    # the cache lays files out as .../snapshots/<commit>/<filename>: the commit the revision resolved to
    depth = len(Path(hub.filename).parts)
    commit = local.parents[depth - 1].name if len(local.parents) >= depth else None
    return ResolvedModel(ref, local, commit, sha256_file(local))


def resolve_models(refs: dict[str, str | None]) -> dict[str, dict]:
    """{role: {source, path, revision, sha256}} for the manifest and the card; roles without a model are left out."""
    return {role: resolve_model(ref).info() for role, ref in refs.items() if ref}
