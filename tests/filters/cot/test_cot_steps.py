"""Chain layouts, segmentation invariant, cue types, pruning plan."""

from __future__ import annotations

import json
import random

import pytest
from make_cot import chain, write_chains

from filters.cot.cues import classify
from filters.cot.layouts import ChainError, parse_chain
from filters.cot.prune import plan_drops
from filters.cot.segment import segment

FIELDS = {"reasoning": "reasoning", "answer": "answer", "response": "response"}


@pytest.mark.parametrize(
    "record, reasoning, answer",
    [
        ({"reasoning": "\nr1\n\nr2", "answer": "\n\nA\n"}, "\nr1\n\nr2", "A"),
        ({"response": "<think>\nR\n</think>\n\nA "}, "\nR\n", "A"),
        ({"response": "R</think>A"}, "R", "A"),
        ({"response": "<|begin_of_thought|>\n\nR<|end_of_thought|>\n\n<|begin_of_solution|>\nA\n<|end_of_solution|>"},
         "\n\nR", "A"),
        ({"response": "<Thought>\nR\n</Thought>\n<Output>\nA\n</Output>"}, "\nR\n", "A"),
    ],
)  # fmt: skip
def test_layouts(record, reasoning, answer):
    assert parse_chain(" Q ", record, "auto", FIELDS) == ("Q", reasoning, answer)


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"response": "<think>R"}, "unclosed_reasoning"),
        ({"response": "<|begin_of_thought|>R<|end_of_thought|>"}, "no_answer"),
        ({"response": "<|begin_of_thought|>R<|end_of_thought|><|begin_of_solution|>A"}, "unclosed_answer"),
        ({"response": "<Thought>R</Thought><Output>A"}, "unclosed_answer"),
        ({"reasoning": "R"}, "no_answer"),
        ({"reasoning": "  \n", "answer": "A"}, "no_reasoning"),
        ({"response": "just text"}, "no_reasoning"),
        ({"response": "<think>R</think>   "}, "no_answer"),
    ],
)
def test_bad_records_have_reasons(record, reason):
    with pytest.raises(ChainError) as e:
        parse_chain("Q", record, "auto", FIELDS)
    assert e.value.reason == reason


def test_segmentation_invariant_on_generated_and_hostile_chains():
    rng = random.Random(0)
    texts = [chain(rng, i)["reasoning"] for i in range(50)]
    texts += [
        "",
        "no sentence end",
        "\n\n\nA. B. C. D. E. F. G.\n\n\n",
        "Wait.\n\nWait.\n\n\\[x\\]\n\n",
        "e.g. 1.5 vs 2.",
    ]
    alphabet = ["Wait, ", "Alternatively ", "x. ", "\n\n", "\n", "? ", "I made a mistake. ", "abc", " ", "\\[1\\]"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(200)]
    for text in texts:
        steps = segment(text)
        assert "".join(steps) == text
        assert all(steps)


def test_segmentation_groups_sentences_and_cuts_at_cues():
    text = "A one. A two.\n\nA three. A four.\n\nWait, check. B two.\n\nAlternatively, C one.\n\nC two. C three."
    steps = segment(text, min_sentences=3, max_sentences=4)
    assert steps[0] == "A one. A two.\n\nA three. A four.\n\n"
    assert steps[1].startswith("Wait") and steps[2].startswith("Alternatively")
    assert [classify(s)[0] for s in steps] == ["progressive", "verification", "multi_method"]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("So the total is 7.", "progressive"),
        ("Wait, let me double-check that.", "verification"),
        ("But wait, let's check if that makes sense.", "verification"),
        ("Let me verify the product.", "verification"),
        ("Alternatively, I could distribute first.", "multi_method"),
        ("Another way to see it is this.", "multi_method"),
        ("I made a mistake in the second line.", "error_correction"),
        ("Wait, no, when m = 0 the set is empty.", "error_correction"),
        ("Wait, that's not right.", "error_correction"),
        ("No, that's incorrect.", "error_correction"),
        ("The answer waits for nobody. Wait, check.", "progressive"),
    ],
)
def test_cue_types(text, kind):
    assert classify(text)[0] == kind


