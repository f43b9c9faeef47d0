"""HTML -> text that keeps math as LaTeX (MegaMath-Web), then trafilatura for the main content."""

from __future__ import annotations

import contextlib
import re

import lxml.html
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.extractors.base import ExtractorSandbox
from datatrove.utils.batching import batched
from datatrove.utils.typeshelper import StatHints

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_TEX_ENCODINGS = ("application/x-tex", "application/x-latex", "tex", "latex")
_MATHJAX_RENDERED = ("MathJax", "MathJax_Display", "MathJax_Preview", "MathJax_SVG", "MathJax_CHTML")


def _has_class(el, name: str) -> bool:
    return name in (el.get("class") or "").split()


def _replace_with_text(el, text: str, display: bool) -> None:
    parent = el.getparent()
    if parent is None:
        return
    span = lxml.html.Element("span")
    span.text = f"$${text}$$" if display else f"${text}$"
    span.tail = el.tail
    parent.replace(el, span)


def _tex_of_math(math) -> str:
    for annotation in math.iter("{*}annotation", "annotation"):
        if (annotation.get("encoding") or "").lower() in _TEX_ENCODINGS and annotation.text:
            return annotation.text.strip()
    if math.get("alttext"):
        return math.get("alttext").strip()
    return " ".join(math.text_content().split())


def math_to_latex(root) -> None:
    """Rewrite, in place, every rendered formula of `root` as `$tex$` / `$$tex$$` text."""
    # KaTeX: the span holds a MathML copy with the TeX source and a visual copy we must not keep
    for el in root.xpath("//span[contains(concat(' ', normalize-space(@class), ' '), ' katex ')]"):
        maths = el.xpath(".//*[local-name()='math']")
        display = el.getparent() is not None and _has_class(el.getparent(), "katex-display")
        target = el.getparent() if display else el
        _replace_with_text(target, _tex_of_math(maths[0]) if maths else el.text_content().strip(), display)
    # MathJax v3 keeps an assistive MathML copy inside <mjx-container>
    for el in root.xpath("//*[local-name()='mjx-container']"):
        maths = el.xpath(".//*[local-name()='math']")
        if maths:
            _replace_with_text(el, _tex_of_math(maths[0]), el.get("display") == "true")
    # MathJax v2: the source is in <script type="math/tex">, the rendered spans are noise
    for el in root.xpath("//*[@class]"):
        if any(_has_class(el, c) for c in _MATHJAX_RENDERED) and el.getparent() is not None:
            el.drop_tree()
    for el in root.xpath("//script[starts-with(@type, 'math/tex')]"):
        _replace_with_text(el, (el.text or "").strip(), "mode=display" in (el.get("type") or ""))
    # plain MathML: TeX annotation, else alttext, else its text
    for el in root.xpath("//*[local-name()='math']"):
        _replace_with_text(el, _tex_of_math(el), el.get("display") == "block")
    for tag, mark in (("sup", "^"), ("sub", "_")):
        for el in root.xpath(f"//{tag}"):
            parent = el.getparent()
            if parent is None:
                continue
            span = lxml.html.Element("span")
            span.text = f"{mark}{{{el.text_content().strip()}}}"
            span.tail = el.tail
            parent.replace(el, span)


def extract_math_text(html: str, favor_precision: bool = False, include_tables: bool = True) -> str:
    import trafilatura

    if not html or not html.strip():
        return ""
    root = lxml.html.document_fromstring(_XML_DECL.sub("", html, count=1))
    math_to_latex(root)
    text = trafilatura.extract(
        root,
        include_comments=False,
        include_tables=include_tables,
        favor_precision=favor_precision,
        deduplicate=False,
        with_metadata=False,
    )
    return text or ""


class MathHtmlExtractor(PipelineStep):
    """Extracts the main text of each page with math kept as LaTeX.

    Extraction runs in datatrove's `ExtractorSandbox` (a child process with a timeout), so a page that
    hangs or kills the extractor is quarantined with its reason and the run goes on. Pages cross to the
    child in small batches to amortise the round trip; a batch that times out or dies is redone page by
    page, so the timeout and the quarantine reason stay per page.
    """

    name = "extract"
    type = "🛢 - EXTRAC"

    def __init__(
        self,
        timeout: float = 10.0,
        favor_precision: bool = False,
        include_tables: bool = True,
        exclusion_writer=None,
        batch_size: int = 16,
    ):
        super().__init__()
        self.timeout = timeout
        self.favor_precision = favor_precision
        self.include_tables = include_tables
        self.exclusion_writer = exclusion_writer
        self.batch_size = batch_size

    def extract(self, html: str) -> str:
        return extract_math_text(html, self.favor_precision, self.include_tables)

    def _extract_batch(self, pages: list[str]) -> list:
        # runs in the sandbox child: exceptions are handed back per page instead of killing the child
        results = []
        for html in pages:
            try:
                results.append(self.extract(html))
            except Exception as e:
                results.append(e)
        return results

    def _outcomes(self, sandbox: ExtractorSandbox, pages: list[str]) -> list[tuple[str, str | None, str | None]]:
        """(text, drop reason, detail) per page."""
        try:
            results = sandbox.process_document(list(pages), self._extract_batch)
        except (TimeoutError, EOFError) as e:
            if len(pages) > 1:
                return [outcome for page in pages for outcome in self._outcomes(sandbox, [page])]
            if isinstance(e, TimeoutError):
                return [("", "extract_timeout", f"no result within {self.timeout}s")]
            return [("", "extract_crash", "the extractor process died on this page")]
        outcomes = []
        for result in results:
            if isinstance(result, Exception):
                outcomes.append(("", "extract_error", f"{type(result).__name__}: {result}"))
            elif not result.strip():
                outcomes.append(("", "extract_empty", None))
            else:
                outcomes.append((result, None, None))
        return outcomes

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with (
            self.exclusion_writer or contextlib.nullcontext() as writer,
            ExtractorSandbox(timeout=self.timeout, warmup_text=[]) as sandbox,
        ):
            for batch in batched(data, self.batch_size):
                with self.track_time("batch"):
                    outcomes = self._outcomes(sandbox, [doc.text for doc in batch])
                for doc, (text, reason, detail) in zip(batch, outcomes, strict=True):
                    self.stat_update(StatHints.total)
                    if reason:
                        self.stat_update(StatHints.dropped, f"dropped_{reason}")
                        if writer:
                            doc.metadata["filter_reason"] = reason
                            if detail:
                                doc.metadata["filter_detail"] = detail[:500]
                            writer.write(doc, rank)
                        continue
                    doc.text = text
                    self.stat_update(StatHints.forwarded)
                    self.update_doc_stats(doc)
                    yield doc
