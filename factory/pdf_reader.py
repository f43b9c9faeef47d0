"""Textbook PDFs -> one document per book: clean paragraphs with their page numbers (pymupdf).

Running headers and footers (lines repeated at the top or bottom of most pages, page numbers
included) are dropped, words hyphenated across lines are joined, and paragraphs are rebuilt from
the layout. Encrypted, corrupt and image-only PDFs come out as flagged documents (`read_error`)
for the quarantine, image-only ones with the reason "needs_ocr".
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter

import pymupdf
from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader

from factory.readers import error_document

_DIGITS = re.compile(r"\d+")
_HYPHEN_END = re.compile(r"(\w)-$")
MIN_CHARS_PER_PAGE = 20  # less text than this on every page: a scan


def _line_key(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.split()).lower())


def page_lines(page) -> list[tuple[float, float, int, str]]:
    """(top, bottom, block number, text) of every text line, in reading order.

    From pymupdf's "blocks" output, which costs little more than plain text; a block's lines share
    its height evenly (only gaps between blocks matter for paragraphs).
    """
    lines = []
    for _x0, y0, _x1, y1, text, number, kind in page.get_text("blocks", sort=True, flags=pymupdf.TEXTFLAGS_TEXT):
        if kind != 0:
            continue
        rows = [row.strip() for row in text.split("\n") if row.strip()]
        height = (y1 - y0) / max(len(rows), 1)
        lines += [(y0 + i * height, y0 + (i + 1) * height, number, row) for i, row in enumerate(rows)]
    return lines


def running_lines(pages: list[list[tuple]], edge: int = 2, share: float = 0.5) -> set[str]:
    """Normalised lines that open or close most pages: running headers, footers, page numbers."""
    if len(pages) < 2:
        return {"#"}
    counts = Counter()
    for lines in pages:
        counts.update({_line_key(t) for *_, t in lines[:edge] + lines[-edge:]})
    return {key for key, n in counts.items() if n >= max(2, share * len(pages))} | {"#"}


def join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if _HYPHEN_END.search(text) and line[:1].islower():
            text = text[:-1] + line  # "accele-" + "rated" -> "accelerated"
        else:
            text = f"{text} {line}" if text else line
    return text


def paragraphs_with_pages(pdf) -> list[tuple[int, str]]:
    pages = [page_lines(page) for page in pdf]
    running = running_lines(pages)
    blocks_are_paragraphs = sum(len(p) for p in pages) > 1.5 * len(
        {(i, b) for i, p in enumerate(pages) for *_, b, _ in p}
    )
    paragraphs: list[tuple[int, list[str]]] = []
    for page_no, lines in enumerate(pages, start=1):
        lines = [
            line
            for j, line in enumerate(lines)
            if not ((j < 2 or j >= len(lines) - 2) and _line_key(line[3]) in running)
        ]
        previous = None
        for top, bottom, block, text in lines:
            height = bottom - top
            new = previous is None and not paragraphs
            if previous is not None:
                gap = top - previous[1]
                new = block != previous[2] if blocks_are_paragraphs else gap > 0.6 * height
            elif paragraphs:
                # across a page break a paragraph goes on only mid-word or mid-sentence
                last = paragraphs[-1][1][-1]
                new = not (_HYPHEN_END.search(last) or (last[-1:] not in ".?!:" and text[:1].islower()))
            if new or not paragraphs:
                paragraphs.append((page_no, [text]))
            else:
                paragraphs[-1][1].append(text)
            previous = (top, bottom, block)
    return [(page, join_lines(lines)) for page, lines in paragraphs]


class PdfBookReader(BaseDiskReader):
    """One document per PDF: `text` is its paragraphs joined by blank lines; `metadata.paragraph_pages`
    holds the page number of each paragraph; `metadata.subject` comes from `subjects` (glob -> subject)
    or `default_subject`."""

    name = "input"

    def __init__(
        self,
        data_folder: str,
        glob_pattern: str | None = None,
        subjects: dict | None = None,
        default_subject: str | None = None,
    ):
        super().__init__(data_folder, glob_pattern=glob_pattern, add_file_path=False)
        self.subjects = subjects or {}
        self.default_subject = default_subject

    def subject_of(self, filepath: str) -> str | None:
        for pattern, subject in self.subjects.items():
            if fnmatch.fnmatch(filepath, pattern) or fnmatch.fnmatch(filepath.rsplit("/", 1)[-1], pattern):
                return subject
        return self.default_subject

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rb") as f:
            content = f.read()
        try:
            pdf = pymupdf.open(stream=content, filetype="pdf")
        except Exception as e:  # pymupdf raises several types for damaged files
            yield error_document(filepath, "corrupt_pdf", f"{type(e).__name__}: {e}", filepath)
            return
        with pdf:
            if pdf.page_count == 0:
                yield error_document(filepath, "corrupt_pdf", "no readable pages", filepath)
                return
            if pdf.needs_pass and not pdf.authenticate(""):
                yield error_document(filepath, "encrypted_pdf", "password-protected: decrypt it first", filepath)
                return
            try:
                paragraphs = paragraphs_with_pages(pdf)
            except Exception as e:
                yield error_document(filepath, "corrupt_pdf", f"{type(e).__name__}: {e}", filepath)
                return
            chars = sum(len(text) for _, text in paragraphs)
            if chars < MIN_CHARS_PER_PAGE * max(pdf.page_count, 1):
                yield error_document(
                    filepath,
                    "needs_ocr",
                    f"{pdf.page_count} pages with {chars} characters of text: an image-only PDF needs OCR first",
                    filepath,
                )
                return
            yield Document(
                text="\n\n".join(text for _, text in paragraphs),
                id=filepath,
                metadata={
                    "source": filepath,
                    "subject": self.subject_of(filepath),
                    "pages": pdf.page_count,
                    "paragraph_pages": [page for page, _ in paragraphs],
                },
            )
