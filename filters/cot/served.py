"""PIR from an OpenAI-compatible server's `prompt_logprobs` (vLLM's extension of /v1/completions).

Each sequence of the plain (or chat) template -- the full chain and one variant per scored step, tokenized here with
the model's own tokenizer -- is sent as a list of token ids, so the server scores exactly the tokens the transformers
scorer and the naive recomputation score. With `max_tokens: 1` and `prompt_logprobs: 0` the server returns, for
every prompt position, the logprob of the prompt token itself; the answer's mean NLL is read from the last
`len(answer)` positions.

Backends: `endpoint` is any running server (a vLLM URL, with an API key read from an environment variable when the
task starts, never stored); `vllm` starts `vllm serve` on this node through datatrove's server machinery (the same
start/health/retry code as datatrove's InferenceRunner) and sends the same requests to it. There is no prefix reuse
across requests on our side; vLLM's own prefix cache may or may not serve prompt-logprob requests, depending on its
version.

Request policy (as factory.llm): 429/5xx, timeouts and transport errors are retried with doubling backoff, then the
task fails (`LLMInfrastructureError`), as do 401/403/404 and any other 400; a 400 that says the prompt is longer
than the model's context is the chain's own problem (`ChainTooLong`, quarantined as `too_long`).
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass

from factory.llm.errors import LLMInfrastructureError, classify
from filters.cot.pir import ChainEncoder, ChainScore, ChainTooLong, Overflow, Template, common_prefix


@dataclass
class ServerOptions:
    """How to reach the scoring server (nothing here changes a score: the key is read from `api_key_env`)."""

    backend: str = "endpoint"  # endpoint | vllm (datatrove also knows `custom`: a script that serves the API)
    model: str = ""  # the served model's name (endpoint) or the model to serve (vllm)
    endpoint_url: str | None = None
    api_key_env: str | None = None
    revision: str | None = None
    max_context: int | None = None  # vllm: --max-model-len (default: the model's context)
    tp: int = 1
    max_concurrent: int = 16
    request_timeout: float = 600.0
    retries: int = 5
    retry_backoff_s: float = 2.0
    server_start_timeout: float = 600.0
    server_kwargs: dict | None = None  # extra arguments of the spawned server


class HTTPFailure(RuntimeError):
    """A non-200 answer; `status_code` is what factory.llm.errors.classify reads."""

    def __init__(self, status_code: int, body: str):
        super().__init__(f"Error http status {status_code}: {body[:500]}")
        self.status_code = status_code


def answer_nll(response: dict, ids: list[int], n_answer: int) -> float:
    """Mean NLL of the last `n_answer` prompt tokens from a completion's `prompt_logprobs`."""
    choice = response["choices"][0]
    entries = choice.get("prompt_logprobs") or response.get("prompt_logprobs")
    if not entries or len(entries) != len(ids):
        got = len(entries) if entries else 0
        raise LLMInfrastructureError(f"server returned {got} prompt_logprobs for {len(ids)} prompt tokens")
    total = 0.0
    for position in range(len(ids) - n_answer, len(ids)):
        entry, token = entries[position] or {}, ids[position]
        value = entry.get(str(token), entry.get(token))
        if value is None:
            raise LLMInfrastructureError(f"prompt_logprobs at position {position} lack the prompt token {token}")
        total -= value["logprob"] if isinstance(value, dict) else value
    return total / n_answer


