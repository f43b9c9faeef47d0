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
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

from resiliparse.parse.html import HTMLTree, NodeType

from filters.web.asciimath import asciimath_to_latex, page_uses_asciimath, split_backticks
from filters.web.mathml import MalformedMathML, tex_of_math

__all__ = ["TYPESET_PAGE", "markup_kinds", "rewrite_math"]

_MATHJAX_V2_RENDERED = {
    "MathJax_Preview", "MathJax", "MathJax_Display", "MathJax_SVG", "MathJax_SVG_Display", "MathJax_CHTML",
    "MathJax_MathML", "MJXc-display",
}  # fmt: skip
# a formula rendered from its TeX by URL: WordPress, codecogs, mimeTeX, Google Charts, and any `?tex=` / `?latex=`
# renderer (Zhihu's `/equation?tex=`, MathTran)
_TEX_IMAGE_URL = re.compile(
    r"latex\.php\?|codecogs\.com/|/(?:png|gif|svg)\.latex\?|mimetex\.cgi\?|mathtex\.cgi\?|cht=tx|/latex\?|\.latex\?"
    r"|[?&](?:la)?tex=",
    re.I,
)
# a formula rendered to an image named by its hash, TeX in its alt (Sphinx imgmath: `_images/math/<sha1>.png`)
_MATH_IMAGE_PATH = re.compile(r"/math/[0-9a-f]{16,}\.(?:png|svg|gif)\b", re.I)
_TEX_IMAGE_CLASS = re.compile(r"\b(?:latex|tex|math|equation|formula|mwe-math-fallback\S*)\b", re.I)
# TeX in an alt text: a command, a braced script, x^2, or a one-character index (x_i, a_1); never the underscore of
# a file or user name ("logo_2018", "dan_campbell_8a72 profile image")
_TEX_COMMAND = re.compile(
    r"\\[A-Za-z]{2,}|[\^_]\{|[A-Za-z0-9)]\^[A-Za-z0-9({\\]|(?:(?<!\w)[A-Za-z0-9]|\))_[A-Za-z0-9](?!\w)"
)
# an alt text that is one delimited formula (LaTeX2HTML writes `ALT="$x^2$"` and displays as environments): the
# delimiters say TeX and inline or display, and are not part of the TeX
_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("\\(", "\\)", False), ("$", "$", False))
_DELIMITING_ENV = re.compile(r"\\begin\{(displaymath|math|equation\*)\}(.+)\\end\{\1\}", re.S)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# a <sup>/<sub> is math when it is a short exponent/index right after a symbol, never a footnote or a mark
_SCRIPT_TEXT = re.compile(r"[\w+\-\u2212=*/().,'\u2032 ]{1,12}")
_ORDINAL = re.compile(r"(?i)st|nd|rd|th|d|er|re|e|ème|eme|o|a|º|ª")
_NOT_MATH_SCRIPT = re.compile(r"(?i)\[.*\]|tm|sm|mme|mlle|no")
_MARKS = set("®©™*†‡§¶#?!")
_SKIP_TEXT_IN = {"script", "style", "pre", "code", "textarea", "kbd", "samp", "tt", "title"}


# The gate: one regex pass over the raw page (C) finds the tags that can hold math, so a page without them walks
# no DOM and wraps no node (a wrapper costs a weakref entry: thousands per page). Each kind found adds its
# selectors to one query: a walk of the whole DOM is as costly as the extraction itself, so there is only one.
# a tag as an HTML tokenizer reads it: quotes delimit a value only right after `=`
_TAG_REST = r"""(?:[^>"'=]+|=\s*"[^"]*"|=\s*'[^']*'|[="'])*>?"""
# (the lookahead first: most tags fail on their first two letters, faster than trying each alternative)
_MARKUP_TAGS = re.compile(
    rf"<(?=[mMiIsS][aAjJmMuUcC])(?:(math)\b|(mjx-container)|(img\b{_TAG_REST})|(su[pb])\b|(script\b{_TAG_REST}))", re.I
)
_KINDS = (None, "math", "mjx-container", "img", "sup", "script")  # by group
# an <img> can only be a formula with a LaTeX-image URL or class in its tag (so one of these words), or `\`, `^`,
# `_`, `$` in alt/title (`&`: an entity may spell them); looked for in all the page's <img> tags at once (lowercased),
# then per tag. Substrings, not `_TEX_IMAGE_URL`/`_TEX_IMAGE_CLASS`: an alternation costs 10x more here
_IMG_WORDS = ("tex", "math", "equation", "formula", "cht=tx")
_ALT_HINT = re.compile(
    r"""(?:alt|title)\s*=\s*(?:"[^"\\^_&$]*[\\^_&$]|'[^'\\^_&$]*[\\^_&$]|[^\s>"'\\^_&$]*[\\^_&$])"""
)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']*))""")
_SELECTORS = {
    "math": 'math, .katex, .katex-display, [class*="MathJax"], .MJXc-display',
    "mjx-container": "mjx-container",
    "script": 'script[type^="math/" i], [class*="MathJax"], .MJXc-display',
    "img": ":not(noscript) > img",  # a <noscript> copy is extracted by no engine (Wikipedia has one per formula)
    "sup": "sup, sub",
    "asciimath": "script",
}
ALL_KINDS = frozenset(_SELECTORS)
# a page that MathJax or KaTeX typeset, with TeX delimiters in its text or content hidden until typeset: its raw
# page is rewritten (`typeset_page`) before it is parsed
TYPESET_PAGE = "typeset_page"


