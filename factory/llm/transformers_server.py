"""A small OpenAI-compatible server around a local Hugging Face model (CPU or CUDA).

datatrove's `custom` server type starts it as `python transformers_server.py --port N --model=PATH ...`,
waits for "Uvicorn running on" and polls /v1/models. Concurrent requests are gathered into batches
and generated together (left-padded), which is what makes a GPU worth having. Per request:
- sampling draws from its own `torch.Generator` seeded by the request's `seed` (temperature, top_p and
  top_k per row too), so a seeded request gives the same completion alone or in any batch;
- the prompt length is checked before batching: a prompt that does not fit the context with its
  max_tokens gets its own 400, the batch it would have joined is unaffected;
- the model's generation_config.json sampling defaults (repetition_penalty, top_k, ...) are not applied,
  only the request's parameters; what was ignored is logged and listed by /v1/models;
- a request whose client disconnected is not generated, or stops at the next token if it is generating.
"""

import argparse
import asyncio
import collections
import contextlib
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

log = logging.getLogger("transformers_server")
# GenerationConfig fields that change which tokens come out; the rest (token ids, cache) are kept
SAMPLING_KEYS = (
    "do_sample",
    "temperature",
    "top_k",
    "top_p",
    "min_p",
    "typical_p",
    "repetition_penalty",
    "no_repeat_ngram_size",
    "length_penalty",
    "num_beams",
    "bad_words_ids",
    "suppress_tokens",
    "begin_suppress_tokens",
    "max_length",
    "max_new_tokens",
)


class BadRequest(ValueError):
    """A request this server refuses (HTTP 400), alone."""


@dataclass
class Pending:
    ids: list[int]
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    seed: int
    abandoned: threading.Event = field(default_factory=threading.Event)
    future: asyncio.Future | None = None


def model_generation_defaults(model_path: str, revision: str | None = None) -> dict:
    """The sampling settings of a model's generation_config.json that differ from neutral (none: {})."""
    from transformers import GenerationConfig

    try:
        config = GenerationConfig.from_pretrained(model_path, revision=revision)
    except OSError:  # the model has no generation_config.json
        return {}
    neutral = GenerationConfig()
    return {k: getattr(config, k) for k in SAMPLING_KEYS if getattr(config, k, None) != getattr(neutral, k, None)}


