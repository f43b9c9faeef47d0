"""Rule segmentation of a reasoning into steps of ~3-4 related sentences, on paragraph and cue boundaries.

Units are paragraphs (with the blank lines after them); a paragraph longer than `max_sentences` sentences is cut at
sentence ends, and before any sentence that opens with a cue. Units are grouped into a step until it holds at least
`min_sentences` sentences; a unit that opens with a cue always starts a new step. Display math and other units
without a sentence end join the step they follow; a fenced code block is never cut. The invariant
`"".join(steps) == reasoning` holds by construction: boundaries only ever cut the string, never edit it.
"""

from __future__ import annotations

import re

from filters.cot.cues import starts_with_cue

_PARAGRAPH_END = re.compile(r"\r?\n[ \t]*\r?\n\s*")  # CRLF traces too
# a fenced code block is one unit: its blank lines and ". " are code, not paragraph or sentence ends
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
# a sentence ends at . ! ? followed by whitespace and not inside "e.g. ", "i.e. ", "Fig. " or a decimal
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bFig)(?<!\bEq)[.!?][\"')\]]*\s+")


def paragraphs(text: str) -> list[str]:
    units, start = [], 0
    fences = [m.span() for m in _FENCE.finditer(text)]
    for match in _PARAGRAPH_END.finditer(text):
        if match.start() == 0:  # leading blank lines belong to the first paragraph
            continue
        if any(a <= match.start() < b for a, b in fences):
            continue
        units.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        units.append(text[start:])
    return units


def sentences(text: str) -> list[str]:
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        parts.append(text[start:])
    return parts


def _count(text: str) -> int:
    """Sentences in a unit: sentence ends, and a final sentence without trailing whitespace."""
    ends = len(_SENTENCE_END.findall(text))
    if re.search(r"[.!?][\"')\]]*$", text):
        ends += 1
    return ends


def _units(paragraph: str, max_sentences: int) -> list[str]:
    parts = sentences(paragraph)
    if len(parts) <= 1 or _FENCE.search(paragraph):
        return [paragraph]
    units, current, n = [], "", 0
    for part in parts:
        if current and (n >= max_sentences or starts_with_cue(part)):
            units.append(current)
            current, n = "", 0
        current += part
        n += 1
    units.append(current)
    return units


def segment(reasoning: str, min_sentences: int = 3, max_sentences: int = 4) -> list[str]:
    """Steps whose concatenation is exactly `reasoning`."""
    units = [u for p in paragraphs(reasoning) for u in _units(p, max_sentences)]
    steps: list[str] = []
    current, n = "", 0
    for unit in units:
        if current and n > 0 and (starts_with_cue(unit) or n >= min_sentences or n + _count(unit) > max_sentences):
            steps.append(current)
            current, n = "", 0
        current += unit
        n += _count(unit)
    if current:
        steps.append(current)
    return steps
