"""ablate: equal-size arms, seeded random arm, quarantine, difficulty band (scripted endpoint), bounded memory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import scripted_endpoint

from factory.cli import main

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "samples"))

from make_pool import write_pool  # noqa: E402


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    return write_pool(tmp_path_factory.mktemp("pool"), n=240, seed=0).parent


def run(tmp_path: Path, pool: Path, name="r", seed=0, arms=None, size=None, extra=None, command="ablate") -> Path:
    recipe = {
        "recipe": "ablate",
        "name": "test-ablate",
        "seed": seed,
        "input": {"path": str(pool), "format": "jsonl"},
        "stages": {
            "select": {
                "arms": arms
                or [
                    {"name": "full", "selector": "full"},
                    {"name": "random"},
                    {"name": "length", "selector": "length"},
                    {"name": "score", "selector": "score", "column": "quality_score"},
                ],
                "size": size or {"n": 50},
            },
            **(extra or {}),
        },
        "output": {"path": str(tmp_path / name)},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    assert main([command, str(path)]) == 0
    return tmp_path / name


def arm(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / "data" / name / "*.parquet")


def test_arms_have_equal_n_and_keep_id_and_response(tmp_path, pool):
    out = run(tmp_path, pool)
    sizes = {name: len(arm(out, name)) for name in ("random", "length", "score")}
    assert set(sizes.values()) == {50}
    full = arm(out, "full")
    assert len(full) == 237  # the reference arm: every usable row (240 minus 3 quarantined)
    for name in ("full", "random", "length", "score"):
        assert {"id", "response", "tokens", "selection_score"} <= set(arm(out, name).columns)
    lengths = arm(out, "length")["tokens"]
    assert lengths.min() >= full["tokens"].sort(descending=True)[49]  # the 50 longest
    scores = arm(out, "score")["quality_score"]
    assert scores.min() >= full["quality_score"].sort(descending=True)[49]
    removed = [json.loads(line) for line in (out / "removed" / "select" / "00000.jsonl").read_text().splitlines()]
    assert sorted(r["filter_reason"] for r in removed) == ["missing_id", "missing_response", "missing_response"]
    card = (out / "README.md").read_text()
    assert "n = 50" in card and "| `length` | length |" in card and "Jaccard" in card
    assert "llamafactory-cli train" in (out / "training" / "random.yaml").read_text()
    info = json.loads((out / "training" / "dataset_info.json").read_text())
    assert info["ablate_score"]["file_name"] == "../data/score"


def test_random_arm_is_stable_per_seed_and_differs_across_seeds(tmp_path, pool):
    arms = [{"name": "random"}, {"name": "length", "selector": "length"}]
    a = run(tmp_path, pool, "a", seed=1, arms=arms, command="build")
    b = run(tmp_path, pool, "b", seed=1, arms=arms)
    c = run(tmp_path, pool, "c", seed=2, arms=arms)
    ids = {k: set(arm(v, "random")["id"]) for k, v in {"a": a, "b": b, "c": c}.items()}
    assert ids["a"] == ids["b"] and ids["a"] != ids["c"]
    assert sorted(p.name for p in (a / "data" / "random").iterdir()) == sorted(
        p.name for p in (b / "data" / "random").iterdir()
    )  # shard names carry the content hash: byte-identical


def test_token_budget_user_selector_and_shortfall(tmp_path, pool):
    arms = [
        {"name": "random"},
        # a user selector by import path (the executor's workers import it, so it must be importable there)
        {"name": "even", "selector": "filters.select.selectors:length"},
    ]
    out = run(tmp_path, pool, "budget", arms=arms, size={"tokens": 2000})
    for name in ("random",):
        tokens = arm(out, name)["tokens"]
        assert tokens.sum() <= 2000 and len(tokens) > 10
    stats = json.loads((out / "work" / "ablate" / "stats.json").read_text())
    even = next(a for a in stats["arms"] if a["name"] == "even")
    assert even["tokens"] <= 2000 and even["rows"] > 0

    short = run(tmp_path, pool, "short", arms=arms, size={"n": 300})
    stats = json.loads((short / "work" / "ablate" / "stats.json").read_text())
    even = next(a for a in stats["arms"] if a["name"] == "even")
    assert even["rows"] == 237 and "fewer than n = 300" in even["shortfall"]
    assert "Short arm" in (short / "README.md").read_text()


def judge_model(prompt: str) -> str:
    """Answers `What is A + B?` right for even A, wrong otherwise; the judge gives 10 to a right answer, 0 to a
    wrong one, except it gives 5 to every answer of questions whose A is divisible by 3 (a 'medium' band)."""
    if "Student answer:" not in prompt:
        a, b = map(int, re.search(r"What is (\d+) \+ (\d+)", prompt).groups())
        return f"The answer is {a + b if a % 2 == 0 else a + b + 1}."
    a = int(re.search(r"What is (\d+) \+", prompt).group(1))
    reference = re.search(r"Reference answer:\n(\S+)", prompt).group(1)
    student = re.search(r"The answer is (\d+)", prompt).group(1)
    if a % 3 == 0:
        return "Partly right.\nScore: 5"
    return "Score: 10" if student == reference else "Score: 0"


def test_difficulty_band_with_a_scripted_endpoint(tmp_path, pool):
    with scripted_endpoint(judge_model) as (url, prompts):
        llm = {"backend": "endpoint", "model": "scripted", "endpoint_url": url, "temperature": 0.7}
        extra = {"difficulty": {"k": 2, "llm": llm}}
        arms = [{"name": "difficulty", "selector": "difficulty", "lo": 1, "hi": 9}, {"name": "random"}]
        out = run(tmp_path, pool, "difficulty", arms=arms, size={}, extra=extra)
        asked = len(prompts)
        rerun = run(tmp_path, pool, "difficulty", arms=arms, size={}, extra=extra)
        assert len(prompts) == asked and rerun == out  # the request cache: a rerun asks nothing again
    picked = arm(out, "difficulty")
    assert len(picked) > 0 and (picked["selection_score"] == 5.0).all()
    a = picked["question"].str.extract(r"What is (\d+)").cast(pl.Int64)
    assert (a % 3 == 0).all()  # only the medium band: always-solved (10) and never-solved (0) are out
    assert len(arm(out, "random")) == len(picked)  # equal n: the smallest arm's size
    assert asked == 2 * 2 * 239  # k answers + k judgements for each row with an id, a question and a reference


MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import polars as pl
    from filters.select.ablation import select_arms

    def kb(key):
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))

    settings, tmp = json.loads(sys.argv[1]), Path(sys.argv[2])
    # warm up on a two-row pool: imports, thread pools and allocator arenas are not the selection's growth
    warm = tmp / "warm"
    warm.mkdir()
    pl.DataFrame({"id": ["a", "b"], "response": ["x y", "z"], "quality": [1, 2]}).write_parquet(warm / "p.parquet")
    select_arms({**settings, "path": str(warm), "size": {"n": 1, "tokens": None}}, 0, tmp / "wd", tmp / "wr", None)
    # peak RSS of this process from here on: VmHWM reset to the current RSS (ru_maxrss cannot be reset, and a
    # child of a big pytest process starts with its parent's peak)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = kb("VmRSS")
    stats = select_arms(settings, 0, tmp / "data", tmp / "rm", None)
    print(json.dumps({"grew_kb": kb("VmHWM") - base, "rows": [a["rows"] for a in stats["arms"]]}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak RSS reset needs Linux /proc")
def test_pool_ten_times_the_memory_budget_streams(tmp_path):
    """A 1.25 GB pool (decoded texts) under a 128 MB budget of memory growth: the selection reads it in batches,
    keeps only narrow columns, and writes the arms batch by batch (the old join + sink grew by the pool's size)."""
    budget_mb, rows, text_kb = 128, 64 * 1024, 20
    folder = tmp_path / "big"
    folder.mkdir()
    filler = "lorem ipsum dolor sit amet " * (text_kb * 1024 // 27 + 1)
    parts = 8
    for part in range(parts):
        ids = range(part * rows // parts, (part + 1) * rows // parts)
        pl.DataFrame(
            {
                "id": [f"r{i}" for i in ids],
                "response": [f"{i} {filler}" for i in ids],
                "quality": [i % 997 for i in ids],
            }
        ).write_parquet(folder / f"part-{part}.parquet", row_group_size=500)
    assert rows * len(filler) >= 10 * budget_mb * 2**20  # the pool is at least 10x the budget, decoded
    from pipelines.ablate import Arm, SelectStage, Size, pool_selection

    arms = [Arm(name="random", selector="random"), Arm(name="score", selector="score", column="quality")]
    settings = pool_selection(str(folder), "parquet", None, SelectStage(arms=arms, size=Size(n=1000)))
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, json.dumps(settings), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"selection RSS growth: {measured['grew_kb'] / 1024:.0f} MB (budget {budget_mb} MB)")
    assert measured["rows"] == [1000, 1000]
    assert measured["grew_kb"] < budget_mb * 1024, measured
    score = pl.read_parquet(tmp_path / "data" / "score" / "*.parquet")
    assert score["quality"].min() == sorted(i % 997 for i in range(rows))[-1000]  # the top 1,000 by quality
    assert score["response"].str.len_bytes().min() > text_kb * 1024  # whole rows, texts included


def test_user_named_arms_are_configs_in_card_manifest_training_and_load(tmp_path, pool):
    arms = [{"name": "longest_2k", "selector": "length"}, {"name": "rand-B", "selector": "random"}]
    out = run(tmp_path, pool, "named", arms=arms, size={"tokens": 2000})
    shards = {name: sorted(p.name for p in (out / "data" / name).iterdir()) for name in ("longest_2k", "rand-B")}
    assert all(len(s) == 1 and re.fullmatch(r"train-00000-000-[0-9a-f]{12}\.parquet", s[0]) for s in shards.values())
    card = (out / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert [c["config_name"] for c in meta["configs"]] == ["longest_2k", "rand-B"]
    assert meta["configs"][0]["data_files"][0]["path"] == [f"data/longest_2k/{shards['longest_2k'][0]}"]
    assert "| `quality_score` |" in card and "| `selection_score` |" in card  # the pool's columns are declared
    manifest = json.loads((out / "manifest.json").read_text())
    assert {f["path"] for f in manifest["outputs"]["files"]} >= {f"data/{n}/{s[0]}" for n, s in shards.items()}
    assert "dataset: ablate_longest_2k" in (out / "training" / "longest_2k.yaml").read_text()
    from datasets import load_dataset

    loaded = load_dataset(str(out), "longest_2k", split="train", cache_dir=str(tmp_path / "cache"))
    longest = arm(out, "longest_2k")
    assert loaded["id"] == longest["id"].to_list() and longest["tokens"].sum() <= 2000
    assert longest["tokens"].min() >= arm(out, "rand-B")["tokens"].median()  # the longest, not a random cut


def test_lines_that_are_not_json_objects_are_quarantined_with_the_line(tmp_path):
    path = write_pool(tmp_path / "src", n=30, seed=1)
    with path.open("a") as f:
        f.write('{"id": "cut", "response": "the file was trunc\n[1, 2, 3]\n\n')
    out = run(tmp_path, path.parent, "invalid", arms=[{"name": "random"}], size={"n": 5})
    removed = [json.loads(line) for line in (out / "removed" / "select" / "00000.jsonl").read_text().splitlines()]
    invalid = [r for r in removed if r["filter_reason"] == "invalid_json"]
    assert [r["line"] for r in invalid] == ['{"id": "cut", "response": "the file was trunc', "[1, 2, 3]"]
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    assert funnel["read"] == 32 and funnel["adds_up"]  # the blank line is not a row; both bad lines are
    assert len(arm(out, "random")) == 5
