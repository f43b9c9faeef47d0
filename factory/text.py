"""Text utilities shared by filters and the classifier trainer."""

from __future__ import annotations

import re
import unicodedata

_WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"\w+")
_MAX_TOKEN = 100  # MegaMath drops longer tokens (after digits -> <NUM>)
_LONGEST_SAFE = (_MAX_TOKEN - 2) // 3
# $$…$$, $…$ (not across a blank line, not an escaped \$), \[…\], \(…\), \begin{env}…\end{env}
_MATH_SPANS = re.compile(
    r"\$\$.+?\$\$|(?<![\\$])\$(?!\s)(?:[^$\n]|\n(?!\s*\n))+?(?<![\s\\])\$|\\\[.+?\\\]|\\\(.+?\\\)"
    r"|\\begin\{(\w+\*?)\}.+?\\end\{\1\}",
    re.S,
)


def megamath_tokens(text: str) -> list[str]:
    """MegaMath's fastText preprocessing: NFKC, lowercase, word-punct tokens, digits -> <NUM>, no token > 100 chars."""
    line = megamath_preprocess(text)
    return line.split(" ") if line else []


def megamath_preprocess(text: str) -> str:
    """One line of space-separated tokens, as fastText trains and predicts on."""
    if not unicodedata.is_normalized("NFKC", text):  # a cheap check; most text is
        text = unicodedata.normalize("NFKC", text)
    tokens = _WORDPUNCT.findall(text.lower())
    # one substitution over the joined line equals one per token (no digit run spans a space, no token holds one);
    # digits -> <NUM> makes a token at most 3x + 2 longer ("1a1a" -> "<NUM>a<NUM>a"): below 33 characters, no token
    # can pass 100 after it, so the line is split again only when a longer one was there
    line = _DIGITS.sub("<NUM>", " ".join(tokens))
    if tokens and max(map(len, tokens)) > _LONGEST_SAFE:
        return " ".join(tok for tok in line.split(" ") if len(tok) <= _MAX_TOKEN)
    return line


def normalized_words(text: str) -> list[str]:
    """Lowercased NFKC word tokens (no punctuation), the unit of n-gram decontamination."""
    return _WORDS.findall(unicodedata.normalize("NFKC", text).lower())


def mask_math(text: str) -> str:
    """The text with every LaTeX span (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`, environments) replaced by a space.

    Language ID scores the prose: a formula-dense English page otherwise reads as no language at all.
    """
    if "$" not in text and "\\" not in text:  # every span starts with one of them: no regex pass over prose
        return text
    return _MATH_SPANS.sub(" ", text)
