"""The transformers backend's engine on CUDA: are seeded and greedy completions the same alone and batched?

    python bench/llm_server_cuda.py           # random-weight Qwen2 in Qwen2.5-0.5B's shape (no download), bf16
    python bench/llm_server_cuda.py --tiny    # the same code path with a tiny config (CPU check)

On CPU in fp32 the tests assert equality; on a GPU in bf16, padding changes the kernels' reduction order, so
this measures how often a request's text differs between alone and batched, and the batched throughput.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "samples")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()

    import torch
    from make_cot import build_tiny_lm

    from factory.llm.transformers_server import Engine

    path = Path(tempfile.mkdtemp()) / "lm"
    if args.tiny:
        build_tiny_lm(path, arch="qwen2", hidden=64, layers=2)
    else:
        build_tiny_lm(path, arch="qwen2", hidden=896, layers=24, context=4096)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    engine = Engine(str(path), device=device)
    rng = random.Random(0)
    words = "the sum of two squares is a number we add then check the value of each term".split()
    prompts = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 200))) for _ in range(args.requests)]
    print(f"device {device}, {sum(p.numel() for p in engine.model.parameters()) / 1e6:.0f}M parameters")
    for label, extra in (("greedy", {"temperature": 0}), ("seeded sampling", {"temperature": 0.8, "top_p": 0.95})):
        bodies = [
            {"prompt": p, "max_tokens": args.max_tokens, "seed": 1000 + i, **extra} for i, p in enumerate(prompts)
        ]
        alone = []
        for body in bodies:
            pending = engine.pending(body)
            alone.append(engine.generate([pending])[id(pending)][0])
        batch = [engine.pending(body) for body in bodies]
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        results = engine.generate(batch)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        batched = [results[id(p)][0] for p in batch]
        tokens = sum(results[id(p)][3] for p in batch)
        same = sum(a == b for a, b in zip(alone, batched))
        print(
            f"{label:>16}: {same}/{len(bodies)} completions identical alone and batched; "
            f"batch of {len(bodies)}: {tokens} tokens in {seconds:.2f} s = {tokens / seconds:,.0f} tokens/s"
        )


if __name__ == "__main__":
    main()
