"""cot_prune on ../shared/realdata/cot: segmentation invariant, token share per step type, quarantine, PIR speed.

    python bench/cot_realdata.py [--score N] [--endpoint N]

The chains are re-wrapped in their original tags (Sky-T1 `<|begin_of_thought|>`, Marco-o1 `<Thought>/<Output>`;
the closing answer tag only where the source says the answer was closed) and read with the recipe's tag parser.
Scoring: N seeded chains with >= 8 steps, tiny random-weight model on CPU, prefix reuse vs naive N+1 passes.
--endpoint: the same chains through the `endpoint` scorer (token ids -> prompt_logprobs) against a loopback server
that runs the same tiny model (tests/cot_logprob_server.py): max |PIR difference| against the transformers scorer.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "samples")]
REAL = ROOT.parent / "shared" / "realdata" / "cot"

from filters.cot.cues import FUNCTIONAL, STEP_TYPES, classify  # noqa: E402
from filters.cot.layouts import ChainError, parse_chain  # noqa: E402
from filters.cot.segment import segment  # noqa: E402

FIELDS = {"reasoning": "reasoning", "answer": "answer", "response": "response"}


def wrap(row: dict, sky: bool) -> str:
    closed = row.get("solution_closed", row.get("output_closed", True))
    if sky:
        end = "<|end_of_solution|>" if closed else ""
        return f"<|begin_of_thought|>{row['reasoning']}<|end_of_thought|>\n\n<|begin_of_solution|>{row['answer']}{end}"
    return f"<Thought>{row['reasoning']}</Thought>\n<Output>{row['answer']}{'</Output>' if closed else ''}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--score", type=int, default=4)
    parser.add_argument("--endpoint", type=int, default=0)
    args = parser.parse_args()
    chains = []
    for name, sky in (("chains_skythought_sky_t1_dev.jsonl", True), ("chains_marco_o1.jsonl", False)):
        rows = [json.loads(line) for line in open(REAL / name)]
        reasons, invariant, shares, steps_n = collections.Counter(), 0, collections.Counter(), []
        for row in rows:
            try:
                q, r, a = parse_chain(row["question"], {"response": wrap(row, sky)}, "auto", FIELDS)
            except ChainError as e:
                reasons[e.reason] += 1
                continue
            assert r == row["reasoning"]
            steps = segment(r)
            invariant += "".join(steps) == r
            steps_n.append(len(steps))
            for s in steps:
                shares[classify(s)[0]] += len(s)
            chains.append((name, q, steps, a))
        total = sum(shares.values())
        print(f"{name}: {len(rows)} rows, quarantined {dict(reasons)}, invariant {invariant}/{len(steps_n)}, "
              f"median steps {sorted(steps_n)[len(steps_n) // 2]}, char share "
              + " / ".join(f"{k} {100 * shares[k] / total:.1f}%" for k in STEP_TYPES))  # fmt: skip
    print("paper (S1K, tokens): progressive 71.4% / verification 9.2% / multi_method 13.9% / error_correction 5.5%")
    if not args.score:
        return
    import torch
    from make_cot import build_tiny_lm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from filters.cot.pir import TransformersPIRScorer, naive_score

    torch.set_num_threads(1)
    path = build_tiny_lm(Path(tempfile.mkdtemp()) / "lm", arch="qwen2", hidden=64, context=16384)
    model, tok = AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)
    rng = random.Random(0)
    long = [c for c in chains if len(c[2]) >= 8 and len(c[1]) + sum(map(len, c[2])) < 6000]
    sample = rng.sample(long, args.score)
    totals = collections.Counter()
    for _, q, steps, a in sample:
        scored = [i for i, s in enumerate(steps) if classify(s)[0] in FUNCTIONAL]
        start = time.perf_counter()
        fast = TransformersPIRScorer(model, tok, batch_size=1).score(q, steps, a, scored)
        mid = time.perf_counter()
        slow = naive_score(model, tok, q, steps, a, scored)
        end = time.perf_counter()
        diff = max([abs(x - y) for x, y in zip(fast.pir, slow.pir) if x is not None] or [0])
        totals.update(reuse_s=mid - start, naive_s=end - mid, reuse_tok=fast.forward_tokens)
        totals.update(naive_tok=slow.forward_tokens, chain_tok=fast.tokens, steps=len(steps), scored=len(scored))
        totals["maxdiff"] = max(totals["maxdiff"], diff)
    n = len(sample)
    print(f"scored {n} chains (>= 8 steps; {totals['steps'] / n:.1f} steps, {totals['scored'] / n:.1f} functional, "
          f"{totals['chain_tok'] / n:.0f} tokens each), 1 CPU thread, tiny model: "
          f"reuse {n / totals['reuse_s']:.2f} chains/s, {totals['reuse_tok'] / totals['reuse_s']:.0f} forward tok/s; "
          f"tokens reuse/naive {totals['reuse_tok'] / totals['naive_tok']:.2f}x, "
          f"time {totals['reuse_s'] / totals['naive_s']:.2f}x, max |PIR diff| {totals['maxdiff']:.1e}")  # fmt: skip
    if args.endpoint:
        endpoint(model, tok, rng.sample(long, args.endpoint))


def endpoint(model, tok, sample) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from cot_logprob_server import serve

    from filters.cot.pir import TransformersPIRScorer
    from filters.cot.served import ServerOptions, ServerPIRScorer

    chains = [
        (q, steps, a, [i for i, s in enumerate(steps) if classify(s)[0] in FUNCTIONAL]) for _, q, steps, a in sample
    ]
    local = [TransformersPIRScorer(model, tok).score(*chain) for chain in chains]
    with serve(model) as (url, log):
        scorer = ServerPIRScorer(tok, ServerOptions(model="tiny", endpoint_url=url, max_concurrent=4))
        start = time.perf_counter()
        served = scorer.score_many(chains)
        seconds = time.perf_counter() - start
        scorer.close()
    diff = max(abs(x - y) for a, b in zip(local, served) for x, y in zip(a.pir, b.pir) if x is not None)
    tokens = sum(len(p["prompt"]) for p in log["payloads"])
    print(f"endpoint scorer (loopback, same tiny model, {len(log['payloads'])} requests): {len(chains)} chains, "
          f"{len(chains) / seconds:.2f} chains/s, {tokens / seconds:.0f} prompt tok/s, "
          f"max |PIR diff| vs transformers {diff:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