def _img_may_be_tex(tag: str) -> bool:
    """`_Rewriter.images`'s test, read from the raw tag."""
    low = tag.lower()
    url_or_class = any(word in low for word in _IMG_WORDS) and (
        _TEX_IMAGE_URL.search(low) is not None or _TEX_IMAGE_CLASS.search(low) is not None
    )
    if not url_or_class and not _ALT_HINT.search(low):
        return False
    attrs: dict[str, str] = {}
    for m in _ATTRIBUTE.finditer(tag, 4):
        value = m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(4)
        attrs.setdefault(m.group(1).lower(), unescape(value) if "&" in value else value)  # the first one counts
    return _tex_image(attrs.get("src") or "", attrs.get("alt") or attrs.get("title") or "", attrs.get("class") or "")


def markup_kinds(html: str) -> frozenset[str]:
    """Which markup kinds `html` may hold (a superset: the DOM pass decides), found without parsing it."""
    kinds, images, scripts = set(), [], []
    for m in _MARKUP_TAGS.finditer(html):
        if m.lastindex == 3:
            images.append(m.group(3))
        elif m.lastindex == 5:
            scripts.append(m.group(5))
        else:
            kinds.add(_KINDS[m.lastindex])
    if images:
        tags = "\n".join(images).lower()
        if (any(word in tags for word in _IMG_WORDS) or _ALT_HINT.search(tags)) and any(map(_img_may_be_tex, images)):
            kinds.add("img")
    if scripts:
        tags = "\n".join(scripts).lower()
        if "math/" in tags:
            kinds.add("script")
        # an ASCIIMath renderer is loaded by a script's src, or configured inline on a page that loads MathJax
        if "`" in html and any(word in tags for word in ("asciimath", "am_", "mathjax")):
            kinds.add("asciimath")
        if ("mathjax" in tags or "katex" in tags) and ("\\(" in html or "\\[" in html or "visibility" in html):
            kinds.add(TYPESET_PAGE)
    return frozenset(kinds)


def _classes(el) -> str:
    return el.getattr("class") or ""


def _hidden(el) -> bool:
    style = el.getattr("style")
    if style and ("none" in style or "hidden" in style) and _HIDDEN_STYLE.search(style):
        return True
    classes = el.getattr("class")
    return el.hasattr("hidden") or bool(classes and ("mathml-a11y" in classes or "sr-only" in classes.split()))


def _neighbours(el) -> tuple:
    """(parent, the text node before `el` or None, the text node after it or None): each step through the DOM
    costs a wrapper object, so a formula's surroundings are read once."""
    before, after = el.prev, el.next
    if before is not None and before.type != NodeType.TEXT:
        before = None
    if after is not None and after.type != NodeType.TEXT:
        after = None
    return el.parent, before, after


def _replace(tree: HTMLTree, el, tex: str, display: bool, neighbours: tuple | None = None) -> None:
    parent, before, after = neighbours or _neighbours(el)
    if parent is None:
        return
    # detached, not freed (decompose): freeing a subtree costs more than the rest of the rewrite
    if not display:
        inline = f"${' '.join(tex.split())}$"
        if before is None and after is None:
            parent.replace_child(tree.create_text_node(inline), el)
            return
        # one text node with its neighbours, as the page's own text: resiliparse's main-content step drops a text
        # node of punctuation alone ("”" before a formula), and the next formula sees the text beside it
        keep = before or after
        keep.text = (before.text if before else "") + inline + (after.text if after else "")
        parent.remove_child(el)
        if before is not None and after is not None:
            parent.remove_child(after)
        return
    # line breaks, not a block element: a <div> inside a <p> would split the paragraph
    parent.insert_before(tree.create_element("br"), el)
    parent.insert_before(tree.create_text_node(f"$${tex.strip()}$$"), el)
    parent.replace_child(tree.create_element("br"), el)


