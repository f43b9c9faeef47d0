"""The fastText math classifier (MegaMath / DeepSeekMath): `__label__MATH` vs `__label__NON_MATH`."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from factory.text import megamath_preprocess
from filters.web.fasttext_model import LazyFastText

MATH_LABEL = "__label__MATH"
NON_MATH_LABEL = "__label__NON_MATH"


def math_scores(model, texts: list[str]) -> list[float]:
    """P(MATH) for each raw text, with MegaMath's preprocessing."""
    labels, probs = model.predict([megamath_preprocess(t) for t in texts], k=2)
    scores = []
    for label_row, prob_row in zip(labels, probs, strict=False):
        by_label = dict(zip(label_row, map(float, prob_row), strict=False))
        if MATH_LABEL in by_label:
            scores.append(by_label[MATH_LABEL])
        else:
            scores.append(1.0 - by_label.get(NON_MATH_LABEL, 1.0))
    return scores


class MathClassifierFilter(LazyFastText, BaseFilter):
    """Keeps documents with P(MATH) >= threshold (0.4 in OctoThinker's Web-Pro-Max); stores `math_score`."""

    name = "classifier"

    def __init__(self, model_path: str, threshold: float, batch_size: int = 256, exclusion_writer=None):
        super().__init__(exclusion_writer, batch_size=batch_size)
        self.model_path = str(model_path)
        self.threshold = threshold

    def filter_batch(self, batch: list[Document]):
        results = []
        for doc, score in zip(batch, math_scores(self.model, [doc.text for doc in batch]), strict=False):
            doc.metadata["math_score"] = round(score, 4)
            results.append(True if score >= self.threshold else (False, "below_math_threshold"))
        return results

    def filter(self, doc: Document):
        return self.filter_batch([doc])[0]
