import pymupdf
import pytest

from factory.chunking import chunk_paragraphs
from factory.pdf_reader import PdfBookReader


def _book(path, pages):
    doc = pymupdf.open()
    for n, lines in enumerate(pages, start=1):
        page = doc.new_page()
        page.insert_text((72, 40), "Physics for Everyone", fontsize=8)
        y = 80
        for line in lines:
            if line:
                page.insert_text((72, y), line, fontsize=10)
            y += 16
        page.insert_text((300, 770), str(n), fontsize=8)
    doc.save(path)


@pytest.fixture
def book(tmp_path):
    _book(
        tmp_path / "book.pdf",
        [
            [
                "Chapter 1. Motion",
                "",
                "Velocity is the rate of change of displace-",
                "ment with respect to time.",
                "",
                "Example 1.1. A car moves 10 m in 2 s. What is",
            ],
            ["its speed?", "", "Solution. The speed is 5 m/s."],
            ["Exercises", "", "Exercise 1.1. Define acceleration."],
        ],
    )
    return tmp_path


def test_headers_footers_hyphens_paragraphs_and_pages(book):
    (doc,) = PdfBookReader(str(book), default_subject="physics").run()
    paragraphs = doc.text.split("\n\n")
    assert "Physics for Everyone" not in doc.text
    assert not any(p.strip().isdigit() for p in paragraphs)
    assert "displacement with respect to time." in doc.text
    # a sentence running over a page break stays one paragraph
    assert "Example 1.1. A car moves 10 m in 2 s. What is its speed?" in paragraphs
    assert doc.metadata["paragraph_pages"] == [1, 1, 1, 2, 3, 3]
    assert doc.metadata["subject"] == "physics" and doc.metadata["pages"] == 3


def test_subject_map_by_glob(book):
    (doc,) = PdfBookReader(str(book), subjects={"bo*.pdf": "mechanics"}, default_subject="physics").run()
    assert doc.metadata["subject"] == "mechanics"


def test_bad_pdfs_are_flagged_with_reasons(samples_textbooks):
    docs = {d.id: d for d in PdfBookReader(str(samples_textbooks / "pdfs")).run()}
    assert docs["locked.pdf"].metadata["read_error"] == "encrypted_pdf"
    assert docs["corrupt.pdf"].metadata["read_error"] == "corrupt_pdf"
    assert docs["scanned.pdf"].metadata["read_error"] == "needs_ocr"
    assert "OCR" in docs["scanned.pdf"].metadata["error"]


def test_chunks_respect_paragraphs_and_budget():
    paragraphs = ["word " * 300, "word " * 300, "word " * 300, "word " * 5000]
    ranges = chunk_paragraphs(paragraphs, max_tokens=1000)
    assert ranges == [(0, 2), (2, 3), (3, 4)]