class Engine:
    """The model, its tokenizer and per-request batched generation (what the HTTP handlers call)."""

    def __init__(self, model_path: str, revision: str | None = None, device: str = "auto", max_context: int = 0):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device, self.model_path = device, model_path
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, revision=revision)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(model_path, revision=revision, dtype=dtype).to(device).eval()
        self.ignored_defaults = model_generation_defaults(model_path, revision)
        loaded = self.model.generation_config
        eos = loaded.eos_token_id if loaded.eos_token_id is not None else self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        # neutral: only token ids, so generate() cannot fill sampling settings from the model's file
        self.model.generation_config = GenerationConfig(
            eos_token_id=eos, bos_token_id=loaded.bos_token_id, pad_token_id=self.tokenizer.pad_token_id
        )
        config = self.model.config
        positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        limits = [positions, max_context]
        self.context = min([x for x in limits if x], default=0)  # 0: no check
        self.lock = threading.Lock()  # one generate() at a time on the device
        self.counts = collections.Counter()

    def prompt_of(self, body: dict) -> str:
        if "messages" in body:
            if self.tokenizer.chat_template:
                return self.tokenizer.apply_chat_template(body["messages"], tokenize=False, add_generation_prompt=True)
            return "\n".join(f"{m['role']}: {m['content']}" for m in body["messages"]) + "\nassistant:"
        return body.get("prompt", "")

    def pending(self, body: dict) -> Pending:
        """Validates one request on its own; raises BadRequest with the reason."""
        try:
            max_tokens = int(body["max_tokens"] if body.get("max_tokens") is not None else 256)
            temperature = float(body.get("temperature") or 0.0)
            top_p = float(body.get("top_p") if body.get("top_p") is not None else 1.0)
            top_k = int(body.get("top_k") if body.get("top_k") is not None else -1)
            seed = body.get("seed")
        except (TypeError, ValueError) as e:
            raise BadRequest(f"invalid generation parameter: {e}") from None
        if max_tokens < 1 or temperature < 0 or not 0 < top_p <= 1:
            raise BadRequest("need max_tokens >= 1, temperature >= 0, 0 < top_p <= 1")
        for key, neutral in (("repetition_penalty", 1.0), ("min_p", 0.0)):
            if body.get(key) is not None and float(body[key]) != neutral:
                raise BadRequest(f"{key}={body[key]} is not supported by this server (only {neutral})")
        ids = self.tokenizer(self.prompt_of(body), add_special_tokens=False)["input_ids"]
        if self.context and len(ids) + max_tokens > self.context:
            raise BadRequest(
                f"the prompt is {len(ids)} tokens; with max_tokens={max_tokens} it is longer than the context "
                f"of {self.context} tokens (maximum context length)"
            )
        seed = int(seed) if seed is not None else random.SystemRandom().randrange(2**63)
        return Pending(ids, max_tokens, temperature, top_p, top_k, seed)

    def generate(self, batch: list[Pending]) -> dict[int, tuple[str, str, int, int]]:
        """Completions of the requests still wanted, by `id(pending)`: (text, finish_reason, prompt, completion)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        with self.lock, torch.inference_mode():  # the device may have been busy: who is still waiting?
            live = [p for p in batch if not p.abandoned.is_set()]
            self.counts["skipped_abandoned"] += len(batch) - len(live)
            if not live:
                return {}
            pad, width = self.tokenizer.pad_token_id, max(len(p.ids) for p in live)
            input_ids = torch.tensor([[pad] * (width - len(p.ids)) + p.ids for p in live], device=self.device)
            mask = torch.tensor([[0] * (width - len(p.ids)) + [1] * len(p.ids) for p in live], device=self.device)
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                do_sample=False,  # greedy picks the token RowSampler chose for sampled rows
                max_new_tokens=max(p.max_tokens for p in live),
                logits_processor=LogitsProcessorList([RowSampler(live)]),
                stopping_criteria=StoppingCriteriaList([RowStops(width, live)]),
                pad_token_id=pad,
            )
        self.counts["generated"] += len(live)
        results = {}
        for row, p in zip(out[:, width:].tolist(), live):
            tokens = row[: p.max_tokens]
            ends = [i for i, t in enumerate(tokens) if t in self.eos_ids]
            if ends:
                tokens, reason = tokens[: ends[0]], "stop"
            else:
                reason = "length" if len(tokens) >= p.max_tokens else "stop"
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            results[id(p)] = (text, reason, len(p.ids), len(tokens))
        return results


class RowSampler:
    """A logits processor drawing each sampled row's token with that request's own generator.

    It leaves greedy rows alone and gives a sampled row's chosen token the only finite score, so
    `generate(do_sample=False)` emits it: a row's draws never depend on the other rows of its batch.
    """

    def __init__(self, rows: list[Pending]):
        import torch

        self.rows = [(p, torch.Generator().manual_seed(p.seed) if p.temperature > 0 else None) for p in rows]

    def __call__(self, input_ids, scores):
        import torch

        for i, (p, generator) in enumerate(self.rows):
            if generator is None:
                continue
            logits = scores[i].detach().to("cpu", torch.float64) / p.temperature
            if 0 < p.top_k < logits.numel():
                logits[logits < torch.topk(logits, p.top_k).values[-1]] = float("-inf")
            probs = torch.softmax(logits, dim=-1)
            if p.top_p < 1:
                ordered, order = probs.sort(descending=True, stable=True)
                probs[order[(ordered.cumsum(0) - ordered) >= p.top_p]] = 0
            cumulative = probs.cumsum(0)
            draw = torch.rand((), generator=generator, dtype=torch.float64) * cumulative[-1]
            token = int(torch.searchsorted(cumulative, draw, right=True).clamp(max=probs.numel() - 1))
            scores[i] = float("-inf")
            scores[i, token] = 0.0
        return scores


class RowStops:
    """Per-row stop: at the row's own max_tokens, or as soon as its client has gone."""

    def __init__(self, prompt_width: int, rows: list[Pending]):
        self.width, self.rows = prompt_width, rows

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        produced = input_ids.shape[1] - self.width
        done = [produced >= p.max_tokens or p.abandoned.is_set() for p in self.rows]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


