"""PIR scorer throughput on CUDA with a random-weight ~0.5B causal LM built from a config (no download).

    python bench/cot_pir_cuda.py                 # Qwen2 shape of Qwen2.5-0.5B: hidden 896, 24 layers, vocab 151936
    python bench/cot_pir_cuda.py --tiny          # the same code path with a tiny config (checks it on CPU)

Synthetic chains of 12-24 steps (half of them functional, so scored), ~2-3k tokens each. Prints chains/s and
tokens/s of the prefix-reusing scorer at two batch sizes, and the naive N+1 full passes on the same chains.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "samples")]

WORDS = ("so the sum is then we add multiply divide check value total result equation term factor root square "
         "side angle area number").split()  # fmt: skip
CUES = ["Wait, let me double-check this.", "Alternatively, another way is this.", "I made a mistake above."]


def synthetic_chain(rng: random.Random, steps: int, words_per_step: int):
    texts, scored = [], []
    for i in range(steps):
        body = " ".join(rng.choice(WORDS) + (f" {rng.randint(1, 999)}." if rng.random() < 0.2 else "")
                        for _ in range(words_per_step))  # fmt: skip
        if i > 0 and rng.random() < 0.5:
            body = rng.choice(CUES) + " " + body
            scored.append(i)
        texts.append(body + "\n\n")
    question = "What is the value of " + " ".join(rng.choice(WORDS) for _ in range(30)) + "?"
    answer = "The answer is " + " ".join(rng.choice(WORDS) for _ in range(40)) + " \\boxed{42}."
    return question, texts, answer, scored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--chains", type=int, default=24)
    parser.add_argument("--naive-chains", type=int, default=6)
    parser.add_argument("--batch-sizes", default="4,16")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    import torch
    from make_cot import build_tiny_lm
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from filters.cot.pir import TransformersPIRScorer, naive_score

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    tok_dir = build_tiny_lm(Path("/tmp/cot_bench_tok"), arch="qwen2")  # its byte-level BPE tokenizer only
    tokenizer = AutoTokenizer.from_pretrained(tok_dir)
    torch.manual_seed(0)
    if args.tiny:
        config = Qwen2Config(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192)  # fmt: skip
    else:  # the shape of Qwen2.5-0.5B
        config = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                             num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                             tie_word_embeddings=True)  # fmt: skip
    model = Qwen2ForCausalLM(config).to(device=device, dtype=dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    rng = random.Random(0)
    chains = [synthetic_chain(rng, rng.randint(12, 24), rng.randint(20, 35)) for _ in range(args.chains)]
    lengths = [len(TransformersPIRScorer(model, tokenizer).encoder.sequences(q, s, a, [])[0]) for q, s, a, _ in chains]
    report = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "dtype": str(dtype),
              "params": params, "chains": len(chains), "mean_chain_tokens": sum(lengths) / len(lengths),
              "mean_steps": sum(len(c[1]) for c in chains) / len(chains),
              "mean_scored_steps": sum(len(c[3]) for c in chains) / len(chains), "runs": []}  # fmt: skip
    print(json.dumps(report), flush=True)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    # warm-up (kernels, allocator)
    TransformersPIRScorer(model, tokenizer, batch_size=4).score(*chains[0])
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
        scorer = TransformersPIRScorer(model, tokenizer, batch_size=batch_size)
        sync()
        start, forward, padded = time.perf_counter(), 0, 0
        for q, s, a, scored in chains:
            result = scorer.score(q, s, a, scored)
            forward += result.forward_tokens
            padded += result.padded_tokens
        sync()
        wall = time.perf_counter() - start
        run = {"scorer": "prefix-reuse", "batch_size": batch_size, "wall_s": round(wall, 3),
               "chains_per_s": round(len(chains) / wall, 3), "chain_tokens_per_s": round(sum(lengths) / wall),
               "forward_tokens": forward, "padded_tokens": padded,
               "forward_tokens_per_s": round(forward / wall)}  # fmt: skip
        report["runs"].append(run)
        print(json.dumps(run), flush=True)
    # naive N+1 full passes on the first chains, and the reuse scorer at batch size 1 on the same chains
    subset = chains[: args.naive_chains]
    for name in ("naive", "prefix-reuse-b1"):
        sync()
        start, forward = time.perf_counter(), 0
        for q, s, a, scored in subset:
            if name == "naive":
                result = naive_score(model, tokenizer, q, s, a, scored)
            else:
                result = TransformersPIRScorer(model, tokenizer, batch_size=1).score(q, s, a, scored)
            forward += result.forward_tokens
        sync()
        wall = time.perf_counter() - start
        run = {"scorer": name, "chains": len(subset), "wall_s": round(wall, 3), "forward_tokens": forward,
               "chains_per_s": round(len(subset) / wall, 3)}  # fmt: skip
        report["runs"].append(run)
        print(json.dumps(run), flush=True)
    # scores agree in bf16 up to bf16 rounding: report the largest difference
    q, s, a, scored = chains[0]
    ref = naive_score(model, tokenizer, q, s, a, scored)
    got = TransformersPIRScorer(model, tokenizer, batch_size=16).score(q, s, a, scored)
    report["max_abs_pir_diff_vs_naive"] = max(abs(x - y) for x, y in zip(ref.pir, got.pir) if x is not None)
    print(json.dumps({"max_abs_pir_diff_vs_naive": report["max_abs_pir_diff_vs_naive"]}), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
