import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from datatrove.data import Document

from factory.llm.config import LLMConfig
from factory.llm.inference import inference_config, load_prompt, render_prompt, request_seed


def test_request_seeds_depend_on_recipe_seed_and_document_only():
    assert request_seed(0, "a") == request_seed(0, "a")
    assert len({request_seed(0, "a"), request_seed(1, "a"), request_seed(0, "b")}) == 3


def test_prompts_render_placeholders_and_keep_latex_braces(tmp_path):
    doc = Document(
        text="Solve $x^{2}=4$.",
        id="1",
        metadata={"answer": "\\boxed{2}", "subject": "math", "benchmark_neighbours": ["a?", "b?"]},
    )
    out = render_prompt("{subject}: {question} / {answer}\n{neighbours}", doc)
    assert out == "math: Solve $x^{2}=4$. / \\boxed{2}\n1. a?\n2. b?"
    bad = tmp_path / "p.txt"
    bad.write_text("no placeholder")
    with pytest.raises(ValueError, match="placeholders"):
        load_prompt(bad)


def test_backends_map_to_datatrove_server_types():
    assert inference_config(LLMConfig(backend="vllm", model="m", tp=4)).server_type == "vllm"
    assert inference_config(LLMConfig(backend="vllm", model="m", tp=4)).tp == 4
    endpoint = inference_config(LLMConfig(backend="endpoint", model="m", endpoint_url="http://x/v1", api_key_env="K"))
    assert endpoint.server_type == "endpoint" and endpoint.api_key is None
    custom = inference_config(LLMConfig(backend="transformers", model="/m", device="cuda", batch_size=4))
    assert custom.server_type == "custom" and custom.model_kwargs["device"] == "cuda"
    assert custom.model_kwargs["server_script"].endswith("transformers_server.py")
    with pytest.raises(ValueError, match="endpoint_url"):
        LLMConfig(backend="endpoint", model="m")


# --- failures: which are the document's, which fail the task -----------------------------------------


class _Status(Exception):
    def __init__(self, status_code: int, text: str = ""):
        super().__init__(text or f"status {status_code}")
        self.status_code = status_code


def test_failures_are_classified_infrastructure_or_document():
    from datatrove.pipeline.inference.types import InferenceError, ServerError

    from factory.llm.errors import classify

    assert classify(ServerError("CustomServer server did not become ready after waiting.")) == "fatal"
    assert classify(InferenceError(None, "Error http status 401")) == "fatal"
    assert classify(InferenceError(None, "Error http status 403")) == "fatal"
    assert classify(_Status(401, "Incorrect API key")) == "fatal"
    assert classify(InferenceError(None, "Error http status 429")) == "retry"
    assert classify(ConnectionError("rate limited")) == "retry"
    assert classify(ServerError("Got InternalServerError from server: boom")) == "retry"
    assert classify(_Status(503)) == "retry"
    assert classify(TimeoutError()) == "retry"
    too_long = "Got BadRequestError from server: This model's maximum context length is 8192 tokens"
    assert classify(InferenceError(None, too_long)) == "too_long"
    assert classify(InferenceError(None, "Got BadRequestError from server: unknown field 'temprature'")) == "fatal"


