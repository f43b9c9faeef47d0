"""Publishing: the publishable part of a build folder (README.md, data/, assets/) to a Hub dataset repo."""

from __future__ import annotations

import os

from factory.layout import PUBLISHABLE, OutputLayout


class PublishError(Exception):
    pass


def plan(layout: OutputLayout, repo_id: str) -> list[tuple[str, str]]:
    """(local file, destination in the repo) for every file that would be uploaded."""
    if not layout.card.is_file():
        raise PublishError(f"{layout.root} has no README.md: is it a finished build? (run `factory finalize`)")
    return [
        (str(p), f"datasets/{repo_id}/{p.relative_to(layout.root).as_posix()}") for p in layout.publishable_files()
    ]


def publish(layout: OutputLayout, repo_id: str, private: bool, change_visibility: bool = False, log=print) -> str:
    """Make the dataset repo mirror the build in one commit: upload README.md, data/ and assets/, and delete what
    the repo holds there that this build lacks (a stale shard would otherwise match `data/CONFIG/*.parquet`).

    An existing repo whose visibility differs from `private` is an error unless `change_visibility`. The token
    comes from the environment only.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN in the environment (it is never printed or stored)")
    files = plan(layout, repo_id)
    api = HfApi(token=token)
    patterns = [name if name == "README.md" else f"{name}/**" for name in PUBLISHABLE]
    wanted = "private" if private else "public"
    try:
        try:
            existing = api.repo_info(repo_id, repo_type="dataset")
        except RepositoryNotFoundError:
            existing = None
        if existing is None:
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        elif bool(existing.private) != private:
            current = "private" if existing.private else "public"
            if not change_visibility:
                raise PublishError(
                    f"{repo_id} exists and is {current}, this publish asks for {wanted}: pass "
                    f"{'--private' if private else '--public'} --change-visibility to make it {wanted}, or match it"
                )
            api.update_repo_settings(repo_id, repo_type="dataset", private=private)
            log(f"{repo_id}: visibility changed from {current} to {wanted}")
        commit = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=str(layout.root),
            allow_patterns=patterns,
            delete_patterns=patterns,  # only files this commit does not upload again are deleted
            commit_message=f"dataset-factory build of {layout.root.name}",
        )
    except HfHubHTTPError as e:
        # the client's messages name the URL and status, never the token
        raise PublishError(f"upload to {repo_id} failed: {e}") from None
    log(f"uploaded {len(files)} files to {repo_id}: {commit.commit_url}")
    return commit.commit_url
