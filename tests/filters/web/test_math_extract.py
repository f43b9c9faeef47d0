"""Each markup kind as real pages write it (Wikipedia, WordPress, codecogs forums, MathJax v2/v3, KaTeX,
ASCIIMath tutorials, Q&A comments), and the exact LaTeX that must come out."""

import os
import time

import pytest
from conftest import ListWriter
from datatrove.data import Document

from filters.web.math_extract import MathHtmlExtractor, extract_math_text
from filters.web.mathml import MalformedMathML

FILLER = " ".join(["The lecture continues with a careful discussion of the method and its assumptions."] * 6)


def _page(body: str, head: str = "") -> str:
    article = f"<article><p>{FILLER}</p>{body}<p>{FILLER}</p></article>"
    return f"<html><head><title>t</title>{head}</head><body><nav><a href='/'>Home</a></nav>{article}</body></html>"


@pytest.fixture(params=["resiliparse", "trafilatura"])
def engine(request):
    return request.param


def test_wikipedia_hidden_mathml_is_put_where_the_fallback_image_shows(engine):
    formula = (
        '<span class="mwe-math-element"><span class="mwe-math-mathml-inline mwe-math-mathml-a11y" '
        'style="display: none;"><math xmlns="http://www.w3.org/1998/Math/MathML" '
        'alttext="{\\displaystyle \\sigma ^{2}}">'
        "<semantics><mrow><msup><mi>σ</mi><mn>2</mn></msup></mrow>"
        '<annotation encoding="application/x-tex">{\\displaystyle \\sigma ^{2}}</annotation></semantics></math></span>'
        '<img src="https://wikimedia.org/api/rest_v1/media/math/render/svg/53a5" '
        'class="mwe-math-fallback-image-inline mw-invert" aria-hidden="true" '
        'alt="{\\displaystyle \\sigma ^{2}}"></span>'
    )
    text = extract_math_text(_page(f"<p>The variance {formula} of the sample is small.</p>"), engine=engine)
    assert "The variance ${\\displaystyle \\sigma ^{2}}$ of the sample" in text
    assert text.count("\\sigma") == 1  # the fallback image is not a second copy


def test_mathml_without_annotation_is_converted():
    quadratic = (
        "<math><mrow><mi>a</mi><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo><mi>b</mi><mi>x</mi><mo>+</mo>"
        "<mi>c</mi></mrow></math>"
    )
    roots = (
        '<math display="block"><mi>x</mi><mo>=</mo><mfrac><mrow><mo>&#x2212;</mo><mi>b</mi><mo>&#xB1;</mo>'
        "<msqrt><msup><mi>b</mi><mn>2</mn></msup><mo>&#x2212;</mo><mn>4</mn><mi>a</mi><mi>c</mi></msqrt></mrow>"
        "<mrow><mn>2</mn><mi>a</mi></mrow></mfrac></math>"
    )
    more = (
        "<math><munderover><mo>&#x2211;</mo><mrow><mi>k</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover>"
        "<msub><mi>a</mi><mi>k</mi></msub><mo>&#x2264;</mo><mroot><mi>y</mi><mn>3</mn></mroot>"
        "<mfenced><mi>α</mi><mi>β</mi></mfenced><mover><mi>v</mi><mo>&#x2192;</mo></mover>"
        "<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup><mtext>if</mtext></math>"
    )
    matrix = (
        "<math><mrow><mo>(</mo><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>0</mn></mtd></mtr>"
        "<mtr><mtd><mn>0</mn></mtd><mtd><mn>1</mn></mtd></mtr></mtable><mo>)</mo></mrow></math>"
    )
    text = extract_math_text(_page(f"<p>Roots of {quadratic} are {roots} here, {more} and {matrix}.</p>"))
    assert "Roots of $ax^{2}+bx+c$ are" in text
    assert "\n$$x=\\frac{-b\\pm\\sqrt{b^{2}-4ac}}{2a}$$\n" in text
    assert "$\\sum_{k=1}^{n}a_{k}\\leq\\sqrt[3]{y}\\left(\\alpha,\\beta\\right)\\vec{v}x_{i}^{2}\\text{if}$" in text
    assert "$(\\begin{matrix}1 & 0 \\\\ 0 & 1\\end{matrix})$" in text
    # a letter after a command is spaced from it: `\\pi r`, not `\\pir`
    area = "<math><mi>π</mi><msup><mi>r</mi><mn>2</mn></msup><mo>≤</mo><mi>A</mi></math>"
    assert "Area $\\pi r^{2}\\leq A$ here." in extract_math_text(_page(f"<p>Area {area} here.</p>"))


