"""Reference answers (MegaScience): the last brace-balanced \\boxed{}, else the text after "Reference Answer:" or
"final answer is", else the answer when it is one value, else a value the last sentence ends on when it names
exactly one. Anything else has no reference answer: a guess ("x = 3 and y = 4" -> `4`) would be a wrong label."""

from __future__ import annotations

import re

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

_MARKER = re.compile(r"(?:reference answer\s*:|final answer is\s*:?)\s*", re.I)
# one number (sign, thousands, decimals, fraction, scientific notation, %) with up to three unit tokens
# ("4 m/s^2", "6.0 x 10^-3 kg", "42 J", "7 apples"), or one math span
_NUMBER = r"[-+−]?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?(?:\s*(?:[x×*·]|\\times)\s*10\^?\{?[-−]?\d+\}?)?\s*%?"
_WORD_NOT_UNIT = r"(?!(?:with|when|where|and|or|for|if|the|a|an|of|in|on|at|to|so|then|is|are|we|since|because)\b)"
_UNIT = rf"(?:{_WORD_NOT_UNIT}[A-Za-zµμΩ°Å][\w/^·*\-°]*\.?|\\[a-zA-Z]+)"
_MATH = r"\$[^$]+\$|\\\(.+?\\\)"
VALUE = re.compile(rf"(?:{_NUMBER}(?:\s+{_UNIT}){{0,3}}|{_MATH})")
_ONE_TOKEN = re.compile(r"\(?[A-Za-z0-9][\w^+\-*/.()]*\)?")  # "KNO3", "(B)", "mitochondria", "x^2+1"
_ASSIGNMENT = re.compile(r"[A-Za-z][\w]*(?:_\{?\w+\}?)?\s*=\s*(.+)")  # "x = 3", "v_f = 12 m/s"
_RELATION = re.compile(r"(?:\bis\b(?:\s+(?:approximately|about|roughly))?|\bequals\b|=|≈)\s*", re.I)
_CLAUSES = re.compile(r",(?=\s)|;|\band\b|\bor\b", re.I)  # "1,200 kg" is one value
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


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


def _strip_end(text: str) -> str:
    """Without the closing full stop and markdown bold ("**0.033**.")."""
    return text.strip().rstrip(".;:!").strip().strip("*").strip()


def single_value(text: str) -> str | None:
    """`text` itself when it is one value (a number with units, a math span, one token), or the right side of
    one assignment ("v = 12 m/s" -> "12 m/s"); else None."""
    text = _strip_end(text)
    if VALUE.fullmatch(text) or _ONE_TOKEN.fullmatch(text):
        return text or None
    if (m := _ASSIGNMENT.fullmatch(text)) and "=" not in m.group(1) and VALUE.fullmatch(_strip_end(m.group(1))):
        return _strip_end(m.group(1))
    return None


def _final_value(sentence: str) -> str | None:
    """The value a sentence ends on ("Hence the speed is 3 m/s." -> "3 m/s", "a = b/2 = 6" -> "6"), only when no
    other clause of it states a value too ("x = 3 and y = 4" -> None) and the value is a number or math span
    ("This is the required result." -> None)."""
    sentence = _strip_end(sentence)
    clauses = [c for c in _CLAUSES.split(sentence) if _RELATION.search(c)]
    if len(clauses) != 1 or not _CLAUSES.split(sentence)[-1] == clauses[0]:
        return None
    *middle, tail = (part.strip() for part in _RELATION.split(clauses[0]))
    # a chain "a = 120/2 = 60" states one value; "f(x) = 0 with k = -0.7" states two
    for part in middle[1:]:
        if (value := VALUE.match(part)) and re.match(r"\s*[A-Za-z]", part[value.end() :]):
            return None
    tail = _strip_end(tail)
    return tail if VALUE.fullmatch(tail) else None


def reference_answer(answer: str) -> str | None:
    answer = answer.strip()
    if boxed := last_boxed(answer):
        return boxed
    markers = list(_MARKER.finditer(answer))
    if markers:
        found = _strip_end(_SENTENCES.split(answer[markers[-1].end() :].split("\n")[0])[0])
        return found or None
    if value := single_value(answer):
        return value
    return _final_value(_SENTENCES.split(answer)[-1])


class ReferenceAnswerStep(BaseFilter):
    """Sets `reference_answer`; a pair without one is dropped (`no_reference_answer`), since the released schema
    has no nulls in that column."""

    name = "reference"

    def filter(self, doc: Document):
        ref = reference_answer(doc.metadata.get("answer") or "")
        if not ref:
            return False, "no_reference_answer"
        doc.metadata["reference_answer"] = ref
        return True
