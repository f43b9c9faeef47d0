"""textbook_qa with model backends, through datatrove's InferenceRunner (plumbing, not quality)."""

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import run_factory, scripted_endpoint

SECRET = "sk-test-SECRET-0123456789"


def _recipe(tmp_path, samples_textbooks, stages: dict, name="recipe.yaml") -> Path:
    recipe = {
        "recipe": "textbook_qa",
        "name": "tb-llm",
        "input": {"path": str(samples_textbooks / "pdfs"), "format": "pdf"},
        "executor": {"type": "local", "tasks": 1, "workers": 1},
        "stages": {"pdf": {"subjects_file": str(samples_textbooks / "subjects.yaml"), "chunk_tokens": 300}, **stages},
        "output": {"path": str(tmp_path / "out")},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(recipe))
    return path


def _quarantined(out: Path, stage: str) -> list[dict]:
    return [
        json.loads(line) for f in sorted((out / "removed" / stage).glob("*.jsonl.gz")) for line in gzip.open(f, "rt")
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_transformers_backend_served_through_inference_runner(tiny_model, samples_textbooks, tmp_path):
    llm = {"backend": "transformers", "model": str(tiny_model), "device": "cpu", "max_tokens": 12}
    recipe = _recipe(tmp_path, samples_textbooks, {"extract": {"llm": llm}})
    run_factory("build", recipe)
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    chunks = next(s for s in manifest["funnel"]["stages"] if s["stage"] == "chunk")["produced"]
    extract = next(s for s in manifest["funnel"]["stages"] if s["stage"] == "extract")
    # a random-weight model writes garbage: every chunk was answered, and every answer is quarantined
    assert extract["read"] == chunks > 1
    assert sum(extract["dropped"].values()) + extract["kept"] == chunks
    quarantined = _quarantined(out, "extract")
    assert len(quarantined) == sum(extract["dropped"].values())
    assert all(q["metadata"]["raw_completion"] for q in quarantined)
    assert manifest["llm"][0]["model"] == str(tiny_model) and len(manifest["llm"][0]["prompt_sha256"]) == 64
    assert manifest["funnel"]["adds_up"]
    # the request cache answers a rerun of the model stage without asking the model again
    cache = list((out / "work" / "llm_cache" / "extract").rglob("*"))
    assert cache


@pytest.mark.slow
def test_endpoint_backend_against_the_same_server_keeps_the_key_secret(tiny_model, samples_textbooks, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).parents[2] / "factory" / "llm" / "transformers_server.py"),
            "--port",
            str(port),
            "--model",
            str(tiny_model),
            "--device",
            "cpu",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        llm = {
            "backend": "endpoint",
            "model": str(tiny_model),
            "endpoint_url": f"http://127.0.0.1:{port}",
            "api_key_env": "TEST_LLM_KEY",
            "max_tokens": 8,
        }
        recipe = _recipe(tmp_path, samples_textbooks, {"extract": {"llm": llm}})
        import os

        result = run_factory("build", recipe, env={**os.environ, "TEST_LLM_KEY": SECRET})
        out = tmp_path / "out"
        extract = next(
            s for s in json.loads((out / "manifest.json").read_text())["funnel"]["stages"] if s["stage"] == "extract"
        )
        assert extract["read"] > 1 and extract["read"] == extract["kept"] + sum(extract["dropped"].values())
        assert SECRET not in result.stdout + result.stderr
        for path in out.rglob("*"):
            if path.is_file() and path.suffix in (".json", ".yaml", ".md", ".log", ".txt"):
                assert SECRET not in path.read_text(errors="replace"), path
        # a missing key variable is reported before any work
        missing = run_factory(
            "build",
            _recipe(
                tmp_path,
                samples_textbooks,
                {"extract": {"llm": {**llm, "api_key_env": "NOT_SET_ANYWHERE"}}},
                name="r2.yaml",
            ),
            check=False,
        )
        assert missing.returncode == 2 and "NOT_SET_ANYWHERE" in missing.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def scripted_textbook_model(prompt: str) -> str:
    """Scripted answers for each textbook_qa prompt, with a refusal and a rejection planted."""
    if "extract question-answer pairs" in prompt:
        if "The mole links" in prompt:
            return "I'm sorry, I can't help with that."
        exercises = [" ".join(q.split()) for q in re.findall(r"Exercise \d+\.\d+\. (.+?\?)", prompt, re.S)]
        return (
            "\n".join(f"Question: {q}\nAnswer: We compute it step by step. The result is 7 units." for q in exercises)
            or "[NO QA]"
        )
    if prompt.startswith("Rewrite this textbook question"):
        question = re.search(r"Question: (.+)", prompt).group(1)
        return f"Question: {question}\nAnswer: We compute it step by step. So the result is \\boxed{{7 units}}."
    if prompt.startswith("Decide whether a training question"):
        question = re.search(r"Training question:\n(.+)\n", prompt).group(1)
        return "CONTAMINATED" if question in prompt.split("Most similar benchmark questions:")[1] else "CLEAN"
    if prompt.startswith("Does this answer show"):
        return "REASONING"
    return "DROP: contradicts itself" if "cyclist" in prompt else "KEEP"