def build_app(engine: Engine, batch_size: int, max_wait_ms: float = 20, disconnect_poll_s: float = 0.1):
    from fastapi import FastAPI, HTTPException, Request

    queue: asyncio.Queue = asyncio.Queue()

    async def batcher():
        loop = asyncio.get_running_loop()
        while True:
            items = [await queue.get()]
            deadline = loop.time() + max_wait_ms / 1000
            while len(items) < batch_size and (left := deadline - loop.time()) > 0:
                try:
                    items.append(await asyncio.wait_for(queue.get(), left))
                except TimeoutError:
                    break
            try:
                results = await asyncio.to_thread(engine.generate, items)
            except Exception as e:  # report to every waiting request, keep serving
                log.exception("generation failed")
                for p in items:
                    if not p.future.done():
                        p.future.set_exception(e)
                continue
            for p in items:
                if not p.future.done() and id(p) in results:
                    p.future.set_result(results[id(p)])

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(batcher())
        yield
        task.cancel()

    app = FastAPI(lifespan=lifespan)

    async def complete(request: Request) -> tuple[dict, tuple[str, str, int, int]]:
        body = await request.json()
        try:
            pending = engine.pending(body)
        except BadRequest as e:
            raise HTTPException(status_code=400, detail=str(e)) from None
        pending.future = asyncio.get_running_loop().create_future()
        await queue.put(pending)
        while not pending.future.done():
            await asyncio.wait({pending.future}, timeout=disconnect_poll_s)
            if not pending.future.done() and await request.is_disconnected():
                pending.abandoned.set()  # skipped if still queued, stopped at the next token if generating
                engine.counts["abandoned"] += 1
                raise HTTPException(status_code=499, detail="client disconnected")
        try:
            return body, pending.future.result()
        except Exception as e:
            raise HTTPException(status_code=500, detail=f"generation failed: {e}") from None

    def usage(prompt_tokens: int, completion_tokens: int) -> dict:
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }

    def envelope(kind: str, body: dict, choice: dict, p: int, c: int) -> dict:
        return {
            "id": f"{kind}-{uuid.uuid4().hex}",
            "object": "chat.completion" if kind == "chatcmpl" else "text_completion",
            "created": int(time.time()),
            "model": body.get("model", engine.model_path),
            "choices": [choice],
            "usage": usage(p, c),
        }

    @app.get("/v1/models")
    async def models():
        entry = {"id": engine.model_path, "object": "model", "owned_by": "local"}
        entry["ignored_generation_defaults"] = engine.ignored_defaults
        return {"object": "list", "data": [entry]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body, (text, reason, p, c) = await complete(request)
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": reason}
        return envelope("chatcmpl", body, choice, p, c)

    @app.post("/v1/completions")
    async def completions(request: Request):
        body, (text, reason, p, c) = await complete(request)
        return envelope("cmpl", body, {"index": 0, "text": text, "finish_reason": reason}, p, c)

    return app


def main(argv=None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model", required=True)
    parser.add_argument("--revision", default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-context", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    engine = Engine(args.model, args.revision, args.device, args.max_context)
    if engine.ignored_defaults:
        log.info("not applying the model's generation_config.json defaults: %s", engine.ignored_defaults)
    uvicorn.run(build_app(engine, args.batch_size), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
