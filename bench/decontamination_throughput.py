"""Decontamination docs/s with 5,000 short benchmark items vs no benchmarks, on real extracted pages (goal >= 0.8x).

Documents: the ground-truth main text of the real pages in ../shared/realdata/web (llm-webkit benchmark + news
articles), i.e. what extraction hands the filter. Benchmark items: 5,000 seeded word windows of 3-12 words cut
from the real benchmark questions in ../shared/realdata (MATH500, AIME, AMC, Minerva, OlympiadBench, GSM8K), plus
the generic stems "Solve for x." and "Which of the following is true?". The filter as it was before the index
(a substring scan over short items, matched from 3 words) runs on the same inputs for comparison.

Usage: python bench/decontamination_throughput.py [--copies 5] [--items 5000] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import tempfile
from pathlib import Path

from _common import ROOT, best_of
from datatrove.data import Document

REAL = ROOT.parent / "shared" / "realdata"
OLD_COMMIT = "4522206"  # the scan this index replaced
GENERIC = ["Solve for x.", "Which of the following is true?"]


def real_documents() -> list[str]:
    texts = []
    for path in sorted((REAL / "web" / "llmwebkit" / "groundtruth").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (content := json.loads(line).get("content")):
                texts.append(content)
    news = json.loads((REAL / "web" / "news" / "ground-truth.json").read_text(encoding="utf-8"))
    texts += [row["articleBody"] for _, row in sorted(news.items()) if row.get("articleBody")]
    return texts


def real_questions() -> list[str]:
    questions = set()
    for path in (REAL / "pools" / "pool_skythought_math_dev.jsonl", REAL / "preds" / "preds_zeroeval.jsonl"):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            questions.update(json.loads(line)["question"] for line in f if line.strip())
    return sorted(questions)


def short_items(questions: list[str], count: int, seed: int) -> list[str]:
    """`count` distinct windows of 3-12 words of real questions, seeded."""
    rng = random.Random(seed)
    items = set(GENERIC)
    while len(items) < count:
        words = rng.choice(questions).split()
        length = rng.randint(3, 12)
        if len(words) >= length:
            start = rng.randint(0, len(words) - length)
            items.add(" ".join(words[start : start + length]))
    return sorted(items)


def old_filter_class():
    source = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:filters/decontaminate.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    namespace: dict = {}
    exec(compile(source, f"{OLD_COMMIT}:filters/decontaminate.py", "exec"), namespace)
    return namespace["NGramDecontaminationFilter"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from filters.decontaminate import NGramDecontaminationFilter

    pages = real_documents()
    texts = pages * args.copies
    questions = real_questions()
    items = short_items(questions, args.items, args.seed)
    tmp = Path(tempfile.mkdtemp())

    def bench_file(name: str, rows: list[str]) -> list[dict]:
        path = tmp / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"question": q}) + "\n" for q in rows), encoding="utf-8")
        return [{"name": name, "path": str(path), "field": "question"}]

    setups = {
        "no benchmarks": [],
        f"{len(items)} short items": bench_file("short", items),
        f"{len(items)} short + {len(questions)} full questions": bench_file("short", items)
        + bench_file("full", questions),
    }

    def measure(cls, benchmarks) -> tuple[float, int]:
        step = cls(benchmarks)
        step._index = step._build_index() if hasattr(step, "_build_index") else step.build_index()
        dropped = sum(step.filter(Document(text=t, id=str(i))) is not True for i, t in enumerate(pages))
        seconds = best_of(lambda: [step.filter(Document(text=t, id=str(i))) for i, t in enumerate(texts)])
        return len(texts) / seconds, dropped

    lengths = [len(q.split()) for q in items]
    mean_chars = sum(map(len, pages)) // len(pages)
    print(f"documents: {len(pages)} real pages x {args.copies} = {len(texts)}, mean {mean_chars} chars")
    mean_words = sum(lengths) / len(lengths)
    print(f"short items: {len(items)} (3-12 words, mean {mean_words:.1f}), real full questions: {len(questions)}")
    index = NGramDecontaminationFilter(setups[f"{len(items)} short items"]).build_index()
    print(f"indexed short items (>= 8 words): {index.items}, not checked (< 8 words): {index.too_short}")
    for label, cls in (("index (now)", NGramDecontaminationFilter), (f"scan ({OLD_COMMIT})", old_filter_class())):
        base = None
        for setup, benchmarks in setups.items():
            rate, dropped = measure(cls, benchmarks)
            base = base or rate
            print(
                f"{label:14} {setup:40}: {rate:8.0f} docs/s  ratio {rate / base:.2f}x  "
                f"real pages removed {dropped}/{len(pages)}"
            )
    print("goal: index with short items >= 0.8x of no benchmarks")


if __name__ == "__main__":
    main()
