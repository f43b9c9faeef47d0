"""Small textbook PDFs for tests, written with pymupdf: lines at given indents, running headers, page numbers,
two-column pages. A page is a list of lines; a line is text (body margin), or (indent, text), or
("right", text) for the right-hand column of a two-column page."""

from __future__ import annotations

import pymupdf

LEFT, RIGHT, TOP, STEP = 72, 320, 90, 15


def write_book(path, pages: list[list], headers: list[str] | None = None, size: float = 10) -> None:
    doc = pymupdf.open()
    for n, lines in enumerate(pages, start=1):
        page = doc.new_page(width=612, height=792)
        if headers:
            page.insert_text((LEFT, 40), headers[n - 1], fontsize=8)
        y = {"left": TOP, "right": TOP}
        for line in lines:
            indent, column, text = 0, "left", line
            if isinstance(line, tuple):
                where, text = line
                column, indent = ("right", 0) if where == "right" else ("left", where)
            x = (RIGHT if column == "right" else LEFT) + indent
            if text and max(map(ord, text)) > 0xFF:  # Helvetica has no such glyph: a fallback font (Noto) does
                box = pymupdf.Rect(x, y[column] - size, x + 480, y[column] + 0.5 * size)
                page.insert_htmlbox(box, text, css=f"* {{font-size: {size}px; margin: 0}}", scale_low=1)
            elif text:
                page.insert_text((x, y[column]), text, fontsize=size)
            y[column] += STEP
        page.insert_text((300, 770), str(n), fontsize=8)
    doc.save(path)


def pairs_of(folder, **extract) -> list[tuple[str, str, str]]:
    """(label, question, answer) of every pair with an answer, through the reader and the rules extractor."""
    from factory.pdf_reader import PdfBookReader
    from filters.books.qa_rules import RulesQAExtractor

    docs = list(RulesQAExtractor(**extract).run(PdfBookReader(str(folder)).run()))
    return [(d.metadata["label"], d.text, d.metadata["answer"]) for d in docs if d.metadata["answer"]]
