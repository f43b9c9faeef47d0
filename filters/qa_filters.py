"""Rule filters for QA pairs (MegaScience): short questions, standard, outside references, missing answers."""

from __future__ import annotations

import re

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

# "Fig. 4-16", "Figure 3", "equation (8.75)", "Eq. 2.1", "see Table 2", "Appendix B", "Section 3.2"
OUTSIDE_REFERENCE = re.compile(
    r"\b(fig(ure)?s?\.?|table|eq(uation)?s?\.?|appendix|section|chapter|problem|exercise|example)\s*"
    r"\(?([0-9]+[a-z]?([.\-–][0-9]+)*|(?-i:[A-Z]))\)?\b",
    re.I,
)


class ShortQuestionFilter(BaseFilter):
    name = "short"

    def __init__(self, min_words: int = 5, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.min_words = min_words

    def filter(self, doc: Document):
        return True if len(doc.text.split()) >= self.min_words else (False, "too_short")


class StandardFilter(BaseFilter):
    """`high` keeps multi-step problems whose source holds the full solution; `low` keeps any Q/A."""

    name = "standard"

    def __init__(self, standard: str, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.standard = standard

    def filter(self, doc: Document):
        if self.standard == "high" and doc.metadata.get("standard") != "high":
            return False, "below_standard"
        return True


class QARulesFilter(BaseFilter):
    """Drops pairs that point at material the reader does not have, and pairs without an answer."""

    name = "filter"

    def filter(self, doc: Document):
        answer = (doc.metadata.get("answer") or "").strip()
        if not answer:
            return False, "missing_answer"
        for text in (doc.text, answer):
            if OUTSIDE_REFERENCE.search(text):
                return False, "outside_reference"
        return True
