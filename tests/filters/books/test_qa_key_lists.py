"""A key's list of entries ends where its numbering restarts with no heading between (a table of formulas printed
after the key answers nothing), and in a key numbered "1.2.3." a line like "23." is text (an exponent's digits)."""

from pdf_books import pairs_of, write_book

from filters.books.qa_rules import extract_pairs

EXERCISES = [
    "Chapter 1. Limits",
    "Section 1.6 Limits at Infinity",
    "Exercises 1.6",
    "1. Find the limit of 1/x as x grows without bound.",
    "2. Find the limit of x squared times sin(pi x) as x grows without bound.",
    "3. Find the limit of 3x/(x + 1) as x grows without bound.",
    "4. Find the horizontal asymptote of 2x/(x - 5).",
]
FILLER = ["Body text of the chapter that is no exercise."] * 6


def _answers(paragraphs):
    return {p["label"]: p["answer"] for p in extract_pairs(paragraphs, list(range(len(paragraphs))))}


def test_a_formula_table_after_the_key_answers_nothing():
    key = ["Answers to Exercises", "Section 1.6", "1. 0", "3. 3"]
    table = ["Differentiation Rules", "1. d/dx (cx) = c", "2. d/dx (u + v) = u' + v'", "3. d/dx (c) = 0", "4. x"]
    answers = _answers(EXERCISES + FILLER + key + table)
    assert answers == {"1.6.1": "0", "1.6.2": "", "1.6.3": "3", "1.6.4": ""}
    # the same list after a section heading is that section's key
    answers = _answers(EXERCISES + FILLER + ["Answers to Exercises", "Section 1.5", "1. 7", "Section 1.6"] + table)
    assert answers == {
        "1.6.1": "d/dx (cx) = c",
        "1.6.2": "d/dx (u + v) = u' + v'",
        "1.6.3": "d/dx (c) = 0",
        "1.6.4": "x",
    }


def test_digits_of_an_exponent_in_a_multi_level_key_stay_in_the_entry():
    exercises = [
        "Chapter 1. Counting",
        "Section 1.2 Binomial Coefficients",
        "Exercises",
        "6. What is the coefficient of x12 in (x + 2)15?",
        "7. What is the coefficient of x9 in (x + 1)14 + x3(x + 2)15?",
        "8. How many lattice paths go from (0,0) to (3,3)?",
    ]
    key = [
        "Selected Solutions",
        "Solutions for Section 1.2",
        "1.2.6. Pick 12 of the 15 factors, so the coefficient is C(15, 12) 2",
        "3.",
        "1.2.7. Use the binomial theorem: C(14, 9) + C(15, 6) 2",
        "9.",
        "1.2.8. C(6, 3) = 20.",
    ]
    answers = _answers(exercises + FILLER + key)
    assert answers == {
        "1.2.6": "Pick 12 of the 15 factors, so the coefficient is C(15, 12) 2 3.",
        "1.2.7": "Use the binomial theorem: C(14, 9) + C(15, 6) 2 9.",
        "1.2.8": "C(6, 3) = 20.",
    }


def test_lettered_options_before_the_marked_one_are_options():
    paragraphs = [
        "Multiple Choice Questions",
        "310. A simple pendulum has a period of 1 s. How far from the axis is the mass?",
        "A. 12 cm",
        "B. 25 cm (Correct)",
        "C. 50 cm",
        "311. A sphere spins up from rest. Which statement is true?",
        "(a) It speeds up",
        "(b) It slows down",
        "(c) It stays the same (Correct)",
        "312. Answer the following:",
        "(a) What is the unit of force?",
        "(b) What is the unit of energy?",
        "Answer: (a) N (b) J",
    ]
    pairs = extract_pairs(paragraphs, [1] * len(paragraphs), profile="question_bank")
    assert [(p["label"], p["question"], p["answer"]) for p in pairs] == [
        (
            "310",
            "A simple pendulum has a period of 1 s. How far from the axis is the mass?\nA. 12 cm\nB. 25 cm\nC. 50 cm",
            "B. 25 cm",
        ),
        (
            "311",
            "A sphere spins up from rest. Which statement is true?\nA. It speeds up\nB. It slows down\n"
            "C. It stays the same",
            "C. It stays the same",
        ),
        (
            "312",
            "Answer the following:\n(a) What is the unit of force?\n(b) What is the unit of energy?",
            "(a) N (b) J",
        ),  # noqa: E501
    ]


def test_a_key_entry_that_omits_the_solution_is_no_answer():
    key = ["Answers to Exercises", "Section 1.6", "1. 0", "3. Solution omitted.", "4. Answers will vary."]
    assert _answers(EXERCISES + FILLER + key) == {"1.6.1": "0", "1.6.2": "", "1.6.3": "", "1.6.4": ""}


