from collections import Counter

import pytest
from tom_helpers import context

from filters.tom.pools import load_pools
from filters.tom.questions import LETTERS, expected_counts, make_questions
from filters.tom.sketch import normalise, to_trajectory

FALLBACK = load_pools().fallback()


def _questions(scenarios, index=0, seed=0, ctx=None, **kw):
    trajectory = to_trajectory(ctx or context(scenarios, index))
    return trajectory, make_questions(trajectory, f"ctx-{index}", seed, FALLBACK, **kw)


@pytest.mark.parametrize("scenarios", [4, 5, 6, 8])
def test_exact_counts_per_type(scenarios):
    _, questions = _questions(scenarios)
    counts = Counter(q.question_type for q in questions)
    assert counts == expected_counts(scenarios)
    assert len(questions) == 15 * scenarios - 4
    assert len({q.question_id for q in questions}) == len(questions)


@pytest.mark.parametrize("scenarios", [4, 5, 8, 12])
def test_options_distinct_aligned_and_within_letters(scenarios):
    trajectory, questions = _questions(scenarios, index=3)
    for q in questions:
        norm = [normalise(o) for o in q.options]
        assert len(norm) == len(set(norm)), q
        assert [r["option"] for r in q.option_reasons] == q.options
        assert 2 <= len(q.options) <= 26 and q.answer in LETTERS[: len(q.options)]
        assert q.option_reasons[LETTERS.index(q.answer)]["short"] == "true_answer"
        assert sum(r["short"] == "true_answer" for r in q.option_reasons) == 1
    why = [len(q.options) for q in questions if q.question_type == "type_d_why"]
    assert set(why) == {min(4 * scenarios - 4, 26)}


def test_option_counts_at_s5_are_dynToM_s():
    _, questions = _questions(5)
    counts = {(q.question_type, q.scenario if q.question_type == "type_c_how" else None): len(q.options)
              for q in questions}  # fmt: skip
    assert counts[("type_a_what", None)] == 8 and counts[("type_d_how", None)] == 8
    assert counts[("type_d_whether", None)] == 5 and counts[("type_d_why", None)] == 16
    assert counts[("type_c_how", 1)] == 6 and counts[("type_c_how", 5)] == 7


def test_answers_are_the_sketch_values():
    trajectory, questions = _questions(5, index=7)
    for q in questions:
        true = q.options[LETTERS.index(q.answer)]
        if q.question_type == "type_a_what":
            assert true == trajectory.values[q.state][q.scenario - 1]
        if q.question_type == "type_d_how":
            assert true == " -> ".join(trajectory.values[q.state])
            reverse = [r["option"] for r in q.option_reasons if r["explain"] == "order reversed"]
            assert reverse == [" -> ".join(trajectory.values[q.state][::-1])]
        if q.question_type == "type_d_why":
            assert true == trajectory.reasons[q.state][q.scenario - 1]
            assert not true.lower().startswith(("rio", "scenario", "1->"))
        if q.question_type == "type_c_how":
            assert true == trajectory.influences[q.scenario - 1][q.state]


def test_whether_changed_is_decided_per_state_and_transition():
    ctx = context(5, index=2)
    across = ctx["sketch"]["analysis of mental states across scenarios"]
    across["Action"]["3"] = across["Action"]["2"]  # action unchanged at 2->3, while Belief says Changed
    across["Action"]["Changed"] = "True"
    trajectory, questions = _questions(5, ctx=ctx)
    whether = {(q.state, q.scenario): q.options[LETTERS.index(q.answer)] for q in questions
               if q.question_type == "type_d_whether"}  # fmt: skip
    assert whether[("action", 2)] == "No"
    assert whether[("action", 3)].startswith("Yes, from ")
    assert all(v.startswith("Yes") for (s, k), v in whether.items() if s == "belief")


def test_last_scenario_gives_influence_distractors():
    trajectory, questions = _questions(5, index=4)
    last = {trajectory.influences[4][k] for k in trajectory.influences[4]}
    used = {o for q in questions if q.question_type == "type_c_how" and q.scenario != 5 for o in q.options}
    assert last & used


def test_too_few_distinct_values_are_filled_from_other_contexts():
    ctx = context(4, index=1)
    across = ctx["sketch"]["analysis of mental states across scenarios"]
    for state in ("Intention", "Action"):
        for k in "1234":
            across[state][k] = "Same thing"
    _, questions = _questions(4, ctx=ctx)
    what = [q for q in questions if q.question_type == "type_a_what" and q.state == "action"]
    assert all(len(q.options) == 7 for q in what)
    assert any(r["short"] == "other_context" for q in what for r in q.option_reasons)


def test_deterministic_per_seed():
    a = [q.as_dict() for q in _questions(5, seed=1)[1]]
    b = [q.as_dict() for q in _questions(5, seed=1)[1]]
    c = [q.as_dict() for q in _questions(5, seed=2)[1]]
    assert a == b
    assert a != c and [q["question"] for q in a] == [q["question"] for q in c]


def test_answer_letters_balanced_over_100_contexts():
    letters, expected = Counter(), Counter()
    for index in range(100):
        for q in _questions(5, index=index)[1]:
            letters[q.answer] += 1
            for letter in LETTERS[: len(q.options)]:
                expected[letter] += 1 / len(q.options)
    assert set(letters) == set(expected)
    # every letter within 10% of what uniform positions give (a plain shuffle drifts ~30% on the rare letters)
    assert all(abs(letters[x] - expected[x]) <= 0.10 * expected[x] for x in expected), (letters, expected)
    assert letters["a"] < 0.2 * sum(letters.values())  # DynToM's question.json: always "a"
