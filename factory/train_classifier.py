"""`factory train-classifier`: the fastText math classifier from labelled seed documents.

Two hyper-parameter presets. `deepseekmath` is DeepSeekMath's recipe for millions of pages (dim 256, lr 0.1,
word 3-grams, minCount 3, 3 epochs). On a seed set of tens to thousands of pages it learns nothing: 3 epochs
over a few hundred lines are a few hundred SGD steps, and minCount 3 with 3-grams leaves most features unseen,
so every score stays at the prior. `small` (the `auto` choice under 10,000 documents) trains on ~100-word
chunks of each document (many more updates from the same text), balances the classes by repeating the
smaller one, uses word unigrams+bigrams with minCount 1, dim 64, lr 0.2 and 20 epochs (lr 0.5 diverged on
some folds of the real seed set), and sizes the hash table to the seed set: fastText's 2,000,000 buckets x dim 64
made a 516 MB model from 93 pages, which every worker loads and every fork of the extraction sandbox copies the
page tables of; a seed set cannot fill more buckets than it has tokens (200,000 gave the same AUC on the real
pages, 55 MB; 100,000 diverged on one fold).

The held-out split is exact (round(n x fraction) documents, stratified by label, chosen by a seeded hash);
it gives AUC and the threshold that maximises F1, with its precision / recall / F1, written into the model's
JSON card. A model whose scores are constant or whose held-out AUC is under 0.6 is reported as degenerate.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from factory.text import megamath_preprocess
from filters.web.math_classifier import MATH_LABEL, NON_MATH_LABEL, math_scores

POSITIVE = {"math", "__label__math", "1", "true", "yes", "pos", "positive"}
NEGATIVE = {"non_math", "non-math", "nonmath", "__label__non_math", "0", "false", "no", "neg", "negative"}
SMALL_SEED_SET = 10_000  # documents; under this, `auto` uses the small preset
MIN_AUC = 0.6


@dataclass
class TrainParams:
    """fastText settings; the defaults are DeepSeekMath's (see PRESETS for the small-seed-set ones)."""

    dim: int = 256
    lr: float = 0.1
    word_ngrams: int = 3
    min_count: int = 3
    epoch: int = 3
    bucket: int = 2_000_000  # fastText's default; 0: sized to the training documents (`sized_bucket`)
    chunk_words: int = 0  # > 0: train on chunks of this many words instead of whole documents
    balance: bool = False  # repeat the smaller class's training lines up to the larger's count
    seed: int = 0
    held_out: float = 0.2
    threshold: float | None = None  # None: chosen on the held-out split (max F1)
    preset: str = "deepseekmath"


PRESETS = {
    "deepseekmath": {},
    "small": {
        "dim": 64,
        "lr": 0.2,
        "word_ngrams": 2,
        "min_count": 1,
        "epoch": 20,
        "chunk_words": 100,
        "balance": True,
        "bucket": 0,
    },
}
MIN_BUCKET, MAX_BUCKET = 200_000, 2_000_000


def sized_bucket(docs: list[tuple[str, bool]]) -> int:
    """Hash buckets for the word n-grams of `docs`: their token count (an upper bound on their distinct n-grams of
    any one order) within [MIN_BUCKET, MAX_BUCKET]."""
    tokens = sum(len(megamath_preprocess(text).split()) for text, _ in docs)
    return min(MAX_BUCKET, max(MIN_BUCKET, tokens))


def resolve_preset(params: TrainParams, n_docs: int, explicit: set[str] = frozenset()) -> TrainParams:
    """The effective parameters: `auto` picks `small` under SMALL_SEED_SET documents; flags in `explicit` win."""
    name = params.preset
    if name == "auto":
        name = "small" if n_docs < SMALL_SEED_SET else "deepseekmath"
    if name not in PRESETS:
        raise ValueError(f"unknown preset {params.preset!r}: auto, {', '.join(PRESETS)}")
    return replace(params, preset=name, **{k: v for k, v in PRESETS[name].items() if k not in explicit})


def _label(value, where: str) -> bool:
    key = str(value).strip().lower()
    if key in POSITIVE:
        return True
    if key in NEGATIVE:
        return False
    raise ValueError(
        f"{where}: label {value!r} is neither math ({', '.join(sorted(POSITIVE))}) "
        f"nor non-math ({', '.join(sorted(NEGATIVE))})"
    )


def load_jsonl(path: Path, text_key: str = "text", label_key: str = "label") -> list[tuple[str, bool]]:
    docs = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}: invalid JSON ({e.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get(text_key), str) or label_key not in row:
                raise ValueError(f"{where}: needs a string {text_key!r} and a {label_key!r}")
            docs.append((row[text_key], _label(row[label_key], where)))
    return docs


def load_folders(math_dir: Path, other_dir: Path) -> list[tuple[str, bool]]:
    docs = []
    for folder, is_math in ((math_dir, True), (other_dir, False)):
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        if not files:
            raise ValueError(f"{folder}: no documents")
        docs += [(p.read_text(encoding="utf-8", errors="replace"), is_math) for p in files]
    return docs


def _rank(text: str, seed: int) -> bytes:
    return hashlib.sha256(f"{seed}:{text}".encode()).digest()


def split(docs: list[tuple[str, bool]], held_out: float, seed: int):
    """Exactly round(n x held_out) documents held out, stratified by label, picked by a seeded hash of the text."""
    n_test = round(len(docs) * held_out)
    by_label = {y: sorted((d for d in docs if d[1] == y), key=lambda d: _rank(d[0], seed)) for y in (True, False)}
    # largest-remainder allocation, so the per-label counts add up to n_test exactly
    quotas = {y: len(by_label[y]) * n_test / len(docs) if docs else 0 for y in by_label}
    counts = {y: int(q) for y, q in quotas.items()}
    for y in sorted(quotas, key=lambda y: quotas[y] - counts[y], reverse=True)[: n_test - sum(counts.values())]:
        counts[y] += 1
    if n_test >= 2:  # both labels in the held-out split whenever possible, so AUC is defined
        for y, other in ((True, False), (False, True)):
            if counts[y] == 0 and by_label[y] and counts[other] > 1:
                counts[y], counts[other] = 1, counts[other] - 1
    test = [d for y in (True, False) for d in by_label[y][: counts[y]]]
    train = [d for y in (True, False) for d in by_label[y][counts[y] :]]
    return train, test


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None without both labels."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def metrics_at(scores: list[float], labels: list[bool], threshold: float) -> dict:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": round(threshold, 4), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}  # fmt: skip


