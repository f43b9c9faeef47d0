"""Extraction docs/s on the sample crawl: our LaTeX-keeping step against resiliparse alone (goal >= 0.7x) and
trafilatura alone. The real-page figures are bench/math_web_real.py's; this one needs no real data.

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
    from resiliparse.extract.html2text import extract_plain_text

    from filters.web.math_extract import MathHtmlExtractor, extract_math_text

    pages = sample_pages() * args.copies
    step = MathHtmlExtractor(timeout=30)

    def ours_step():
        for _ in step.run(Document(text=html, id=str(i)) for i, html in enumerate(pages)):
            pass

    timings = {
        "resiliparse alone (main content)": best_of(lambda: [extract_plain_text(p, main_content=True) for p in pages]),
        "trafilatura alone": best_of(lambda: [trafilatura.extract(p, include_tables=True) for p in pages], 1),
        "ours in process": best_of(lambda: [extract_math_text(p) for p in pages]),
        "ours, datatrove step (forked child)": best_of(ours_step),
    }
    n, base = len(pages), timings["resiliparse alone (main content)"]
    print(f"pages: {n}")
    for label, t in timings.items():
        print(f"{label:38s}: {n / t:8.1f} docs/s  {base / t:5.2f}x resiliparse alone")


if __name__ == "__main__":
    main()
