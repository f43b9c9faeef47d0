"""MegaScience-style answer extraction and equivalence, on a table of tricky cases, and `factory score`."""

from __future__ import annotations

import json

import pytest

from factory.cli import main
from factory.score.equivalence import math_equal, normalize
from factory.score.extract import boxed_all, extract_choice, extract_math, gold_choice

CHOICES = [
    ("The reasoning goes on.\nAnswer: (C)", "C"),
    ("Answer: B", "B"),
    ("**Answer:** D", "D"),
    ("I think the correct answer is (A), because ...", "A"),
    ("A is tempting, but after checking, the answer is B.", "B"),
    ("Option C is correct since the force doubles.", "C"),
    ("It must be D.", "D"),
    ("At first glance A looks right.\nAnswer: E", "E"),  # "At", "A looks" in prose, the last line decides
    ("Both options are plausible.\n\nThe final choice: \\boxed{B}", "B"),
    ("(C)", "C"),
    ('{"reasoning": "...", "answer": "D"}', "D"),
    ("Answer: (B)\n\nAnswer: (C)", "C"),  # the last one counts
    ("A detailed analysis follows. As a result we conclude nothing.", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "letter"), CHOICES)
def test_multiple_choice_letters(text, letter):
    assert extract_choice(text) == letter


# how common harnesses' models phrase a letter (lm-eval-harness CoT, OpenCompass incl. its Chinese prompts,
# simple-evals' "Answer: $LETTER", Minerva's "Final Answer: ... I hope it is correct.", ZeroEval's JSON)
EVAL_STYLE_CHOICES = [
    ("Let's think step by step. The force doubles, so the answer is (B).", "B"),
    ("Reasoning about each option...\n\nANSWER: D", "D"),
    ("Answer: B) 42 N", "B"),
    ("The correct option is **B**.", "B"),
    ("Final Answer: The final answer is C. I hope it is correct.", "C"),
    ("so we pick $\\boxed{\\text{(C)}}$", "C"),
    ("Answer: A\n\nExplanation: B is wrong because the mass doubles.", "A"),
    ('{"reasoning": "B and C are out", "answer": "(A)"}', "A"),
    ("经过计算，答案是 C", "C"),
    ("答案：B", "B"),
    ("Option (D) is the correct answer.", "D"),
    ("Comparing the two, I would choose B.", "B"),
    ("So, the correct choice is (A) 3.2 m/s.", "A"),
]


@pytest.mark.parametrize(("text", "letter"), EVAL_STYLE_CHOICES)
def test_multiple_choice_letters_as_eval_harnesses_write_them(text, letter):
    assert extract_choice(text) == letter


def test_choice_by_option_text_when_no_letter_is_given():
    options = ["10 N", "100 N", "1 N", "0 N"]
    assert extract_choice("The net force on the block comes out as 100 N.", options) == "B"
    assert extract_choice("so it is 10 N in total", options) == "A"


MATH = [
    ("so the value is $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"),
    ("nested: \\boxed{\\frac{\\sqrt{2}}{2}} done", "\\frac{\\sqrt{2}}{2}"),
    ("first \\boxed{3} then corrected \\boxed{4}", "4"),  # several boxed answers: the last
    ("The final answer is $18$. I hope it is correct.", "18"),
    ("The final answer is $\\boxed{x^2+1}$", "x^2+1"),
    ("Therefore the answer is 42 apples.\nDone", "42 apples"),
    ("we get 3 + 4 = 7 and so 7 * 2 = 14", "14"),
    ('```json\n{"reasoning": "5 * 2 = 10", "answer": "10"}\n```', "10"),
    ('{"reasoning": "...", "answer": "\\frac{3}{4}"}', "\\frac{3}{4}"),  # raw LaTeX, invalid as JSON
    ('{"reasoning": "...", "answer": 12.5}', "12.5"),
    ("unclosed \\boxed{12", "12"),  # cut off: falls through to the last number
    ("no answer here", None),
    (None, None),
]


EVAL_STYLE_MATH = [
    ("Therefore, the final answer is $\\boxed{\\frac{3}{4}}$. I hope it is correct.", "\\frac{3}{4}"),
    ("Final Answer: The final answer is $18$. I hope it is correct.", "18"),  # Minerva / lm-eval
    ("Adding the parts.\nANSWER: 42", "42"),
    ("Adding the parts.\nAnswer: \\frac{3}{4}", "\\frac{3}{4}"),  # simple-evals: not the last number, 4
    ("**Answer:** $x = 5$", "x = 5"),
    ("She has 18 left.\n#### 18", "18"),  # GSM8K-style
    ("So the answer is \\(\\frac{1}{2}\\).", "\\frac{1}{2}"),
    ("**Final Answer**\n\\[\n\\boxed{42}\n\\]", "42"),
    ('{"reasoning": "...", "answer": "$\\\\frac{3}{4}$"}', "$\\frac{3}{4}$"),
    ("The final answer is 18.", "18"),
    ("Thus the total cost is $\\$12.50$.", "12.50"),
]