def best_threshold(scores: list[float], labels: list[bool]) -> float:
    """The threshold with the highest F1 on these scores: midway between two adjacent distinct scores."""
    cuts = sorted(set(scores))
    candidates = [(a + b) / 2 for a, b in zip(cuts, cuts[1:], strict=False)] or cuts
    return max(candidates, key=lambda t: (metrics_at(scores, labels, t)["f1"], t))


def _lines(docs: list[tuple[str, bool]], params: TrainParams) -> list[str]:
    lines = {True: [], False: []}
    for text, is_math in sorted(docs, key=lambda d: hashlib.sha256(d[0].encode()).hexdigest()):
        tokens = megamath_preprocess(text).split()
        step = params.chunk_words or len(tokens) or 1
        for start in range(0, max(len(tokens), 1), step):
            if chunk := tokens[start : start + step]:
                lines[is_math].append(f"{MATH_LABEL if is_math else NON_MATH_LABEL} {' '.join(chunk)}")
    if params.balance and lines[True] and lines[False]:
        small, large = sorted((lines[True], lines[False]), key=len)
        small += [small[i % len(small)] for i in range(len(large) - len(small))]
    out = lines[True] + lines[False]
    random.Random(params.seed).shuffle(out)  # fastText's SGD follows the file order
    return out


def fit(docs: list[tuple[str, bool]], params: TrainParams):
    """A fastText model trained on `docs` (no split); deterministic for a seed (one thread)."""
    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("\n".join(_lines(docs, params)) + "\n")
        train_file = f.name
    try:
        # one thread: fastText's SGD is only reproducible single-threaded
        return fasttext.train_supervised(
            input=train_file,
            dim=params.dim,
            lr=params.lr,
            wordNgrams=params.word_ngrams,
            minCount=params.min_count,
            epoch=params.epoch,
            bucket=params.bucket,
            thread=1,
            seed=params.seed,
            verbose=0,
        )
    except RuntimeError as e:
        if "NaN" not in str(e):
            raise
        raise ValueError(
            f"fastText diverged (NaN) on {len(docs)} training documents: lower --lr, change --seed, "
            "or add seed documents (tiny seed sets are prone to this)"
        ) from None
    finally:
        Path(train_file).unlink()


def degenerate(scores: list[float], area: float | None) -> str | None:
    """Why the model is unusable, or None; starts with "constant" when it learned nothing at all."""
    if scores and max(scores) - min(scores) < 1e-3:
        return f"constant: every score is {scores[0]:.4f}, the model learned nothing (try --preset small)"
    if area is not None and area < MIN_AUC:
        return f"held-out AUC {area:.3f} < {MIN_AUC}: the model barely separates math from the rest"
    return None


def train(docs: list[tuple[str, bool]], output: Path, params: TrainParams, note: str | None = None) -> dict:
    """Trains, evaluates on the held-out split, saves the model and its JSON card; returns the card."""
    if sum(1 for _, y in docs if y) < 2 or sum(1 for _, y in docs if not y) < 2:
        raise ValueError("need at least two math and two non-math documents")
    if not 0 <= params.held_out < 1:
        raise ValueError(f"held-out fraction {params.held_out} is not in [0, 1)")
    train_docs, test_docs = split(docs, params.held_out, params.seed)
    if params.bucket == 0:
        params = replace(params, bucket=sized_bucket(train_docs))
    model = fit(train_docs, params)
    output.parent.mkdir(parents=True, exist_ok=True)
    model.save_model(str(output))
    held_out = None
    if test_docs:
        scores = math_scores(model, [t for t, _ in test_docs])
        labels = [y for _, y in test_docs]
        area = auc(scores, labels)
        threshold = params.threshold if params.threshold is not None else best_threshold(scores, labels)
        held_out = {
            "documents": len(test_docs),
            "math": sum(labels),
            "auc": None if area is None else round(area, 4),
            **metrics_at(scores, labels, threshold),
            "threshold_chosen_on": "held-out (max F1)" if params.threshold is None else "given",
        }
        problem = degenerate(scores, area)
    else:
        problem = degenerate(math_scores(model, [t for t, _ in train_docs]), None)
    card = {
        "model": output.name,
        "labels": [MATH_LABEL, NON_MATH_LABEL],
        "preprocessing": "MegaMath: NFKC, lowercase, word-punct tokens, digits -> <NUM>, tokens <= 100 chars",
        "params": asdict(params),
        "train_documents": len(train_docs),
        "held_out": held_out,
        "recommended_threshold": held_out["threshold"] if held_out else None,
        "degenerate": problem,
        "data_sha256": hashlib.sha256("\n".join(f"{int(y)}\t{t}" for t, y in docs).encode()).hexdigest(),
        "demo": bool(note and "demo" in note),
        "note": note,
    }
    output.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def model_scores(path: Path, texts: list[str]) -> list[float]:
    import fasttext

    return math_scores(fasttext.load_model(str(path)), texts)
