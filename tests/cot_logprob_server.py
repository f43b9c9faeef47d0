"""A loopback stand-in for vLLM's /v1/completions with `prompt_logprobs`, computed by a local model in-process.

Used two ways: `serve(model_path, script)` runs it in a thread for the endpoint tests; `python cot_logprob_server.py
--port N --model PATH` is the script datatrove's `custom` server type spawns (the same start machinery `vllm` uses).
`script(n, payload)` may answer request n with a failure `(status, body)` instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def prompt_logprobs(model, ids: list[int]) -> list:
    """vLLM's shape: None for the first token, then {str(token id): {logprob, rank, decoded_token}} per position."""
    import torch

    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    logp = torch.log_softmax(logits, -1)
    out: list = [None]
    for position in range(1, len(ids)):
        row, token = logp[position - 1], ids[position]
        rank = int((row > row[token]).sum()) + 1
        out.append({str(token): {"logprob": float(row[token]), "rank": rank, "decoded_token": "?"}})
    return out


def make_server(model, port: int = 0, script=None, max_context: int | None = None, api_key: str | None = None):
    log: dict = {"payloads": [], "headers": []}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, status: int, payload):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._reply(200, {"object": "list", "data": [{"id": "scripted", "max_model_len": max_context}]})

        def do_POST(self):
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                n = len(log["payloads"])
                log["payloads"].append(payload)
                log["headers"].append(dict(self.headers))
            if self.path != "/v1/completions":
                return self._reply(404, {"error": f"no route {self.path}"})
            if api_key and self.headers.get("Authorization") != f"Bearer {api_key}":
                return self._reply(401, {"error": "bad key"})
            failure = script(n, payload) if script else None
            if failure:
                return self._reply(*failure)
            ids = payload["prompt"]
            if max_context and len(ids) > max_context:
                message = f"This model's maximum context length is {max_context} tokens. However, you requested more"
                return self._reply(400, {"object": "error", "message": message})
            choice = {"index": 0, "text": "x", "finish_reason": "length"}
            choice["prompt_logprobs"] = prompt_logprobs(model, ids)
            self._reply(200, {"choices": [choice], "usage": {"prompt_tokens": len(ids), "completion_tokens": 1}})

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # a real server's backlog: concurrent clients are not refused

    return Server(("127.0.0.1", port), Handler), log


@contextlib.contextmanager
def serve(model, script=None, max_context: int | None = None, api_key: str | None = None):
    """Yields (url, log of payloads and headers)."""
    server, log = make_server(model, 0, script, max_context, api_key)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(args.model).eval()
    server, _ = make_server(model, args.port)
    print(f"Uvicorn running on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
