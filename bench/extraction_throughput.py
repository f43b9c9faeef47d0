"""Extraction docs/s: our LaTeX-preserving extractor step vs trafilatura alone on the same pages (goal >= 0.8x).

Usage: python bench/extraction_throughput.py [--copies 20]
"""

from __future__ import annotations

import argparse

from _common import best_of, sample_pages
from datatrove.data import Document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()

    import trafilatura

    from filters.math_extract import MathHtmlExtractor

    pages = sample_pages() * args.copies

    def trafilatura_alone():
        for html in pages:
            trafilatura.extract(html, include_comments=False, include_tables=True, deduplicate=False)

    step = MathHtmlExtractor(timeout=30)

    def ours():
        for _ in step.run(Document(text=html, id=str(i)) for i, html in enumerate(pages)):
            pass

    def ours_in_process():
        for html in pages:
            step.extract(html)

    n = len(pages)
    t_base, t_ours, t_inproc = best_of(trafilatura_alone), best_of(ours), best_of(ours_in_process)
    print(f"pages: {n}")
    print(f"trafilatura.extract alone                  : {n / t_base:8.1f} docs/s")
    print(f"MathHtmlExtractor, math->LaTeX in process  : {n / t_inproc:8.1f} docs/s  ({t_base / t_inproc:.2f}x)")
    print(f"MathHtmlExtractor step (sandboxed, timeout): {n / t_ours:8.1f} docs/s")
    print(f"ratio vs trafilatura alone                 : {t_base / t_ours:.2f}x  (goal >= 0.8x)")


if __name__ == "__main__":
    main()
