"""A small OpenAI-compatible server around a local Hugging Face model (CPU or CUDA).

datatrove's `custom` server type starts it as `python transformers_server.py --port N --model=PATH ...`,
waits for "Uvicorn running on" and polls /v1/models. Concurrent requests are gathered into batches
and generated together (left-padded), which is what makes a GPU worth having.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
import time
import uuid


def build_app(model_path: str, revision: str | None, device: str, batch_size: int, max_wait_ms: float = 20):
    import torch
    from fastapi import FastAPI, HTTPException
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(model_path, revision=revision)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_path, revision=revision, dtype=dtype).to(device).eval()
    queue: asyncio.Queue = asyncio.Queue()
    lock = threading.Lock()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(batcher())
        yield
        task.cancel()

    app = FastAPI(lifespan=lifespan)

    def prompt_of(body: dict) -> str:
        if "messages" in body:
            if tokenizer.chat_template:
                return tokenizer.apply_chat_template(body["messages"], tokenize=False, add_generation_prompt=True)
            return "\n".join(f"{m['role']}: {m['content']}" for m in body["messages"]) + "\nassistant:"
        return body.get("prompt", "")

    def generate(batch: list[dict]) -> list[tuple[str, str, int, int]]:
        """One forward pass for requests that share generation settings (temperature, max_tokens)."""
        first = batch[0]
        max_new = max(int(b.get("max_tokens") or 256) for b in batch)
        temperature = float(first.get("temperature") or 0.0)
        enc = tokenizer([prompt_of(b) for b in batch], return_tensors="pt", padding=True, add_special_tokens=False).to(
            device
        )
        kwargs = {"max_new_tokens": max_new, "pad_token_id": tokenizer.pad_token_id}
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=float(first.get("top_p") or 1.0))
            if "seed" in first:
                torch.manual_seed(int(first["seed"]))
        else:
            kwargs["do_sample"] = False
        with lock, torch.inference_mode():
            out = model.generate(**enc, **kwargs)
        results = []
        for i, (row, body) in enumerate(zip(out[:, enc["input_ids"].shape[1] :], batch)):
            tokens = row.tolist()
            limit = int(body.get("max_tokens") or 256)
            tokens = tokens[:limit]
            if tokenizer.eos_token_id in tokens:
                tokens = tokens[: tokens.index(tokenizer.eos_token_id)]
                reason = "stop"
            else:
                reason = "length" if len(tokens) >= limit else "stop"
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            results.append((text, reason, int(enc["attention_mask"][i].sum()), len(tokens)))
        return results

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
            groups: dict = {}
            for body, future in items:
                groups.setdefault((body.get("temperature"), body.get("top_p")), []).append((body, future))
            for group in groups.values():
                try:
                    results = await asyncio.to_thread(generate, [b for b, _ in group])
                except Exception as e:  # report to every waiting request, keep serving
                    for _, future in group:
                        future.set_exception(e)
                    continue
                for (_, future), result in zip(group, results):
                    future.set_result(result)

    async def complete(body: dict) -> tuple[str, str, int, int]:
        future = asyncio.get_running_loop().create_future()
        await queue.put((body, future))
        try:
            return await future
        except Exception as e:
            raise HTTPException(status_code=500, detail=f"generation failed: {e}") from None

    def usage(prompt_tokens: int, completion_tokens: int) -> dict:
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": model_path, "object": "model", "owned_by": "local"}]}

    @app.post("/v1/chat/completions")
    async def chat(body: dict):
        text, reason, p, c = await complete(body)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", model_path),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": reason}],
            "usage": usage(p, c),
        }

    @app.post("/v1/completions")
    async def completions(body: dict):
        text, reason, p, c = await complete(body)
        return {
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.get("model", model_path),
            "choices": [{"index": 0, "text": text, "finish_reason": reason}],
            "usage": usage(p, c),
        }

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
    args = parser.parse_args(argv)
    app = build_app(args.model, args.revision, args.device, args.batch_size)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