def test_mathml_that_is_no_xml_is_converted_from_the_dom():
    from resiliparse.parse.html import HTMLTree

    from filters.web.mathml import mathml_to_latex

    # the conversion parses the formula's HTML as XML: an unbound `xlink:` prefix is not XML, `&nbsp;` no XML entity
    math = (
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow xlink:href="#eq"><msup><mi>x</mi><mn>2</mn></msup>'
        "<mo>+</mo><mi>y</mi></mrow><mtext>if&nbsp;a &lt; b</mtext></math>"
    )
    as_xml = math.replace(' xlink:href="#eq"', "")
    for html in (math, as_xml):
        node = HTMLTree.parse(f"<p>{html}</p>").body.query_selector("math")
        assert mathml_to_latex(node) == "x^{2}+y\\text{if a < b}"
    inner_namespace = (
        '<math><mrow xmlns="http://www.w3.org/1998/Math/MathML"><mfrac><mi>a</mi><mi>b</mi></mfrac></mrow></math>'
    )
    assert mathml_to_latex(HTMLTree.parse(inner_namespace).body.query_selector("math")) == "\\frac{a}{b}"


def test_malformed_mathml_keeps_its_text_and_is_counted():
    from collections import Counter

    stats = Counter()
    text = extract_math_text(_page("<p>Broken <math><mfrac><mn>1</mn></mfrac></math> formula.</p>"), stats=stats)
    assert "Broken $1$ formula." in text
    assert stats["mathml_malformed"] == 1
    from resiliparse.parse.html import HTMLTree

    from filters.web.mathml import mathml_to_latex

    with pytest.raises(MalformedMathML, match="mfrac"):
        mathml_to_latex(HTMLTree.parse("<math><mfrac><mn>1</mn></mfrac></math>").body.query_selector("math"))
    deep = "<mrow>" * 5000 + "<mi>x</mi>" + "</mrow>" * 5000
    stats = Counter()
    assert "Deep $x$ end." in extract_math_text(_page(f"<p>Deep <math>{deep}</math> end.</p>"), stats=stats)
    assert stats["mathml_malformed"] == 1


def test_katex_keeps_tex_and_drops_the_rendered_copy(engine):
    katex = (
        '<span class="katex"><span class="katex-mathml"><math><semantics><mrow><msup><mi>a</mi><mn>2</mn></msup>'
        '</mrow><annotation encoding="application/x-tex">a^2+b^2</annotation></semantics></math></span>'
        '<span class="katex-html" aria-hidden="true">RENDERED</span></span>'
    )
    display = f'<span class="katex-display">{katex.replace("a^2+b^2", "c^2")}</span>'
    text = extract_math_text(_page(f"<p>Identity {katex} holds and {display} too.</p>"), engine=engine)
    assert "Identity $a^2+b^2$ holds" in text
    assert "$$c^2$$" in text
    assert "RENDERED" not in text


def test_mathjax_v2_scripts_with_previews_and_display_mode(engine):
    body = (
        '<p>Sum <span class="MathJax_Preview">PREVIEW</span><span class="MathJax" id="MathJax-Element-1-Frame">'
        "<nobr>RENDERED</nobr></span>"
        '<script type="math/tex" id="MathJax-Element-1">\\sum_i x_i</script> and</p>'
        '<script type="math/tex; mode=display">\\int_0^1 f(x)\\,dx</script>'
    )
    text = extract_math_text(_page(body), engine=engine)
    assert "Sum $\\sum_i x_i$ and" in text
    assert "$$\\int_0^1 f(x)\\,dx$$" in text
    assert "PREVIEW" not in text and "RENDERED" not in text


def test_mathjax_v3_container_with_assistive_mathml(engine):
    container = (
        '<mjx-container class="MathJax CtxtMenu_Attached_0" jax="CHTML" display="true">'
        '<mjx-math class="MJX-TEX" aria-hidden="true"><mjx-mi>RENDERED</mjx-mi></mjx-math>'
        '<mjx-assistive-mml unselectable="on" display="block"><math xmlns="http://www.w3.org/1998/Math/MathML" '
        'display="block"><msup><mi>e</mi><mrow><mi>i</mi><mi>π</mi></mrow></msup><mo>+</mo><mn>1</mn><mo>=</mo>'
        "<mn>0</mn></math></mjx-assistive-mml></mjx-container>"
    )
    text = extract_math_text(_page(f"<p>Euler: {container}</p>"), engine=engine)
    assert "$$e^{i\\pi}+1=0$$" in text
    assert "RENDERED" not in text


