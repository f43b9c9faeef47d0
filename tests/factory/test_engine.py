"""Engine behaviour a user meets first, on a toy recipe (docs -> sentences) that runs in a second."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

import pipelines  # noqa: E402
from factory.cli import main  # noqa: E402

DOCS = [
    "The cat sat. It purred loudly.",
    "Too",  # under min_words
    "A second document here. With two sentences! And a third?",
    '{"broken": ',  # a malformed line, quarantined by the reader
    "Dogs bark at night. Owls hoot.",
]


@pytest.fixture(autouse=True)
def toy(monkeypatch):
    monkeypatch.setitem(pipelines._RECIPES, "toy", "toy_recipe")


def write_inputs(folder: Path, docs=DOCS, name="part-0.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        line if line.startswith("{") else json.dumps({"id": f"d{i}", "text": line}) for i, line in enumerate(docs)
    ]
    (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def write_recipe(tmp_path: Path, input_path, out: Path | None = None, name="recipe.yaml", **stages) -> Path:
    recipe = {
        "recipe": "toy",
        "name": "toy",
        "input": {"path": str(input_path), "format": "jsonl", "content": "text"},
        "executor": {"type": "local", "tasks": 2, "workers": 1},
        "stages": stages,
        "output": {"path": str(out or tmp_path / "out")},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(recipe))
    return path


def rows(out: Path) -> list[str]:
    files = sorted((out / "data" / "default").glob("*.parquet"))
    return sorted(r["text"] for f in files for r in pq.read_table(f).to_pylist())


@pytest.mark.parametrize("kind", ["folder", "file", "glob"])
def test_input_path_is_a_file_a_folder_or_a_glob(tmp_path, kind):
    inputs = write_inputs(tmp_path / "in")
    write_inputs(tmp_path / "in", ["Other file. Not read by the file form."], name="part-1.jsonl")
    path = {"folder": inputs, "file": inputs / "part-0.jsonl", "glob": inputs / "part-0*.jsonl"}[kind]
    assert main(["build", str(write_recipe(tmp_path, path))]) == 0
    expected = 9 if kind == "folder" else 7
    assert len(rows(tmp_path / "out")) == expected


def test_missing_input_names_the_path_and_a_glob_override_is_a_plain_string(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in")
    recipe = write_recipe(tmp_path, tmp_path / "nowhere")
    assert main(["build", str(recipe)]) == 2
    assert "input.path" in capsys.readouterr().err
    # YAML would read `*.jsonl` as an alias: the override is the plain string, not a traceback
    assert main(["build", str(recipe), "--set", f"input.path={inputs}/*.jsonl"]) == 0


def test_progress_on_the_terminal_and_datatrove_noise_in_the_logs(tmp_path, capfd):
    recipe = write_recipe(tmp_path, write_inputs(tmp_path / "in"))
    assert main(["build", str(recipe)]) == 0
    out, err = capfd.readouterr()
    assert "[filter] 5 in · 7 out" in out, out  # documents in, sentences out
    assert "Launching pipeline" not in out + err  # datatrove's log lines stay in the log files
    assert "Launching pipeline" in (tmp_path / "out" / "work" / "terminal.log").read_text()
    main(["build", str(write_recipe(tmp_path, tmp_path / "in", tmp_path / "out2")), "--verbose"])
    assert "Launching pipeline" in capfd.readouterr().err


def test_progress_lines_are_periodic_while_a_stage_runs(tmp_path):
    import io
    import time

    from factory.progress import ProgressTap, StageProgress

    folder, stream = tmp_path / "progress", io.StringIO()
    tap = ProgressTap(str(folder), "in", interval=0.0)
    with StageProgress("filter", folder, tasks=1, unit="docs", stream=stream, every=0.05):
        for _ in tap.run(iter(range(30)), rank=0):
            time.sleep(0.01)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3 and lines[-1].startswith("[filter] 30 docs in")


def test_funnel_per_unit_in_terminal_manifest_and_card(tmp_path, capsys):
    recipe = write_recipe(tmp_path, write_inputs(tmp_path / "in"))
    assert main(["build", str(recipe)]) == 0
    out = capsys.readouterr().out
    assert "funnel (docs): read 5, kept 3, dropped 2" in out
    assert "funnel (sentences): read 7, kept 7, dropped 0" in out
    funnel = json.loads((tmp_path / "out" / "manifest.json").read_text())["funnel"]
    assert [(u["unit"], u["read"], u["kept"]) for u in funnel["units"]] == [("docs", 5, 3), ("sentences", 7, 7)]
    assert funnel["adds_up"] and funnel["dropped"] == {"read/malformed_row": 1, "short/too_short": 1}
    card = (tmp_path / "out" / "README.md").read_text()
    assert "| stage | docs read |" in card and "**sentences: read 7 → kept 7, dropped 0.**" in card


def test_an_empty_build_says_so_and_invents_nothing(tmp_path, capsys):
    recipe = write_recipe(tmp_path, write_inputs(tmp_path / "in"), min_words=100)
    assert main(["build", str(recipe)]) == 0
    out = capsys.readouterr().out
    assert "WARNING: the build kept nothing" in out
    root = tmp_path / "out"
    card = (root / "README.md").read_text()
    metadata = yaml.safe_load(card.split("---")[1])
    assert "configs" not in metadata  # nothing to point at
    assert "This build has 0 rows" in card and "| `words` | int64 |" in card  # the declared schema
    assert not (root / "assets" / "text_length.png").exists()
    assert main(["build", str(recipe), "--fail-on-empty"]) == 3


def test_a_rebuild_into_the_same_folder_loads_fresh(tmp_path):
    import shutil

    from datasets import load_dataset

    out = tmp_path / "out"
    assert main(["build", str(write_recipe(tmp_path, write_inputs(tmp_path / "a")))]) == 0
    assert len(load_dataset(str(out), split="train")) == 7
    shutil.rmtree(out)
    other = write_inputs(tmp_path / "b", ["Only one sentence here."])
    assert main(["build", str(write_recipe(tmp_path, other))]) == 0
    assert load_dataset(str(out), split="train")["text"] == ["Only one sentence here."]
    assert all(len(p.stem.split("-")) == 4 for p in (out / "data" / "default").glob("*.parquet"))


def test_changed_referenced_file_is_refused_by_name_or_rebuilt(tmp_path, capsys):
    words = tmp_path / "words.txt"
    words.write_text("cat\n")
    recipe = write_recipe(tmp_path, write_inputs(tmp_path / "in"), wordlist=str(words))
    assert main(["build", str(recipe)]) == 0
    assert not any("cat" in r for r in rows(tmp_path / "out"))
    words.write_text("Owls\n")
    assert main(["build", str(recipe)]) == 1
    assert "wordlist file" in capsys.readouterr().err
    assert main(["build", str(recipe), "--rebuild-changed"]) == 0
    texts = rows(tmp_path / "out")
    assert any("cat" in r for r in texts) and not any("Owls" in r for r in texts)
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["referenced_files"][0]
    assert entry["role"] == "wordlist" and len(entry["sha256"]) == 64


def test_changed_input_is_refused(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in")
    recipe = write_recipe(tmp_path, inputs)
    assert main(["build", str(recipe)]) == 0
    write_inputs(inputs, DOCS + ["One more."])
    assert main(["build", str(recipe)]) == 1
    assert "input part-0.jsonl" in capsys.readouterr().err


def test_finalize_from_another_folder_and_refusing_missing_ranks(tmp_path, monkeypatch, capsys):
    (tmp_path / "in").mkdir()
    monkeypatch.chdir(tmp_path)
    write_inputs(Path("in"))
    (Path("words.txt")).write_text("cat\n")
    recipe = write_recipe(tmp_path, "in", out=Path("out"), wordlist="words.txt")
    assert main(["build", str(recipe)]) == 0
    card = Path("out/README.md").read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["finalize", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "README.md").read_text() == card
    (tmp_path / "out" / "work" / "logs" / "filter" / "completions" / "00001").unlink()
    assert main(["finalize", str(tmp_path / "out")]) == 1
    assert "filter: ranks 1" in capsys.readouterr().err


def test_manifest_versions_and_git_state(tmp_path):
    assert main(["build", str(write_recipe(tmp_path, write_inputs(tmp_path / "in")))]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {"pymupdf", "spacy", "xxhash", "torch", "datatrove"} <= set(manifest["versions"])
    if manifest["git"] is not None:
        assert set(manifest["git"]) == {"commit", "dirty"}


def test_recipe_hash_normalises_paths_and_ignores_non_data_settings(tmp_path, monkeypatch):
    from factory.recipe import load_recipe

    monkeypatch.chdir(tmp_path)
    write_inputs(Path("in"))
    hashes = {
        load_recipe(write_recipe(tmp_path, spelled, name=f"r{i}.yaml")).hash()
        for i, spelled in enumerate(["in", "./in", str(tmp_path / "in"), "in/"])
    }
    assert len(hashes) == 1
    recipe = write_recipe(tmp_path, "in")
    base = load_recipe(recipe).hash()
    assert load_recipe(recipe, ["stages.progress_note=hello"]).hash() == base
    assert load_recipe(recipe, ["stages.min_words=3"]).hash() != base
    assert os.getcwd() == str(tmp_path)


def test_a_tap_after_a_step_that_yields_nothing_counts_zero(tmp_path):
    from factory.progress import ProgressTap, read_progress

    assert list(ProgressTap(str(tmp_path), "out").run(None, rank=3)) == []
    assert read_progress(tmp_path) == (0, 0, 1)


def test_inputs_through_fsspec_urls_and_verified_by_content(tmp_path):
    inputs = write_inputs(tmp_path / "in")
    recipe = write_recipe(tmp_path, f"file://{inputs}")
    assert main(["build", str(recipe), "--verify-inputs"]) == 0
    assert len(rows(tmp_path / "out")) == 7
    files = json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"]["files"]
    assert [f["path"] for f in files] == ["part-0.jsonl"] and len(files[0]["sha256"]) == 64
    assert main(["build", str(recipe)]) == 0  # resuming without verification is not a change


def test_a_code_change_since_the_build_started_is_said(tmp_path, capsys, monkeypatch):
    from factory import provenance

    recipe = write_recipe(tmp_path, write_inputs(tmp_path / "in"))
    assert main(["build", str(recipe)]) == 0
    monkeypatch.setattr(provenance, "code_version", lambda: "9.9.9+abc")
    assert main(["build", str(recipe)]) == 0
    assert "the factory's code changed since the build" in capsys.readouterr().out
    assert main(["build", str(recipe), "--rebuild-changed"]) == 0
    assert "rebuilding" in capsys.readouterr().out
