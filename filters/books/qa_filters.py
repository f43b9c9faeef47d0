"""Rule filters for QA pairs (MegaScience): short questions, standard, outside references, missing answers."""

from __future__ import annotations

import re

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

# "equation (8.75)", "Eq. 2.1", "Appendix B", "Section 3.2", "Problem 4": text the reader of one pair does not have
OUTSIDE_REFERENCE = re.compile(
    r"\b(eq(uation)?s?\.?|appendix|section|chapter|problem|exercise|example)\s*"
    r"\(?([0-9]+[a-z]?([.\-–][0-9]+)*|(?-i:[A-Z]))\)?\b",
    re.I,
)
# "Based on the previous question": a question built on another item
OTHER_ITEM = re.compile(r"\b(previous|preceding|last)\s+(questions?|problems?|exercises?)\b", re.I)
# "For which of the parts above ...": another item's parts or questions, unless the question has parts of its own
# ("(d) How do the three questions above relate?")
OTHER_PARTS = re.compile(r"\b(parts?|questions?|problems?|exercises?)\s+above\b", re.I)
_VISUAL = (
    r"(figure|fig\.|diagram|picture|image|drawing|illustration|photo(graph)?|graph|table|chart|plot|circuit|sketch)s?"
)
# a picture the text does not hold: "Fig. 4-16", "Figure 3.2", "Table 2", "in the figure", "the graph below",
# "the following diagram", "shown above", "Below is a graph"
NEEDS_FIGURE = re.compile(
    r"\b(fig(ure)?s?\.?|tables?)\s*\(?[0-9]+[a-z]?([.\-–][0-9]+)*\)?\b"
    r"|\b(in|from|of|on|using|use|see|to)\s+(the|this|these|each)\s+(\w+\s+)?"
    r"(figure|diagram|picture|image|drawing|illustration|photo(graph)?|chart|plot|sketch)s?\b"
    rf"|\b(following|above|accompanying|adjacent|pictured)\s+(\w+\s+)?{_VISUAL}\b"
    rf"|\b{_VISUAL}\s+(below|above|shown|at (the )?(right|left)|to the (right|left)|here)\b"
    rf"|\b(below|above|here)\s+(is|are)\s+(an?\s+|the\s+|some\s+)?(\w+\s+)?{_VISUAL}\b"
    r"|\b(shown|pictured|depicted|drawn|illustrated|sketched|graphed|given|displayed)\s+"
    r"(above|at (the )?(right|left)|to the (right|left))\b",
    re.I,
)
# "shown below" / "the following" is a picture only when no text follows it in the question
BELOW = re.compile(
    r"\b(shown|pictured|depicted|drawn|illustrated|given|displayed|as follows|the following)\s*(below)?[:.]?\s*", re.I
)
MIN_TEXT_AFTER = 20  # characters of question text after "shown below" that can hold what is shown
# a plot's axis labels read as text: a run of numbers, lone dots (tick marks) and axis names ". 0.5 . 1 . 1.5 . x . y"
TICK = re.compile(r"^([−-]?\d+(\.\d+)?|\.{1,2}|[xyt])$")
MIN_TICK_RUN, MIN_TICK_DOTS = 8, 3


def needs_figure(text: str) -> str | None:
    """The phrase that shows a question or answer depends on a figure or table not in its text, if any."""
    if m := NEEDS_FIGURE.search(text):
        return m.group(0)
    if text.rstrip().endswith(":"):  # "... and this graph does have one:": what it introduces is a drawing
        return ":"
    for m in BELOW.finditer(text):
        if (m.group(2) or m.group(1).lower() == "the following") and len(text[m.end() :].strip()) < MIN_TEXT_AFTER:
            return m.group(0).strip()
    return _tick_labels(text)


def _tick_labels(text: str) -> str | None:
    run: list[str] = []
    for token in text.split() + [""]:
        if TICK.match(token):
            run.append(token)
            continue
        if len(run) >= MIN_TICK_RUN and run.count(".") + run.count("..") >= MIN_TICK_DOTS:
            return " ".join(run)
        run = []
    return None


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


HINT_RULES = ("key_hint", "inline_hint")  # the extractor's rules whose answer is only a hint


class QARulesFilter(BaseFilter):
    """Drops pairs without an answer (`missing_answer`), pairs whose only answer is a hint (`hint_only`: a hint is
    not an answer), pairs that need a figure or table the text does not hold
    (`needs_figure`) and pairs that point at other text the reader does not have (`outside_reference`)."""

    name = "filter"

    def filter(self, doc: Document):
        answer = (doc.metadata.get("answer") or "").strip()
        if not answer:
            return False, "missing_answer"
        if doc.metadata.get("rule") in HINT_RULES:
            return False, "hint_only"
        for text in (doc.text, answer):
            if needs_figure(text):
                return False, "needs_figure"
        for text in (doc.text, answer):
            if OUTSIDE_REFERENCE.search(text):
                return False, "outside_reference"
        if OTHER_ITEM.search(doc.text) or (OTHER_PARTS.search(doc.text) and "(a)" not in doc.text):
            return False, "outside_reference"
        return True
