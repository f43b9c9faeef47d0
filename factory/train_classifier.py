"""`factory train-classifier`: the fastText math classifier from labelled seed documents (DeepSeekMath settings)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from factory.text import megamath_preprocess
from filters.math_classifier import MATH_LABEL, NON_MATH_LABEL, math_scores

POSITIVE = {"math", "__label__math", "1", "true", "yes", "pos", "positive"}
NEGATIVE = {"non_math", "non-math", "nonmath", "__label__non_math", "0", "false", "no", "neg", "negative"}


@dataclass
class TrainParams:
    """DeepSeekMath's fastText recipe: dim 256, lr 0.1, word 3-grams, minCount 3, 3 epochs."""

    dim: int = 256
    lr: float = 0.1
    word_ngrams: int = 3
    min_count: int = 3
    epoch: int = 3
    bucket: int = 2_000_000  # fastText's default; smaller keeps demo models small
    seed: int = 0
    held_out: float = 0.2
    threshold: float = 0.4


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


def split(docs: list[tuple[str, bool]], held_out: float, seed: int):
    """Deterministic split by a seeded hash of each text: the same docs always land on the same side."""

    def bucket(text: str) -> float:
        digest = hashlib.sha256(f"{seed}:{text}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    train = [d for d in docs if bucket(d[0]) >= held_out]
    test = [d for d in docs if bucket(d[0]) < held_out]
    return train, test


def evaluate(model, docs: list[tuple[str, bool]], threshold: float) -> dict:
    scores = math_scores(model, [t for t, _ in docs]) if docs else []
    tp = sum(1 for s, (_, y) in zip(scores, docs, strict=False) if s >= threshold and y)
    fp = sum(1 for s, (_, y) in zip(scores, docs, strict=False) if s >= threshold and not y)
    fn = sum(1 for s, (_, y) in zip(scores, docs, strict=False) if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"documents": len(docs), "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def train(docs: list[tuple[str, bool]], output: Path, params: TrainParams, note: str | None = None) -> dict:
    import fasttext

    if sum(1 for _, y in docs if y) < 2 or sum(1 for _, y in docs if not y) < 2:
        raise ValueError("need at least two math and two non-math documents")
    train_docs, test_docs = split(docs, params.held_out, params.seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        for text, is_math in sorted(train_docs, key=lambda d: hashlib.sha256(d[0].encode()).hexdigest()):
            f.write(f"{MATH_LABEL if is_math else NON_MATH_LABEL} {megamath_preprocess(text)}\n")
        train_file = f.name
    try:
        # one thread: fastText's SGD is only reproducible single-threaded
        model = fasttext.train_supervised(
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
            f"fastText diverged (NaN) on {len(train_docs)} training documents: lower --lr, change --seed, "
            "or add seed documents (tiny seed sets are prone to this)"
        ) from None
    finally:
        Path(train_file).unlink()
    model.save_model(str(output))
    metrics = evaluate(model, test_docs, params.threshold)
    card = {
        "model": output.name,
        "labels": [MATH_LABEL, NON_MATH_LABEL],
        "preprocessing": "MegaMath: NFKC, lowercase, word-punct tokens, digits -> <NUM>, tokens <= 100 chars",
        "params": asdict(params),
        "train_documents": len(train_docs),
        "held_out": metrics,
        "data_sha256": hashlib.sha256("\n".join(f"{int(y)}\t{t}" for t, y in docs).encode()).hexdigest(),
        "note": note,
    }
    output.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
