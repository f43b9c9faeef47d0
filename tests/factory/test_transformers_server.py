"""The transformers server: per-request seeds, length checks, neutral generation defaults, abandoned requests."""

import json
import shutil
import socket
import threading
import time

import pytest

from factory.llm.transformers_server import BadRequest, Engine, build_app

PROMPTS = ["w1 w2 w3", "w4 w5 w6 w7 w8 w9 w10 w11", "w12", "w13 w14 w15 w16"]


def _body(prompt: str, **params) -> dict:
    return {"messages": [{"role": "user", "content": prompt}], "max_tokens": 16, **params}


@pytest.fixture(scope="module")
def engine(tiny_model):
    return Engine(str(tiny_model), device="cpu")


def _texts(engine, bodies):
    pending = [engine.pending(b) for b in bodies]
    results = engine.generate(pending)
    return [results[id(p)][0] for p in pending]


def test_a_seeded_request_gives_the_same_completion_alone_and_in_any_batch(engine):
    target = _body(PROMPTS[1], temperature=1.0, seed=1234)
    alone = _texts(engine, [target])[0]
    others = [_body(p, temperature=0.7, top_p=0.9, seed=i) for i, p in enumerate(PROMPTS)]
    first = _texts(engine, [target, *others])[0]
    last = _texts(engine, [*others[:2], _body(PROMPTS[3]), target])[-1]
    assert alone == first == last and alone
    # the seed is what fixes the draw: another seed gives another completion of the same prompt
    draws = {_texts(engine, [_body(PROMPTS[1], temperature=1.0, seed=s)])[0] for s in range(5)}
    assert len(draws) > 1
    greedy = _body(PROMPTS[0])
    assert _texts(engine, [greedy]) == _texts(engine, [greedy, *others])[:1]


def test_an_over_long_prompt_fails_alone_with_a_clear_400(engine):
    too_long = _body(" ".join(["w7"] * 600))
    with pytest.raises(BadRequest, match="longer than the context of 512 tokens"):
        engine.pending(too_long)
    assert engine.pending(_body(PROMPTS[0])).ids  # a normal request is still served
    with pytest.raises(BadRequest, match="max_tokens"):
        engine.pending(_body(PROMPTS[0], max_tokens=0))


def test_generation_config_defaults_are_not_applied_and_are_reported(engine, tiny_model, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    config = json.loads((copy / "generation_config.json").read_text())
    config.update(repetition_penalty=50.0, no_repeat_ngram_size=1, do_sample=True, temperature=0.3)
    (copy / "generation_config.json").write_text(json.dumps(config))
    loaded = Engine(str(copy), device="cpu")
    assert loaded.ignored_defaults["repetition_penalty"] == 50.0 and loaded.ignored_defaults["do_sample"] is True
    # greedy output is the plain model's, though the file asks for heavy penalties and sampling
    bodies = [_body(p, max_tokens=24) for p in PROMPTS]
    assert _texts(loaded, bodies) == _texts(engine, bodies)


def test_completions_cut_at_max_tokens_say_length(engine):
    pending = engine.pending(_body(PROMPTS[0], max_tokens=3))
    text, reason, _, completion_tokens = engine.generate([pending])[id(pending)]
    assert (reason, completion_tokens) == ("length", 3) or (reason == "stop" and completion_tokens < 3)


def _post_and_hang_up(port: int, body: dict):
    payload = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", port)) as s:
        head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        s.sendall(f"{head}Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload)


def _request(port: int, body: dict) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_server_abandons_requests_of_gone_clients_and_serves_the_rest(engine):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(engine, batch_size=4), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        before = engine.counts.copy()
        with engine.lock:  # the device is busy: the request waits in the queue while its client leaves
            _post_and_hang_up(port, _body(PROMPTS[2], max_tokens=200))
            deadline = time.monotonic() + 10
            while engine.counts["abandoned"] == before["abandoned"] and time.monotonic() < deadline:
                time.sleep(0.05)
        assert engine.counts["abandoned"] == before["abandoned"] + 1
        # an over-long prompt gets its own 400; the request sent with it is answered
        results = {}
        threads = [
            threading.Thread(target=lambda k=k, b=b: results.__setitem__(k, _request(port, b)))
            for k, b in (("long", _body(" ".join(["w7"] * 600))), ("ok", _body(PROMPTS[0], max_tokens=4)))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results["long"][0] == 400 and "maximum context length" in results["long"][1]["detail"]
        assert results["ok"][0] == 200 and results["ok"][1]["choices"][0]["finish_reason"] in ("stop", "length")
        # the abandoned request was never generated
        assert engine.counts["skipped_abandoned"] == before["skipped_abandoned"] + 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)
