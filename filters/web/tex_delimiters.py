"""MathJax's and KaTeX's default TeX delimiters in a page's text, `\\(…\\)` and `\\[…\\]`, rewritten as `$…$` and
`$$…$$`, outside code, scripts and comments; on pages that load one of them (the extraction's gate,
`math_markup.markup_kinds`, tells), since on other pages they are just text.

This runs on the raw page before it is parsed: a walk of the DOM's text nodes costs as much as the extraction.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# where the renderers look for no math: code, scripts, styles, form fields, comments
# (written out as "runs without `<`, then a `<` that is not the closing tag": 3x faster than `.*?` on real pages)
_NO_MATH = re.compile(
    r"<(?:(pre|code|script|style|textarea|kbd|samp)\b[^<]*(?:<(?!/\1\s*>)[^<]*)*</\1\s*>|!--[^-]*(?:-(?!->)[^-]*)*-->)",
    re.I,
)
# a span inside one run of text (no tag inside it)
_DELIMITED = re.compile(r"\\\(([^<>]+?)\\\)|\\\[([^<>]+?)\\\]")


def dollar_delimiters(html: str) -> tuple[str, int]:
    """`html` with every `\\(…\\)` as `$…$` and `\\[…\\]` as `$$…$$` outside code; and how many were rewritten."""
    spans = list(_DELIMITED.finditer(html))
    if not spans:  # a `\(` in a script's regex, say: no need to find the code regions
        return html, 0
    regions = [(m.start(), m.end()) for m in _NO_MATH.finditer(html)]
    starts = [start for start, _ in regions]
    pieces, last, count = [], 0, 0
    for m in spans:
        k = bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < regions[k][1]:
            continue  # inside code or a comment
        inline = m.group(1) is not None
        pieces += [html[last : m.start()], f"${m.group(1)}$" if inline else f"$${m.group(2)}$$"]
        last, count = m.end(), count + 1
    return "".join(pieces) + html[last:], count
