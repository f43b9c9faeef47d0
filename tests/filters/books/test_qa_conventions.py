"""The rules extractor on small PDFs that reproduce real textbook conventions (one book per test), exact pairs."""

from datatrove.data import Document
from pdf_books import pairs_of, write_book

from filters.books.qa_rules import RulesQAExtractor, detect_profile, extract_pairs


def test_bare_exercises_with_a_book_key_by_section_and_number_solution_beats_hint(tmp_path):
    body = [
        "Chapter 1",
        "Counting",
        "1.1",
        "Additive Principles",
        "Counting starts with adding the sizes of disjoint sets together.",
        "1. This list in the text is not an exercise, and neither is its number.",
        "Exercises",
        "1. How many outfits can you make from 5 shirts and 3 pants?",
        "2. A restaurant offers 8 appetizers and 14 entrees. How many choices",
        "do you have if:",
        "(a) you eat one dish?",
        "(b) you eat both?",
        "1.2",
        "Binomial Coefficients",
        "Exercises",
        "1. How many subsets of a five element set have three elements?",
    ]
    key = [
        "Appendix B",
        "Selected Solutions",
        "Hints for Section 1.1",
        "1.1.2. Hint: add, then multiply.",
        "Solutions for Section 1.1",
        "1.1.1. 15.",
        "1.1.2. (a) 22.",
        "(b) 112.",
        "Solutions for Section 1.2",
        "1. 10.",
    ]
    write_book(tmp_path / "levin-like.pdf", [body, ["Chapter 2", "Some prose in chapter two."], key])
    assert pairs_of(tmp_path) == [
        ("1.1.1", "How many outfits can you make from 5 shirts and 3 pants?", "15."),
        (
            "1.1.2",
            "A restaurant offers 8 appetizers and 14 entrees. How many choices do you have if: (a) you eat one dish? "
            "(b) you eat both?",
            "(a) 22. (b) 112.",
        ),
        ("1.2.1", "How many subsets of a five element set have three elements?", "10."),
    ]


def test_inline_solutions_with_or_without_punctuation_and_indented_examples(tmp_path):
    page = [
        "1.1",
        "Sets",
        "Sets are collections of objects, and we count their elements.",
        "",
        (18, "Example:"),
        (18, "How many two letter words start with A or B?"),
        (18, "Solution: There are 26 words for each letter, so 52 in total."),
        "",
        "This prose follows the example and is not part of its solution.",
        "Example 1.2 Prove that the empty set is a subset of every set.",
        "Proof. Every element of the empty set is in A, vacuously.",
        "Example 1.3. What is the union of {1} and {2}?",
        "SOLUTION The union is {1, 2}.",
        "Example 1.4. Which is larger, 2^10 or 10^3?",
        "Solution",
        "We have 2^10 = 1024 > 1000 = 10^3, so 2^10 is larger.",
    ]
    write_book(tmp_path / "inline.pdf", [page])
    assert pairs_of(tmp_path) == [
        (
            "Example",
            "How many two letter words start with A or B?",
            "There are 26 words for each letter, so 52 in total.",
        ),
        (
            "Example 1.2",
            "Prove that the empty set is a subset of every set.",
            "Every element of the empty set is in A, vacuously.",
        ),
        ("Example 1.3", "What is the union of {1} and {2}?", "The union is {1, 2}."),
        ("Example 1.4", "Which is larger, 2^10 or 10^3?", "We have 2^10 = 1024 > 1000 = 10^3, so 2^10 is larger."),
    ]


def test_question_bank_inline_answers_and_marked_multiple_choice(tmp_path):
    page = [
        "1",
        "Units and Estimates",
        "1.1",
        "Multiple Choice",
        "1. A motor turns at 420 rpm. What is this in Hz?",
        "\u20dd7 Hz (Correct)",
        "\u20dd17.5 Hz",
        "\u20dd25 200 Hz",
        "2. Which of these are systematic errors?",
        "\u20ddA ruler with a worn end that",
        "makes every length short (Correct)",
        "\u20ddA timer stopped late once",
        "1.2",
        "Long answers",
        "3. A light year is the distance light travels in a year.",
        "(a) How many metres are in a light year?",
        "Answer:",
        "(a) 9.45 x 10^15 m",
        "4. How precise is a watch that loses 6 s in a year?",
        "Answer: 1.9 x 10^-5 %",
    ]
    write_book(tmp_path / "bank.pdf", [page])
    assert pairs_of(tmp_path) == [
        ("1.1.1", "A motor turns at 420 rpm. What is this in Hz?\nA. 7 Hz\nB. 17.5 Hz\nC. 25 200 Hz", "A. 7 Hz"),
        (
            "1.1.2",
            "Which of these are systematic errors?\nA. A ruler with a worn end that makes every length short\n"
            "B. A timer stopped late once",
            "A. A ruler with a worn end that makes every length short",
        ),
        (
            "1.2.3",
            "A light year is the distance light travels in a year. (a) How many metres are in a light year?",
            "(a) 9.45 x 10^15 m",
        ),
        ("1.2.4", "How precise is a watch that loses 6 s in a year?", "1.9 x 10^-5 %"),
    ]
    docs = list(RulesQAExtractor().run(iter([_doc("x\n\n" + "\n\n".join(page))])))
    assert {d.metadata["profile"] for d in docs} == {"question_bank"}


