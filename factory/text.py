"""Text utilities shared by filters and the classifier trainer."""

from __future__ import annotations

import re
import unicodedata

_WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"\w+")


def megamath_tokens(text: str) -> list[str]:
    """MegaMath's fastText preprocessing: NFKC, lowercase, word-punct tokens, digits -> <NUM>, no token > 100 chars."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens = (_DIGITS.sub("<NUM>", tok) for tok in _WORDPUNCT.findall(text))
    return [tok for tok in tokens if len(tok) <= 100]


def megamath_preprocess(text: str) -> str:
    """One line of space-separated tokens, as fastText trains and predicts on."""
    return " ".join(megamath_tokens(text))


def normalized_words(text: str) -> list[str]:
    """Lowercased NFKC word tokens (no punctuation), the unit of n-gram decontamination."""
    return _WORDS.findall(unicodedata.normalize("NFKC", text).lower())
