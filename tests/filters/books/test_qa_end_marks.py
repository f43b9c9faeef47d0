"""An example's answer ends at its end mark (a tombstone alone or closing a line, a text-layer "qed", a period before
a new sentence); a pair whose only answer is a hint is dropped as `hint_only`."""

from datatrove.data import Document
from pdf_books import pairs_of, write_book

from filters.books.qa_filters import QARulesFilter


def test_an_answer_stops_at_an_end_mark(tmp_path):
    body = [
        "Example 1.1",
        "Find the sum of 2 and 3.",
        "Solution: Adding the two numbers gives 5.",
        "\u220e",
        "The commentary after the example is not part of its solution.",
        "Example 1.2",
        "Prove that the square of an even number is even.",
        "Proof. Write n = 2k, then n squared is 4k squared, which is even. \u25a0",
        "This paragraph talks about the next topic and is no answer.",
        "Example 1.3",
        "Compute the value of x when 2x = 10.",
        "Solution: Dividing by 2,",
        "x = 5",
        ".",
        "Note that the check is easy: twice five is ten.",
        "Example 1.4",
        "Compute the value of y when 3y = 9 and state it.",
        "Solution: Dividing by 3,",
        ".",
        "so y = 3 is the value we want.",
        "qed",
        "Next we turn to other matters entirely.",
        "Example 1.5",
        "List the first terms of the sequence of squares.",
        "Solution: They are 1, 4, 9, . . .",
        "Each is the square of its position in the sequence.",
    ]
    write_book(tmp_path / "book.pdf", [body])
    assert pairs_of(tmp_path) == [
        ("Example 1.1", "Find the sum of 2 and 3.", "Adding the two numbers gives 5."),
        (
            "Example 1.2",
            "Prove that the square of an even number is even.",
            "Write n = 2k, then n squared is 4k squared, which is even.",
        ),
        ("Example 1.3", "Compute the value of x when 2x = 10.", "Dividing by 2, x = 5."),
        # a period before lowercase text is a display formula's: the solution goes on
        (
            "Example 1.4",
            "Compute the value of y when 3y = 9 and state it.",
            "Dividing by 3, . so y = 3 is the value we want.",
        ),
        # an ellipsis is no end mark
        (
            "Example 1.5",
            "List the first terms of the sequence of squares.",
            "They are 1, 4, 9, . . . Each is the square of its position in the sequence.",
        ),
    ]


def test_a_hint_is_not_an_answer():
    keep = QARulesFilter()
    for rule, expected in [("key_hint", (False, "hint_only")), ("inline_hint", (False, "hint_only"))]:
        doc = Document(text="Show that the sum of two odd numbers is even.", id="1", metadata={"rule": rule})
        doc.metadata["answer"] = "Hint: write them as 2k + 1 and 2j + 1."
        assert keep.filter(doc) == expected
    doc = Document(text="Show that the sum of two odd numbers is even.", id="2", metadata={"rule": "key_solution"})
    doc.metadata["answer"] = "Write them as 2k + 1 and 2j + 1; the sum is 2(k + j + 1)."
    assert keep.filter(doc) is True
