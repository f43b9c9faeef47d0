"""Reference answers come only from a boxed/marked answer or a single value; anything else has none."""

import pytest
from datatrove.data import Document

from filters.books.reference_answer import ReferenceAnswerStep, last_boxed, reference_answer


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("so we get \\boxed{1} first and \\boxed{\\frac{a}{b}} at last", "\\frac{a}{b}"),
        ("\\boxed{x^{2} + \\{1\\}}", "x^{2} + \\{1\\}"),
        ("Reference Answer: 42 J", "42 J"),
        ("The final answer is 7. We check it by substitution.", "7"),
        ("First the final answer is 3, no wait. The final answer is 5 kg.", "5 kg"),
        ("5 m/s", "5 m/s"),
        ("6.0 x 10^-3 kg", "6.0 x 10^-3 kg"),
        ("KNO3", "KNO3"),
        ("v_f = 12 m/s", "12 m/s"),
        ("Momentum is conserved, so the totals match. Hence the final speed is 3 m/s.", "3 m/s"),
        ("The mass is 1,200 kg.", "1,200 kg"),
        ("Dividing, v = d/t = 120/2 = 60 km/h.", "60 km/h"),
        ("m + n = 25 + 169 = **194**", "194"),
    ],
)
def test_boxed_marked_and_single_values(answer, expected):
    assert reference_answer(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        "x = 3 and y = 4",  # two values: the last one is not "the" answer
        "Solving the system gives x = 3 and y = 4.",
        "Subtracting the equations, x = 3, y = 4.",
        "This is the required result.",  # a sentence, not a value
        "We prove it by induction on n. This is the required result.",
        "Yes, because the force doubles.",
        "Since 2 + 2 = 4, the remainder is 1.",
        "There is no closed form when f(x) = 0 with k = -0.7.",
        "Please format your answer as n x 10^x where n is to 2 decimal places.",
        "",
    ],
)
def test_anything_else_has_no_reference(answer):
    assert reference_answer(answer) is None


def test_unbalanced_box_is_not_an_answer():
    assert last_boxed("\\boxed{\\frac{1}{2}") is None


def test_rows_without_a_reference_are_dropped_with_a_reason():
    step = ReferenceAnswerStep()
    kept = Document(text="q", id="1", metadata={"answer": "So x = 3 and y = 4, which gives \\boxed{(3, 4)}."})
    assert step.filter(kept) is True and kept.metadata["reference_answer"] == "(3, 4)"
    dropped = Document(text="q", id="2", metadata={"answer": "x = 3 and y = 4"})
    assert step.filter(dropped) == (False, "no_reference_answer")
    assert "reference_answer" not in dropped.metadata
