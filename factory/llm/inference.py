"""LLM rounds: a stage that sends each document to a model through datatrove's InferenceRunner.

A round writes the documents with their raw completions (`metadata.rollout_results`) to
work/llm/NAME/; the next stage reads them back in document order and parses them. Completions are
cached by datatrove's request cache (work/llm_cache/NAME), so a rerun never re-asks a finished prompt.
Infrastructure failures fail the task (see factory.llm.errors); a prompt longer than the model's context
comes back as an `{"error": "prompt_too_long"}` result and a cut-off completion keeps its finish reason,
for the parser to quarantine.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceResult, InferenceRunner
from datatrove.pipeline.inference.types import InferenceError
from datatrove.pipeline.writers.jsonl import JsonlWriter

from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
from factory.llm.errors import LLMInfrastructureError, PromptTooLong, classify, is_prompt_too_long
from factory.readers import RankShardReader
from factory.stage import Stage

SERVER_SCRIPT = Path(__file__).with_name("transformers_server.py")


PLACEHOLDERS = ("{text}", "{question}", "{answer}", "{subject}", "{neighbours}")


def load_prompt(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if not any(p in text for p in PLACEHOLDERS):
        raise ValueError(f"{path}: a prompt needs one of the placeholders {', '.join(PLACEHOLDERS)}")
    return text


def render_prompt(prompt: str, document: Document) -> str:
    """{text} and {question} are the document text; {answer}, {subject} and {neighbours} (numbered
    benchmark questions, from the embedding search) come from its metadata."""
    meta = document.metadata
    neighbours = "\n".join(f"{i}. {q}" for i, q in enumerate(meta.get("benchmark_neighbours") or [], start=1))
    return (
        prompt.replace("{text}", document.text)
        .replace("{question}", document.text)
        .replace("{answer}", str(meta.get("answer") or ""))
        .replace("{subject}", str(meta.get("subject") or ""))
        .replace("{neighbours}", neighbours)
    )


def prompt_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def llm_entry(stage: str, llm: LLMConfig, prompt: Path) -> dict:
    """What the manifest and the card record of an LLM stage: model, revision, generation, prompt hash."""
    return {
        "stage": stage,
        "backend": llm.backend,
        "model": llm.model,
        "revision": llm.revision,
        "generation": llm.generation_params(),
        "generation_defaults": "neutral: the model's generation_config.json sampling defaults are not applied",
        "prompt": prompt.name,
        "prompt_sha256": prompt_hash(prompt),
    }


def request_seed(seed: int, doc_id: str) -> int:
    """A sampling seed from the recipe seed and the document id: the same draw whatever the order or process."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()[:4], "big") & 0x7FFFFFFF


async def chat_rollout(document: Document, generate, *, prompt: str, params: dict, seed: int = 0):
    """One chat request per document. Infrastructure errors propagate and fail the task; only a prompt the
    server refuses as too long becomes a result for the parser to quarantine."""
    payload = {"messages": [{"role": "user", "content": render_prompt(prompt, document)}], **params}
    if params.get("temperature"):
        payload["seed"] = request_seed(seed, document.id)
    try:
        result = await generate(payload)
    except InferenceError as e:
        if is_prompt_too_long(e):
            return {"error": "prompt_too_long", "detail": str(e)[:500]}
        raise
    return {"text": result.text, "finish_reason": result.finish_reason}


def inference_config(llm: LLMConfig) -> InferenceConfig:
    common = {
        "model_name_or_path": llm.model,
        "model_max_context": llm.max_context,
        "use_chat": True,
        "tp": llm.tp,
        "dp": llm.dp,
        "pp": llm.pp,
        "default_generation_params": llm.generation_params(),
        "max_concurrent_generations": llm.max_concurrent,
        "request_timeout": llm.request_timeout,
        "metric_interval": 3600,
        # a server that is not up in time fails the task (datatrove tries the start twice)
        "server_start_timeout_sec": llm.server_start_timeout,
        "server_ready_delay_sec": 1.0,
        "server_ready_max_attempts": max(1, int(llm.server_start_timeout)),
    }
    if llm.backend in ("vllm", "sglang"):
        kwargs = {"revision": llm.revision} if llm.revision else None
        return InferenceConfig(server_type=llm.backend, model_kwargs=kwargs, **common)
    if llm.backend == "endpoint":
        return InferenceConfig(server_type="endpoint", endpoint_url=llm.endpoint_url, **common)
    model_kwargs = {
        "server_script": str(SERVER_SCRIPT),
        "model": llm.model,
        "device": llm.device,
        "batch-size": llm.batch_size,
        "max-context": llm.max_context,
    }
    if llm.revision:
        model_kwargs["revision"] = llm.revision
    return InferenceConfig(
        server_type="custom",
        model_kwargs=model_kwargs,
        **common,
    )