@pytest.mark.parametrize(
    "text, kind",
    [
        # "Wait" that goes on to propose another method (phrasings from Sky-T1 / QwQ traces)
        ("Wait, maybe I can use the method of completing the square.", "multi_method"),
        ("Wait a minute, perhaps I can consider the angles around point A.", "multi_method"),
        ("Wait, but perhaps we could substitute u = x + 1 instead.", "multi_method"),
        ("Wait, maybe it's easier to use the two-point form.", "multi_method"),
        ("Wait, another approach: count the complement.", "multi_method"),
        ("Wait, is there a better way to find the angle without arctangents?", "multi_method"),
        ("Wait, maybe I'm overcomplicating things.", "multi_method"),
        ("Is there another way to approach this problem?", "multi_method"),
        ("Maybe there's a better way.", "multi_method"),
        ("Let me consider another approach.", "multi_method"),
        # ... but a proposal to check, or a method used to confirm, stays a verification
        ("Wait, maybe I should check the second case.", "verification"),
        ("Wait, maybe I can verify this by substitution.", "verification"),
        ("Wait a minute, is there another way to confirm this?", "verification"),
        ("Another way to verify is by plugging in the values:", "verification"),
        ("Just to be thorough, maybe I should consider if there's any other factor.", "verification"),
        ("But perhaps there's a different aspect to consider.", "progressive"),
        # "Wait" that states a mistake
        ("Wait, that's not right.", "error_correction"),
        ("Wait, that doesn't seem right.", "error_correction"),
        ("Wait a second, that doesn’t seem right.", "error_correction"),  # a typographic apostrophe
        ("Wait, I think I see the mistake.", "error_correction"),
        ("Wait, but earlier I thought 16.25 square cm, but that was a mistake.", "error_correction"),
        ("But wait, that doesn't match what I calculated earlier.", "error_correction"),
        ("No, that's incorrect. The sum is 12.", "error_correction"),
        ("I made a mistake: the sign is wrong.", "error_correction"),
        ("I think I see the mistake.", "error_correction"),
        ("But that seems contradictory.", "error_correction"),
        # ... not a mistake asked about or denied
        ("Wait, let me check if I made a mistake.", "verification"),
        ("Wait a minute, let me double-check that I didn't make any mistakes.", "verification"),
        ("Let me just make sure I didn't make any calculation errors.", "verification"),
        ("Also, I should check if x = 3 is within the domain.", "verification"),
        # "wait" as a verb is no cue (code in Marco-o1 traces)
        ("Wait for all tasks to complete before returning.", "progressive"),
        ("Wait until the lock is free, then write.", "progressive"),
    ],
)
def test_real_trace_phrasings(text, kind):
    got, cue = classify(text)
    assert got == kind, cue
    assert (cue is None) == (kind == "progressive")


def test_pruning_removes_exactly_the_planned_steps():
    rng = random.Random(3)
    for _ in range(50):
        steps = []
        for _ in range(rng.randint(1, 30)):
            kind = rng.choice(["progressive", "verification", "multi_method", "error_correction"])
            pir = None if kind == "progressive" or rng.random() < 0.1 else rng.uniform(-1, 1)
            steps.append({"type": kind, "pir": pir})
        ratios = {"verification": rng.random(), "multi_method": 0.3, "error_correction": 0.5}
        drops = plan_drops(steps, ratios)
        for kind, ratio in ratios.items():
            scored = sorted((s["pir"], i) for i, s in enumerate(steps) if s["type"] == kind and s["pir"] is not None)
            expected = {i for _, i in scored[: int(ratio * len(scored) + 0.5)]}
            assert {i for i in drops if steps[i]["type"] == kind} == expected
        assert all(steps[i]["type"] != "progressive" and steps[i]["pir"] is not None for i in drops)
        threshold_drops = plan_drops(steps, ratios, threshold=0.0)
        assert threshold_drops == {i for i in drops if steps[i]["pir"] < 0.0}


def test_sample_files_hold_each_layout(tmp_path):
    out = write_chains(tmp_path)
    rows = [json.loads(line) for f in sorted(out.glob("*.jsonl")) for line in open(f)]
    parsed, failed = 0, 0
    for row in rows:
        try:
            parse_chain(row["question"], row, "auto", FIELDS)
            parsed += 1
        except ChainError:
            failed += 1
    assert (parsed, failed) == (24, 3)
