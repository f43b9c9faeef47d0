"""cot_prune end to end: sample chains in three layouts, a tiny model built here, two builds byte-identical."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
import yaml
from make_cot import build_tiny_lm, write_chains

from factory.cli import main


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("cot")
    inputs = write_chains(root / "chains")
    model = build_tiny_lm(root / "model", arch="qwen2")
    outs = []
    for name in ("a", "b"):
        recipe = {
            "recipe": "cot_prune",
            "name": "test-cot",
            "input": {"path": str(inputs), "format": "jsonl"},
            "executor": {"type": "local", "tasks": 1, "workers": 1},
            "stages": {"score": {"model": str(model), "batch_size": 4}, "prune": {"ratios": {"verification": 0.5}}},
            "output": {"path": str(root / name)},
        }
        path = root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(recipe))
        assert main(["build", str(path)]) == 0
        outs.append(root / name)
    return outs


def test_rows_steps_and_pruning(builds):
    rows = pl.read_parquet(builds[0] / "data" / "default" / "*.parquet").to_dicts()
    assert len(rows) == 24
    for row in rows:
        steps = row["steps"]
        assert "".join(s["text"] for s in steps) == row["reasoning"]
        assert "".join(s["text"] for s in steps if s["kept"]) == row["pruned_reasoning"]
        assert all(s["kept"] for s in steps if s["type"] == "progressive")
        assert all((s["pir"] is None) == (s["type"] == "progressive") for s in steps)
        assert row["pruned_reasoning_tokens"] == sum(s["tokens"] for s in steps if s["kept"])
        verification = sorted((s["pir"], i) for i, s in enumerate(steps) if s["type"] == "verification")
        dropped = {i for i, s in enumerate(steps) if not s["kept"] and s["type"] == "verification"}
        assert dropped == {i for _, i in verification[: int(0.5 * len(verification) + 0.5)]}
    assert sum(r["reasoning_tokens"] - r["pruned_reasoning_tokens"] for r in rows) > 0


def test_bad_records_are_quarantined_with_reasons(builds):
    reasons = {}
    for path in (builds[0] / "removed" / "parse").glob("*.jsonl.gz"):
        for line in gzip.open(path, "rt"):
            doc = json.loads(line)
            reasons[doc["id"]] = doc["metadata"]["filter_reason"]
    assert reasons == {
        "broken-unclosed": "unclosed_reasoning",
        "broken-no-solution": "no_answer",
        "broken-no-answer": "no_answer",
    }


def test_deterministic_and_card(builds):
    a, b = (sorted((out / "data" / "default").glob("*.parquet")) for out in builds)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    card = (builds[0] / "README.md").read_text()
    assert "Steps and tokens" in card and "arXiv 2505.19187" in card
    assert (builds[0] / "assets" / "pir.png").is_file() and (builds[0] / "assets" / "step_tokens.png").is_file()