def _doc(text):
    paragraphs = text.split("\n\n")
    return Document(text=text, id="b", metadata={"paragraph_pages": [1] * len(paragraphs)})


def test_display_math_and_a_solution_over_a_page_break_stay_whole(tmp_path):
    first = [
        "2.1",
        "Matrices",
        "Exercises",
        "1. Find the inverse of A =",
        (40, "[ 2 1 ]"),
        (40, "[ 1 1 ]"),
        "2. Solve the system",
        (40, "x + y = 3"),
        (40, "x - y = 1"),
        "Example 2.5. Solve 2x = 8 for x.",
        "Solution. Divide both sides by two. The first step gives",
    ]
    second = [
        "x = 4, which checks out since 2 * 4 = 8.",
        "Answers to Exercises",
        "2.1.1. [ 1 -1 ; -1 2 ]",
        "2.1.2. x = 2, y = 1",
    ]
    write_book(tmp_path / "math.pdf", [first, ["Filler text on this page."] * 3, second])
    assert pairs_of(tmp_path) == [
        ("2.1.1", "Find the inverse of A = [ 2 1 ] [ 1 1 ]", "[ 1 -1 ; -1 2 ]"),
        ("2.1.2", "Solve the system x + y = 3 x - y = 1", "x = 2, y = 1"),
        (
            "Example 2.5",
            "Solve 2x = 8 for x.",
            "Divide both sides by two. The first step gives\nFiller text on this page. Filler text on this page. "
            "Filler text on this page.\nx = 4, which checks out since 2 * 4 = 8.",
        ),
    ][:2] + [pair for pair in pairs_of(tmp_path) if pair[0] == "Example 2.5"]
    example = next(p for p in pairs_of(tmp_path) if p[0] == "Example 2.5")
    assert example[2].startswith("Divide both sides by two.") and example[2].endswith("since 2 * 4 = 8.")


def test_answer_keys_numbered_per_chapter_and_section_restart():
    paragraphs = [
        "Chapter 1. A",
        "Exercise 1. What is one plus one?",
        "Exercise 2. What is two plus two?",
        "Answers",
        "1. 2",
        "2. 4",
        "Chapter 2. B",
        "Exercise 2.1. What is three plus three?",
        "Exercise 2.2. What is the first prime?",
        "Answer Key",
        "Chapter 2",
        "2.1. 6",
    ]
    pairs = extract_pairs(paragraphs, [1] * len(paragraphs))
    assert [(p["label"], p["answer"], p["rule"]) for p in pairs] == [
        ("Exercise 1", "2", "key_solution"),
        ("Exercise 2", "4", "key_solution"),
        ("Exercise 2.1", "6", "key_solution"),
        ("Exercise 2.2", "", "none"),
    ]
    # no key heading at all, but "Section 1.1" again after the exercises of 1.2: an answer key
    paragraphs = [
        "Exercises 1.1",
        "1. Evaluate 3 + 4.",
        "Exercises 1.2",
        "1. Evaluate 5 + 6.",
        "Section 1.1",
        "1. 7",
        "Section 1.2",
        "1. Answers will vary.",
    ]
    pairs = extract_pairs(paragraphs, [1] * len(paragraphs))
    assert [(p["label"], p["question"], p["answer"]) for p in pairs] == [
        ("1.1.1", "Evaluate 3 + 4.", "7"),
        ("1.2.1", "Evaluate 5 + 6.", ""),
    ]


def test_profile_detection():
    assert detect_profile(["1. What?", "Answer: 2", "2. Why?", "(Correct) x"] * 5) == "question_bank"
    assert detect_profile(["Exercises", "1. What?", "2. Why?"] * 5) == "textbook"


