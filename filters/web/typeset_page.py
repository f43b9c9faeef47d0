"""The raw page of a page that MathJax or KaTeX typeset in the browser, made to read as the browser shows it.

- Their default TeX delimiters in the text, `\\(…\\)` and `\\[…\\]`, become `$…$` and `$$…$$`, outside code, scripts
  and comments (on other pages they are just text: the extraction's gate, `math_markup.markup_kinds`, tells).
- An element hidden with `visibility: hidden` until the math is typeset (MathJax's documented way to avoid a
  flash of raw TeX) is shown, as the page's script does; `display: none` (macro definitions) stays hidden.

This runs on the raw page before it is parsed: a walk of the DOM's text nodes costs as much as the extraction.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter

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


# `visibility: hidden` as CSS writes it (the property's name literally: a regex that ignores its case scans 10x
# slower), kept only inside an element's style attribute
_VISIBILITY_HIDDEN = re.compile(r"visibility\s*:\s*(?i:hidden)")
_STYLE_ATTRIBUTE = re.compile(r"style\s*=\s*([\"'])", re.I)


def show_hidden_until_typeset(html: str) -> tuple[str, int]:
    """`html` with each element's `visibility: hidden` style made visible; and how many."""
    pieces, last, count = [], 0, 0
    for m in _VISIBILITY_HIDDEN.finditer(html):
        start = html.rfind("style", max(0, m.start() - 500), m.start())
        attribute = _STYLE_ATTRIBUTE.match(html, start) if start != -1 else None
        if attribute is None or attribute.group(1) in html[attribute.end() : m.start()]:
            continue  # a style sheet's rule or text, not this element's own style
        pieces += [html[last : m.start()], "visibility: visible"]
        last, count = m.end(), count + 1
    return "".join(pieces) + html[last:], count


def prepare_typeset_page(html: str) -> tuple[str, Counter]:
    """`html` as the browser shows it once typeset (see the module), and counts of what was rewritten."""
    counts: Counter = Counter()
    if "visibility" in html:
        html, counts["hidden_until_typeset"] = show_hidden_until_typeset(html)
    if "\\(" in html or "\\[" in html:
        html, counts["tex_delimiters"] = dollar_delimiters(html)
    return html, +counts
