"""Is an extracted answer the gold one? MegaScience's rules: numerically within 1e-3 (also against gold x 100
and gold / 100, for percentages), string-equal after normalisation, or sympy-equal; SciBench uses a relative
tolerance of 0.05 instead."""

from __future__ import annotations

import math
import re
import warnings

ABS_TOL = 1e-3
_MAX_SYMPY_CHARS = 200  # sympy can take minutes on long expressions; long answers compare as strings only

_TEXT_WRAP = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_TRAILING_UNIT = re.compile(r"^(.*?\d)\s*(?:\\[,;!: ]|~|\s)*(?:[a-zA-Z][a-zA-Z ./^\d]*|°|\\circ|\^\{?\\circ\}?)$")
_LHS = re.compile(r"^[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(?=\S)")
_MATRIX = re.compile(r"\\begin\{[pbvB]?matrix\}(.*?)\\end\{[pbvB]?matrix\}", re.S)
_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+)(?![\d])")


def normalize(answer) -> str:
    """A canonical string form: no $, \\boxed, \\left/\\right, spacing commands, units or trailing dots;
    `\\dfrac` -> `\\frac`; "x = 5" -> "5"; "1,000" -> "1000"; a leading "#" of GSM8K golds ("# 18") dropped."""
    s = str(answer).strip()
    s = re.sub(r"^#+\s*", "", s)
    for _ in range(3):
        s = re.sub(r"^\\boxed\s*\{(.*)\}$", r"\1", s.strip(), flags=re.S)
    s = _MATRIX.sub(lambda m: "(" + ",".join(re.split(r"\\\\|&", m.group(1))) + ")", s)  # vectors as tuples
    s = re.sub(r"\\[()\[\]]", "", s)  # \( \) \[ \] math delimiters
    s = s.replace("\\{", "{").replace("\\}", "}")  # sets: \{1, 2\}
    s = s.replace("$", "").replace("\\!", "").replace("\\left", "").replace("\\right", "")
    s = re.sub(r"\\sqrt\s*(\d)", r"\\sqrt{\1}", s)  # \sqrt3 is \sqrt{3} (one digit: \sqrt23 is \sqrt{2}3)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\displaystyle", "")
    s = re.sub(r"\\[,;: ]", "", s).replace("~", "")
    s = s.replace("\\%", "%").replace("\\$", "")
    s = _TEXT_WRAP.sub(r"\1", s)
    s = re.sub(r"\^\s*\{?\\circ\}?|°", "", s)  # degrees, also inside tuples: (45^\circ, 60^\circ)
    s = re.sub(r"\s+and\s+", ",", s)  # "5 and 15": two answers
    s = _LHS.sub("", s.strip())
    s = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), s)
    s = s.strip().rstrip(".").strip()
    if match := _TRAILING_UNIT.match(s):  # "5 cm", "12 dollars", "90^\circ"
        s = match.group(1)
    s = re.sub(r"\s+", "", s)
    return s


def to_number(s: str) -> float | None:
    """A plain number, fraction or percentage as a float ("50%" -> 50, "3/4", "\\frac{3}{4}", "-2.5")."""
    s = s.rstrip("%")
    if match := re.fullmatch(r"(-?)\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}", s) or re.fullmatch(r"(-?)\\frac(\d)(\d)", s):
        sign, num, den = match.groups()
        s = f"{sign}{num}/{den}"
    if match := re.fullmatch(r"(-?[\d.]+)/(-?[\d.]+)", s):
        try:
            return float(match.group(1)) / float(match.group(2))
        except (ValueError, ZeroDivisionError):
            return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def numbers_equal(pred: float, gold: float, rel_tol: float | None = None) -> bool:
    for target in (gold, gold * 100, gold / 100):
        if rel_tol is not None:
            if math.isclose(pred, target, rel_tol=rel_tol, abs_tol=1e-12):
                return True
        elif abs(pred - target) < ABS_TOL:
            return True
    return False


def _sympy(s: str):
    if len(s) > _MAX_SYMPY_CHARS:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sympy's lark transformer warns on tuples it builds itself
        return _parse(s)


def _parse(s: str):
    from sympy.parsing.latex import parse_latex

    try:
        return parse_latex(s, backend="lark")
    except Exception:  # the lark grammar raises its own error types, and some LaTeX is not math
        pass
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    plain = s.replace("\\pi", " pi ").replace("\\cdot", "*").replace("\\times", "*")
    for _ in range(3):  # innermost first: \frac{\sqrt{2}}{2}
        plain = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", plain)
        plain = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", plain)
    if "\\" in plain:
        return None
    try:
        return parse_expr(
            plain, transformations=(*standard_transformations, implicit_multiplication_application, convert_xor)
        )
    except Exception:  # parse_expr raises SyntaxError, TokenError, TypeError... on non-math strings
        return None


def sympy_equal(pred: str, gold: str) -> bool:
    """Equal as expressions: their difference vanishes at a few seeded points (no `simplify`, which can run for
    minutes on one answer)."""
    import random

    import sympy

    a, b = _sympy(pred), _sympy(gold)
    if a is None or b is None:
        return False
    try:
        diff = a - b
        symbols = sorted(diff.free_symbols, key=str)
        if len(symbols) > 4:
            return False
        rng = random.Random(0)
        for _ in range(3 if symbols else 1):
            point = {s: sympy.Float(rng.uniform(0.5, 2.5)) for s in symbols}
            value = complex(diff.evalf(15, subs=point))
            if not abs(value) < ABS_TOL:
                return False
        return True
    except Exception:  # relations, sets and matrices do not subtract; some expressions do not evaluate
        return False


def math_equal(pred, gold, rel_tol: float | None = None) -> bool:
    """MegaScience's equality of a math answer and its gold answer."""
    if pred is None or gold is None:
        return False
    p, g = normalize(pred), normalize(gold)
    if not p or not g:
        return False
    if p == g or p.lower() == g.lower():
        return True
    pn, gn = to_number(p), to_number(g)
    if pn is not None and gn is not None:
        return numbers_equal(pn, gn, rel_tol)
    if (ps := _list_parts(p)) and (gs := _list_parts(g)):
        (pitems, pordered), (gitems, gordered) = ps, gs
        if len(pitems) != len(gitems):
            return False
        if pordered and gordered:  # tuples, intervals, vectors: in order
            return all(math_equal(x, y, rel_tol) for x, y in zip(pitems, gitems))
        left = list(gitems)  # a set or a bare list of answers: in any order
        for x in pitems:
            match = next((i for i, y in enumerate(left) if math_equal(x, y, rel_tol)), None)
            if match is None:
                return False
            left.pop(match)
        return True
    return sympy_equal(p, g)


def _list_parts(s: str) -> tuple[list[str], bool] | None:
    """ "(1,2)" -> (["1", "2"], ordered); "{1,2}" / "1,2" / "(1,2),(3,4)" -> (parts, unordered); None if there
    is no comma outside brackets and braces."""
    wrapped = s[:1] in "([{" and _closing(s, 0) == len(s) - 1
    ordered = wrapped and s[0] != "{"
    inner = s[1:-1] if wrapped else s
    parts, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        depth += (c in "([{") - (c in ")]}")
        if c == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return (parts, ordered) if len(parts) > 1 and all(parts) else None


def _closing(s: str, start: int) -> int:
    """Where the bracket opened at `start` closes (any bracket kind counts), or -1."""
    depth = 0
    for i in range(start, len(s)):
        depth += (s[i] in "([{") - (s[i] in ")]}")
        if depth == 0:
            return i
    return -1