class _Rewriter:
    def __init__(self, tree: HTMLTree, stats: Counter):
        self.tree = tree
        self.stats = stats
        self.consumed: set[int] = set()  # ids of <math> already rewritten with their container

    def run(self, kinds: frozenset[str]) -> None:
        kinds = kinds & ALL_KINDS  # TYPESET_PAGE is rewritten in the raw page, before it is parsed
        if not kinds:
            return
        selector = ", ".join(dict.fromkeys(", ".join(_SELECTORS[k] for k in sorted(kinds)).split(", ")))
        groups: dict[str, list] = {k: [] for k in ("v3", "v2", "math_script", "katex", "math", "img", "sup", "script")}
        for el in self.tree.document.query_selector_all(selector).values():
            tag = el.tag
            if tag in ("math", "img", "mjx-container"):
                groups["v3" if tag == "mjx-container" else tag].append(el)
            elif tag in ("sup", "sub"):
                groups["sup"].append(el)
            elif tag == "script":
                kind = el.getattr("type") or ""
                groups["math_script" if kind.startswith("math/") else "script"].append(el)
            else:
                classes = set(_classes(el).split())
                if classes & {"katex", "katex-display"}:
                    groups["katex"].append(el)
                elif classes & _MATHJAX_V2_RENDERED:
                    groups["v2"].append(el)
        self.mathjax_v3(groups["v3"])  # before v2: its container also has the class "MathJax"
        self.mathjax_v2(groups["v2"])
        self.math_scripts(groups["math_script"])
        self.katex(groups["katex"])
        self.mathml(groups["math"])
        self.images(groups["img"])
        self.scripts_sup_sub(groups["sup"])
        scripts = groups["script"]
        if scripts and page_uses_asciimath(_script_sources(scripts)):
            self.asciimath_backticks()

    def mathjax_v2(self, elements) -> None:
        # the rendered copy sits before its <script type="math/tex">; keep the source, drop the copy
        for el in elements:
            if el.parent is None:
                continue
            nxt = el.next_element
            if nxt is not None and nxt.tag == "script" and (nxt.getattr("type") or "").startswith("math/"):
                el.decompose()
            elif "MathJax_Preview" in _classes(el):
                el.decompose()
            elif (math := el.query_selector("math")) is not None:
                self.formula(math, el, display="Display" in _classes(el) or "display" in _classes(el))
                self.consumed.add(id(math))

    def math_scripts(self, elements) -> None:
        for el in elements:
            if el.parent is None:
                continue
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

    def katex(self, elements) -> None:
        for el in elements:
            if el.parent is None:
                continue
            if (math := el.query_selector("math")) is not None:
                self.formula(math, el, "katex-display" in _classes(el))
                self.consumed.add(id(math))
                self.stats["katex"] += 1

    def mathjax_v3(self, elements) -> None:
        for el in elements:
            if el.parent is not None and (math := el.query_selector("math")) is not None:
                self.formula(math, el, el.getattr("display") == "true")
                self.consumed.add(id(math))
                self.stats["mathjax_v3"] += 1

    def mathml(self, elements) -> None:
        for math in elements:
            if math.parent is None or id(math) in self.consumed:
                continue
            # a formula hidden for screen readers is replaced with its wrapper, where the rendering shows
            target, up = math, math.parent
            for _ in range(3):
                if up is None or up.tag in ("body", "html"):
                    break
                if _hidden(up):
                    target = up
                elif target is not math:
                    break  # `up` is the visible element around the hidden wrapper
                up = up.parent
            around = _classes(target) + " " + (_classes(up) if up is not None and target is not math else "")
            display = math.getattr("display") == "block" or "display" in around.replace("displaystyle", "")
            # Wikipedia: the same formula again as an <img> fallback beside the hidden MathML
            siblings = (target.prev_element, target.next_element) if target is not math else ()
            tex = self.formula(math, target, display)
            for img in siblings:
                if tex and img is not None and img.tag == "img":
                    if img.getattr("alt") == tex or "fallback" in _classes(img):
                        img.decompose()

    def formula(self, math, target, display: bool) -> str | None:
        try:
            tex, converted = tex_of_math(math)
        except MalformedMathML:
            tex, converted = " ".join((math.text or "").split()), False
            self.stats["mathml_malformed"] += 1
        else:
            self.stats["mathml_converted" if converted else "mathml_tex"] += 1
        if not tex:
            target.parent.remove_child(target)
            return None
        _replace(self.tree, target, tex, display)
        return tex

    def images(self, elements) -> None:
        for img in elements:
            src = img.getattr("src") or ""
            alt = (img.getattr("alt") or img.getattr("title") or "").strip()
            if not _tex_image(src, alt, _classes(img)):
                continue
            tex, display = unwrap_tex(alt) if alt else (_tex_from_url(src), None)
            if not tex:
                continue
            neighbours = _neighbours(img)
            if neighbours[0] is None:
                continue
            if display is None:  # an image alone in its paragraph is a displayed formula
                display = _alone(img, *neighbours)
            _replace(self.tree, img, tex, display, neighbours)
            self.stats["tex_image"] += 1

    def scripts_sup_sub(self, elements) -> None:
        for el in elements:
            if el.parent is None or not _script_is_math(el):
                continue
            mark = "^" if el.tag == "sup" else "_"
            el.parent.replace_child(self.tree.create_text_node(f"{mark}{{{' '.join((el.text or '').split())}}}"), el)
            self.stats["sup_sub"] += 1

    def asciimath_backticks(self) -> None:
        for node in list(_text_nodes(self.tree.body or self.tree.document, "`")):
            pieces = split_backticks(node.text or "")
            if not any(is_math for _, is_math in pieces) and "\\`" not in (node.text or ""):
                continue
            text = []
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
                text.append(piece)
            node.text = "".join(text)  # one text node, as the page's own text (see `_replace`)


