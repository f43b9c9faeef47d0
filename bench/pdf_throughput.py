"""PDF stage pages/s: PdfBookReader (headers, columns, hyphens, text check) vs raw `page.get_text()` (goal >= 0.9x).

Usage: python bench/pdf_throughput.py [--copies 20] [--real]   (--real: the books in ../shared/realdata/textbooks)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _common import ROOT, best_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--real", action="store_true")
    args = parser.parse_args()

    import sys

    import pymupdf

    sys.path.insert(0, str(ROOT / "samples"))
    from make_textbooks import write_textbooks

    from factory.pdf_reader import PdfBookReader

    tmp = Path(tempfile.mkdtemp())
    write_textbooks(tmp / "src")
    books = tmp / "books"
    books.mkdir()
    for copy in range(args.copies):
        for pdf in (tmp / "src" / "pdfs").glob("*-*.pdf"):  # the two real books
            shutil.copy(pdf, books / f"{copy:03d}-{pdf.name}")
    if args.real:
        books = ROOT.parent / "shared" / "realdata" / "textbooks"
    files = sorted(books.glob("*.pdf"))
    pages = sum(pymupdf.open(f).page_count for f in files)

    def raw():
        for f in files:
            with pymupdf.open(f) as doc:
                for page in doc:
                    page.get_text()

    reader = PdfBookReader(str(books))

    def ours():
        for _ in reader.run():
            pass

    t_raw, t_ours = best_of(raw), best_of(ours)
    print(f"PDFs: {len(files)}, pages: {pages}")
    print(f"raw page.get_text()   : {pages / t_raw:8.1f} pages/s")
    print(f"PdfBookReader         : {pages / t_ours:8.1f} pages/s")
    print(f"ratio                 : {t_raw / t_ours:.2f}x  (goal >= 0.9x)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
