import pymupdf
import pytest

from factory.chunking import chunk_paragraphs
from factory.pdf_reader import PdfBookReader, order_blocks


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
    # paragraphs end at page breaks (the extractor carries an item over them) and keep their page
    assert paragraphs[2:4] == ["Example 1.1. A car moves 10 m in 2 s. What is", "its speed?"]
    assert doc.metadata["paragraph_pages"] == [1, 1, 1, 2, 2, 3, 3]
    assert doc.metadata["subject"] == "physics" and doc.metadata["pages"] == 3


def test_subject_map_by_glob(book):
    (doc,) = PdfBookReader(str(book), subjects={"bo*.pdf": "mechanics"}, default_subject="physics").run()
    assert doc.metadata["subject"] == "mechanics"


def test_bad_pdfs_are_flagged_with_reasons(samples_textbooks):
    docs = {d.id: d for d in PdfBookReader(str(samples_textbooks / "pdfs")).run()}
    assert docs["locked.pdf"].metadata["read_error"] == "encrypted_pdf"
    assert docs["corrupt.pdf"].metadata["read_error"] == "corrupt_pdf"
    assert docs["truncated.pdf"].metadata["read_error"] == "truncated_pdf"
    assert docs["empty.pdf"].metadata["read_error"] == "empty_file"
    assert docs["not-a-book.pdf"].metadata["read_error"] == "not_pdf"
    assert docs["scanned.pdf"].metadata["read_error"] == "needs_ocr"
    assert "OCR" in docs["scanned.pdf"].metadata["error"]


def test_chunks_respect_paragraphs_and_budget():
    paragraphs = ["word " * 300, "word " * 300, "word " * 300, "word " * 5000]
    ranges = chunk_paragraphs(paragraphs, max_tokens=1000)
    assert ranges == [(0, 2), (2, 3), (3, 4)]


def test_running_headers_per_chapter_unicode_hyphens_and_two_columns(tmp_path):
    from pdf_books import write_book

    headers = ["1.1. Counting"] * 3 + ["2.3. Graphs"] * 3
    left = ["Exercises", "1. First left item, which con\u2010", "tinues here.", "2. Second left item."]
    right = [("right", "3. First right item."), ("right", "4. Second right item.")]
    pages = [left + right] + [[f"Body text of page {n} in a chapter."] for n in range(2, 7)]
    write_book(tmp_path / "cols.pdf", pages, headers=headers)
    (doc,) = PdfBookReader(str(tmp_path)).run()
    assert "Counting" not in doc.text and "Graphs" not in doc.text  # both running headers, each on 3 pages
    assert "which continues here." in doc.text  # U+2010 hyphen joined
    order = [doc.text.index(s) for s in ("1. First", "2. Second", "3. First", "4. Second")]
    assert order == sorted(order)  # left column, then right column


def test_garbled_text_layer_is_quarantined_with_its_share(tmp_path):
    doc = pymupdf.open()
    for _ in range(3):  # digits from a private font encoding come out as Coptic letters
        doc.new_page().insert_htmlbox(
            pymupdf.Rect(72, 72, 500, 300), "Exercise \u2c81.\u2c83. Compute \u2c85\u2c87 + \u2c89 = \u2c8b\u2c8d."
        )
    doc.save(tmp_path / "garbled.pdf")
    (bad,) = PdfBookReader(str(tmp_path)).run()
    assert bad.metadata["read_error"] == "garbled_text"
    assert "3 of 3 pages" in bad.metadata["error"] and "% of the glyphs are unexpected" in bad.metadata["error"]


LINES = "a line of column text\n" * 3  # three lines of prose: what makes a column
LEFT1, LEFT3, RIGHT2, RIGHT4 = (f"{n}. {LINES}" for n in ("1", "3", "2", "4"))


def test_a_lone_glyph_left_of_the_middle_is_not_a_column():
    # a radical sign drawn as its own block just left of the middle; the stream puts the line's tail after the
    # next example's label
    blocks = [
        (126, 242, 522, 265, "lowest terms, a contradiction. Thus"),
        (298, 248, 306, 256, "√"),
        (126, 310, 171, 321, "Example:"),
        (306, 257, 522, 265, "2 is irrational. qed"),
    ]
    assert [b[4] for b in order_blocks(blocks, 612)] == [
        "lowest terms, a contradiction. Thus",
        "√",
        "2 is irrational. qed",
        "Example:",
    ]
    # two real columns of text are read column by column
    columns = [
        (72, 100, 290, 140, LEFT1),
        (320, 100, 540, 140, RIGHT4),
        (72, 150, 290, 160, "2. left"),
    ]
    assert [b[4] for b in order_blocks(columns, 612)] == [LEFT1, "2. left", RIGHT4]


def test_a_line_tail_right_of_the_middle_stays_on_its_line():
    # a key line split at a binomial's bracket glyphs: its tails start where the line's head ends, right of the
    # middle; tails are no column, so this single-column key keeps the stream's order
    key = [
        (100, 100, 300, 114, "1.8.11. With repeated letters allowed: (8 5)"),
        (300, 100, 420, 114, "55213. Without repeats: (8 5)\nC(8, 5) 5! P(21, 3) as the\nanswer to the second part\n"),
        (420, 101, 471, 113, "5!P(21, 3)."),
        (
            100,
            125,
            290,
            139,
            "1.8.12. (a) (5 2) ways to pick\n(b) the next part of the key\n(c) and a third part of it\n",
        ),
    ]
    assert [b[4] for b in order_blocks(key, 612)] == [b[4] for b in key]
    # on a two-column page, a tail goes right after its line's head, whichever column it falls in
    page = [
        (72, 100, 290, 140, LEFT1),
        (320, 100, 540, 140, RIGHT2),
        (72, 150, 400, 160, "A full-width line with its"),
        (400, 150, 460, 160, "tail"),
        (72, 170, 290, 200, LEFT3),
        (320, 170, 540, 200, RIGHT4),
    ]
    assert [b[4] for b in order_blocks(page, 612)] == [
        LEFT1,
        RIGHT2,
        "A full-width line with its",
        "tail",
        LEFT3,
        RIGHT4,
    ]


def test_display_formula_pieces_right_of_the_middle_are_no_column():
    # an equation chain set in pieces ("2" under each fraction bar) across the middle of a one-column page, in the
    # stream's order: pieces of display math are no lines of a column
    blocks = [
        (126, 385, 351, 392, "by the induction hypothesis. Now simplify the left hand side:\n"),
        (145, 407, 182, 418, "k(k + 1)\n"),
        (160, 407, 270, 431, "2\n+ k + 1 = k(k + 1)\n"),
        (249, 407, 321, 431, "2\n+ 2(k + 1)\n"),
        (300, 407, 422, 431, "2\n= k(k + 1) + 2(k + 1)\n"),
        (376, 407, 500, 431, "2\n= (k + 2)(k + 1)\n"),
        (466, 414, 504, 431, "2\n.\n"),
        (126, 442, 522, 468, "Thus P(k + 1) is true, so by the principle of mathematical\ninduction P(n) is true.\n"),
        (
            72,
            480,
            290,
            520,
            "A closing note set in the left half of the page\nthat runs over three lines of\nprose.\n",
        ),
    ]
    assert [b[4] for b in order_blocks(blocks, 612)] == [b[4] for b in blocks]
