import os
import time

from conftest import ListWriter
from datatrove.data import Document

from filters.math_extract import MathHtmlExtractor, extract_math_text

FILLER = " ".join(["The lecture continues with a careful discussion of the method and its assumptions."] * 6)


def _page(body: str) -> str:
    article = f"<article><p>{FILLER}</p>{body}<p>{FILLER}</p></article>"
    return f"<html><head><title>t</title></head><body>{article}</body></html>"


def test_mathml_tex_annotation_and_alttext():
    text = extract_math_text(
        _page(
            '<p>Inline <math><semantics><mi>x</mi><annotation encoding="application/x-tex">\\frac{a}{b}</annotation>'
            '</semantics></math> and <math alttext="\\sqrt{2}"><mi>y</mi></math> here.</p>'
            '<math display="block"><semantics><mi>z</mi><annotation encoding="application/x-tex">E=mc^2</annotation>'
            "</semantics></math>"
        )
    )
    assert "$\\frac{a}{b}$" in text
    assert "$\\sqrt{2}$" in text
    assert "$$E=mc^2$$" in text


def test_katex_keeps_tex_and_drops_rendered_copy():
    text = extract_math_text(
        _page(
            '<p>Identity <span class="katex"><span class="katex-mathml"><math><semantics><mi>q</mi>'
            '<annotation encoding="application/x-tex">a^2+b^2</annotation></semantics></math></span>'
            '<span class="katex-html">RENDERED</span></span> holds.</p>'
        )
    )
    assert "$a^2+b^2$" in text
    assert "RENDERED" not in text


def test_mathjax_scripts_and_previews():
    text = extract_math_text(
        _page(
            '<p>Sum <span class="MathJax_Preview">PREVIEW</span><script type="math/tex">\\sum_i x_i</script> and</p>'
            '<script type="math/tex; mode=display">\\int_0^1 f</script>'
        )
    )
    assert "$\\sum_i x_i$" in text
    assert "$$\\int_0^1 f$$" in text
    assert "PREVIEW" not in text


def test_sup_sub():
    assert "x^{2} + a_{n}" in extract_math_text(_page("<p>We have x<sup>2</sup> + a<sub>n</sub> always.</p>"))


def test_empty_and_xml_declaration():
    assert extract_math_text("") == ""
    assert "careful discussion" in extract_math_text('<?xml version="1.0" encoding="utf-8"?>' + _page(""))


class SlowOrCrashing(MathHtmlExtractor):
    def extract(self, html: str) -> str:
        if "HANG" in html:
            time.sleep(30)
        if "CRASH" in html:
            os._exit(1)
        if "RAISE" in html:
            raise ValueError("bad markup")
        return super().extract(html)


def test_extractor_quarantines_timeouts_crashes_and_errors_and_goes_on():
    writer = ListWriter()
    step = SlowOrCrashing(timeout=2, exclusion_writer=writer)
    pages = ["HANG", "CRASH", "RAISE", "", "ok"]
    docs = [Document(text=_page(p) if p else "", id=str(i)) for i, p in enumerate(pages)]
    kept = list(step.run(iter(docs)))
    assert [d.id for d in kept] == ["4"]
    reasons = {d.id: d.metadata["filter_reason"] for d in writer.docs}
    assert reasons == {"0": "extract_timeout", "1": "extract_crash", "2": "extract_error", "3": "extract_empty"}
    assert "bad markup" in writer.docs[2].metadata["filter_detail"]
    assert step.stats["total"].total == 5 and step.stats["forwarded"].total == 1
