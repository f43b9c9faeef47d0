"""cot_prune end to end: sample chains in three layouts, a tiny model built here, two builds byte-identical."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
import yaml
from cot_traces import BAD, GOOD, bad_rows
from make_cot import build_tiny_lm, write_chains

from factory.cli import main


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("cot")
    inputs = write_chains(root / "chains")
    with open(inputs / "chains_hostile.jsonl", "w") as f:  # traces the rules were not written from
        for row in GOOD + bad_rows():
            f.write(json.dumps(row) + "\n")
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
    assert len(rows) == 24 + len(GOOD)
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
        **{key: reason for key, (_, reason) in BAD.items()},
    }


def test_deterministic_and_card(builds):
    a, b = (sorted((out / "data" / "default").glob("*.parquet")) for out in builds)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    card = (builds[0] / "README.md").read_text()
    assert "Steps and tokens" in card and "arXiv 2505.19187" in card
    assert (builds[0] / "assets" / "pir.png").is_file() and (builds[0] / "assets" / "step_tokens.png").is_file()


def _endpoint_build(builds, name: str, url: str, **score) -> tuple[int, object]:
    root = builds[0].parent
    recipe = yaml.safe_load((root / "a.yaml").read_text())
    recipe["stages"]["score"] = {"backend": "endpoint", "model": "scripted", "tokenizer": str(root / "model"),
                                 "endpoint_url": url, "retry_backoff_s": 0, **score}  # fmt: skip
    recipe["output"]["path"] = str(root / name)
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    try:
        return main(["build", str(path)]), root / name
    except Exception as e:  # noqa: BLE001 - how the engine reports a failed task is its business
        return e, root / name


def test_endpoint_backend_gives_the_transformers_scores(builds, monkeypatch):
    from cot_logprob_server import serve
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(builds[0].parent / "model").eval()
    monkeypatch.setenv("COT_E2E_KEY", "sk-e2e-secret")
    with serve(model, api_key="sk-e2e-secret") as (url, log):
        code, out = _endpoint_build(builds, "endpoint", url, api_key_env="COT_E2E_KEY", chains_in_flight=3)
    assert code == 0 and log["payloads"]
    local = {r["id"]: r for r in pl.read_parquet(builds[0] / "data" / "default" / "*.parquet").to_dicts()}
    served = pl.read_parquet(out / "data" / "default" / "*.parquet").to_dicts()
    assert len(served) == len(local)
    for row in served:
        for got, want in zip(row["steps"], local[row["id"]]["steps"]):
            assert (got["pir"] is None) == (want["pir"] is None)
            if want["pir"] is not None:
                assert got["pir"] == pytest.approx(want["pir"], abs=1e-4)
    for path in out.rglob("*"):  # the key never reaches the output folder (recipe, manifest, logs, card)
        if path.is_file():
            assert b"sk-e2e-secret" not in path.read_bytes(), path


def test_a_dead_endpoint_fails_the_build(builds):
    from cot_logprob_server import serve
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(builds[0].parent / "model").eval()
    with serve(model, script=lambda n, _: (503, {"error": "down"})) as (url, log):
        code, out = _endpoint_build(builds, "dead", url, retries=1)
    assert code != 0
    assert (
        not list((out / "data" / "default").glob("*.parquet"))
        or not pl.read_parquet(out / "data" / "default" / "*.parquet").height
    )
    assert not (out / "removed" / "score").exists()  # nothing quarantined for the server's fault