def test_tex_in_image_alt_title_and_url(engine):
    body = (
        '<p>For <img src="https://s0.wp.com/latex.php?latex=%5Ckappa+%3E+0&amp;bg=ffffff" alt="\\kappa &gt; 0" '
        'class="latex" title="\\kappa &gt; 0"> the flow exists.</p>'
        '<p>Substitute <img align="absmiddle" '
        'src="http://latex.codecogs.com/png.latex?z = \\frac{1}{2}\\sinh \\theta" '
        'alt="z = \\frac{1}{2}\\sinh \\theta" /> now.</p>'
        '<p>Only a URL <img src="https://latex.codecogs.com/gif.latex?x%5E2%2By%5E2"> here.</p>'
        '<p>Zhihu: <img src="https://www.zhihu.com/equation?tex=a%2Bb" alt="a+b" eeimg="1"> is a sum.</p>'
        '<p>A photo <img src="/cat.jpg" alt="my cat"> stays out.</p>'
    )
    text = extract_math_text(_page(body), engine=engine)
    assert "For $\\kappa > 0$ the flow exists." in text
    assert "Substitute $z = \\frac{1}{2}\\sinh \\theta$ now." in text
    assert "Only a URL $x^2+y^2$ here." in text
    assert "Zhihu: $a+b$ is a sum." in text
    assert "my cat" not in text


def test_asciimath_scripts_and_backticks_on_pages_that_load_asciimath(engine):
    head = '<script type="text/javascript" src="javascript/ASCIIMathMLwFallback.js"></script>'
    body = (
        "<p>The roots of `x^2-6x+4=0` are `x=(-b+-sqrt(b^2-4ac))/(2a)`, and `a!=0`.</p>"
        "<p>The \\` key types a backtick.</p>"
        '<p>Also <script type="math/asciimath">sum_(k=1)^n k</script> here.</p>'
        "<pre>code `stays` as is</pre>"
    )
    text = extract_math_text(_page(body, head), engine=engine)
    assert "The roots of ${x}^{2} - 6 x + 4 = 0$ are" in text
    assert "$x = \\frac{- b \\pm \\sqrt{{b}^{2} - 4 a c}}{2 a}$" in text
    assert "$a \\ne 0$" in text
    assert "The ` key types a backtick." in text
    assert "Also ${\\sum}_{k = 1}^{n} k$ here." in text
    # the same backticks on a page without an ASCIIMath renderer are code, not math
    plain = extract_math_text(_page(body.replace('<script type="math/asciimath">sum_(k=1)^n k</script>', "")))
    assert "`x^2-6x+4=0`" in plain


def test_asciimath_in_a_deeply_nested_page():
    head = '<script src="https://cdn.example.org/ASCIIMathML.js"></script>'
    deep = "<div>" * 3000 + "Solve `x^2 = 4` now." + "</div>" * 3000  # deeper than Python's recursion limit
    assert "Solve ${x}^{2} = 4$ now." in extract_math_text(_page(deep, head))


def test_tex_delimiters_on_pages_that_load_mathjax_or_katex(engine):
    # Sphinx (sphinx.ext.mathjax) and Doxygen write TeX between MathJax's delimiters for the browser to typeset
    head = '<script async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
    body = (
        '<p>The Cholesky factor <span class="math notranslate nohighlight">\\(A = LL^*\\)</span> is unique.</p>'
        '<div class="math notranslate nohighlight">\\[\\sum_{k=1}^n k = \\frac{n(n+1)}{2}\\]</div>'
        '<pre>pattern = re.compile(r"\\(\\d+\\)")</pre>'
    )
    text = extract_math_text(_page(body, head), engine=engine)
    assert "The Cholesky factor $A = LL^*$ is unique." in text
    if engine == "resiliparse":  # trafilatura drops text that sits directly in a <div>, math or not
        assert "$$\\sum_{k=1}^n k = \\frac{n(n+1)}{2}$$" in text
    assert 're.compile(r"\\(\\d+\\)")' in text  # code is no math
    # the same text on a page without a renderer is text
    assert "\\(A = LL^*\\)" in extract_math_text(_page(body), engine=engine)


