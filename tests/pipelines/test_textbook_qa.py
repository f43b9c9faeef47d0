"""textbook_qa end to end on the project's own sample PDFs, rules backend."""

import json

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import run_factory


@pytest.fixture(scope="module")
def build(samples_textbooks, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("textbook")
    recipe = {
        "recipe": "textbook_qa",
        "name": "tb-test",
        "input": {"path": str(samples_textbooks / "pdfs"), "format": "pdf"},
        "executor": {"type": "local", "tasks": 2, "workers": 1},
        "stages": {
            "pdf": {"subjects_file": str(samples_textbooks / "subjects.yaml")},
            "decontamination": {
                "benchmarks": [{"path": str(samples_textbooks / "benchmarks" / "scibench_sample.jsonl")}]
            },
        },
        "output": {"path": str(tmp / "out")},
    }
    path = tmp / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    result = run_factory("build", path)
    return tmp / "out", path, result


def test_bad_pdfs_are_quarantined_and_the_build_succeeds(build):
    out, _, _ = build
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    expected = {"encrypted_pdf", "corrupt_pdf", "needs_ocr", "truncated_pdf", "empty_file", "not_pdf"}
    assert {f"read/{reason}" for reason in expected} <= set(funnel["dropped"])
    assert funnel["adds_up"] and funnel["inputs"] == 8


def test_books_and_pairs_are_separate_funnels_that_each_add_up(build):
    out, _, result = build
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    books, pairs = funnel["units"][0], funnel["units"][-1]
    assert (books["unit"], pairs["unit"]) == ("books", "pairs")
    assert books["read"] == 8 and books["read"] == books["kept"] + sum(books["dropped"].values())
    assert pairs["read"] == pairs["kept"] + sum(pairs["dropped"].values()) and pairs["kept"] > 0
    assert all(key.split("/")[0] == "read" or key.startswith("extract/") for key in books["dropped"])
    assert f"funnel (books): read 8, kept {books['kept']}" in result.stdout


def test_every_stage_drops_what_it_should(build):
    out, _, _ = build
    dropped = json.loads((out / "manifest.json").read_text())["funnel"]["dropped"]
    for reason in (
        "short/too_short",
        "dedup/near_duplicate_question",
        "filter/outside_reference",
        "filter/needs_figure",
        "filter/missing_answer",
        "decontamination/benchmark_overlap",
    ):
        assert dropped.get(reason, 0) >= 1, reason


def test_published_schema_is_exactly_megascience_and_provenance_lines_up(build):
    out, _, _ = build
    default = pq.read_table(sorted((out / "data" / "default").glob("*.parquet")))
    provenance = pq.read_table(sorted((out / "data" / "provenance").glob("*.parquet")))
    assert default.column_names == ["question", "answer", "subject", "reference_answer"]
    assert default.column("question").to_pylist() == provenance.column("question").to_pylist()
    assert set(default.column("subject").to_pylist()) == {"physics", "chemistry"}
    refs = dict(zip(default.column("question").to_pylist(), default.column("reference_answer").to_pylist()))
    assert (
        refs["A net force of 12 N acts on a block of mass 3 kg. What is the acceleration of the block?"] == "4 m/s^2"
    )
    assert all(refs.values())
    assert {"source", "pages", "chunk_id", "standard", "label"} <= set(provenance.column_names)


def test_card_and_loading_both_configs(build):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    out, _, _ = build
    card = DatasetCard.load(out / "README.md")
    assert [c["config_name"] for c in card.data.to_dict()["configs"]] == ["default", "provenance"]
    assert "### Per subject" in card.text and "| physics |" in card.text and "arXiv:2507.16812" in card.text
    # quarantined books are listed under their subject (or `unknown`), each with its reason
    chemistry = next(line for line in card.text.splitlines() if line.startswith("| chemistry |"))
    assert "`truncated.pdf` (truncated_pdf)" in chemistry
    unknown = next(line for line in card.text.splitlines() if line.startswith("| unknown |"))
    for book in ("`empty.pdf` (empty_file)", "`not-a-book.pdf` (not_pdf)", "`scanned.pdf` (needs_ocr)"):
        assert book in unknown
    assert len(load_dataset(str(out), "default", split="train")) == len(
        load_dataset(str(out), "provenance", split="train")
    )


def test_rebuild_is_byte_identical(build, tmp_path):
    out, recipe, _ = build
    data = yaml.safe_load(recipe.read_text())
    data["output"]["path"] = str(tmp_path / "again")
    again = tmp_path / "recipe.yaml"
    again.write_text(yaml.safe_dump(data))
    run_factory("build", again)
    first = json.loads((out / "manifest.json").read_text())
    second = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert first["outputs"] == second["outputs"] and first["recipe_hash"] == second["recipe_hash"]