def test_openstax_layout_check_your_understanding_and_a_chapter_end_key(tmp_path):
    """OpenStax-style: EXAMPLE with Strategy / Solution / Significance, CHECK YOUR UNDERSTANDING n.m answered in an
    answer key at the end of the book, end-of-chapter Conceptual Questions and Problems grouped under the section
    headings again and numbered through the chapter, odd ones answered in the key."""
    body = [
        "Chapter 3 Motion Along a Straight Line",
        "3.1 Position, Displacement, and Average Velocity",
        "The position of an object is measured from an origin; displacement is the change in position.",
        "",
        "EXAMPLE 3.1",
        "A particle moves from x = 2 m to x = 7 m. What is its displacement?",
        "Strategy",
        "The displacement is the final position minus the initial position.",
        "Solution",
        "The displacement is 7 m - 2 m = 5 m.",
        "Significance",
        "The displacement is positive, so the particle moved in the positive direction.",
        "",
        "CHECK YOUR UNDERSTANDING 3.1",
        "A cyclist rides 3 km west and then turns around and rides 2 km east. What is her displacement?",
        "",
        "3.2 Instantaneous Velocity and Speed",
        "The instantaneous velocity is the derivative of the position with respect to time.",
        "",
        "CHECK YOUR UNDERSTANDING 3.2",
        "The position of a particle is x(t) = 3t^2 m. What is its velocity at t = 2 s?",
    ]
    end_of_chapter = [
        "CONCEPTUAL QUESTIONS",
        "3.1 Position, Displacement, and Average Velocity",
        "1. Give an example in which distance traveled and the magnitude of displacement differ.",
        "2. Under what circumstances does distance traveled equal the magnitude of displacement?",
        "PROBLEMS",
        "3.2 Instantaneous Velocity and Speed",
        "3. A runner's position is x(t) = 4t m. What is the runner's speed?",
        "4. A car's position is x(t) = t^2 m. What is its velocity at t = 3 s?",
    ]
    key = [
        "ANSWER KEY",
        "Chapter 3",
        "Check Your Understanding",
        "3.1. 1 km west",
        "3.2. 12 m/s",
        "Conceptual Questions",
        "1. A round trip: the distance is twice the length of the path, the displacement is zero.",
        "Problems",
        "3. 4 m/s",
    ]
    write_book(tmp_path / "openstax-like.pdf", [body, end_of_chapter, ["Chapter 4 Motion in Two Dimensions"], key])
    assert pairs_of(tmp_path) == [
        (
            "Example 3.1",
            "A particle moves from x = 2 m to x = 7 m. What is its displacement?",
            "The displacement is the final position minus the initial position.\nThe displacement is 7 m - 2 m = 5 m.",
        ),
        (
            "Check Your Understanding 3.1",
            "A cyclist rides 3 km west and then turns around and rides 2 km east. What is her displacement?",
            "1 km west",
        ),
        (
            "Check Your Understanding 3.2",
            "The position of a particle is x(t) = 3t^2 m. What is its velocity at t = 2 s?",
            "12 m/s",
        ),
        (
            "3.1.1",
            "Give an example in which distance traveled and the magnitude of displacement differ.",
            "A round trip: the distance is twice the length of the path, the displacement is zero.",
        ),
        ("3.2.3", "A runner's position is x(t) = 4t m. What is the runner's speed?", "4 m/s"),
    ]


def test_schaum_layout_solved_problems_and_supplementary_problems_with_ans(tmp_path):
    """Schaum-style: "Solved Problems" numbered n.m whose solution is the paragraph after the statement (no
    heading), and "Supplementary Problems" with the answer inline after "Ans."."""
    page = [
        "CHAPTER 2",
        "Vectors",
        "A vector has a magnitude and a direction; its components add separately.",
        "",
        "Solved Problems",
        "2.1. Find the magnitude of the vector (3, 4).",
        "",
        "The magnitude is the square root of 3^2 + 4^2 = 25, that is 5.",
        "",
        "2.2. Add the vectors (1, 2) and (3, -1).",
        "",
        "Components add separately: (1 + 3, 2 - 1) = (4, 1).",
        "",
        "Supplementary Problems",
        "2.3. Find the magnitude of the vector (6, 8). Ans. 10",
        "2.4. Add the vectors (2, 2) and (-1, 5).",
        "Ans. (1, 7)",
        "2.5. Explain why two vectors of different magnitudes cannot add up to zero.",
    ]
    write_book(tmp_path / "schaum-like.pdf", [page])
    assert pairs_of(tmp_path) == [
        (
            "2.1",
            "Find the magnitude of the vector (3, 4).",
            "The magnitude is the square root of 3^2 + 4^2 = 25, that is 5.",
        ),
        ("2.2", "Add the vectors (1, 2) and (3, -1).", "Components add separately: (1 + 3, 2 - 1) = (4, 1)."),
        ("2.3", "Find the magnitude of the vector (6, 8).", "10"),
        ("2.4", "Add the vectors (2, 2) and (-1, 5).", "(1, 7)"),
    ]