def _alone(img, parent, before, after) -> bool:
    if (before is not None and before.text.strip()) or (after is not None and after.text.strip()):
        return False  # text beside it: an inline formula, decided without looking further
    return img.prev_element is None and img.next_element is None and parent.tag in ("p", "center", "dd")


def _script_sources(scripts):
    """(src, inline code) per script; inline code only on pages that load MathJax (configs live there), since
    reading every inline script of a page costs more than the extraction."""
    sources = [(el.getattr("src") or "", el) for el in scripts]
    mathjax = any("mathjax" in src.lower() or "x-mathjax-config" in (el.getattr("type") or "") for src, el in sources)
    for src, el in sources:
        yield src, (el.text or "") if mathjax and not src else ""


def _text_nodes(node, needle: str):
    """Text nodes holding `needle` in document order, skipping the subtrees without it (cheap: `.text` is computed
    in C). A stack of sibling cursors, not recursion: pages nest elements thousands deep."""
    stack = [node.first_child]
    while stack:
        child = stack.pop()
        if child is None:
            continue
        stack.append(child.next)  # sibling links: `child_nodes` re-walks the list per item
        if child.type == NodeType.TEXT:
            if needle in (child.text or ""):
                yield child
        elif child.type == NodeType.ELEMENT and child.tag not in _SKIP_TEXT_IN and needle in (child.text or ""):
            stack.append(child.first_child)


def unwrap_tex(tex: str) -> tuple[str, bool | None]:
    """The TeX of one formula written with its delimiters, and whether they display it (None: no delimiters)."""
    tex = tex.strip()
    for opening, closing, display in _DELIMITERS:
        if tex.startswith(opening) and tex.endswith(closing) and len(tex) > len(opening) + len(closing):
            inner = tex[len(opening) : -len(closing)]
            if opening not in inner and closing not in inner:  # one formula, not "$a$ and $b$"
                return inner.strip(), display
            break  # "$$…$$" that is not one formula is no "$…$" either
    if tex.startswith("\\begin{") and (m := _DELIMITING_ENV.fullmatch(tex)) is not None:
        return m.group(2).strip(), m.group(1) != "math"
    return tex, None


def _tex_image(src: str, alt: str, classes: str) -> bool:
    """An image of a formula: a LaTeX-image URL, or TeX in its alt text (by its class, its TeX commands or its
    delimiters)."""
    low = src.lower()
    if ("tex" in low or "cht=tx" in low) and _TEX_IMAGE_URL.search(src) is not None:
        return True
    alt = alt.strip()
    return bool(alt) and (
        _TEX_IMAGE_CLASS.search(classes) is not None
        or _TEX_COMMAND.search(alt) is not None
        or unwrap_tex(alt)[1] is not None
        or ("math/" in low and _MATH_IMAGE_PATH.search(src) is not None)
    )


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


def rewrite_math(tree: HTMLTree, html: str | None = None, kinds: frozenset[str] | None = None) -> Counter:
    """Rewrites every formula of `tree` in place; returns counts per markup kind.

    `html`, the source of `tree`, lets a cheap scan skip the markup kinds the page cannot hold; `kinds`, that
    scan's result (`markup_kinds`) when the caller has it already.
    """
    stats: Counter = Counter()
    if kinds is None:
        kinds = ALL_KINDS if html is None else markup_kinds(html)
    _Rewriter(tree, stats).run(kinds)
    return stats