class _Loop:
    """An event loop in a daemon thread: the spawned server's health tasks keep running between chains."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pir-server-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


class PromptLogprobClient:
    """POSTs /v1/completions bodies with the request policy above; starts the server first for `vllm`."""

    def __init__(self, options: ServerOptions):
        self.options = options
        self.counters = {"requests": 0, "retried_requests": 0, "prompt_tokens": 0}
        self._server = self._http = self._semaphore = None

    async def start(self) -> None:
        import httpx

        o = self.options
        self._semaphore = asyncio.Semaphore(o.max_concurrent)
        if o.backend == "endpoint":
            key = os.environ.get(o.api_key_env) if o.api_key_env else None
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            self._http = httpx.AsyncClient(headers=headers, timeout=o.request_timeout)
            return
        from datatrove.pipeline.inference.run_inference import InferenceConfig
        from datatrove.pipeline.inference.servers import CustomServer, VLLMServer

        config = InferenceConfig(
            server_type=o.backend,
            model_name_or_path=o.model,
            model_max_context=o.max_context or 8192,
            use_chat=False,
            tp=o.tp,
            model_kwargs={**({"revision": o.revision} if o.revision else {}), **(o.server_kwargs or {})} or None,
            request_timeout=o.request_timeout,
            metric_interval=3600,
            server_start_timeout_sec=o.server_start_timeout,
            server_ready_delay_sec=1.0,
            server_ready_max_attempts=max(1, int(o.server_start_timeout)),
        )
        # datatrove's servers without its runner, whose results keep only the text: we need the raw JSON
        self._server = {"vllm": VLLMServer, "custom": CustomServer}[o.backend](config, rank=0)
        await self._server.__aenter__()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        if self._server is not None:
            await self._server.__aexit__(None, None, None)

    async def _post(self, payload: dict) -> dict:
        if self._server is not None:
            return await self._server.make_request(dict(payload))
        import httpx

        url = self.options.endpoint_url.rstrip("/").removesuffix("/v1") + "/v1/completions"
        try:
            response = await self._http.post(url, json=payload)
        except httpx.TransportError as e:  # refused, reset, timed out: retried like the server's 5xx
            raise ConnectionError(f"{type(e).__name__}: {e}") from e
        if response.status_code != 200:
            raise HTTPFailure(response.status_code, response.text)
        return response.json()

    async def complete(self, ids: list[int]) -> dict:
        payload = {"model": self.options.model, "prompt": ids, "max_tokens": 1, "temperature": 0.0}
        payload["prompt_logprobs"] = 0  # the prompt token's own logprob only (it is always included)
        async with self._semaphore:
            for attempt in range(self.options.retries + 1):
                try:
                    response = await asyncio.wait_for(self._post(payload), self.options.request_timeout)
                    self.counters["requests"] += 1
                    self.counters["prompt_tokens"] += len(ids)
                    return response
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    kind, what = classify(e), f"{type(e).__name__}: {str(e)[:300]}"
                    if kind == "too_long":
                        raise ChainTooLong(what) from e
                    if kind == "fatal" or attempt == self.options.retries:
                        tries = f"after {attempt + 1} attempts" if kind == "retry" else "not retryable"
                        raise LLMInfrastructureError(
                            f"{self.options.backend} scorer {self.options.model!r} failed ({tries}): {what}"
                        ) from e
                    self.counters["retried_requests"] += 1
                    await asyncio.sleep(min(60.0, self.options.retry_backoff_s * 2**attempt))
        raise AssertionError("unreachable")


async def _all_or_first_error(coroutines: list) -> list:
    """Results in order; on the first failure the other requests are cancelled (and awaited) and it is raised."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    errors = [task.exception() for task in tasks if task in done and task.exception() is not None]  # all read
    if errors:
        raise next((e for e in errors if not isinstance(e, ChainTooLong)), errors[0])
    return [task.result() for task in tasks]


class ServerPIRScorer:
    """The same `score()` as TransformersPIRScorer, computed by a server from prompt logprobs."""

    def __init__(self, tokenizer, options: ServerOptions, template: Template = "plain", max_tokens: int | None = None,
                 overflow: Overflow = "quarantine"):  # fmt: skip
        self.encoder = ChainEncoder(tokenizer, template)
        self.options = options
        self.max_tokens = max_tokens
        self.overflow = overflow
        self.client = PromptLogprobClient(options)
        self._loop = _Loop()
        try:
            self._loop.run(self.client.start())
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._loop is not None:
            try:
                self._loop.run(self.client.close())
            finally:
                self._loop.stop()
                self._loop = None

    def score(self, question: str, steps: list[str], answer: str, scored: list[int]) -> ChainScore:
        result = self.score_many([(question, steps, answer, scored)])[0]
        if isinstance(result, ChainTooLong):
            raise result
        return result

    def score_many(self, chains: list[tuple]) -> list[ChainScore | ChainTooLong]:
        """Scores of several chains, their requests in flight together; a too-long chain gives its ChainTooLong."""

        async def all_chains():
            return await asyncio.gather(*(self._score(*chain) for chain in chains), return_exceptions=True)

        results = self._loop.run(all_chains())
        for result in results:  # anything but a too-long chain fails the task
            if isinstance(result, BaseException) and not isinstance(result, ChainTooLong):
                raise result
        return results

    async def _score(self, question: str, steps: list[str], answer: str, scored: list[int]) -> ChainScore:
        full, n_answer, variants = self.encoder.sequences(question, steps, answer, scored)
        cut = 0
        if self.max_tokens is not None and len(full) > self.max_tokens:
            if self.overflow == "quarantine":
                raise ChainTooLong(f"{len(full)} tokens > max_tokens {self.max_tokens}")
            cut = len(full) - self.max_tokens
        # as the transformers scorer: every sequence loses the same first `cut` tokens; a step inside them is unscored
        sequences = {i: ids[cut:] for i, ids in variants.items() if common_prefix(ids, full) >= cut}
        full = full[cut:]
        keys = [None, *sequences]
        responses = await _all_or_first_error(
            [self.client.complete(full if k is None else sequences[k]) for k in keys]
        )
        nll = {k: answer_nll(r, full if k is None else sequences[k], n_answer) for k, r in zip(keys, responses)}
        out = ChainScore(nll[None], [None] * len(steps), len(full), n_answer, truncated_tokens=cut)
        out.variant_nll = [None] * len(steps)
        for i in sequences:
            out.variant_nll[i] = nll[i]
            out.pir[i] = nll[i] - nll[None]
        out.forward_tokens = out.padded_tokens = len(full) + sum(map(len, sequences.values()))
        return out