def test_a_page_hidden_until_mathjax_typesets_it_is_read():
    # MathJax's documented way to avoid a flash of raw TeX: the body hidden until a script shows it once typeset
    head = '<script src="https://cdn.mathjax.org/mathjax/latest/MathJax.js?config=TeX-AMS_HTML"></script>'
    body = (
        '<div style="display:none">\\(\\newcommand{\\CC}{\\mathbf{C}}\\)</div>'
        "<div id='hide_page' style='visibility: hidden; margin: 1em'><p>The roots of \\(x^2 - 1\\) are "
        "1 and -1, which the lecture derives in full from the factorisation of the difference of squares.</p></div>"
    )
    text = extract_math_text(_page(body, head))
    assert "The roots of $x^2 - 1$ are 1 and -1" in text
    assert "newcommand" not in text  # display: none stays hidden
    assert "The roots of" not in extract_math_text(_page(body))  # without MathJax, hidden is hidden


def test_formula_images_named_by_their_hash_and_asciimath_loaded_by_a_mathjax_config(engine):
    # sphinx.ext.imgmath: a display formula's <img> carries no class, only its hashed path
    body = (
        '<p>For example:</p><div class="math"><p>'
        '<img src="../../_images/math/0f3c5a9e1d2b4c6a8e7f9b0a1c2d3e4f5a6b7c8d.png" alt="2x + 4y + 9z = 2"/></p></div>'
        '<p>A picture <img src="/static/img/0f3c5a9e1d2b4c6a8e7f.png" alt="our logo"> too.</p>'
    )
    text = extract_math_text(_page(body), engine=engine)
    assert "$$2x + 4y + 9z = 2$$" in text and "our logo" not in text
    head = '<script src="https://cdn.mathjax.org/mathjax/latest/MathJax.js?config=AM_HTMLorMML-full"></script>'
    assert "${x}^{2} = 4$" in extract_math_text(_page("<p>Solve `x^2 = 4` now.</p>", head), engine=engine)


def test_an_inline_formula_joins_the_text_beside_it():
    # as Sphinx imgmath writes them: a closing quote alone before a formula image, two formula images in one line
    body = (
        '<p>There are “<em>numerator parameters</em>”\n<img class="math" src="../_images/math/3c69eb18.png" '
        'alt="a_1, \\ldots, a_n"/> and more.</p>'
        '<dl><dt>logcombine:</dt><dd><p><img class="math" src="../_images/math/4baa116b.png" alt="\\Rightarrow A"/>\n'
        '<img class="math" src="../_images/math/e5e8b23c.png" alt="\\Rightarrow B"/></p></dd></dl>'
    )
    text = extract_math_text(_page(body))
    assert "“numerator parameters” $a_1, \\ldots, a_n$ and more." in text
    assert "$\\Rightarrow A$ $\\Rightarrow B$" in text and "$$" not in text


def test_delimited_tex_in_image_alt_as_latex2html_writes_it(engine):
    # LaTeX2HTML: every formula an image, its alt the source with its delimiters; a display is an environment
    body = (
        '<p>Let <IMG WIDTH="14" HEIGHT="13" ALIGN="BOTTOM" BORDER="0" SRC="img3.png" ALT="$n$"> be odd and '
        '<IMG SRC="img4.png" ALT="\\( a_n \\)"> its terms.</p><P></P><DIV ALIGN="CENTER">'
        '<IMG WIDTH="120" HEIGHT="40" SRC="img5.png" ALT="\\begin{displaymath}\n\\sum_{k=1}^n k\n\\end{displaymath}">'
        '</DIV><p>Then <IMG SRC="img6.png" ALT="$$x^2 + 1$$"> is shown.</p>'
        '<p>Sale: <img src="/sale.png" alt="$5 off today"> ends.</p>'
    )
    text = extract_math_text(_page(body), engine=engine)
    assert "Let $n$ be odd and $a_n$ its terms." in text
    assert "$$\\sum_{k=1}^n k$$" in text and "displaymath" not in text
    assert "$$x^2 + 1$$" in text and "$$$" not in text
    assert "5 off" not in text


def test_sup_sub_only_where_math():
    body = (
        "<p>We have x<sup>2</sup> + a<sub>n</sub> and (a+b)<sup>n</sup> and 10<sup>-3</sup> m.</p>"
        '<p>A claim.<sup class="reference"><a href="#cite_note-1">[1]</a></sup> MATLAB<sup>®</sup> '
        "is on its 2<sup>nd</sup> release, see note <sup>*</sup> and H<sub>2</sub>O.</p>"
    )
    text = extract_math_text(_page(body))
    assert "We have x^{2} + a_{n} and (a+b)^{n} and 10^{-3} m." in text
    assert "A claim.[1] MATLAB® is on its 2nd release, see note * and H_{2}O." in text


