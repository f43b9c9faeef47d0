"""Shared fixtures: sample inputs and a tiny math classifier, built here (no downloads)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))

from make_samples import write_samples  # noqa: E402


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("samples")
    write_samples(root, seed=0)
    (root / "blocklist.txt").write_text((ROOT / "samples" / "blocklist.txt").read_text())
    return root


@pytest.fixture(scope="session")
def samples_textbooks(tmp_path_factory) -> Path:
    from make_textbooks import write_textbooks

    root = tmp_path_factory.mktemp("textbooks")
    write_textbooks(root)
    return root


@pytest.fixture(scope="session")
def classifier_model(samples, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "math.bin"
    # exactly what `make samples` runs, in a fresh process: fastText training in this long-lived test process
    # diverged (NaN) after pymupdf had extracted a page with a combining glyph, though the same training in a
    # new process never does
    run_factory(
        "train-classifier", "--input", samples / "seed" / "labelled.jsonl", "--output", path,
        "--dim", "64", "--epoch", "25", "--bucket", "50000", "--seed", "0",
    )  # fmt: skip
    return path


def recipe_writer(samples: Path, classifier_model: Path, tmp_path: Path):
    """A function writing math_web recipes over the samples; keyword overrides replace whole top-level blocks."""

    def make(name: str = "recipe.yaml", output: Path | None = None, **blocks) -> Path:
        recipe = {
            "recipe": "math_web",
            "name": "test-math",
            "seed": 0,
            "input": {"path": str(samples / "web"), "format": "warc"},
            "executor": {"type": "local", "tasks": 2, "workers": 1},
            "stages": {
                "url": {"blocklist_file": str(samples / "blocklist.txt")},
                "classifier": {"model": str(classifier_model), "threshold": 0.4},
                "decontamination": {"benchmarks": [{"path": str(samples / "benchmarks" / "gsm8k_sample.jsonl")}]},
            },
            "output": {"path": str(output or tmp_path / "out")},
        }
        recipe.update(blocks)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(recipe, sort_keys=False))
        return path

    return make


@pytest.fixture
def make_recipe(samples, classifier_model, tmp_path):
    return recipe_writer(samples, classifier_model, tmp_path)


class ListWriter:
    """An exclusion writer that keeps what it is given, for asserting on quarantined documents."""

    def __init__(self):
        self.docs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, doc, rank=0):
        self.docs.append(doc)


def run_factory(*args, cwd: Path | None = None, env: dict | None = None, check: bool = True):
    """The console script, as a user runs it."""
    factory = Path(sys.executable).parent / "factory"
    result = subprocess.run(
        [str(factory), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"factory {' '.join(map(str, args))} exited {result.returncode}:\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random-weight GPT-2 with a word-level tokenizer and a chat template, saved locally (plumbing only)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = ["<unk>", "<pad>", "<eos>", "Question:", "Answer:", "[NO", "QA]", "user", "assistant"]
    words += [f"w{i}" for i in range(120)]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )
    tokenizer.chat_template = "{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {% endfor %}assistant"
    path = tmp_path_factory.mktemp("tiny_model")
    tokenizer.save_pretrained(path)
    import torch

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(words),
        n_positions=512,
        n_embd=32,
        n_layer=2,
        n_head=2,
        eos_token_id=2,
        bos_token_id=2,
        pad_token_id=1,
    )
    GPT2LMHeadModel(config).save_pretrained(path)
    return path


@contextlib.contextmanager
def scripted_endpoint(respond):
    """A loopback OpenAI-compatible endpoint: `respond(prompt) -> completion text`. Yields (url, prompts seen)."""
    prompts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, payload):
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._reply({"object": "list", "data": [{"id": "scripted"}]})

        def do_POST(self):
            prompt = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["messages"][0]["content"]
            prompts.append(prompt)
            text = respond(prompt)
            try:
                self._reply(
                    {
                        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                    }
                )
            except BrokenPipeError:  # the client gave up (a timeout under test)
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", prompts
    finally:
        server.shutdown()
