"""PIR from a server's prompt_logprobs: equal to the transformers scorer, request policy, overflow, spawned server."""

from __future__ import annotations

from pathlib import Path

import pytest
from cot_logprob_server import serve
from make_cot import build_tiny_lm
from test_cot_pir import ANSWER, QUESTION, STEPS
from transformers import AutoModelForCausalLM, AutoTokenizer

from factory.llm.errors import LLMInfrastructureError
from filters.cot.pir import ChainTooLong, TransformersPIRScorer
from filters.cot.served import ServerOptions, ServerPIRScorer

SCORED = [2, 3, 5, 6]


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    path = build_tiny_lm(tmp_path_factory.mktemp("served"), arch="qwen2")
    return path, AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def scorer(tokenizer, url, **kwargs) -> ServerPIRScorer:
    server = {k: kwargs.pop(k) for k in ("api_key_env", "retries", "max_concurrent") if k in kwargs}
    options = ServerOptions(backend="endpoint", model="scripted", endpoint_url=url, retry_backoff_s=0, **server)
    return ServerPIRScorer(tokenizer, options, **kwargs)


@pytest.mark.parametrize("template", ["plain", "chat"])
def test_endpoint_pir_equals_transformers_scorer(lm, template):
    path, model, tokenizer = lm
    expected = TransformersPIRScorer(model, tokenizer, template=template).score(QUESTION, STEPS, ANSWER, SCORED)
    with serve(model) as (url, log):
        s = scorer(tokenizer, url + "/v1", template=template)  # a base URL with or without /v1
        try:
            result = s.score(QUESTION, STEPS, ANSWER, SCORED)
        finally:
            s.close()
    assert result.base_nll == pytest.approx(expected.base_nll, abs=1e-4)
    for i, pir in enumerate(result.pir):
        if i in SCORED:
            assert pir == pytest.approx(expected.pir[i], abs=1e-4)
        else:
            assert pir is None
    # token ids, not text: the server scores exactly our tokenization; one request per variant plus the full chain
    assert len(log["payloads"]) == len(SCORED) + 1
    for payload in log["payloads"]:
        assert all(isinstance(t, int) for t in payload["prompt"])
        assert payload["max_tokens"] == 1 and payload["prompt_logprobs"] == 0 and payload["model"] == "scripted"
    assert result.forward_tokens == sum(len(p["prompt"]) for p in log["payloads"])


def test_retries_429_and_5xx_then_succeeds(lm):
    _, model, tokenizer = lm
    failures = {0: (429, {"error": "slow down"}), 1: (503, {"error": "busy"}), 2: (500, {"error": "oops"})}
    with serve(model, script=lambda n, _: failures.get(n)) as (url, log):
        s = scorer(tokenizer, url, max_concurrent=1)
        try:
            result = s.score(QUESTION, STEPS, ANSWER, SCORED)
        finally:
            s.close()
    assert s.client.counters["retried_requests"] == 3
    assert len(log["payloads"]) == len(SCORED) + 1 + 3
    assert all(result.pir[i] is not None for i in SCORED)


@pytest.mark.parametrize("status, attempts", [(500, 3), (429, 3), (401, 1), (404, 1)])
def test_a_failing_server_fails_the_task(lm, status, attempts):
    _, model, tokenizer = lm
    with serve(model, script=lambda n, _: (status, {"error": "no"})) as (url, log):
        s = scorer(tokenizer, url, retries=2, max_concurrent=1)
        try:
            with pytest.raises(LLMInfrastructureError):
                s.score(QUESTION, STEPS, ANSWER, SCORED)
        finally:
            s.close()
    # requests go one at a time: the first one's failure (after 1 + retries attempts if retryable) ends the chain
    assert len(log["payloads"]) == attempts


def test_api_key_from_the_environment(lm, monkeypatch):
    _, model, tokenizer = lm
    monkeypatch.setenv("COT_TEST_KEY", "sk-secret-123")
    with serve(model, api_key="sk-secret-123") as (url, log):
        s = scorer(tokenizer, url, api_key_env="COT_TEST_KEY")
        try:
            assert s.score(QUESTION, STEPS, ANSWER, SCORED).pir[2] is not None
        finally:
            s.close()
    assert {h["Authorization"] for h in log["headers"]} == {"Bearer sk-secret-123"}
    assert "sk-secret" not in repr(s.options)


def test_context_overflow_quarantine_and_truncate_left(lm):
    _, model, tokenizer = lm
    full = TransformersPIRScorer(model, tokenizer).score(QUESTION, STEPS, ANSWER, SCORED)
    # the server refuses the prompt as too long: the chain's own problem, not the task's
    with serve(model, max_context=full.tokens - 1) as (url, _):
        s = scorer(tokenizer, url)
        try:
            results = s.score_many([(QUESTION, STEPS, ANSWER, SCORED), (QUESTION, STEPS[:3], ANSWER, [2])])
        finally:
            s.close()
    assert isinstance(results[0], ChainTooLong) and results[1].pir[2] is not None
    # truncate_left cuts the same tokens as the transformers scorer does
    cut = full.tokens - 40
    expected = TransformersPIRScorer(model, tokenizer, max_tokens=cut, overflow="truncate_left").score(
        QUESTION, STEPS, ANSWER, SCORED
    )
    with serve(model) as (url, _):
        s = scorer(tokenizer, url, max_tokens=cut, overflow="truncate_left")
        try:
            result = s.score(QUESTION, STEPS, ANSWER, SCORED)
            with pytest.raises(ChainTooLong):
                scorer_q = scorer(tokenizer, url, max_tokens=cut)
                try:
                    scorer_q.score(QUESTION, STEPS, ANSWER, SCORED)
                finally:
                    scorer_q.close()
        finally:
            s.close()
    assert result.truncated_tokens == expected.truncated_tokens == 40
    assert [p is None for p in result.pir] == [p is None for p in expected.pir]
    for got, want in zip(result.pir, expected.pir):
        if want is not None:
            assert got == pytest.approx(want, abs=1e-4)


def test_spawned_server_through_datatrove_machinery(lm):
    """`vllm` starts `vllm serve` through datatrove's server classes; `custom` runs the same start, health and
    request code with our stand-in script, so everything but vLLM itself is exercised here."""
    path, model, tokenizer = lm
    expected = TransformersPIRScorer(model, tokenizer).score(QUESTION, STEPS, ANSWER, SCORED)
    script = Path(__file__).parents[2] / "cot_logprob_server.py"
    options = ServerOptions(
        backend="custom",
        model=str(path),
        server_start_timeout=120,
        server_kwargs={"server_script": str(script), "model": str(path)},
        retry_backoff_s=0,
    )
    s = ServerPIRScorer(tokenizer, options)
    try:
        result = s.score(QUESTION, STEPS, ANSWER, SCORED)
    finally:
        s.close()
    for i in SCORED:
        assert result.pir[i] == pytest.approx(expected.pir[i], abs=1e-4)