def test_comments_are_kept_by_default_and_can_be_dropped():
    body = (
        "<p>How do I integrate this?</p>"
        '<div id="comments" class="comments"><ol class="comment-list"><li class="comment">'
        '<div class="comment-body"><p>Substitute <script type="math/tex">u = \\tan x</script> first.</p>'
        "</div></li></ol></div>"
    )
    assert "Substitute $u = \\tan x$ first." in extract_math_text(_page(body))
    assert "Substitute" not in extract_math_text(_page(body), include_comments=False)


def test_empty_and_xml_declaration(engine):
    assert extract_math_text("", engine=engine) == ""
    assert "careful discussion" in extract_math_text(
        '<?xml version="1.0" encoding="utf-8"?>' + _page(""), engine=engine
    )


def test_unknown_engine_is_an_error():
    with pytest.raises(ValueError, match="resiliparse, trafilatura"):
        MathHtmlExtractor(engine="lynx")


class SlowOrCrashing(MathHtmlExtractor):
    def extract(self, html: str, stats=None) -> str:
        if "HANG" in html:
            time.sleep(30)
        if "CRASH" in html:
            os._exit(1)
        if "RAISE" in html:
            raise ValueError("bad markup")
        return super().extract(html, stats)


def test_extractor_quarantines_bad_pages_and_goes_on():
    writer = ListWriter()
    step = SlowOrCrashing(timeout=2, exclusion_writer=writer, max_bytes=20_000)
    pages = {
        "0": _page("HANG"),
        "1": _page("CRASH"),
        "2": _page("RAISE"),
        "3": "",
        "4": _page("<p>ok <script type='math/tex'>x^2</script></p>"),
        "5": "\x00\x01\x02PK\x03\x04" * 50,
        "6": _page("<p>" + "long " * 5000 + "</p>"),
        "7": "<html><body></body></html>",
    }
    kept = list(step.run(iter(Document(text=html, id=i) for i, html in pages.items())))
    assert [d.id for d in kept] == ["4"] and "ok $x^2$" in kept[0].text
    reasons = {d.id: d.metadata["filter_reason"] for d in writer.docs}
    assert reasons == {
        "0": "extract_timeout",
        "1": "extract_crash",
        "2": "extract_error",
        "3": "extract_empty",
        "5": "extract_binary",
        "6": "extract_too_large",
        "7": "extract_empty",
    }
    assert "bad markup" in next(d for d in writer.docs if d.id == "2").metadata["filter_detail"]
    assert step.stats["total"].total == 8 and step.stats["forwarded"].total == 1
    assert step.stats["math_mathjax_script"].total == 1


# --- the gate: a cheap scan of the raw page that skips markup kinds it cannot hold -------------------------------

GATE_PAGES = {
    "none": "<p>Plain prose with a <a href='/x_y'>link</a> and <img src='/cat_photo_2018.jpg' alt='my_cat_2018'>.</p>",
    "upper": '<P>Area <IMG SRC="/cgi-bin/mimetex.cgi?\\pi r^2" ALT="\\pi r^2"> here.</P>',
    "entity_alt": '<p>Square <img src="/eq/17.png" alt="x&#94;2 + y&#x5f;1"> is it.</p>',
    "gt_in_alt": '<p>Bound <img src="/eq/3.png" alt="a > b^2"> holds.</p>',
    "no_space": '<p>Sum <img src="/eq/4.png"alt="\\sum_k k"class="x"> ok.</p>',
    "class_only": '<p>Let <img class="tex" src="/i/5.png" alt="n!"> be.</p>',
    "delimited_alt": '<p>Let <IMG SRC="img3.png" ALT="$n$"> be odd.</p>',
    "noscript": '<p>See <noscript><img class="latex" alt="\\alpha"></noscript> it.</p>',
    "sup": "<p>We have x<sup>2</sup> and a footnote.<sup>[3]</sup></p>",
    "mathml": "<p>Then <MATH><mi>x</mi><mo>+</mo><mn>1</mn></MATH> grows.</p>",
    "script": '<p>Now <script type="MATH/TEX">y^3</script><script type="math/tex">z_2</script> done.</p>',
    "v3": '<p><mjx-container class="MathJax" jax="CHTML"><mjx-assistive-mml><math><mi>k</mi></math>'
    "</mjx-assistive-mml></mjx-container></p>",
    "asciimath": "<p>Solve `x^2=4` now.</p>",
}