def test_a_header_with_the_page_number_that_names_the_page_section_is_dropped(tmp_path):
    first = [
        "Chapter 2. Recurrences",
        "Example:",
        "Solve the recurrence a(n) = 6a(n-1) - 9a(n-2) with a(0) = 1 and a(1) = 4.",
        "Solution: The characteristic root is 3, so a(n) = a 3^n + b n 3^n. Now use the initial conditions:",
        "a(0) = 1 = a",
        "a(1) = 4 = 3a + 3b.",
    ]
    second = ["Since a = 1, we find that b = 1/3, and a(n) = 3^n + n 3^(n-1).", "Exercises", "1. Solve it again."]
    # each page's header names its own section and is found nowhere else
    write_book(tmp_path / "book.pdf", [first, second], headers=["2.3 Recurrences\n9", "2.4 Exercises\n10"])
    (label, question, answer) = pairs_of(tmp_path)[0]
    assert label == "Example" and question.startswith("Solve the recurrence")
    assert answer.endswith("we find that b = 1/3, and a(n) = 3^n + n 3^(n-1).") and "Exercises" not in answer


def test_a_further_hint_in_a_key_is_a_hint_and_questions_on_other_items_are_outside_references():
    from datatrove.data import Document

    from filters.books.qa_filters import QARulesFilter

    exercises = ["Chapter 1. Sums", "Section 1.5 Induction", "Exercises", "12. Prove the partial sums stay below 2."]
    key = ["Selected Solutions", "Solutions for Section 1.5", "1.5.12. Further hint: take half the gap."]
    book = exercises + FILLER + key
    pairs = extract_pairs(book, list(range(len(book))))
    assert [(p["label"], p["rule"]) for p in pairs] == [("1.5.12", "key_hint")]

    def verdict(question: str):
        return QARulesFilter().filter(Document(question, "q", metadata={"answer": "42", "rule": "key_solution"}))

    assert verdict("Based on the previous question, give a combinatorial proof of the identity.") == (
        False,
        "outside_reference",
    )
    other_parts = "For which of the parts above does it make sense to count functions?"
    assert verdict(other_parts) == (False, "outside_reference")
    assert verdict("Answer the following: (a) Count the functions. (b) Use the parts above to count injections.")
    assert verdict("How many functions are there from a 3-set to a 2-set?")


def test_an_exercise_group_instruction_goes_with_each_item_of_its_range():
    exercises = [
        "Chapter 1. Limits",
        "Section 1.5 Continuity",
        "Exercises 1.5",
        "1. T/F: A continuous function has no jumps in its graph.",
        "In Exercises 2 – 3, give the intervals on which the given",
        "function is continuous.",
        "2. f(x) = x2 - 3x + 9",
        "3. g(x) = sqrt(x2 - 4)",
        "4. Explain why a polynomial is continuous everywhere.",
    ]
    key = ["Answers to Exercises", "Section 1.5", "1. T", "2. (-inf, inf)", "3. (-inf, -2] and [2, inf)", "4. Sums."]
    book = exercises + ["Chapter 2. Derivatives"] + FILLER + key
    pairs = extract_pairs(book, list(range(len(book))))
    assert [(p["label"], p["question"]) for p in pairs] == [
        ("1.5.1", "T/F: A continuous function has no jumps in its graph."),
        ("1.5.2", "Give the intervals on which the given function is continuous.\nf(x) = x2 - 3x + 9"),
        ("1.5.3", "Give the intervals on which the given function is continuous.\ng(x) = sqrt(x2 - 4)"),
        ("1.5.4", "Explain why a polynomial is continuous everywhere."),
    ]


def test_a_plot_read_as_text_needs_its_figure():
    from filters.books.qa_filters import needs_figure

    assert needs_figure("f(x) = 1/(x + 1)2 (a) lim f(x) (b) lim f(x) . −2 . −1 . 50 . 100 . x . y")
    assert needs_figure("a = 1\n. 0.5 . 1 . 1.5 . 2 .\n0.5\n.\n1\n.\nx\n.\ny")
    assert needs_figure("Find the next term of 2, 6, 18, 54, 162.") is None
    assert needs_figure("Solve x + y = 3 and x - y = 1 for x and y . Then check 1 2 3 4 5 6 7 8.") is None


