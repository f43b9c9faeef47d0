"""MathJax's and KaTeX's default TeX delimiters in a page's text, `\\(…\\)` and `\\[…\\]`, rewritten as `$…$` and
`$$…$$`, outside code, scripts and comments; on pages that load one of them (the extraction's gate,
`math_markup.markup_kinds`, tells), since on other pages they are just text.

This runs on the raw page before it is parsed: a walk of the DOM's text nodes costs as much as the extraction.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# where the renderers look for no math: code, scripts, styles, form fields, comments
_NO_MATH = re.compile(r"<(pre|code|script|style|textarea|kbd|samp)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
# a span inside one run of text (no tag inside it)
_DELIMITED = re.compile(r"\\\(([^<>]+?)\\\)|\\\[([^<>]+?)\\\]")


def dollar_delimiters(html: str) -> tuple[str, int]:
    """`html` with every `\\(…\\)` as `$…$` and `\\[…\\]` as `$$…$$` outside code; and how many were rewritten."""
    regions = [(m.start(), m.end()) for m in _NO_MATH.finditer(html)]
    starts = [start for start, _ in regions]
    pieces, last, count = [], 0, 0
    for m in _DELIMITED.finditer(html):
        k = bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < regions[k][1]:
            continue  # inside code or a comment
        inline = m.group(1) is not None
        pieces += [html[last : m.start()], f"${m.group(1)}$" if inline else f"$${m.group(2)}$$"]
        last, count = m.end(), count + 1
    return "".join(pieces) + html[last:], count
