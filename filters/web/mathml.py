"""Presentation MathML -> LaTeX, for formulas that carry no TeX annotation or `alttext`.

A formula is read from the resiliparse DOM the extraction pre-pass holds, serialized and parsed again with
ElementTree: walking the DOM costs a wrapper object per node, 3x the whole conversion on formula-dense pages.
Malformed MathML (a fraction with one child, a script without its base) raises `MalformedMathML`;
unknown elements are read through, as browsers render them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from resiliparse.parse.html import NodeType

__all__ = ["MalformedMathML", "mathml_to_latex", "tex_of_math"]

TEX_ENCODINGS = ("application/x-tex", "application/x-latex", "tex", "latex", "text/x-tex")


class MalformedMathML(ValueError):
    pass


SYMBOLS = {
    # operators and relations
    "\u2212": "-", "\u00d7": "\\times", "\u00f7": "\\div", "\u00b7": "\\cdot", "\u22c5": "\\cdot",
    "\u2217": "\\ast", "\u2218": "\\circ", "\u00b1": "\\pm", "\u2213": "\\mp", "\u2264": "\\leq",
    "\u2265": "\\geq", "\u2260": "\\neq", "\u2248": "\\approx", "\u2261": "\\equiv", "\u223c": "\\sim",
    "\u2243": "\\simeq", "\u2245": "\\cong", "\u221d": "\\propto", "\u226a": "\\ll", "\u226b": "\\gg",
    "\u2208": "\\in", "\u2209": "\\notin", "\u220b": "\\ni", "\u2282": "\\subset", "\u2283": "\\supset",
    "\u2286": "\\subseteq", "\u2287": "\\supseteq", "\u222a": "\\cup", "\u2229": "\\cap", "\u2205": "\\emptyset",
    "\u2216": "\\setminus", "\u2200": "\\forall", "\u2203": "\\exists", "\u00ac": "\\neg", "\u2227": "\\wedge",
    "\u2228": "\\vee", "\u2192": "\\to", "\u2190": "\\leftarrow", "\u2194": "\\leftrightarrow",
    "\u21d2": "\\Rightarrow", "\u21d0": "\\Leftarrow", "\u21d4": "\\Leftrightarrow", "\u21a6": "\\mapsto",
    "\u221e": "\\infty", "\u2202": "\\partial", "\u2207": "\\nabla", "\u2026": "\\ldots", "\u22ef": "\\cdots",
    "\u22ee": "\\vdots", "\u22f1": "\\ddots", "\u2032": "'", "\u2033": "''", "\u2016": "\\|", "\u2225": "\\parallel",
    "\u22a5": "\\perp", "\u2220": "\\angle", "\u00b0": "^{\\circ}", "\u2295": "\\oplus", "\u2297": "\\otimes",
    "\u2223": "\\mid", "\u27e8": "\\langle", "\u27e9": "\\rangle", "\u2329": "\\langle", "\u232a": "\\rangle",
    "\u230a": "\\lfloor", "\u230b": "\\rfloor", "\u2308": "\\lceil", "\u2309": "\\rceil", "{": "\\{", "}": "\\}",
    "\u2211": "\\sum", "\u220f": "\\prod", "\u222b": "\\int", "\u222c": "\\iint", "\u222e": "\\oint",
    "\u22c3": "\\bigcup", "\u22c2": "\\bigcap", "\u210f": "\\hbar", "\u2113": "\\ell",
    "\u2115": "\\mathbb{N}", "\u2124": "\\mathbb{Z}", "\u211a": "\\mathbb{Q}", "\u211d": "\\mathbb{R}",
    "\u2102": "\\mathbb{C}",
    # invisible operators: function application, times, separator, plus
    "\u2061": "", "\u2062": "", "\u2063": "", "\u2064": "", "\u00a0": " ",
}  # fmt: skip
GREEK = (
    "alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma sigma tau "
    "upsilon varphi chi psi omega"
).split()
GREEK_UPPER = "A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi Omega".split()
for _i, (_lower, _upper) in enumerate(zip(GREEK, GREEK_UPPER, strict=True)):
    SYMBOLS[chr(0x3B1 + _i)] = "o" if _lower == "o" else "\\" + _lower
    if _upper != "-":
        SYMBOLS[chr(0x391 + _i)] = "\\" + _upper if len(_upper) > 1 else _upper
SYMBOLS.update({"\u03f5": "\\epsilon", "\u03d5": "\\phi", "\u03d1": "\\vartheta", "\u03f1": "\\varrho"})

FUNCTIONS = set(
    "sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan log ln lg exp lim max min sup inf det "
    "dim ker deg gcd arg Pr".split()
)
ACCENTS = {"^": "\\hat", "\u02c6": "\\hat", "\u00af": "\\overline", "\u203e": "\\overline", "\u2192": "\\vec",
           "\u20d7": "\\vec", "~": "\\tilde", "\u02dc": "\\tilde", "\u02d9": "\\dot", "\u00a8": "\\ddot",
           "\u2015": "\\overline", "_": "\\overline", "\u23de": "\\overbrace", "\u02c7": "\\check"}  # fmt: skip
UNDER_ACCENTS = {"_": "\\underline", "\u00af": "\\underline", "\u0332": "\\underline", "\u23df": "\\underbrace"}
BIG_OPERATORS = ("\\sum", "\\prod", "\\int", "\\iint", "\\oint", "\\bigcup", "\\bigcap", "\\lim", "\\max", "\\min")
VARIANTS = {"double-struck": "\\mathbb", "bold": "\\mathbf", "script": "\\mathcal", "fraktur": "\\mathfrak"}
_COMMAND = re.compile(r"\\[A-Za-z]+")
_SKIPPED = {"annotation", "annotation-xml", "mphantom", "none", "mprescripts", "maligngroup", "malignmark"}
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _ends_with_command(tex: str) -> bool:
    """`\\alpha` at the end: a letter after it would change the command. (The tail only: no regex over the row.)"""
    head = tex.rstrip(_ASCII_LETTERS)
    return len(head) < len(tex) and head.endswith("\\")


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if not part:
            continue
        if out and part[0].isalpha() and _ends_with_command(out):
            out += " "
        out += part
    return out


def _symbols(text: str) -> str:
    if len(text) == 1:
        return SYMBOLS.get(text, text)
    return _join([SYMBOLS.get(ch, ch) for ch in text])


def _group(tex: str) -> str:
    """Braces around a script base unless it is one symbol."""
    if len(tex) == 1 or _COMMAND.fullmatch(tex) or (tex.startswith("{") and tex.endswith("}")):
        return tex
    return "{" + tex + "}"


def _elements(el) -> list:
    return [kid for kid in el if kid.tag not in _SKIPPED]


def _text(el) -> str:
    text = (el.text or "") if len(el) == 0 else "".join(el.itertext())
    return " ".join(text.split())


def _arity(node, n: int) -> list:
    kids = _elements(node)
    if len(kids) != n:
        raise MalformedMathML(f"<{node.tag}> needs {n} children, has {len(kids)}")
    return kids


def _convert(node) -> str:
    tag = node.tag
    if tag in ("mi", "mn", "mo", "mtext", "ms"):
        text = _text(node)
        if tag == "mi":
            if text in FUNCTIONS:
                return "\\" + text
            variant = VARIANTS.get(node.get("mathvariant") or "")
            tex = (
                _symbols(text) if len(text) == 1 else (_symbols(text) if not text.isalpha() else f"\\mathrm{{{text}}}")
            )
            return f"{variant}{{{tex}}}" if variant else tex
        if tag == "mtext":
            return f"\\text{{{text}}}" if text.strip() else " "
        return _symbols(text)
    if tag == "mspace":
        return " "
    if tag in ("msup", "msub"):
        base, script = (_convert(k) for k in _arity(node, 2))
        return f"{_group(base)}{'^' if tag == 'msup' else '_'}{{{script}}}"
    if tag == "msubsup":
        base, sub, sup = (_convert(k) for k in _arity(node, 3))
        return f"{_group(base)}_{{{sub}}}^{{{sup}}}"
    if tag == "mfrac":
        num, den = (_convert(k) for k in _arity(node, 2))
        if (node.get("linethickness") or "").strip() in ("0", "0px", "0em"):
            return f"\\binom{{{num}}}{{{den}}}"
        return f"\\frac{{{num}}}{{{den}}}"
    if tag == "msqrt":
        return f"\\sqrt{{{_row(node)}}}"
    if tag == "mroot":
        base, index = (_convert(k) for k in _arity(node, 2))
        return f"\\sqrt[{index}]{{{base}}}"
    if tag in ("mover", "munder"):
        base_node, script_node = _arity(node, 2)
        base, script = _convert(base_node), _convert(script_node)
        accents = ACCENTS if tag == "mover" else UNDER_ACCENTS
        if script_node.tag == "mo" and _text(script_node) in accents:
            return f"{accents[_text(script_node)]}{{{base}}}"
        if base in BIG_OPERATORS:
            return f"{base}{'^' if tag == 'mover' else '_'}{{{script}}}"
        return f"\\{'overset' if tag == 'mover' else 'underset'}{{{script}}}{{{base}}}"
    if tag == "munderover":
        base, under, over = (_convert(k) for k in _arity(node, 3))
        return f"{_group(base)}_{{{under}}}^{{{over}}}"
    if tag == "mmultiscripts":
        kids = _elements(node)
        if not kids:
            raise MalformedMathML("<mmultiscripts> without a base")
        base, rest = _convert(kids[0]), [_convert(k) for k in kids[1:]]
        scripts = "".join(f"_{{{rest[i]}}}^{{{rest[i + 1]}}}" for i in range(0, len(rest) - 1, 2))
        return _group(base) + scripts
    if tag == "mfenced":
        open_, close = node.get("open") or "(", node.get("close") or ")"
        separators = (node.get("separators") or ",").split() or [","]
        kids = [_convert(k) for k in _elements(node)]
        inner = ""
        for i, kid in enumerate(kids):
            inner += kid + (separators[min(i, len(separators) - 1)] if i < len(kids) - 1 else "")
        return f"\\left{_fence(open_)}{inner}\\right{_fence(close)}"
    if tag == "mtable":
        rows = [r for r in _elements(node) if r.tag in ("mtr", "mlabeledtr")]
        body = " \\\\ ".join(
            " & ".join(_row(c) for c in _elements(r)[(1 if r.tag == "mlabeledtr" else 0) :]) for r in rows
        )
        return f"\\begin{{matrix}}{body}\\end{{matrix}}"
    if tag == "menclose" and "radical" in (node.get("notation") or ""):
        return f"\\sqrt{{{_row(node)}}}"
    if tag == "semantics":
        kids = _elements(node)
        return _convert(kids[0]) if kids else ""
    # mrow, mstyle, mpadded, merror, math, mtd and anything unknown: their children in order
    return _row(node)


def _fence(ch: str) -> str:
    return {"": ".", "{": "\\{", "}": "\\}", "\u27e8": "\\langle", "\u27e9": "\\rangle", "|": "|"}.get(ch, ch)


def _row(node) -> str:
    return _join([_convert(k) for k in _elements(node)])


def mathml_to_latex(math) -> str:
    """LaTeX for a `<math>` element's presentation markup (a resiliparse node); raises MalformedMathML."""
    try:
        return _row(_element_tree(math)).strip()
    except RecursionError:  # thousands of nested rows: no formula a page renders, and no reason to lose the page
        raise MalformedMathML("MathML nested deeper than Python's recursion limit") from None