@pytest.mark.parametrize(("text", "answer"), EVAL_STYLE_MATH)
def test_math_extraction_as_eval_harnesses_write_it(text, answer):
    assert extract_math(text) == answer


@pytest.mark.parametrize(("text", "answer"), MATH)
def test_math_extraction(text, answer):
    assert extract_math(text) == answer


EQUAL = [
    ("18", "# 18", True),  # GSM8K gold
    ("18", "#### 18", True),
    ("17", "# 18", False),
    ("5 cm", "5", True),  # units
    ("90^\\circ", "90", True),
    ("12 \\text{ dollars}", "12", True),
    ("50\\%", "0.5", True),  # percentages: gold x 100
    ("0.5", "50", True),  # gold / 100
    ("\\frac{1}{2}", "0.5", True),
    ("\\dfrac{3}{4}", "3/4", True),
    ("x = 5", "5", True),
    ("1,000", "1000", True),
    ("\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", True),  # sympy
    ("2x+2", "2(x+1)", True),
    ("(1, 2)", "(1,2)", True),
    ("(1, 3)", "(1,2)", False),
    ("3.1416", "\\pi", True),
    ("3.2", "\\pi", False),
    ("\\text{East}", "east", True),
    (None, "1", False),
    ("\\(\\frac{1}{2}\\)", "0.5", True),  # \( \) delimiters
    ("\\dfrac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}", True),
    ("\\{-2, -1, 1, 2\\}", "-2,-1,1,2", True),  # a set
    ("2400, 1350, 864", "864,1350,2400", True),  # several answers: any order
    ("(2, 1)", "(1,2)", False),  # a tuple: in order
    ("5 \\text{ and } 15", "5,15", True),
    ("(45^\\circ, 60^\\circ)", "(45,60)", True),
    (
        "\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{18}{5} \\end{pmatrix}",
        "\\begin{pmatrix}1/5\\\\-18/5\\end{pmatrix}",
        True,
    ),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}2\\\\1\\end{pmatrix}", False),
]


@pytest.mark.parametrize(("pred", "gold", "equal"), EQUAL)
def test_math_equality(pred, gold, equal):
    assert math_equal(pred, gold) is equal


def test_scibench_relative_tolerance():
    assert math_equal("103", "100", rel_tol=0.05)
    assert not math_equal("103", "100")


def test_boxed_is_brace_balanced_and_gold_letters():
    assert boxed_all("\\boxed{a{b}c} and \\fbox{d}") == ["a{b}c", "d"]
    assert normalize("\\boxed{\\left( 1, 2 \\right)}") == "(1,2)"
    assert [gold_choice(g) for g in ("C", "(B)", "Answer: D", "a", "12")] == ["C", "B", "D", None, None]


def test_score_command_writes_rows_and_summary(tmp_path, capsys):
    rows = [
        {"id": 1, "pred": "so \\boxed{4}", "gold": "# 4", "src": "gsm", "judged": True},
        {"id": 2, "pred": "Answer: (B)", "gold": "C", "src": "mc", "judged": False},
        {"id": 3, "pred": "I refuse.", "gold": "7", "src": "gsm", "judged": False},
        {"id": 4, "pred": {"not": "text"}, "gold": "7", "src": "gsm", "judged": True},
    ]
    path = tmp_path / "preds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    out = tmp_path / "scored"
    argv = ["score", str(path), "--prediction-key", "pred", "--gold-key", "gold", "--group-key", "src"]
    assert main([*argv, "--judgement-key", "judged", "--out", str(out)]) == 0
    scored = [json.loads(line) for line in (out / "scored.jsonl").read_text().splitlines()]
    assert [r.get("correct") for r in scored] == [True, False, False, False, None]
    assert scored[1]["task"] == "mc" and scored[1]["extracted"] == "B"
    assert scored[2]["extracted"] is None and scored[3]["extracted"] is None  # unparseable: null, no crash
    summary = json.loads((out / "summary.json").read_text())
    assert summary["groups"]["gsm"] == {"rows": 3, "correct": 1, "unextracted": 2, "accuracy": 0.3333}
    assert summary["malformed_rows"] == 1
    assert summary["agreement"]["agree"] == 3 and summary["agreement"]["we_false_they_true"] == 1
    assert "gsm" in capsys.readouterr().out
