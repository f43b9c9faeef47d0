"""`input.format: dyntom`: DynToM's released `trialN/story.json` folders, one context per folder."""

from __future__ import annotations

import json
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader

from factory.readers import error_document


def load_context(path: Path) -> tuple[dict | None, str | None]:
    """A released story.json -> (context, None) or (None, why it cannot be read)."""
    try:
        context = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, f"{type(e).__name__}: {e}"
    if not isinstance(context, dict) or not isinstance(context.get("sketch"), dict):
        return None, "no 'sketch' mapping"
    return context, None


class DynToMReader(BaseDiskReader):
    """One document per `story.json`; its id is the trial folder's name, `metadata.context` the parsed file.

    Setting fields (`social setting`, `social setting type`) are missing from part of the release: they stay
    None. Unreadable files become read errors, quarantined by the next step.
    """

    name = "input"

    def __init__(self, data_folder: str, glob_pattern: str | None = None):
        super().__init__(data_folder, glob_pattern=glob_pattern or "**/story.json", add_file_path=False)

    def read_file(self, filepath: str):
        context_id = Path(filepath).parent.name or Path(filepath).stem
        try:
            with self.data_folder.open(filepath, "rt", encoding="utf-8") as f:
                context = json.load(f)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            yield error_document(context_id, "malformed_story_json", f"{type(e).__name__}: {e}", filepath)
            return
        if not isinstance(context, dict) or not isinstance(context.get("sketch"), dict):
            yield error_document(context_id, "no_sketch", "story.json has no 'sketch' mapping", filepath)
            return
        yield Document(text="", id=context_id, metadata={"context": context, "source": filepath})