def _element_tree(math) -> ET.Element:
    html = math.html
    try:  # the HTML serializer writes no entity XML lacks but &nbsp;
        root = ET.fromstring(html.replace("&nbsp;", "\u00a0"))
    except ET.ParseError:  # say, an `xlink:href` whose prefix no xmlns binds: read the DOM instead
        return _from_dom(math)
    if "xmlns" in html:  # "{http://www.w3.org/1998/Math/MathML}mi" where the page declares the namespace
        for el in root.iter():
            el.tag = el.tag.rpartition("}")[2]
    return root


def _from_dom(node) -> ET.Element:
    el = ET.Element(node.tag, {name: node.getattr(name) or "" for name in node.attrs})
    child = node.first_child
    while child is not None:
        if child.type == NodeType.ELEMENT:
            el.append(_from_dom(child))
        elif child.type == NodeType.TEXT and child.text:
            if len(el):
                el[-1].tail = (el[-1].tail or "") + child.text
            else:
                el.text = (el.text or "") + child.text
        child = child.next
    return el


def tex_of_math(math) -> tuple[str, bool]:
    """(TeX, converted): `alttext` or the TeX annotation when present, else the converted presentation markup."""
    if alt := (math.getattr("alttext") or "").strip():  # the cheapest; equal to the annotation where both exist
        return alt, False
    # <math><semantics>PRESENTATION<annotation encoding="application/x-tex">; walked by sibling links, since a
    # selector query per formula costs more than the rest of the pass on formula-dense pages
    semantics = math.first_element_child
    while semantics is not None and semantics.tag != "semantics":
        semantics = semantics.next_element
    child = semantics.first_element_child if semantics is not None else None
    while child is not None:
        if child.tag == "annotation" and (child.getattr("encoding") or "").lower() in TEX_ENCODINGS:
            if tex := (child.text or "").strip():
                return tex, False
        child = child.next_element
    return mathml_to_latex(math), True
