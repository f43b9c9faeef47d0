"""math_web end to end, through the `factory` console script as a user runs it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import recipe_writer, run_factory, scripted_endpoint

EXPECTED_REASONS = {
    "read/truncated_warc",
    "read/undecodable",
    "read/not_html",
    "url/blocked_domain",
    "extract/extract_empty",
    "language/other_language",
    "classifier/below_math_threshold",
    "dedup/near_duplicate",
    "decontamination/benchmark_overlap",
}


def data_hashes(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text())
    return {f["path"]: f["sha256"] for f in manifest["outputs"]["files"]}


def manifest_hashes(out: Path) -> tuple:
    m = json.loads((out / "manifest.json").read_text())
    return m["recipe_hash"], m["inputs"]["hash"], m["outputs"]["hash"]


@pytest.fixture(scope="module")
def build(samples, classifier_model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("build")
    recipe = recipe_writer(samples, classifier_model, tmp)(output=tmp / "out")
    result = run_factory("build", recipe)
    return tmp / "out", recipe, result


def test_funnel_adds_up_and_every_reason_is_accounted_for(build):
    out, _, result = build
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    assert funnel["adds_up"]
    assert funnel["read"] == funnel["kept"] + sum(funnel["dropped"].values())
    assert EXPECTED_REASONS <= set(funnel["dropped"])
    assert funnel["kept"] > 0
    # progress and the final funnel are shown on the terminal
    assert "[filter] 57 in · 30 out" in result.stdout and "funnel (pages): read 57" in result.stdout


def test_quarantine_holds_every_dropped_document_with_its_reason(build):
    import gzip

    out, _, _ = build
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    quarantined = {}
    for path in (out / "removed").rglob("*.jsonl.gz"):
        for line in gzip.open(path, "rt"):
            doc = json.loads(line)
            key = f"{path.parent.name}/{doc['metadata']['filter_reason']}"
            quarantined[key] = quarantined.get(key, 0) + 1
    assert quarantined == funnel["dropped"]


def test_output_keeps_latex_and_has_no_machine_paths(build):
    out, _, _ = build
    table = pq.read_table(sorted((out / "data" / "default").glob("*.parquet")))
    assert table.column_names == ["id", "url", "date", "text", "language", "language_score", "math_score", "edu_score"]
    assert str(table.schema.field("date").type) == "string" and str(table.schema.field("url").type) == "string"
    texts = table.column("text").to_pylist()
    assert any("$" in t for t in texts) and any("^{" in t for t in texts)
    assert all(score >= 0.4 for score in table.column("math_score").to_pylist())
    for path in (out / "data").rglob("*.parquet"):
        assert str(out.parent).encode() not in path.read_bytes()


def test_manifest_records_provenance(build):
    out, _, _ = build
    m = json.loads((out / "manifest.json").read_text())
    assert m["versions"]["datatrove"] and m["versions"]["python"]
    assert [f["path"] for f in m["inputs"]["files"]] == [
        "crawl-00000.warc.gz",
        "crawl-00001.warc.gz",
        "crawl-00002.warc.gz",
    ]
    assert all(f["size"] > 0 and f["mtime"] for f in m["inputs"]["files"])
    roles = {e["role"]: e for e in m["referenced_files"]}
    assert {"language", "classifier", "blocklist", "benchmark:gsm8k_sample"} <= set(roles)
    assert all(len(e["sha256"]) == 64 for e in roles.values())
    assert m["models"]["classifier"]["sha256"] == roles["classifier"]["sha256"]
    assert sum(f["rows"] for f in m["outputs"]["files"]) == m["funnel"]["kept"]
    assert set(m["timings_s"]) == {"filter", "dedup-buckets", "dedup-cluster", "write"}
    assert (out / "recipe.yaml").read_text().startswith("recipe: math_web")


def test_card_metadata_and_body(build):
    from huggingface_hub import DatasetCard

    out, _, _ = build
    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    shards = sorted(p.relative_to(out).as_posix() for p in (out / "data" / "default").glob("*.parquet"))
    assert data["configs"][0]["data_files"][0]["path"] == shards
    assert data["license"] == "other" and data["language"] == ["en"] and data["size_categories"] == ["n<1K"]
    assert "arXiv:2504.02807" in card.text and "factory build recipe.yaml" in card.text
    assert card.text.count("```json") == 3
    assert (out / "assets" / "funnel.png").stat().st_size > 1000
    assert (out / "assets" / "text_length.png").stat().st_size > 1000


def test_output_folder_loads_with_datasets(build):
    from datasets import load_dataset

    out, _, _ = build
    m = json.loads((out / "manifest.json").read_text())
    ds = load_dataset(str(out), "default", split="train")
    assert len(ds) == m["funnel"]["kept"]
    assert "math_score" in ds.column_names


def test_rebuild_is_byte_identical_and_independent_of_workers(build, samples, classifier_model, tmp_path):
    out, _, _ = build
    again = recipe_writer(samples, classifier_model, tmp_path)(
        output=tmp_path / "again", executor={"type": "local", "tasks": 2, "workers": 2}
    )
    run_factory("build", again)
    assert data_hashes(tmp_path / "again") == data_hashes(out)
    assert manifest_hashes(tmp_path / "again") == manifest_hashes(out)


def test_rerun_of_a_finished_build_is_a_noop_with_same_hashes(build):
    out, recipe, _ = build
    before = data_hashes(out)
    result = run_factory("build", recipe)
    assert data_hashes(out) == before
    assert "funnel (pages): read" in result.stdout


def test_kill_then_rerun_ends_identical_to_clean_run(build, samples, classifier_model, tmp_path):
    out, _, _ = build
    recipe = recipe_writer(samples, classifier_model, tmp_path)(output=tmp_path / "killed")
    factory = Path(sys.executable).parent / "factory"
    proc = subprocess.Popen(
        [str(factory), "build", str(recipe)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    first_rank = tmp_path / "killed" / "work" / "logs" / "filter" / "completions" / "00000"
    deadline = time.monotonic() + 120
    while not first_rank.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    assert not (tmp_path / "killed" / "manifest.json").exists()
    run_factory("build", recipe)
    assert data_hashes(tmp_path / "killed") == data_hashes(out)
    assert json.loads((tmp_path / "killed" / "manifest.json").read_text())["funnel"]["adds_up"]


def test_resume_refuses_a_different_recipe_in_the_same_folder(build):
    out, recipe, _ = build
    result = run_factory("build", recipe, "--set", "stages.language.threshold=0.9", check=False)
    assert result.returncode == 1
    assert "different recipe" in result.stderr


def test_malformed_recipe_exits_2_and_writes_nothing(make_recipe, tmp_path):
    recipe = make_recipe(output=tmp_path / "never")
    recipe.write_text(recipe.read_text().replace("threshold: 0.4", "threshold: lots"))
    result = run_factory("build", recipe, check=False)
    assert result.returncode == 2
    assert "stages.classifier.threshold" in result.stderr and str(recipe) in result.stderr
    assert not (tmp_path / "never").exists()


def test_missing_model_is_reported_before_any_work(make_recipe, tmp_path):
    recipe = make_recipe(output=tmp_path / "never")
    result = run_factory("build", recipe, "--set", f"stages.classifier.model={tmp_path / 'nope.bin'}", check=False)
    assert result.returncode == 2
    assert "stages.classifier.model" in result.stderr and "nope.bin" in result.stderr
    assert not (tmp_path / "never").exists()


def test_text_jsonl_input_skips_extraction(make_recipe, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    rows = [
        {"id": "m", "text": "We solve the quadratic equation by the discriminant and find two roots of x^2 - 5x + 6."},
        {"id": "c", "text": "Slice the onions thinly and fry them until golden, then serve the stew warm."},
    ]
    (pages / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    recipe = make_recipe(output=tmp_path / "out", input={"path": str(pages), "format": "jsonl", "content": "text"})
    run_factory("build", recipe)
    funnel = json.loads((tmp_path / "out" / "manifest.json").read_text())["funnel"]
    assert [s["stage"] for s in funnel["stages"]][:3] == ["read", "url", "language"]
    assert funnel["dropped"]["read/malformed_row"] == 1
    assert funnel["adds_up"]


def test_slurm_stages_chain_with_depends(make_recipe, tmp_path):
    from factory.layout import OutputLayout
    from factory.recipe import load_recipe
    from factory.runner import make_executors
    from pipelines import math_web

    recipe = load_recipe(make_recipe(), ["executor.type=slurm", "executor.partition=cpu", "executor.tasks=8"])
    layout = OutputLayout(tmp_path / "slurm")
    executors = make_executors(recipe, math_web.build_stages(recipe, layout), layout)
    assert [type(e).__name__ for e in executors] == ["SlurmPipelineExecutor"] * 4
    assert [e.world_size for e in executors] == [8, 11, 1, 8]
    assert all(b.depends is a for a, b in zip(executors, executors[1:], strict=False))


@pytest.mark.slow
def test_ray_executor_matches_local(build, samples, classifier_model, tmp_path):
    pytest.importorskip("ray")
    out, _, _ = build
    recipe = recipe_writer(samples, classifier_model, tmp_path)(
        output=tmp_path / "ray", executor={"type": "ray", "tasks": 2, "workers": 2, "num_cpus": 2}
    )
    run_factory("build", recipe)
    assert data_hashes(tmp_path / "ray") == data_hashes(out)
    assert manifest_hashes(tmp_path / "ray") == manifest_hashes(out)
    assert yaml.safe_load((tmp_path / "ray" / "recipe.yaml").read_text())["executor"]["type"] == "ray"


def test_web_pro_rounds_with_a_scripted_endpoint(make_recipe, tmp_path):
    def respond(prompt: str) -> str:
        page = prompt.split("Page:\n", 1)[1]
        if prompt.startswith("Rate the educational value"):
            return "Clear notes. Score: 2" if "trigonometry" in page else "Textbook-like. Score: 4"
        return "REFINED " + " ".join(page.split()[:200])

    with scripted_endpoint(respond) as (url, _):
        recipe = yaml.safe_load(make_recipe().read_text())
        recipe["output"]["path"] = str(tmp_path / "webpro")
        recipe["stages"]["refine"] = {
            "enabled": True,
            "edu_threshold": 3,
            "llm": {"backend": "endpoint", "model": "scripted", "endpoint_url": url},
        }
        path = tmp_path / "webpro.yaml"
        path.write_text(yaml.safe_dump(recipe))
        run_factory("build", path)
    out = tmp_path / "webpro"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["funnel"]["adds_up"] and manifest["funnel"]["dropped"]["edu/low_edu_score"] >= 1
    table = pq.read_table(sorted((out / "data" / "default").glob("*.parquet")))
    assert all(t.startswith("REFINED ") for t in table.column("text").to_pylist())
    assert min(table.column("edu_score").to_pylist()) >= 3
    assert {m["stage"] for m in manifest["llm"]} == {"edu", "refine"}
    assert "Web-Pro refinement" in (out / "README.md").read_text()


MATH_ROWS = [
    {
        "id": "m1",
        "text": "We solve the quadratic equation by the discriminant and find the two roots of x^2 - 5x + 6.",
    },
    {
        "id": "m2",
        "text": "The derivative of the sine function is the cosine function, so the slope at zero equals one.",
        "url": "https://math.example.org/calculus",
        "date": "2024-05-01T10:00:00Z",
    },
    {"id": "m3", "text": "A prime number has exactly two divisors; the sum of the first five primes is twenty-eight."},
]


def _rows_recipe(make_recipe, classifier_model, tmp_path, out):
    pages = tmp_path / "rows"
    pages.mkdir(exist_ok=True)
    (pages / "a.jsonl").write_text("\n".join(json.dumps(r) for r in MATH_ROWS) + "\n")
    return make_recipe(
        name=f"{out}.yaml",
        output=tmp_path / out,
        input={"path": str(pages), "format": "jsonl", "content": "text"},
        executor={"type": "local", "tasks": 1, "workers": 1},
        stages={"classifier": {"model": str(classifier_model), "threshold": 0.0}},
    )


def test_first_row_without_url_or_date_and_a_resume_after_a_failed_write(
    make_recipe, classifier_model, tmp_path, monkeypatch
):
    from factory.cli import main
    from pipelines import math_web

    assert main(["build", str(_rows_recipe(make_recipe, classifier_model, tmp_path, "clean"))]) == 0
    table = pq.read_table(sorted((tmp_path / "clean" / "data" / "default").glob("*.parquet")))
    assert table.column("url").to_pylist()[0] is None and table.column("date").to_pylist()[0] is None
    assert str(table.schema.field("date").type) == "string" and table.num_rows == 3

    original = math_web.output_row

    def failing(writer, document):
        if document.id == "m2":
            raise OSError("disk full")
        return original(writer, document)

    monkeypatch.setattr(math_web, "output_row", failing)
    recipe = _rows_recipe(make_recipe, classifier_model, tmp_path, "resumed")
    assert main(["build", str(recipe)]) == 1
    monkeypatch.setattr(math_web, "output_row", original)
    assert main(["build", str(recipe)]) == 0  # nothing the failed write left behind trips the rerun
    assert data_hashes(tmp_path / "resumed") == data_hashes(tmp_path / "clean")