def test_a_proof_printed_in_an_exercise_is_its_question_and_the_key_answers_it():
    exercises = [
        "Chapter 2. Sequences",
        "Section 2.5 Induction",
        "Exercises",
        "6. What is wrong with the following “proof” that all horses are the same color?",
        "Proof. Let P(n) be the statement that any n horses share one color.\nThen P(n + 1) follows from P(n).\nqed",
        "7. Prove that 2n + 1 < 2^n for all n ≥ 3.",
    ]
    key = ["Selected Solutions", "Solutions for Section 2.5", "6. The base case P(1) was never shown.", "7. Induct."]
    paragraphs = exercises + FILLER + key
    pairs = {p["label"]: p for p in extract_pairs(paragraphs, list(range(len(paragraphs))))}
    assert pairs["2.5.6"]["answer"] == "The base case P(1) was never shown."
    assert pairs["2.5.6"]["rule"] == "key_solution"
    assert "Proof. Let P(n) be the statement" in pairs["2.5.6"]["question"]
    assert pairs["2.5.6"]["question"].endswith("qed")


def test_the_next_number_starts_the_next_item_even_inside_a_paragraph():
    # a fraction's lines, then "28. f(x) = ex" in the same text block: 28 follows 27, so it is the next item
    exercises = ["Chapter 1. Limits", "Section 1.5 Continuity", "Exercises", "27. g(x) =\n1\n1 + x2\n28. f(x) = ex"]
    key = ["Selected Solutions", "Solutions for Section 1.5", "27. (−∞, ∞)", "28. (−∞, ∞)"]
    paragraphs = exercises + FILLER + key
    pairs = extract_pairs(paragraphs, list(range(len(paragraphs))))
    assert [(p["label"], p["question"].split("\n")[0], p["answer"]) for p in pairs] == [
        ("1.5.27", "g(x) = 1 1 + x2", "(−∞, ∞)"),
        ("1.5.28", "f(x) = ex", "(−∞, ∞)"),
    ]
    # a number that does not follow the item's own is text ("... is 12. then")
    one = extract_pairs(["Exercises", "3. The answer is\n12. then divide by 4."], [1, 1])
    assert [p["label"] for p in one] == ["3"]


def test_a_list_numbered_inside_a_question_stays_in_it():
    bank = [
        "330. How does the energy of a standing wave compare to that of a travelling wave?\n⃝Less\n⃝More (Correct)",
        "331. Which of the following waves have the same velocity?",
        "1) y = 2 sin (3x − 6t + 5)\n2) y = 4 sin (3x − 4t − 5)\n3) y = 2 cos (2x − 6t + 5)",
        "⃝1 & 3\n⃝1 & 2 (Correct)",
        "332. Two guitar strings have the same tension. Which is higher?\n⃝String 1\n⃝String 2 (Correct)",
    ]
    pairs = extract_pairs(bank, [1] * len(bank), profile="question_bank")
    assert [p["label"] for p in pairs] == ["330", "331", "332"]
    assert pairs[1]["question"].splitlines() == [
        "Which of the following waves have the same velocity?",
        "1) y = 2 sin (3x − 6t + 5) 2) y = 4 sin (3x − 4t − 5) 3) y = 2 cos (2x − 6t + 5)",
        "A. 1 & 3",
        "B. 1 & 2",
    ]
    assert pairs[1]["answer"] == "B. 1 & 2"


def test_a_footnote_at_the_foot_of_the_page_does_not_end_the_example_it_interrupts():
    paragraphs = [
        "Example:\nAbove we proved that if a + b is odd, then a is odd or b is odd. Is the converse true?",
        "Solution:\nThe converse is false. We want to prove its negation:",
        "¬∀a∀b((O(a) ∨ O(b)) → O(a + b)).",
        "5This is not to say that looking at examples is a waste of time.",  # page 168's footnote
        "Simplify: ∃a∃b((O(a) ∨ O(b)) ∧ ¬O(a + b)). That is easy: 1 and 3 are odd, but 1 + 3 = 4 is not.",
        "Proof by Cases",
    ]
    pages, indents = [168, 168, 168, 168, 169, 169], [18, 18, 130, 0, 18, 0]
    (pair,) = extract_pairs(paragraphs, pages, indents=indents)
    assert pair["answer"].endswith("but 1 + 3 = 4 is not.")
    assert "waste of time" not in pair["answer"] and pair["pages"] == [168, 169]


