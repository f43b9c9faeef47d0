"""LLM rounds: a stage that sends each document to a model through datatrove's InferenceRunner.

A round writes the documents with their raw completions (`metadata.rollout_results`) to
work/llm/NAME/; the next stage reads them back in document order and parses them. Completions are
cached by datatrove's request cache (work/llm_cache/NAME), so a rerun never re-asks a finished prompt.
Timeouts and failed requests come back as `{"error": ...}` results for the parser to quarantine.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
from datatrove.pipeline.writers.jsonl import JsonlWriter

from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
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
        "prompt": prompt.name,
        "prompt_sha256": prompt_hash(prompt),
    }


def request_seed(seed: int, doc_id: str) -> int:
    """A sampling seed from the recipe seed and the document id: the same draw whatever the order or process."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()[:4], "big") & 0x7FFFFFFF


async def chat_rollout(document: Document, generate, *, prompt: str, params: dict, timeout: float, seed: int = 0):
    """One chat request per document; failures become results the parser can quarantine."""
    payload = {"messages": [{"role": "user", "content": render_prompt(prompt, document)}], **params}
    if params.get("temperature"):
        payload["seed"] = request_seed(seed, document.id)
    try:
        result = await asyncio.wait_for(generate(payload), timeout)
    except TimeoutError:
        return {"error": "timeout", "detail": f"no completion within {timeout}s"}
    except Exception as e:  # datatrove's InferenceError and transport errors
        return {"error": "request_failed", "detail": str(e)[:500]}
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
    }
    if llm.revision:
        model_kwargs["revision"] = llm.revision
    return InferenceConfig(
        server_type="custom",
        model_kwargs=model_kwargs,
        server_start_timeout_sec=300,
        server_ready_delay_sec=1.0,
        **common,
    )


class LLMRunner(InferenceRunner):
    """datatrove's InferenceRunner, with the endpoint API key read from the environment inside the task.

    The key never sits in the pipeline object, so it is never written to executor.json or the logs.
    """

    name = "llm"

    def __init__(self, *args, api_key_env: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.api_key_env = api_key_env

    def run(self, data, rank: int = 0, world_size: int = 1):
        if self.api_key_env:
            self.config.api_key = os.environ.get(self.api_key_env)
        try:
            return super().run(data, rank, world_size)
        finally:
            self.config.api_key = None


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
            "timeout": llm.request_timeout,
            "seed": seed,
        },
        checkpoints_local_dir=str(layout.scratch(f"llm_cache/{name}")),
        api_key_env=llm.api_key_env,
    )
    return Stage(f"llm-{name}", [RankShardReader(str(source)), runner], tasks)


class RoundOutputReader(RankShardReader):
    """Reads back rank r's completions of a round, in document-id order (completions finish in any order)."""

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        files = sorted(f for f in self.data_folder.list_files() if f.startswith(f"{rank:05d}_chunk_"))
        for doc in sorted(self.read_files_shard(files), key=lambda d: d.id):
            self.update_doc_stats(doc)
            yield doc


def completion_of(doc: Document) -> tuple[str | None, str | None, str | None]:
    """(text, error reason, detail) of a document's single rollout."""
    results = doc.metadata.pop("rollout_results", None) or [{"error": "request_failed", "detail": "no result"}]
    result = results[0] if isinstance(results[0], dict) else {"text": str(results[0])}
    if "error" in result:
        reason = "llm_timeout" if result["error"] == "timeout" else "llm_error"
        return None, reason, result.get("detail")
    return result.get("text") or "", None, None
