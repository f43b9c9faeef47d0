"""HTML -> main text with math kept as LaTeX (MegaMath-Web): a markup pre-pass, then resiliparse or trafilatura."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from typing import Literal

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from filters.web.asciimath import warm_up as asciimath_warm_up
from filters.web.fork_sandbox import CRASH, ERROR, TIMEOUT, fork_map
from filters.web.typeset_page import prepare_typeset_page

Engine = Literal["resiliparse", "trafilatura"]
ENGINES = ("resiliparse", "trafilatura")


def extract_math_text(
    html: str,
    engine: Engine = "resiliparse",
    include_comments: bool = True,
    include_tables: bool = True,
    favor_precision: bool = False,
    stats: Counter | None = None,
) -> str:
    """The main text of `html` with every formula as `$…$` / `$$…$$`; `stats` gets counts per markup kind.

    resiliparse is MegaMath's fast first pass; trafilatura their cleaner second pass (`favor_precision` is
    trafilatura's). Comments are kept by default: Q&A pages and forums keep their math in them.
    """
    from resiliparse.parse.html import HTMLTree

    from filters.web.math_markup import TYPESET_PAGE, markup_kinds, rewrite_math

    if not html or html.isspace():  # not strip(): a copy of the page
        return ""
    kinds = markup_kinds(html)
    raw_counts = None
    if TYPESET_PAGE in kinds:
        html, raw_counts = prepare_typeset_page(html)
    tree = HTMLTree.parse(html)
    counts = rewrite_math(tree, kinds=kinds)
    if stats is not None:
        stats.update(counts)
        if raw_counts:
            stats.update(raw_counts)
    if engine == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text

        # alt texts off: formula images are already text, other alt texts are captions and logos
        return extract_plain_text(
            tree,
            preserve_formatting=True,
            main_content=True,
            alt_texts=False,
            comments=include_comments,
            skip_elements=None if include_tables else ["table"],
        ).strip()
    if engine == "trafilatura":
        import trafilatura

        text = trafilatura.extract(
            tree.document.html,
            include_comments=include_comments,
            include_tables=include_tables,
            favor_precision=favor_precision,
            deduplicate=False,
            with_metadata=False,
        )
        return (text or "").strip()
    raise ValueError(f"unknown extraction engine {engine!r}: one of {', '.join(ENGINES)}")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # control characters, but tab, newlines and form feed


def _binary(html: str) -> bool:
    head = html[:4096]
    return "\x00" in head or len(_CONTROL.findall(head)) > len(head) // 20


class MathHtmlExtractor(PipelineStep):
    """Extracts the main text of each page with math kept as LaTeX.

    Pages are extracted in forked children (`fork_map`), one per batch of up to `batch_size` pages and
    `batch_chars` characters (a child costs ~10-40 ms to start and warm up), that read the pages from memory
    shared with this process: a page that kills the extractor is quarantined as
    `extract_crash`, one that takes over `timeout` seconds as `extract_timeout`, and the run goes on with the
    next page. Empty, binary and oversized pages are quarantined before they reach the engine.
    """

    name = "extract"
    type = "🛢 - EXTRAC"

    def __init__(
        self,
        timeout: float = 10.0,
        engine: Engine = "resiliparse",
        include_comments: bool = True,
        include_tables: bool = True,
        favor_precision: bool = False,
        max_bytes: int = 8_000_000,
        exclusion_writer=None,
        batch_size: int = 1000,
        batch_chars: int = 100_000_000,
    ):
        super().__init__()
        if engine not in ENGINES:
            raise ValueError(f"unknown extraction engine {engine!r}: one of {', '.join(ENGINES)}")
        self.timeout = timeout
        self.engine = engine
        self.include_comments = include_comments
        self.include_tables = include_tables
        self.favor_precision = favor_precision
        self.max_bytes = max_bytes
        self.exclusion_writer = exclusion_writer
        self.batch_size = batch_size
        self.batch_chars = batch_chars

    def extract(self, html: str, stats: Counter | None = None) -> str:
        return extract_math_text(
            html, self.engine, self.include_comments, self.include_tables, self.favor_precision, stats
        )

    def _extract_page(self, html: str) -> tuple[str, dict]:
        stats = Counter()
        return self.extract(html, stats), dict(stats)

    def _outcomes(self, pages: list[str]) -> list[tuple[str, dict, str | None, str | None]]:
        """(text, markup counts, drop reason, detail) per page."""
        outcomes = []
        for status, result in fork_map(self._extract_page, pages, self.timeout):
            if status == TIMEOUT:
                outcomes.append(("", {}, "extract_timeout", f"no result within {self.timeout}s"))
            elif status == CRASH:
                outcomes.append(("", {}, "extract_crash", "the extractor process died on this page"))
            elif status == ERROR:
                outcomes.append(("", {}, "extract_error", result))
            elif not result[0].strip():
                outcomes.append(("", result[1], "extract_empty", None))
            else:
                outcomes.append((result[0], result[1], None, None))
        return outcomes

    def _precheck(self, html: str) -> tuple[str, str | None] | None:
        if not html or html.isspace():
            return "extract_empty", None
        if len(html) > self.max_bytes:
            return "extract_too_large", f"{len(html)} characters > max_bytes {self.max_bytes}"
        if _binary(html):
            return "extract_binary", "control characters in the first 4 KB: not a text page"
        return None

    def _batches(self, data: DocumentsPipeline):
        batch, chars = [], 0
        for doc in data:
            batch.append(doc)
            chars += len(doc.text)
            if len(batch) >= self.batch_size or chars >= self.batch_chars:
                yield batch
                batch, chars = [], 0
        if batch:
            yield batch

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        _warm_up(self.engine)  # imported once here, not once per child
        with self.exclusion_writer or contextlib.nullcontext() as writer:
            for batch in self._batches(data):
                checks = [self._precheck(doc.text) for doc in batch]
                pages = [doc.text for doc, check in zip(batch, checks, strict=True) if check is None]
                with self.track_time("batch"):
                    extracted = iter(self._outcomes(pages) if pages else [])
                for doc, check in zip(batch, checks, strict=True):
                    text, counts, reason, detail = ("", {}, *check) if check else next(extracted)
                    self.stat_update(StatHints.total)
                    for kind, n in counts.items():
                        self.stat_update(f"math_{kind}", value=n)
                    if "asciimath" in counts or "asciimath_unparsed" in counts:
                        asciimath_warm_up()  # this process builds the translator once, the next children inherit it
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


def _warm_up(engine: Engine) -> None:
    import resiliparse.extract.html2text  # noqa: F401

    import filters.web.math_markup  # noqa: F401

    if engine == "trafilatura":
        import trafilatura  # noqa: F401