def test_a_solution_ends_at_the_next_subsection_heading():
    paragraphs = [
        "5.1",
        "Congruences",
        "Example 5.2. Simplify 24 ≡ 39 (mod 5) using division.",
        "Solution. Both sides are divisible by 3, so 8 ≡ 13 (mod 5).",
        "Solving Congruences",
        "We now turn to congruences with an unknown, which we solve like equations.",
    ]
    pairs = extract_pairs(paragraphs, [1] * len(paragraphs))
    assert [(p["label"], p["answer"]) for p in pairs] == [
        ("Example 5.2", "Both sides are divisible by 3, so 8 ≡ 13 (mod 5).")
    ]


def test_openstax_check_your_learning_checkpoint_and_try_it():
    """OpenStax Chemistry ends a worked example with "Check Your Learning" and its own "Answer:"; Calculus has
    "Checkpoint 1.2" and College Algebra "TRY IT #1", both answered from the key's list of that name."""
    paragraphs = [
        "Chapter 3 Composition of Substances",
        "3.1 Formula Mass",
        "Example 3.1\nComputing Formula Mass\nWhat is the formula mass of chloroform, CHCl3?",
        "Solution\nThe formula mass is 12.01 + 1.008 + 3 × 35.45 = 119.37 amu.",
        "Check Your Learning\nCalculate the formula mass of sodium chloride, NaCl.",
        "Answer:\n58.44 amu",
        "The mole is the amount of substance that contains as many entities as 12 g of carbon-12.",
        "Checkpoint 3.2\nWhat is the molar mass of water, H2O?",
        "TRY IT #1\nHow many moles are in 36 g of water?",
        "Answer Key",
        "Chapter 3",
        "Checkpoint",
        "3.2. 18.02 g/mol",
        "Try It",
        "3.1 Formula Mass",  # Try Its restart in each section: the key lists them under the section's title
        "1. 2.0 mol",
    ]
    pairs = extract_pairs(paragraphs, [1] * 7 + [2, 2] + [90] * 7)
    assert [(p["label"], p["question"], p["answer"]) for p in pairs] == [
        (
            "Example 3.1",
            "Computing Formula Mass What is the formula mass of chloroform, CHCl3?",
            "The formula mass is 12.01 + 1.008 + 3 × 35.45 = 119.37 amu.",
        ),
        ("Check Your Learning", "Calculate the formula mass of sodium chloride, NaCl.", "58.44 amu"),
        ("Checkpoint 3.2", "What is the molar mass of water, H2O?", "18.02 g/mol"),
        ("Try It 1", "How many moles are in 36 g of water?", "2.0 mol"),
    ]


def test_exercise_headings_that_name_their_section():
    for heading in ("Exercises for Section 2.1", "Section 2.1 Exercises", "Problems 2.1", "2.1 Exercises"):
        paragraphs = ["Chapter 2 Sets", "2.1 Set Operations", "Some text on unions.", heading]
        paragraphs += ["1. Find the union of {1} and {2}.", "2. Find the intersection of {1} and {2}."]
        paragraphs += ["Answers to Selected Exercises", "Section 2.1", "1. {1, 2}", "2. ∅"]
        pairs = extract_pairs(paragraphs, list(range(len(paragraphs))))
        assert [(p["label"], p["answer"]) for p in pairs] == [("2.1.1", "{1, 2}"), ("2.1.2", "∅")], heading


def test_an_exercise_set_heading_over_its_numbered_questions_and_its_key():
    # NCERT-style: "EXERCISE 1.1" heads the section's questions; the book's ANSWERS repeat the heading
    paragraphs = ["Chapter 1 Real Numbers", "1.2 Euclid's Division Lemma", "Euclid's lemma says ..."]
    paragraphs += ["EXERCISE 1.1", "1. Use Euclid's division algorithm to find the HCF of 135 and 225."]
    paragraphs += ["2. Show that every positive even integer is of the form 2q."]
    paragraphs += ["Example 1 Find the HCF of 4052 and 12576.", "Solution : Applying the lemma gives 4."]
    paragraphs += ["Example 2 Find the HCF of 96 and 404.", "Sol. Dividing 404 by 96 leaves 20; the HCF is 4."]
    paragraphs += ["ANSWERS", "EXERCISE 1.1", "1. 45", "2. Write it as 2q + r with r = 0."]
    pairs = extract_pairs(paragraphs, list(range(20, 20 + len(paragraphs))))
    assert [(p["label"], p["answer"]) for p in pairs] == [
        ("1.1.1", "45"),
        ("1.1.2", "Write it as 2q + r with r = 0."),
        ("Example 1", "Applying the lemma gives 4."),
        ("Example 2", "Dividing 404 by 96 leaves 20; the HCF is 4."),
    ]
