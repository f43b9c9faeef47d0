import hashlib
import json

from conftest import run_factory


def test_cli_trains_reports_held_out_metrics_and_writes_a_model_card(samples, tmp_path):
    out = tmp_path / "m.bin"
    args = (
        "train-classifier",
        "--input",
        samples / "seed" / "labelled.jsonl",
        "--output",
        out,
        "--dim",
        "64",
        "--epoch",
        "25",
        "--bucket",
        "50000",
        "--demo",
    )
    result = run_factory(*args)
    assert "precision" in result.stdout and "recall" in result.stdout and "F1" in result.stdout
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["labels"] == ["__label__MATH", "__label__NON_MATH"]
    assert card["params"]["word_ngrams"] == 3 and card["params"]["min_count"] == 3
    assert card["held_out"]["f1"] >= 0.9 and card["held_out"]["documents"] > 50
    assert "demo model" in card["note"]
    # single-threaded training from the same seed gives the same model
    again = tmp_path / "again.bin"
    run_factory(*args[:4], again, *args[5:])
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()


def test_defaults_are_deepseekmath():
    from factory.train_classifier import TrainParams

    p = TrainParams()
    assert (p.dim, p.lr, p.word_ngrams, p.min_count, p.epoch) == (256, 0.1, 3, 3, 3)


def test_folders_input_and_bad_labels(samples, tmp_path):
    math, other = tmp_path / "math", tmp_path / "other"
    math.mkdir()
    other.mkdir()
    rows = [json.loads(line) for line in (samples / "seed" / "labelled.jsonl").read_text().splitlines()[:120]]
    for i, row in enumerate(rows):
        (math if row["label"] == "math" else other).joinpath(f"{i}.txt").write_text(row["text"])
    result = run_factory(
        "train-classifier",
        "--math-dir",
        math,
        "--other-dir",
        other,
        "--output",
        tmp_path / "f.bin",
        "--dim",
        "32",
        "--epoch",
        "25",
        "--bucket",
        "10000",
    )
    assert (tmp_path / "f.bin").exists() and "held-out" in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "math"}\n{"text": "b", "label": "maybe"}\n')
    result = run_factory("train-classifier", "--input", bad, "--output", tmp_path / "x.bin", check=False)
    assert result.returncode == 2 and "line 2" in result.stderr and "'maybe'" in result.stderr


def test_divergence_is_a_fixable_error(monkeypatch, tmp_path):
    import fasttext
    import pytest

    from factory.train_classifier import TrainParams, train

    def diverge(**kwargs):
        raise RuntimeError("Encountered NaN.")

    monkeypatch.setattr(fasttext, "train_supervised", diverge)
    docs = [("x^2 + 1", True), ("the roots", True), ("a stew", False), ("the river", False)]
    with pytest.raises(ValueError, match="lower --lr, change --seed"):
        train(docs, tmp_path / "m.bin", TrainParams(held_out=0.0))