def test_a_sequence_ending_in_dots_is_text_and_a_contents_line_is_not():
    paragraphs = (
        [
            "Contents",
            "2.1 Definitions . . . . . . . . . . . . . 87",  # a table of contents' leaders
            "Chapter 2. Sequences",
            "Section 2.1 Definitions",
            "Exercises",
            "5. Find a closed formula for the sequence (starting with a1)\n0, 2, 6, 12, 20, . . ..",
            "6. Find the next term of 1, 2, 4, 8, . . . and of 1 + 2 + … + n.",
        ]
        + FILLER
        + ["Selected Solutions", "Solutions for Section 2.1", "5. an = n(n − 1).", "6. 16."]
    )
    pairs = {p["label"]: p for p in extract_pairs(paragraphs, list(range(len(paragraphs))))}
    assert sorted(pairs) == ["2.1.5", "2.1.6"]
    assert pairs["2.1.5"]["question"].endswith("0, 2, 6, 12, 20, . . ..")
    assert pairs["2.1.5"]["answer"] == "an = n(n − 1)."
    assert pairs["2.1.6"]["question"].startswith("Find the next term of 1, 2, 4, 8, . . . and of 1 + 2 + … + n.")


def test_a_tick_label_over_a_title_mid_page_is_no_chapter():
    # a plot's "2" above a title-like line is no chapter opener ("19" over "Circuits" opens a page)
    paragraphs = ["Chapter 1. Limits", "Section 1.1 An Introduction", "Exercises", "1. Find the limit of x as x → 1."]
    paragraphs += ["2", "Finding Limits Analytically", "2. Find the limit of x + 1 as x → 1."] + FILLER
    paragraphs += ["Selected Solutions", "Solutions for Section 1.1", "1. 1", "2. 2"]
    pages = [1, 1, 1, 1, 1, 1, 1] + [2] * len(FILLER) + [3, 3, 3, 3]
    assert {p["label"]: p["answer"] for p in extract_pairs(paragraphs, pages)} == {"1.1.1": "1", "1.1.2": "2"}


def test_an_indented_example_ends_where_its_indent_does_not_at_a_formula_period():
    paragraphs = [
        "Example:\\nProve the identity for the sum of a row.",
        "Solution: Count pizzas with any number of toppings. With 0 toppings there are",
        "C(n, 0)",
        ".",
        "The total is the sum of these, which is the left hand side.",
        "Back in the body of the text, a new topic starts.",
    ]
    (pair,) = extract_pairs(paragraphs, [58] * 6, indents=[18, 18, 150, 150, 18, 0])
    assert pair["answer"].endswith("which is the left hand side.")


def test_givens_for_a_range_of_exercises_go_with_each_of_them():
    # APEX: "Using:" over the values of some limits, then "evaluate the limits given in Exercises 6 – 7"
    paragraphs = ["Chapter 1. Limits", "Section 1.3 Finding Limits", "Exercises"]
    paragraphs += ["5. What can be said about f(x) and g(x) as x approaches 1?", "Using:", "lim x→9 f(x) = 6"]
    paragraphs += ["evaluate the limits given in Exercises 6 – 7, where possible."]
    paragraphs += ["6. lim x→9 (f(x) + g(x))", "7. lim x→9 3f(x)"] + FILLER
    paragraphs += ["Selected Solutions", "Solutions for Section 1.3", "5. They are close.", "6. 9", "7. 18"]
    pairs = {p["label"]: p for p in extract_pairs(paragraphs, list(range(len(paragraphs))))}
    assert pairs["1.3.5"]["question"] == "What can be said about f(x) and g(x) as x approaches 1?"
    assert pairs["1.3.7"]["question"].split("\n")[:2] == [
        "Using: lim x→9 f(x) = 6 evaluate the limits given in Exercises 6 – 7, where possible.",
        "lim x→9 3f(x)",
    ]
    assert pairs["1.3.7"]["answer"] == "18"


def test_a_key_entry_whose_parts_only_hint_is_a_hint():
    paragraphs = ["Chapter 2. Sequences", "Section 2.6 Solving Recurrences", "Exercises"]
    paragraphs += ["13. Prove the following facts about the sequence an = 2an−1 with a0 = 1."] + FILLER
    paragraphs += ["Selected Solutions", "Solutions for Section 2.6"]
    paragraphs += ["13. (a) Hint: use induction.\n(b) Hint: look at the first differences."]
    (pair,) = extract_pairs(paragraphs, list(range(len(paragraphs))))
    assert pair["rule"] == "key_hint"


def test_a_range_named_inside_a_later_item_is_its_text():
    paragraphs = ["Chapter 1. Limits", "Section 1.3 Finding Limits", "Exercises", "9. Find the limit of 1/x at 0."]
    paragraphs += ["Compare your answer with the one-sided limits of Exercises 5 – 7.", "10. Find the limit of x."]
    (nine, ten) = extract_pairs(paragraphs, list(range(len(paragraphs))))
    assert nine["question"].endswith("Compare your answer with the one-sided limits of Exercises 5 – 7.")
    assert ten["question"] == "Find the limit of x."
