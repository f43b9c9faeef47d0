"""A worked example's "Solution" heading drawn in a font without a Unicode map (its text layer reads Latin-1 glyphs,
as APEX Calculus's small-caps heading does) is read as a solution heading only where it looks like one."""

import pymupdf
from pdf_books import pairs_of

GARBLED = "S\u00ca\u00bd\u00e7\u00e3\u00ae\u00ca\u00c4"  # what such a heading's glyphs come out as


def _write(path, lines) -> None:
    """lines: (text, font, size) or None for a blank line (a new block)."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    y = 90
    for line in lines:
        if line:
            text, font, size = line
            page.insert_text((72, y), text, fontname=font, fontsize=size)
        y += 15 if line else 22
    doc.save(path)


def _example(heading, font="hebo", size=9, number=1) -> list:
    return [
        (f"Example {number}", "helv", 10),
        ("Find the limit of 3x + 1 as x approaches 2 from either side.", "helv", 10),
        None,
        (heading, font, size),
        ("The function is continuous, so the limit is 3 times 2 plus 1, which is 7.", "helv", 10),
        ("This is the value of the function at 2.", "helv", 10),
    ]


def test_bold_unmapped_heading_after_an_example_is_its_solution(tmp_path):
    _write(tmp_path / "book.pdf", _example(GARBLED))
    assert pairs_of(tmp_path) == [
        (
            "Example 1",
            "Find the limit of 3x + 1 as x approaches 2 from either side.",
            "The function is continuous, so the limit is 3 times 2 plus 1, which is 7. "
            "This is the value of the function at 2.",
        )
    ]


def test_unmapped_text_that_is_not_a_solution_heading_stays_text(tmp_path):
    # not bold, or a title-sized line, or not after an example: no solution heading
    for n, lines in enumerate(
        [
            _example(GARBLED, font="helv"),
            _example(GARBLED, size=24),
            [line for line in _example(GARBLED) if not line or line[0] != "Example 1"],
        ]
    ):
        (tmp_path / str(n)).mkdir()
        _write(tmp_path / str(n) / "book.pdf", lines)
        assert pairs_of(tmp_path / str(n)) == [], n


def test_every_example_of_a_book_keeps_its_unmapped_heading(tmp_path):
    # the heading's glyphs are read from spans once, then recognised by their text for the rest of the book
    _write(tmp_path / "book.pdf", _example(GARBLED) + [None] + _example(GARBLED, number=2))
    assert [label for label, _, _ in pairs_of(tmp_path)] == ["Example 1", "Example 2"]
