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


def test_folders_input_and_bad_labels(tmp_path):
    math, other = tmp_path / "math", tmp_path / "other"
    math.mkdir()
    other.mkdir()
    for i in range(6):
        (math / f"{i}.txt").write_text(f"the derivative of x^{i} is {i} x^{i - 1} by the power rule")
        (other / f"{i}.txt").write_text(f"we cooked {i} onions and a stew for dinner with friends")
    args = (
        "train-classifier",
        "--math-dir",
        math,
        "--other-dir",
        other,
        "--output",
        tmp_path / "f.bin",
        "--dim",
        "8",
        "--bucket",
        "1000",
        "--min-count",
        "1",
    )
    # fastText diverges on this tiny set with seed 0: a clear error, not a traceback
    result = run_factory(*args, "--seed", "0", check=False)
    assert result.returncode == 2 and "diverged (NaN)" in result.stderr and "--seed" in result.stderr
    result = run_factory(*args, "--seed", "0", "--lr", "0.05")
    assert (tmp_path / "f.bin").exists() and "held-out" in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "math"}\n{"text": "b", "label": "maybe"}\n')
    result = run_factory("train-classifier", "--input", bad, "--output", tmp_path / "x.bin", check=False)
    assert result.returncode == 2 and "line 2" in result.stderr and "'maybe'" in result.stderr
