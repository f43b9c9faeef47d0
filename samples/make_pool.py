"""Writes samples/pool/pool.jsonl, the demo pool for `recipe: ablate`: deterministic, no downloads.

Rows look like the real pools (`id, question, response, reference_answer, model, benchmark`): worked math
answers of varied length from several "models", a `quality_score` column for the score arm, and a few rows an
ablation must quarantine (no response, empty response, no id).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

MODELS = ["model-a-7b", "model-b-14b", "model-c-27b"]
BENCHMARKS = ["arith", "algebra", "geometry"]
STEPS = [
    "First, we write down what is given: {a} and {b}.",
    "Adding them gives {a} + {b} = {s}.",
    "We can check the result by subtracting: {s} - {b} = {a}, which matches.",
    "Let's double-check with a different grouping of the terms.",
    "Wait, let me verify the arithmetic once more: {a} plus {b} is indeed {s}.",
    "So the sum is consistent with both checks.",
]


def pool_rows(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        steps = [s.format(a=a, b=b, s=a + b) for s in STEPS[: rng.randint(1, len(STEPS))]]
        answer = a + b if rng.random() < 0.7 else a + b + rng.randint(1, 5)  # some responses are wrong
        rows.append(
            {
                "id": f"pool-{i:04d}",
                "question": f"What is {a} + {b}?",
                "response": " ".join(steps) + f"\n\nThe final answer is $\\boxed{{{answer}}}$.",
                "reference_answer": str(a + b),
                "model": rng.choice(MODELS),
                "benchmark": rng.choice(BENCHMARKS),
                "quality_score": round(rng.random(), 4),
            }
        )
    rows[7]["response"] = None
    rows[19]["response"] = "   "
    del rows[23]["id"]
    return rows


def write_pool(root: Path, n: int = 240, seed: int = 0) -> Path:
    path = root / "pool" / "pool.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in pool_rows(n, seed):
            f.write(json.dumps(row) + "\n")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(Path(__file__).parent))
    parser.add_argument("--rows", type=int, default=240)
    args = parser.parse_args()
    print(write_pool(Path(args.root), args.rows))
