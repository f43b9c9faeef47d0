"""Traces the rules were not written from: the invariant, fences kept whole, cue types and quarantine reasons."""

from __future__ import annotations

import pytest
from cot_traces import BAD, GOOD

from filters.cot.cues import classify
from filters.cot.layouts import ChainError, parse_chain
from filters.cot.segment import segment

FIELDS = {"reasoning": "reasoning", "answer": "answer", "response": "response"}


@pytest.mark.parametrize("row", GOOD, ids=[r["id"] for r in GOOD])
def test_invariant_and_whole_code_blocks(row):
    _, reasoning, answer = parse_chain(row["question"], row, "auto", FIELDS)
    steps = segment(reasoning)
    assert "".join(steps) == reasoning and all(steps) and answer
    closed = reasoning.count("```") % 2 == 0
    for step in steps:  # a fenced block never straddles two steps
        assert step.count("```") % 2 == 0 or (not closed and step is steps[-1] or "```" in steps[-1])


def test_types_on_unseen_traces():
    r1 = segment(parse_chain("q", GOOD[0], "auto", FIELDS)[1])
    types = [classify(s)[0] for s in r1]
    code = next(s for s in r1 if "```python" in s)
    assert "# Wait for the server" in code and classify(code)[0] == "progressive"  # a code comment is no cue
    assert types.count("error_correction") == 1 and types.count("multi_method") == 1
    assert types.count("verification") == 1
    qwq = segment(QWQ := GOOD[1]["reasoning"])
    assert "".join(qwq) == QWQ
    assert [classify(s)[0] for s in qwq] == ["progressive", "verification", "multi_method"]  # "Wait, maybe I can use"
    assert qwq[-1].endswith("\\boxed{2} \\]")  # the closing "Final Answer" joins the last step
    crlf = segment(parse_chain("q", GOOD[2], "auto", FIELDS)[1])
    assert all(s.endswith("\r\n\r\n") for s in crlf[:-1])  # CRLF paragraphs are paragraphs
    assert [classify(s)[0] for s in crlf] == ["progressive", "error_correction", "verification"]


@pytest.mark.parametrize("key", list(BAD))
def test_bad_traces_are_quarantined_with_their_reason(key):
    record, reason = BAD[key]
    with pytest.raises(ChainError) as e:
        parse_chain(record.get("question", "What is 2 + 2?"), record, "auto", FIELDS)
    assert e.value.reason == reason
