import hashlib
import json
import random

import pytest
from conftest import run_factory

MATH_WORDS = (
    "theorem proof lemma let $x$ be integer prime $\\frac{a}{b}$ equation derivative integral $f(x)=x^2$ "
    "matrix eigenvalue $\\sum_{k=1}^n k$ converges limit polynomial roots solve $x^2-5x+6=0$ hence"
).split()
OTHER_WORDS = (
    "the mayor said council meeting on tuesday residents traffic weather football season coach recipe onion "
    "bake minutes browser install package click menu settings election campaign market shares company"
).split()
COMMON = "the a of and to in is that for with on as this it was".split()


def _doc(rng: random.Random, words: list[str], n: int = 120) -> str:
    """A page-like text: mostly words of its kind, mixed with common words, in sentences."""
    tokens = [rng.choice(words) if rng.random() < 0.45 else rng.choice(COMMON) for _ in range(n)]
    return ". ".join(" ".join(tokens[i : i + 12]) for i in range(0, n, 12)) + "."


def _seed_set(path, n_math: int, n_other: int, seed: int = 0):
    rng = random.Random(seed)
    rows = [{"text": _doc(rng, MATH_WORDS), "label": "math"} for _ in range(n_math)]
    rows += [{"text": _doc(rng, OTHER_WORDS), "label": "non_math"} for _ in range(n_other)]
    rng.shuffle(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_small_seed_set_learns_with_auc_and_threshold_chosen_on_held_out(tmp_path):
    seeds = _seed_set(tmp_path / "seed.jsonl", n_math=15, n_other=45)
    out = tmp_path / "m.bin"
    result = run_factory("train-classifier", "--input", seeds, "--output", out, "--bucket", "20000")
    card = json.loads(out.with_suffix(".json").read_text())
    held = card["held_out"]
    assert card["params"]["preset"] == "small" and card["degenerate"] is None
    assert held["documents"] == 12 and held["math"] == 3  # exactly 20% of 60, stratified
    assert card["train_documents"] == 48
    assert held["auc"] >= 0.9 and held["f1"] >= 0.8
    assert card["recommended_threshold"] == held["threshold"] and 0 < held["threshold"] < 1
    assert f"AUC {held['auc']:.3f}" in result.stdout and f"at threshold {held['threshold']:.4f}" in result.stdout
    # single-threaded training from the same seed gives the same model
    again = tmp_path / "again.bin"
    run_factory("train-classifier", "--input", seeds, "--output", again, "--bucket", "20000")
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()


def test_deepseekmath_settings_on_a_tiny_seed_set_fail_as_degenerate(tmp_path):
    seeds = _seed_set(tmp_path / "seed.jsonl", n_math=20, n_other=20)
    out = tmp_path / "d.bin"
    result = run_factory(
        "train-classifier", "--input", seeds, "--output", out, "--preset", "deepseekmath", "--bucket", "20000",
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "degenerate model" in result.stderr and "constant" in result.stderr
    assert json.loads(out.with_suffix(".json").read_text())["degenerate"].startswith("constant")


def test_held_out_zero_prints_no_metrics(tmp_path):
    seeds = _seed_set(tmp_path / "seed.jsonl", n_math=10, n_other=10)
    out = tmp_path / "z.bin"
    result = run_factory("train-classifier", "--input", seeds, "--output", out, "--held-out", "0", "--bucket", "20000")
    assert "no held-out split" in result.stdout
    assert "precision" not in result.stdout and "0.000" not in result.stdout
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["held_out"] is None and card["train_documents"] == 20
    bad = run_factory("train-classifier", "--input", seeds, "--output", out, "--held-out", "1.5", check=False)
    assert bad.returncode == 2 and "--held-out 1.5" in bad.stderr


@pytest.mark.parametrize(("n_math", "n_other", "fraction"), [(7, 93, 0.2), (3, 8, 0.3), (50, 50, 0.25), (2, 2, 0.5)])
def test_split_holds_out_exactly_the_fraction_with_both_labels(n_math, n_other, fraction):
    from factory.train_classifier import split

    docs = [(f"m{i}", True) for i in range(n_math)] + [(f"o{i}", False) for i in range(n_other)]
    train, test = split(docs, fraction, seed=1)
    assert len(test) == round(len(docs) * fraction) and len(train) + len(test) == len(docs)
    assert {y for _, y in test} == {True, False}
    assert split(docs, fraction, seed=1) == (train, test)


def test_auc_and_best_threshold():
    from factory.train_classifier import auc, best_threshold, metrics_at

    assert auc([0.9, 0.8, 0.3, 0.1], [True, True, False, False]) == 1.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.2, 0.4, 0.6, 0.8], [True, False, True, False]) == 0.25
    assert auc([0.1], [True]) is None
    scores, labels = [0.9, 0.7, 0.65, 0.2, 0.1], [True, True, False, False, False]
    t = best_threshold(scores, labels)
    assert 0.7 < t <= 0.8 or 0.65 < t < 0.7
    assert metrics_at(scores, labels, t)["f1"] == 1.0