class LLMRunner(InferenceRunner):
    """datatrove's InferenceRunner with our request policy and the endpoint key read inside the task.

    Each attempt has `request_timeout`; transport errors, timeouts, 429 and 5xx are retried `retries`
    times with doubling backoff, then raise `LLMInfrastructureError`, as do 401/403 and a server that
    does not start: the task fails and a rerun retries (datatrove's own loop retries 6 times over ~5 min
    and turns the rest into per-document errors). The key never sits in the pipeline object, so it is
    never written to executor.json or the logs.
    """

    name = "llm"

    def __init__(
        self, *args, api_key_env: str | None = None, retries: int = 5, retry_backoff_s: float = 2.0, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.api_key_env = api_key_env
        self.retries, self.retry_backoff_s = retries, retry_backoff_s

    def run(self, data, rank: int = 0, world_size: int = 1):
        data = iter(data if data is not None else ())
        first = next(data, None)
        if first is None:  # nothing left for this rank to ask (a retry round): start no model server for it
            self.stat_update("empty_rank")
            return None
        data = itertools.chain([first], data)
        if self.api_key_env:
            self.config.api_key = os.environ.get(self.api_key_env)
        try:
            return super().run(data, rank, world_size)
        finally:
            self.config.api_key = None

    async def _send_request(self, server, payload: dict, semaphore: asyncio.Semaphore) -> InferenceResult:
        payload["model"] = self.config.model_name_or_path
        for key, value in self.config.default_generation_params.items():
            payload.setdefault(key, value)
        ready = getattr(server, "_server_ready", None)
        if ready is not None:  # the timeout is per request, not for the server's start (minutes for a 70B model)
            await ready
        async with semaphore:
            for attempt in range(self.retries + 1):
                try:
                    # a copy: the OpenAI-client path pops "model" from the payload it is given
                    response = await asyncio.wait_for(server.make_request(dict(payload)), self.config.request_timeout)
                    return self._result(response)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    kind, what = classify(e), f"{type(e).__name__}: {str(e)[:300]}"
                    if kind == "too_long":
                        self.stat_update("prompt_too_long", unit="request")
                        raise PromptTooLong(what) from e
                    if kind == "fatal" or attempt == self.retries:
                        self.stat_update("failed_requests", unit="request")
                        tries = f"after {attempt + 1} attempts" if kind == "retry" else "not retryable"
                        raise LLMInfrastructureError(
                            f"{self.config.server_type} model {self.config.model_name_or_path!r} failed ({tries}): "
                            f"{what}; fix the cause and rerun to resume (completed requests are cached)"
                        ) from e
                    self.stat_update("retried_requests", unit="request")
                    await asyncio.sleep(min(60.0, self.retry_backoff_s * 2**attempt))
        raise AssertionError("unreachable")

    def _result(self, response: dict) -> InferenceResult:
        choice, usage = response["choices"][0], response.get("usage") or {}
        self.stat_update("prompt_tokens", value=usage.get("prompt_tokens", 0), unit="request")
        self.stat_update("completion_tokens", value=usage.get("completion_tokens", 0), unit="request")
        self.stat_update("successful_requests", unit="request")
        text = (choice["message"].get("content") if self.config.use_chat else choice.get("text")) or ""
        return InferenceResult(text=text, finish_reason=choice.get("finish_reason") or "stop", usage=usage)


def llm_round(
    name: str, llm: LLMConfig, prompt: Path, source: Path, layout: OutputLayout, tasks: int, seed: int = 0
) -> Stage:
    """Stage `llm-NAME`: rank r's documents in `source` -> the model -> work/llm/NAME/."""
    output = layout.scratch(f"llm/{name}")
    runner = LLMRunner(
        chat_rollout,
        inference_config(llm),
        JsonlWriter(str(output), output_filename="${rank}_chunk_${chunk_index}.jsonl.gz"),
        shared_context={
            "prompt": load_prompt(prompt),
            "params": llm.generation_params(),
            "seed": seed,
        },
        checkpoints_local_dir=str(layout.scratch(f"llm_cache/{name}")),
        api_key_env=llm.api_key_env,
        retries=llm.retries,
        retry_backoff_s=llm.retry_backoff_s,
    )
    pipeline = [RankShardReader(str(source)), runner]
    return Stage(f"llm-{name}", pipeline, tasks, serves_model=True, gpus=llm.gpus_per_task, partition=llm.partition)


def completion_of(doc: Document) -> tuple[str | None, str | None, str | None]:
    """(text, quarantine reason, detail) of a document's single rollout: `truncated` when generation hit
    max_tokens (a cut-off answer is not an answer), `prompt_too_long` when the server refused the prompt."""
    results = doc.metadata.pop("rollout_results", None)
    if not results:  # a round always stores one result; without one, this document never reached the model
        raise ValueError(f"document {doc.id} has no completion: was the round's output written by another build?")
    result = results[0] if isinstance(results[0], dict) else {"text": str(results[0])}
    if "error" in result:
        return None, result["error"], result.get("detail")
    text = result.get("text") or ""
    if result.get("finish_reason") == "length":
        return text, "truncated", "generation stopped at max_tokens"
    return text, None, None
