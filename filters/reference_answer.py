"""Reference answers (MegaScience): the last \\boxed{}, else the text after "Reference Answer:" or
"final answer is", else a short final answer found by rule."""

from __future__ import annotations

import re

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

_MARKERS = re.compile(r"(?:reference answer\s*:|final answer is\s*:?)\s*(.+)", re.I | re.S)
_FINAL_VALUE = re.compile(r"(?:\bis\b|=|\bequals\b)\s+([^=]+?)\s*[.;]?\s*$", re.I)
SHORT_ANSWER_WORDS = 12


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...}, braces balanced."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j].strip() or None
    return None


def reference_answer(answer: str) -> str | None:
    answer = answer.strip()
    if boxed := last_boxed(answer):
        return boxed
    if match := _MARKERS.search(answer):
        found = match.group(1).strip().split("\n")[0].rstrip(". ")
        return found or None
    if 0 < len(answer.split()) <= SHORT_ANSWER_WORDS:
        return answer.rstrip(". ")
    last_sentence = re.split(r"(?<=[.!?])\s+", answer)[-1]
    if match := _FINAL_VALUE.search(last_sentence):
        return match.group(1).strip()
    return None


class ReferenceAnswerStep(BaseFilter):
    name = "reference"

    def filter(self, doc: Document):
        ref = reference_answer(doc.metadata.get("answer") or "")
        if not ref:
            return False, "no_reference_answer"
        doc.metadata["reference_answer"] = ref
        return True
