"""The extraction pre-pass: every math markup of a page rewritten, in place, as `$…$` / `$$…$$` text.

The text goes where the visible rendering was, so a main-content engine that keeps the paragraph keeps its
math: MathML hidden for accessibility (Wikipedia's `display:none` wrapper) is put in place of the wrapper;
MathML without TeX is converted; KaTeX and MathJax v3 keep their TeX annotation; MathJax v2 and KaTeX's
`math/tex` scripts, TeX in image `alt`/`title` or in the image URL (WordPress `img.latex`, codecogs,
`latex.php?`), ASCIIMath scripts and backticks (on pages that load an ASCIIMath renderer) become LaTeX;
`<sup>`/`<sub>` become `^{}`/`_{}` only where they are math.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qs, unquote, urlsplit

from resiliparse.parse.html import HTMLTree, NodeType

from filters.web.asciimath import asciimath_to_latex, page_uses_asciimath, split_backticks
from filters.web.mathml import MalformedMathML, tex_of_math

__all__ = ["rewrite_math"]

_MATHJAX_V2_RENDERED = (
    ".MathJax_Preview, .MathJax, .MathJax_Display, .MathJax_SVG, .MathJax_SVG_Display, .MathJax_CHTML, "
    ".MathJax_MathML, .MJXc-display"
)
_TEX_IMAGE_URL = re.compile(
    r"latex\.php\?|codecogs\.com/|/(?:png|gif|svg)\.latex\?|mimetex\.cgi\?|mathtex\.cgi\?|cht=tx|/latex\?|\.latex\?",
    re.I,
)
_TEX_IMAGE_CLASS = re.compile(r"\b(?:latex|tex|math|equation|formula|mwe-math-fallback\S*)\b", re.I)
_TEX_COMMAND = re.compile(r"\\[A-Za-z]{2,}|[\^_]\{|[A-Za-z0-9)][\^_][A-Za-z0-9({\\]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# a <sup>/<sub> is math when it is a short exponent/index right after a symbol, never a footnote or a mark
_SCRIPT_TEXT = re.compile(r"[\w+\-\u2212=*/().,'\u2032 ]{1,12}")
_ORDINAL = re.compile(r"(?i)st|nd|rd|th|d|er|re|e|ème|eme|o|a|º|ª")
_NOT_MATH_SCRIPT = re.compile(r"(?i)\[.*\]|tm|sm|mme|mlle|no")
_MARKS = set("®©™*†‡§¶#?!")
_SKIP_TEXT_IN = {"script", "style", "pre", "code", "textarea", "kbd", "samp", "tt", "title"}


def _classes(el) -> str:
    return el.getattr("class") or ""


def _hidden(el) -> bool:
    return (
        el.hasattr("hidden")
        or bool(_HIDDEN_STYLE.search(el.getattr("style") or ""))
        or "mathml-a11y" in _classes(el)
        or "sr-only" in _classes(el).split()
    )


def _replace(tree: HTMLTree, el, tex: str, display: bool) -> None:
    parent = el.parent
    if parent is None:
        return
    tex = " ".join(tex.split()) if not display else tex.strip()
    node = tree.create_text_node(f"$${tex}$$" if display else f"${tex}$")
    parent.replace_child(node, el)
    if display:  # line breaks, not a block element: a <div> inside a <p> would split the paragraph
        parent.insert_before(tree.create_element("br"), node)
        if node.next is not None:
            parent.insert_before(tree.create_element("br"), node.next)
        else:
            parent.append_child(tree.create_element("br"))


class _Rewriter:
    def __init__(self, tree: HTMLTree, stats: Counter):
        self.tree = tree
        self.stats = stats

    def body(self):
        return self.tree.body or self.tree.document

    def run(self) -> None:
        self.mathjax_v3()  # before v2: its container also has the class "MathJax"
        self.mathjax_v2()
        self.math_scripts()
        self.katex()
        self.mathml()
        self.images()
        self.scripts_sup_sub()
        scripts = self.tree.document.query_selector_all("script").values()
        if page_uses_asciimath([(el.getattr("src") or "", el.text or "") for el in scripts]):
            self.asciimath_backticks()

    def mathjax_v2(self) -> None:
        # the rendered copy sits before its <script type="math/tex">; keep the source, drop the copy
        for el in self.body().query_selector_all(_MATHJAX_V2_RENDERED).values():
            if el.parent is None:
                continue
            nxt = el.next_element
            if nxt is not None and nxt.tag == "script" and (nxt.getattr("type") or "").startswith("math/"):
                el.decompose()
            elif "MathJax_Preview" in _classes(el):
                el.decompose()
            elif maths := el.query_selector_all("math").values():
                self.formula(maths[0], el, display="Display" in _classes(el) or "display" in _classes(el))

    def math_scripts(self) -> None:
        for el in self.body().query_selector_all('script[type^="math/"]').values():
            kind = (el.getattr("type") or "").lower()
            source = el.text or ""
            display = "mode=display" in kind
            if kind.startswith("math/asciimath"):
                try:
                    tex = asciimath_to_latex(source)
                    self.stats["asciimath"] += 1
                except ValueError:
                    tex = source
                    self.stats["asciimath_unparsed"] += 1
            elif kind.startswith("math/mml"):
                continue  # MathML as text; rare, left to the engine (scripts are not text)
            else:
                tex = source
                self.stats["mathjax_script"] += 1
            if tex.strip():
                _replace(self.tree, el, tex, display)

    def katex(self) -> None:
        for el in self.body().query_selector_all(".katex-display, .katex").values():
            if el.parent is None:
                continue
            display = "katex-display" in _classes(el)
            maths = el.query_selector_all("math").values()
            if maths:
                self.formula(maths[0], el, display)
                self.stats["katex"] += 1

    def mathjax_v3(self) -> None:
        for el in self.body().query_selector_all("mjx-container").values():
            if el.parent is None:
                continue
            maths = el.query_selector_all("math").values()
            if maths:
                self.formula(maths[0], el, el.getattr("display") == "true")
                self.stats["mathjax_v3"] += 1

    def mathml(self) -> None:
        for math in self.body().query_selector_all("math").values():
            if math.parent is None:
                continue
            # a formula hidden for screen readers is replaced with its wrapper, where the rendering shows
            target, up = math, math.parent
            for _ in range(3):
                if up is None or up.tag in ("body", "html"):
                    break
                if _hidden(up):
                    target = up
                up = up.parent
            wrapper_classes = _classes(target) + " " + _classes(target.parent) if target.parent else ""
            display = math.getattr("display") == "block" or "display" in wrapper_classes.replace("displaystyle", "")
            container = target.parent
            tex = self.formula(math, target, display)
            if tex is not None and target is not math:
                self.drop_fallback_images(container, tex)

    def formula(self, math, target, display: bool) -> str | None:
        try:
            tex, converted = tex_of_math(math)
        except MalformedMathML:
            tex, converted = " ".join((math.text or "").split()), False
            self.stats["mathml_malformed"] += 1
        else:
            self.stats["mathml_converted" if converted else "mathml_tex"] += 1
        if not tex:
            target.decompose()
            return None
        _replace(self.tree, target, tex, display)
        return tex

    def drop_fallback_images(self, container, tex: str) -> None:
        # Wikipedia: the same formula again as an <img> fallback next to the hidden MathML
        if container is None:
            return
        for img in container.query_selector_all("img").values():
            if img.getattr("alt") == tex or "fallback" in _classes(img):
                img.decompose()

    def images(self) -> None:
        for img in self.body().query_selector_all("img").values():
            if img.parent is None:
                continue
            src = img.getattr("src") or ""
            alt = (img.getattr("alt") or img.getattr("title") or "").strip()
            by_url = _TEX_IMAGE_URL.search(src) is not None
            by_class = _TEX_IMAGE_CLASS.search(_classes(img)) is not None
            if not (by_url or (alt and (by_class or _TEX_COMMAND.search(alt)))):
                continue
            tex = alt or _tex_from_url(src)
            if not tex:
                continue
            parent = img.parent
            alone = parent.tag in ("p", "div", "center", "dd") and not (parent.text or "").replace(alt, "").strip()
            _replace(self.tree, img, tex, display=alone)
            self.stats["tex_image"] += 1

    def scripts_sup_sub(self) -> None:
        for el in self.body().query_selector_all("sup, sub").values():
            if el.parent is None or not _script_is_math(el):
                continue
            mark = "^" if el.tag == "sup" else "_"
            el.parent.replace_child(self.tree.create_text_node(f"{mark}{{{' '.join((el.text or '').split())}}}"), el)
            self.stats["sup_sub"] += 1

    def asciimath_backticks(self) -> None:
        for node in list(_text_nodes(self.body(), "`")):
            pieces = split_backticks(node.text or "")
            if not any(is_math for _, is_math in pieces) and "\\`" not in (node.text or ""):
                continue
            parent = node.parent
            for piece, is_math in pieces:
                if is_math:
                    try:
                        piece = f"${asciimath_to_latex(piece)}$"
                        self.stats["asciimath"] += 1
                    except ValueError:
                        piece = f"`{piece}`"
                        self.stats["asciimath_unparsed"] += 1
                else:
                    piece = piece.replace("\\`", "`")
                parent.insert_before(self.tree.create_text_node(piece), node)
            parent.remove_child(node)


def _text_nodes(node, needle: str):
    """Text nodes holding `needle`, skipping the subtrees without it (cheap: `.text` is computed in C)."""
    for child in node.child_nodes:
        if child.type == NodeType.TEXT:
            if needle in (child.text or ""):
                yield child
        elif child.type == NodeType.ELEMENT and child.tag not in _SKIP_TEXT_IN and needle in (child.text or ""):
            yield from _text_nodes(child, needle)


def _tex_from_url(src: str) -> str:
    parts = urlsplit(src)
    query = parse_qs(parts.query)
    for key in ("latex", "tex", "chl", "eq", "formula"):
        if query.get(key):
            return query[key][0].strip()
    # codecogs and mimetex put the TeX as the whole query
    return unquote(parts.query).strip() if parts.query and "=" not in parts.query.split("&")[0] else ""


def _script_is_math(el) -> bool:
    text = " ".join((el.text or "").split())
    if not text or any(ch in _MARKS for ch in text) or len(text) > 12:
        return False
    if el.query_selector("a") is not None or re.search(r"\b(?:reference|footnote|cite|note)", _classes(el), re.I):
        return False
    if not _SCRIPT_TEXT.fullmatch(text) or _NOT_MATH_SCRIPT.fullmatch(text):
        return False
    before = el.prev
    while before is not None and before.type == NodeType.ELEMENT and before.tag in ("sup", "sub"):
        before = before.prev
    if before is None:
        return False
    previous = before.text or ""
    if not previous or not (previous[-1].isalnum() or previous[-1] in ")]}|'"):
        return False  # the base must touch the script: "x<sup>2</sup>", "(a+b)<sup>n</sup>", "<i>X</i><sub>i</sub>"
    return not (previous[-1].isdigit() and _ORDINAL.fullmatch(text))  # "1<sup>st</sup>", "2<sup>e</sup>"


def rewrite_math(tree: HTMLTree) -> Counter:
    """Rewrites every formula of `tree` in place; returns counts per markup kind."""
    stats: Counter = Counter()
    _Rewriter(tree, stats).run()
    return stats