def test_every_llm_round_with_a_scripted_endpoint(samples_textbooks, tmp_path):
    out = tmp_path / "out"
    with scripted_endpoint(scripted_textbook_model) as (url, prompts):
        llm = {"backend": "endpoint", "model": "scripted", "endpoint_url": url}
        stages = {name: {"llm": llm} for name in ("extract", "refine", "cot", "filter")}
        recipe = _recipe(tmp_path, samples_textbooks, stages)
        run_factory("build", recipe)
        asked, before = len(prompts), json.loads((out / "manifest.json").read_text())["outputs"]
        # a crash after the refine round got every answer but before its task was marked complete:
        # the rerun takes the answers from datatrove's request cache and asks the model nothing again
        for completion in (out / "work" / "logs" / "llm-refine" / "completions").iterdir():
            completion.unlink()
        run_factory("build", recipe)
        assert len(prompts) == asked
        assert json.loads((out / "manifest.json").read_text())["outputs"] == before
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    assert funnel["adds_up"]
    assert funnel["dropped"].get("extract/refusal", 0) >= 1
    assert funnel["dropped"].get("llm_filter/llm_rejected", 0) >= 1
    import pyarrow.parquet as pq

    table = pq.read_table(sorted((out / "data" / "default").glob("*.parquet")))
    assert table.num_rows >= 3
    assert set(table.column("reference_answer").to_pylist()) == {"7 units"}
    assert all("\\boxed{7 units}" in a for a in table.column("answer").to_pylist())
    stages_with_models = {m["stage"] for m in json.loads((out / "manifest.json").read_text())["llm"]}
    assert stages_with_models == {"extract", "refine", "cot", "filter"}


@pytest.mark.slow
def test_embedding_decontamination_with_a_judge(tiny_model, samples_textbooks, tmp_path):
    bench = samples_textbooks / "benchmarks" / "scibench_sample.jsonl"
    with scripted_endpoint(scripted_textbook_model) as (url, prompts):
        judge = {"backend": "endpoint", "model": "scripted", "endpoint_url": url}
        decontamination = {
            "mode": "embedding",
            "embedding_model": str(tiny_model),
            "device": "cpu",
            "top_k": 5,
            "judge": judge,
            "benchmarks": [{"path": str(bench)}],
        }
        run_factory("build", _recipe(tmp_path, samples_textbooks, {"decontamination": decontamination}))
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["funnel"]["dropped"]["decontamination_judge/benchmark_match"] == 1
    assert manifest["funnel"]["adds_up"]
    (match,) = _quarantined(out, "decontamination_judge")
    assert match["text"] in match["metadata"]["benchmark_neighbours"]
    judged = [p for p in prompts if p.startswith("Decide whether")]
    assert (
        len(judged) == next(s for s in manifest["funnel"]["stages"] if s["stage"] == "decontamination_judge")["read"]
    )
    assert {m["stage"] for m in manifest["llm"]} == {"decontamination", "decontamination-embedding"}


def test_a_build_killed_in_the_middle_of_a_round_resumes_without_asking_again(samples_textbooks, tmp_path):
    """Kill -9 while the extract round waits on a prompt; the rerun sends exactly the prompts never answered
    and the output equals an uninterrupted build's."""
    llm = {"backend": "endpoint", "model": "scripted", "endpoint_url": None, "max_concurrent": 1}

    def recipe(url: str, out: str) -> Path:
        stages = {"extract": {"llm": {**llm, "endpoint_url": url}}}
        path = _recipe(tmp_path, samples_textbooks, stages, name=f"{out}.yaml")
        data = yaml.safe_load(path.read_text())
        data["output"]["path"] = str(tmp_path / out)
        path.write_text(yaml.safe_dump(data))
        return path

    with scripted_endpoint(scripted_textbook_model) as (url, all_prompts):
        run_factory("build", recipe(url, "whole"))
    assert len(all_prompts) >= 4 and len(set(all_prompts)) == len(all_prompts)

    answered, reached = threading.Event(), threading.Event()

    def stalling(prompt: str) -> str:
        if len(first_prompts) == 3:  # the third prompt: hold it until the build is killed
            reached.set()
            answered.wait(30)
        return scripted_textbook_model(prompt)

    with scripted_endpoint(stalling) as (url, first_prompts):
        build = subprocess.Popen(
            [str(Path(sys.executable).parent / "factory"), "build", str(recipe(url, "killed"))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert reached.wait(120), "the round never reached its third prompt"
        time.sleep(1.0)  # the two answered prompts reach the request cache
        os.killpg(build.pid, signal.SIGKILL)
        build.wait(30)
        answered.set()
    done_before = first_prompts[:2]
    with scripted_endpoint(scripted_textbook_model) as (url, rerun_prompts):
        run_factory("build", recipe(url, "killed"))
    assert not set(rerun_prompts) & set(done_before)  # no completed prompt sent again
    assert sorted(rerun_prompts + done_before) == sorted(all_prompts)  # every other prompt sent, once
    whole = json.loads((tmp_path / "whole" / "manifest.json").read_text())
    resumed = json.loads((tmp_path / "killed" / "manifest.json").read_text())
    assert [f["sha256"] for f in resumed["outputs"]["files"]] == [f["sha256"] for f in whole["outputs"]["files"]]
    assert resumed["funnel"]["adds_up"] and resumed["funnel"]["kept"] == whole["funnel"]["kept"] > 0