@contextlib.contextmanager
def status_endpoint(script):
    """A loopback OpenAI-compatible endpoint answering the n-th request with `script(n) -> (status, text)`."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self._send(200, {"data": [{"id": "m"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(body)
            status, text = script(len(seen))
            if status != 200:
                return self._send(status, {"detail": text})
            choice = {"message": {"content": text}, "finish_reason": "length" if "CUT" in text else "stop"}
            self._send(200, {"choices": [choice], "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

        def _send(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


def _run_round(url: str, tmp_path: Path, docs: int = 3, **llm):
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    from factory.llm.inference import LLMRunner, chat_rollout

    config = LLMConfig(backend="endpoint", model="m", endpoint_url=url, retry_backoff_s=0.01, **llm)
    tmp_path.mkdir(parents=True, exist_ok=True)
    prompt = tmp_path / "p.txt"
    prompt.write_text("Say {text}")
    runner = LLMRunner(
        chat_rollout,
        inference_config(config),
        JsonlWriter(str(tmp_path / "out"), output_filename="${rank}_chunk_${chunk_index}.jsonl.gz"),
        shared_context={"prompt": load_prompt(prompt), "params": config.generation_params(), "seed": 0},
        checkpoints_local_dir=str(tmp_path / "cache"),
        retries=config.retries,
        retry_backoff_s=config.retry_backoff_s,
    )
    runner.run(iter([Document(text=f"doc {i}", id=f"d{i}") for i in range(docs)]))
    return runner


@pytest.mark.parametrize(
    ("status", "what"), [(401, "not retryable"), (403, "not retryable"), (429, "after 3 attempts")]
)
def test_auth_and_rate_limit_failures_fail_the_task(tmp_path, status, what):
    from factory.llm.errors import LLMInfrastructureError

    with status_endpoint(lambda n: (status, "no")) as (url, seen):
        with pytest.raises(Exception) as raised:
            _run_round(url, tmp_path, retries=2, max_concurrent=1)
    chain = [raised.value, raised.value.__cause__]
    assert any(isinstance(e, LLMInfrastructureError) and what in str(e) for e in chain), chain
    assert len(seen) == (3 if status == 429 else 1)


def test_transient_errors_are_retried_and_a_rerun_asks_only_what_failed(tmp_path):
    flaky = {2: (503, "busy"), 3: (429, "slow down")}
    with status_endpoint(lambda n: flaky.get(n, (200, "ok"))) as (url, seen):
        runner = _run_round(url, tmp_path, docs=3, max_concurrent=1)
    assert runner.stats["retried_requests"].total == 2 and len(seen) == 5
    # a server that never comes back fails the task; the rerun re-sends only the prompts not answered
    with status_endpoint(lambda n: (200, "ok") if n == 1 else (500, "down")) as (url, seen):
        with pytest.raises(Exception, match="after 2 attempts"):
            _run_round(url, tmp_path / "b", docs=3, max_concurrent=1, retries=1)
    first = seen[0]["messages"][0]["content"]
    with status_endpoint(lambda n: (200, "ok")) as (url, seen):
        _run_round(url, tmp_path / "b", docs=3, max_concurrent=1)
    asked = {b["messages"][0]["content"] for b in seen}
    assert first not in asked and asked == {"Say doc 1", "Say doc 2"}


def test_settings_that_do_not_change_data_keep_the_recipe_hash(tmp_path):
    import yaml

    from factory.recipe import load_recipe

    def recipe_hash(**llm):
        base = {"backend": "endpoint", "model": "m", "endpoint_url": "http://x/v1"}
        recipe = {
            "recipe": "textbook_qa",
            "name": "h",
            "input": {"path": str(tmp_path), "format": "pdf"},
            "stages": {"extract": {"llm": {**base, **llm}}},
            "output": {"path": str(tmp_path / "out")},
        }
        path = tmp_path / "r.yaml"
        path.write_text(yaml.safe_dump(recipe))
        return load_recipe(path).hash()

    base = recipe_hash()
    quiet = dict(request_timeout=5, max_concurrent=3, retries=9, retry_backoff_s=1, batch_size=2, gpus=2)
    assert recipe_hash(**quiet, partition="gpu", api_key_env="K", server_start_timeout=30) == base
    assert recipe_hash(temperature=0.5) != base and recipe_hash(max_tokens=10) != base


def test_model_serving_stages_ask_slurm_and_ray_for_gpus(tmp_path):
    from factory.chain import LLMRound, chain
    from factory.layout import OutputLayout

    prompt = tmp_path / "p.txt"
    prompt.write_text("{text}")
    assert LLMConfig(backend="vllm", model="m", tp=2, pp=2).gpus_per_task == 4
    assert LLMConfig(backend="transformers", model="m", device="cpu").gpus_per_task == 0
    assert LLMConfig(backend="endpoint", model="m", endpoint_url="http://x").gpus_per_task == 0
    llm = LLMConfig(backend="vllm", model="m", tp=2, partition="gpu")
    stages = chain("filter", [LLMRound("extract", llm, prompt, None)], OutputLayout(tmp_path / "out"), 2)
    assert [(s.gpus, s.partition) for s in stages] == [(0, None), (2, "gpu"), (0, None)]
    from factory.recipe import ExecutorConfig
    from factory.runner import make_executors

    class _Recipe:
        name = "r"
        executor = ExecutorConfig(type="slurm", partition="cpu", tasks=2)

    slurm = make_executors(_Recipe(), stages, OutputLayout(tmp_path / "out"))
    assert [(e.gpus_per_task, e.partition) for e in slurm] == [(0, "cpu"), (2, "gpu"), (0, "cpu")]
    assert slurm[1].get_sbatch_args()["gpus"] == 2


# --- the round reader: merge of sorted runs ---------------------------------------------------------


def _write_round(folder: Path, rank: int, ids: list[str], size: int = 100):
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    for chunk in range(2):
        with gzip.open(folder / f"{rank:05d}_chunk_{chunk}.jsonl.gz", "wt") as f:
            for doc_id in ids[chunk::2]:
                f.write(json.dumps({"id": doc_id, "text": "x" * size, "metadata": {"k": doc_id}}) + "\n")


def test_round_reader_merges_sorted_runs_into_id_order(tmp_path):
    import random

    from factory.llm.round_reader import RoundOutputReader

    ids = [f"doc{i:04d}" for i in range(300)]
    random.Random(0).shuffle(ids)
    _write_round(tmp_path, 1, ids)
    _write_round(tmp_path, 0, ["other"])
    spilled = RoundOutputReader(str(tmp_path), run_bytes=2_000)
    docs = list(spilled.run(rank=1))
    assert [d.id for d in docs] == sorted(ids) and docs[5].metadata["k"] == docs[5].id
    assert spilled.stats["sorted_runs"].total > 10
    in_memory = RoundOutputReader(str(tmp_path))
    assert [d.id for d in in_memory.run(rank=1)] == sorted(ids)
    assert in_memory.stats["sorted_runs"].total == 0  # one run fits: nothing spilled


def test_round_reader_memory_does_not_grow_with_the_rank(tmp_path):
    import tracemalloc

    from factory.llm.round_reader import RoundOutputReader

    ids = [f"doc{i:05d}" for i in range(3000)][::-1]
    _write_round(tmp_path, 0, ids, size=4_000)  # 12 MB of text
    tracemalloc.start()
    count = sum(1 for _ in RoundOutputReader(str(tmp_path), run_bytes=500_000).run(rank=0))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 3000 and peak < 4_000_000, peak


def test_a_rank_with_nothing_to_ask_starts_no_server(tmp_path):
    # nothing listens on port 9: starting a server (or asking it anything) would fail the task
    runner = _run_round("http://127.0.0.1:9/v1", tmp_path, docs=0, retries=0)
    assert runner.stats["empty_rank"].total == 1
