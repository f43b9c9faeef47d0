"""ASCIIMath -> LaTeX with py_asciimath (the converter behind the llm-webkit benchmark's ground truth)."""

from __future__ import annotations

import functools
import logging
import re

__all__ = ["asciimath_to_latex", "page_uses_asciimath", "split_backticks", "warm_up"]

# ASCIIMathML.js, MathJax's AsciiMath input (v2 configs "AM_HTMLorMML", "TeX-MML-AM_CHTML", v3 "input/asciimath")
_CONFIGURED = re.compile(r"(?i:asciimathml|asciimath2jax|input/asciimath)|(?<![A-Za-z0-9])AM_(?:HTMLorMML|CHTML|SVG)")
_BACKTICKED = re.compile(r"(?<!\\)`([^`]+?)(?<!\\)`")


def page_uses_asciimath(scripts) -> bool:
    """Whether a page with these `(src, inline code)` scripts loads an ASCIIMath renderer: its backticks are math."""
    words = ("ASCIIMath", "AsciiMath", "asciimath", "Asciimath", "AM_HTMLorMML", "AM_CHTML", "AM_SVG")
    for src, code in scripts:
        for text in (src, code):
            if text and any(word in text for word in words) and _CONFIGURED.search(text):
                return True
    return False


def warm_up() -> None:
    """Builds the translator (~0.5 s) in this process, so that forked children share it instead of each building it."""
    _translator()


@functools.cache
def _translator():
    # py_asciimath calls logging.basicConfig(level=DEBUG) on import and logs every translation on the root
    # logger: put the root logger back as it was
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    from py_asciimath.translator.translator import ASCIIMath2Tex

    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    translator = ASCIIMath2Tex(log=False, inplace=True)
    # its transformer formats a description of every call even with log=False (via inspect): 10x the parse time
    translator.parser.options.transformer._logger = _NoLog()
    return translator


class _NoLog:
    def __call__(self, func):
        return func


@functools.lru_cache(maxsize=4096)
def asciimath_to_latex(source: str) -> str:
    """LaTeX (without `$`) for one ASCIIMath expression; raises ValueError when it does not parse."""
    try:
        tex = _translator().translate(source, displaystyle=False, from_file=False, pprint=False)
    except Exception as e:  # lark raises its own exception family
        raise ValueError(f"ASCIIMath does not parse: {source[:80]!r} ({type(e).__name__})") from None
    return tex.strip().removeprefix("$").removesuffix("$").strip()


def split_backticks(text: str) -> list[tuple[str, bool]]:
    """[(piece, is_math)] for text with `…` ASCIIMath; an escaped \\` stays a literal backtick."""
    pieces, last = [], 0
    for m in _BACKTICKED.finditer(text):
        if m.group(1).strip():
            pieces += [(text[last : m.start()], False), (m.group(1), True)]
            last = m.end()
    pieces.append((text[last:], False))
    return [(p, is_math) for p, is_math in pieces if p]