def test_presets():
    from factory.train_classifier import TrainParams, resolve_preset

    p = TrainParams()
    assert (p.dim, p.lr, p.word_ngrams, p.min_count, p.epoch) == (256, 0.1, 3, 3, 3)  # DeepSeekMath
    small = resolve_preset(TrainParams(preset="auto"), 500)
    assert small.preset == "small" and small.chunk_words > 0 and small.min_count == 1
    assert resolve_preset(TrainParams(preset="auto"), 50_000).preset == "deepseekmath"
    assert resolve_preset(TrainParams(preset="auto", dim=32), 500, {"dim"}).dim == 32
    assert resolve_preset(TrainParams(preset="auto", bucket=5000), 500, {"bucket"}).bucket == 5000


def test_small_preset_sizes_its_hash_table_to_the_seed_set():
    from factory.train_classifier import MAX_BUCKET, MIN_BUCKET, TrainParams, resolve_preset, sized_bucket

    assert resolve_preset(TrainParams(preset="auto"), 500).bucket == 0  # sized at training time
    assert resolve_preset(TrainParams(preset="auto"), 50_000).bucket == MAX_BUCKET  # DeepSeekMath: fastText's
    page = " ".join(f"w{i}" for i in range(1000))  # 1,000 tokens
    assert sized_bucket([(page, True)] * 10) == MIN_BUCKET
    assert sized_bucket([(page, True)] * 300) == 300_000  # no more n-grams than tokens
    assert sized_bucket([(page, False)] * 5000) == MAX_BUCKET


def test_demo_flag_and_folders_input_and_bad_labels(tmp_path):
    rows = [json.loads(line) for line in _seed_set(tmp_path / "s.jsonl", 12, 12).read_text().splitlines()]
    math, other = tmp_path / "math", tmp_path / "other"
    math.mkdir()
    other.mkdir()
    for i, row in enumerate(rows):
        (math if row["label"] == "math" else other).joinpath(f"{i}.txt").write_text(row["text"])
    out = tmp_path / "f.bin"
    result = run_factory(
        "train-classifier", "--math-dir", math, "--other-dir", other, "--output", out, "--bucket", "10000", "--demo"
    )
    assert out.exists() and "held-out" in result.stdout
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["demo"] is True and "demo model" in card["note"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "math"}\n{"text": "b", "label": "maybe"}\n')
    result = run_factory("train-classifier", "--input", bad, "--output", tmp_path / "x.bin", check=False)
    assert result.returncode == 2 and "line 2" in result.stderr and "'maybe'" in result.stderr


def test_divergence_is_a_fixable_error(monkeypatch, tmp_path):
    import fasttext

    from factory.train_classifier import TrainParams, train

    def diverge(**kwargs):
        raise RuntimeError("Encountered NaN.")

    monkeypatch.setattr(fasttext, "train_supervised", diverge)
    docs = [("x^2 + 1", True), ("the roots", True), ("a stew", False), ("the river", False)]
    with pytest.raises(ValueError, match="lower --lr, change --seed"):
        train(docs, tmp_path / "m.bin", TrainParams(held_out=0.0))
