"""PIR: the prefix-reusing scorer against a straightforward recomputation, on tiny random-weight models."""

from __future__ import annotations

import random

import pytest
import torch
from make_cot import build_tiny_lm
from transformers import AutoModelForCausalLM, AutoTokenizer

from filters.cot.pir import ChainTooLong, TransformersPIRScorer

STEPS = [
    "\nSo I have this problem here. We need (3 + 4) times 5.\n\n",
    "First, I add 3 and 4, which gives 7. That is the running total.\n\n",
    "Wait, let me double-check that. 3 plus 4 is 7, yes.\n\n",
    "Alternatively, I could distribute first: 3 times 5 plus 4 times 5 is 35.\n\n",
    "Next, I multiply 7 by 5. So 7 times 5 is 35.\n\n",
    "I made a mistake above: I wrote 36. That's not right, it is 35.\n\n",
    "Let me verify: 35 divided by 5 is 7.\n",
]
QUESTION, ANSWER = "What is (3 + 4) times 5?", "The answer is \\boxed{35}."


@pytest.fixture(scope="module", params=["gpt2", "qwen2"])
def lm(request, tmp_path_factory):
    path = build_tiny_lm(tmp_path_factory.mktemp(request.param), arch=request.param)
    return AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def naive_pir(model, tokenizer, question, steps, answer, i, template="plain"):
    """One full forward pass per sequence, log-softmax, answer tokens only (DESIGN.md §4)."""

    def prefix(reasoning):
        if template == "plain":
            return tokenizer(question + "\n\n" + reasoning + "\n\n").input_ids
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False
        )
        return tokenizer(prompt + reasoning + "\n\n", add_special_tokens=False).input_ids

    answer_ids = tokenizer(answer, add_special_tokens=False).input_ids

    def mean_nll(reasoning):
        ids = prefix(reasoning) + answer_ids
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0]
        logp = torch.log_softmax(logits, -1)
        start = len(ids) - len(answer_ids)
        return -sum(logp[start + j - 1, t].item() for j, t in enumerate(answer_ids)) / len(answer_ids)

    return mean_nll("".join(steps[:i] + steps[i + 1 :])) - mean_nll("".join(steps))


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_every_pir_equals_naive_recomputation(lm, batch_size):
    model, tokenizer = lm
    scored = list(range(len(STEPS)))
    result = TransformersPIRScorer(model, tokenizer, batch_size=batch_size).score(QUESTION, STEPS, ANSWER, scored)
    for i in scored:
        assert result.pir[i] == pytest.approx(naive_pir(model, tokenizer, QUESTION, STEPS, ANSWER, i), abs=1e-4)
    # the prefix is reused: fewer tokens than N+1 full passes
    full = len(tokenizer(QUESTION + "\n\n" + "".join(STEPS) + "\n\n").input_ids) + result.answer_tokens
    assert result.forward_tokens < 0.75 * full * (len(scored) + 1)


def test_random_chains_and_chat_template(lm):
    model, tokenizer = lm
    rng = random.Random(7)
    for _ in range(3):
        steps = rng.sample(STEPS, k=rng.randint(3, len(STEPS)))
        scored = sorted(rng.sample(range(len(steps)), k=2))
        template = rng.choice(["plain", "chat"])
        result = TransformersPIRScorer(model, tokenizer, template=template, batch_size=2).score(
            QUESTION, steps, ANSWER, scored
        )
        for i, pir in enumerate(result.pir):
            if i in scored:
                expected = naive_pir(model, tokenizer, QUESTION, steps, ANSWER, i, template)
                assert pir == pytest.approx(expected, abs=1e-4)
            else:
                assert pir is None


def test_overflow_policy(lm):
    model, tokenizer = lm
    scored = [2, 3, 5]
    full = TransformersPIRScorer(model, tokenizer).score(QUESTION, STEPS, ANSWER, scored)
    with pytest.raises(ChainTooLong):
        TransformersPIRScorer(model, tokenizer, max_tokens=full.tokens - 1).score(QUESTION, STEPS, ANSWER, scored)
    cut = TransformersPIRScorer(model, tokenizer, max_tokens=full.tokens - 40, overflow="truncate_left")
    result = cut.score(QUESTION, STEPS, ANSWER, scored)
    assert result.truncated_tokens == 40 and result.tokens == full.tokens - 40
    assert any(p is not None for p in result.pir)