@pytest.mark.parametrize("name", sorted(GATE_PAGES))
def test_gate_changes_nothing_but_the_time(name):
    """The extraction with the gate equals the extraction that walks every candidate (no gate)."""

    from resiliparse.parse.html import HTMLTree

    from filters.web.math_markup import rewrite_math

    head = '<script src="https://cdn.example.org/ASCIIMathML.js"></script>' if name == "asciimath" else ""
    html = _page(GATE_PAGES[name], head)
    gated, everything = HTMLTree.parse(html), HTMLTree.parse(html)
    counts = rewrite_math(gated, html)
    assert counts == rewrite_math(everything)
    assert gated.document.html == everything.document.html
    if name != "none" and name != "noscript":
        assert sum(counts.values()) > 0, "each page above holds math the pre-pass rewrites"


def test_gate_finds_nothing_on_pages_without_math_markup():
    from filters.web.math_markup import markup_kinds

    assert markup_kinds(_page(GATE_PAGES["none"])) == frozenset()
    assert markup_kinds(_page("<p>E = mc<sup>2</sup></p>")) == {"sup"}
    assert markup_kinds(_page(GATE_PAGES["entity_alt"])) == {"img"}
    # backticks are ASCIIMath only on a page that loads a renderer
    assert markup_kinds(_page(GATE_PAGES["asciimath"])) == frozenset()


def test_file_and_user_names_in_alt_texts_are_not_formulas():
    body = (
        '<p>Posted by <img src="/u/9.png" alt="dan_campbell_8a72 profile image"> today '
        '<img src="/i/logo.png" alt="inexhibit_logo_2018"> and '
        '<img src="/eq/1.png" alt="x_i + a_1"> here.</p>'
    )
    text = extract_math_text(_page(body))
    assert "$x_i + a_1$" in text
    assert "dan_campbell" not in text and "inexhibit_logo" not in text


# --- the forked child: crash and hang cost one page, results equal the in-process extraction -----------------------


def _crashy(item):
    if item == "crash":
        os._exit(3)
    if item == "hang":
        time.sleep(30)
    if item == "raise":
        raise KeyError("no such thing")
    return item.upper()


def test_fork_map_reports_each_failure_on_its_item_and_goes_on():
    from filters.web.fork_sandbox import CRASH, ERROR, OK, TIMEOUT, fork_map

    items = ["a", "crash", "b", "hang", "raise", "c", "crash", "crash"]
    start = time.monotonic()
    outcomes = fork_map(_crashy, items, timeout=0.5)
    assert outcomes == [
        (OK, "A"),
        (CRASH, None),
        (OK, "B"),
        (TIMEOUT, None),
        (ERROR, "KeyError: 'no such thing'"),
        (OK, "C"),
        (CRASH, None),
        (CRASH, None),
    ]
    assert time.monotonic() - start < 5  # one timeout, not a hang
    assert fork_map(_crashy, [], timeout=1) == []


def test_step_output_equals_in_process_extraction_across_batches():
    from filters.web.math_markup import rewrite_math  # noqa: F401  (imported before the fork, as a worker would)

    pages = [_page(body, head) for body, head in [
        (GATE_PAGES["upper"], ""),
        (GATE_PAGES["sup"], ""),
        ("<p>CRASH here</p>", ""),
        (GATE_PAGES["asciimath"], '<script src="/js/ASCIIMathML.js"></script>'),
        (GATE_PAGES["script"], ""),
        (GATE_PAGES["none"], ""),
    ]]  # fmt: skip
    writer = ListWriter()
    # batches of two pages and of few characters: a new child per batch, and after the crash
    step = SlowOrCrashing(timeout=5, exclusion_writer=writer, batch_size=2, batch_chars=3 * len(pages[0]))
    kept = list(step.run(iter(Document(text=html, id=str(i)) for i, html in enumerate(pages))))
    assert [d.id for d in kept] == ["0", "1", "3", "4", "5"]
    for doc in kept:
        assert doc.text == extract_math_text(pages[int(doc.id)])
    assert [(d.id, d.metadata["filter_reason"]) for d in writer.docs] == [("2", "extract_crash")]
    assert step.stats["math_asciimath"].total == 1 and step.stats["math_tex_image"].total == 1
