"""Text utilities shared by filters and the classifier trainer."""

from __future__ import annotations

import re
import unicodedata

_WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"\w+")


def megamath_tokens(text: str) -> list[str]:
    """MegaMath's fastText preprocessing: NFKC, lowercase, word-punct tokens, digits -> <NUM>, no token > 100 chars."""
    return megamath_preprocess(text).split(" ") if text.strip() else []


def megamath_preprocess(text: str) -> str:
    """One line of space-separated tokens, as fastText trains and predicts on."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    tokens = _WORDPUNCT.findall(text.lower())
    if any(len(tok) > 100 for tok in tokens):
        tokens = [tok for tok in tokens if len(_DIGITS.sub("<NUM>", tok)) <= 100]
    # digits only occur inside tokens, so one substitution over the joined line equals one per token
    return _DIGITS.sub("<NUM>", " ".join(tokens))


def normalized_words(text: str) -> list[str]:
    """Lowercased NFKC word tokens (no punctuation), the unit of n-gram decontamination."""
    return _WORDS.findall(unicodedata.normalize("NFKC", text).lower())
