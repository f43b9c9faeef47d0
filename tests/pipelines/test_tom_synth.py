"""tom_synth end to end: synthetic contexts (rules and a tiny transformers model) and released-style folders."""

import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import run_factory

sys.path.insert(0, str(Path(__file__).parents[1] / "filters" / "tom"))
from tom_helpers import context, released_style  # noqa: E402

from filters.tom.questions import expected_counts  # noqa: E402

POOLS = Path(__file__).parents[2] / "pipelines" / "tom_pools"


def _recipe(tmp_path, input_block, stages=None, name="recipe.yaml", out="out", tasks=2) -> Path:
    recipe = {
        "recipe": "tom_synth",
        "name": "tom-test",
        "seed": 0,
        "input": input_block,
        "executor": {"type": "local", "tasks": tasks, "workers": 1},
        "stages": stages or {},
        "output": {"path": str(tmp_path / out)},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(recipe))
    return path


def _rows(out: Path, config: str) -> list[dict]:
    return pq.read_table(sorted((out / "data" / config).glob("*.parquet"))).to_pylist()


def _removed(out: Path, stage: str) -> list[dict]:
    return [
        json.loads(line) for f in sorted((out / "removed" / stage).glob("*.jsonl.gz")) for line in gzip.open(f, "rt")
    ]


def test_synthetic_rules_build_is_deterministic(tmp_path):
    block = {"path": str(POOLS), "format": "synthetic", "contexts": 6}
    run_factory("build", _recipe(tmp_path, block, {"sketch": {"scenarios": 4}}))
    run_factory("build", _recipe(tmp_path, block, {"sketch": {"scenarios": 4}}, name="again.yaml", out="again"))
    out = tmp_path / "out"
    questions = _rows(out, "questions")
    assert len(_rows(out, "stories")) == 6 and len(_rows(out, "qa")) == len(questions) == 6 * 56
    per = Counter((q["context_id"], q["question_type"]) for q in questions)
    assert all(per[(c, t)] == n for c in {q["context_id"] for q in questions} for t, n in expected_counts(4).items())
    for config in ("questions", "stories", "qa"):
        ours = [p.read_bytes() for p in sorted((out / "data" / config).glob("*.parquet"))]
        again = [p.read_bytes() for p in sorted((tmp_path / "again" / "data" / config).glob("*.parquet"))]
        assert ours == again
    qa = _rows(out, "qa")[0]
    assert "Scenario 4:" in qa["prompt"] and qa["answer_text"] in qa["prompt"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["funnel"]["adds_up"]
    _assert_card_balance(out, {t: 6 * n for t, n in expected_counts(4).items()})


def _assert_card_balance(out: Path, per_type: dict) -> None:
    """The card's letter-balance rows add up to each type's questions, and the plot is there."""
    card = (out / "README.md").read_text()
    for kind, n in per_type.items():
        row = re.search(rf"^\| `{kind}` \| (a \d+ \(.+?) \| (\d+)% \|$", card, re.M)
        assert row, kind
        assert sum(int(c) for c in re.findall(r"[a-z] (\d+) \(", row.group(1))) == n
        assert f"| `{kind}` | {n} |" in card
    assert (out / "assets" / "tom_answer_letters.png").stat().st_size > 1000


def test_dyntom_folders_requestioned_and_faulty_sketch_quarantined(tmp_path):
    data = tmp_path / "dyntom"
    trials = {
        "trial4": released_style(4, 1, "pairs", with_setting=False),
        "trial7": released_style(7, 2, "speaker_line"),
        "trial5": released_style(5, 3, "mapping", with_setting=False),
        "trial6": released_style(6, 4, "single"),
    }
    bad = context(5, 5)
    across = bad["sketch"]["analysis of mental states across scenarios"]
    for state in ("Belief", "Emotion", "Intention"):
        across[state]["3"] = across[state]["2"]
    trials["trial9"] = bad
    for name, c in trials.items():
        (data / name).mkdir(parents=True)
        (data / name / "story.json").write_text(json.dumps(c))
    (data / "trial10").mkdir()
    (data / "trial10" / "story.json").write_text('{"sketch": ')
    run_factory("build", _recipe(tmp_path, {"path": str(data), "format": "dyntom"}))
    out = tmp_path / "out"
    questions = _rows(out, "questions")
    per = Counter((q["context_id"], q["question_type"]) for q in questions)
    for name, s in (("trial4", 4), ("trial7", 7), ("trial5", 5), ("trial6", 6)):
        assert {t: per[(name, t)] for t in expected_counts(s)} == expected_counts(s)
    assert {r["context_id"] for r in _rows(out, "stories")} == {"trial4", "trial5", "trial6", "trial7"}
    assert all(not o.lower().startswith("rio") for q in questions for o in q["options"])
    (structure,) = _removed(out, "structure")
    assert structure["id"] == "trial9" and structure["metadata"]["filter_reason"] == "bad_structure"
    assert any("nothing changes from scenario 2 to 3" in p for p in structure["metadata"]["problems"])
    (read,) = _removed(out, "read")
    assert read["id"] == "trial10" and read["metadata"]["filter_reason"] == "malformed_story_json"
    assert json.loads((out / "manifest.json").read_text())["funnel"]["adds_up"]
    _assert_card_balance(out, {t: sum(expected_counts(s)[t] for s in (4, 5, 6, 7)) for t in expected_counts(4)})


def test_llm_parser_retries_then_quarantines():
    from conftest import ListWriter
    from datatrove.data import Document

    from filters.tom.sketch_steps import LLMSketchParser

    good = json.dumps({"sketch": context(4, 0)["sketch"], "story": context(4, 0)["story"]})
    profile = {"main": {"name": "A B"}, "supporting": {"name": "C D"}} | context(4, 0)
    profile["main"] = {
        **{"name": "A B", "gender": "woman", "occupation": "Nurse", "race": "Asian"},
        "education": "high school",
        "personality": "infj",
        "first_name": "A",
    }
    profile["supporting"] = {**profile["main"], "name": "C D", "first_name": "C"}

    def doc(i, answer):
        return Document(text="request", id=f"ctx-{i}", metadata={"profile": profile, "rollout_results": [answer]})

    first = LLMSketchParser("sketch", 4, final=False)
    answers = [{"text": "not json"}, {"text": f"```json\n{good}\n```"}, {"error": "timeout", "detail": "slow"}]
    after_first = list(first.run([doc(i, a) for i, a in enumerate(answers)]))
    assert [("context" in d.metadata) for d in after_first] == [False, True, False]
    assert "rejected (unparseable_json)" in after_first[0].text
    writer = ListWriter()
    final = LLMSketchParser("sketch_retry1", 4, final=True, exclusion_writer=writer)
    second = [{"text": good}, {"text": "ignored"}, {"text": json.dumps({"sketch": {}, "story": {}})}]
    for d, a in zip(after_first, second):
        d.metadata["rollout_results"] = [a]
    kept = list(final.run(after_first))
    assert [d.id for d in kept] == ["ctx-0", "ctx-1"] and kept[0].text == "request"
    assert [(d.id, d.metadata["filter_reason"]) for d in writer.docs] == [("ctx-2", "bad_structure")]


@pytest.mark.slow
def test_transformers_backend_garbage_is_quarantined(tiny_model, tmp_path):
    llm = {"backend": "transformers", "model": str(tiny_model), "device": "cpu", "max_tokens": 12}
    block = {"path": str(POOLS), "format": "synthetic", "contexts": 3}
    stages = {"sketch": {"scenarios": 4, "llm": llm, "retries": 1}}
    run_factory("build", _recipe(tmp_path, block, stages, tasks=1))
    out = tmp_path / "out"
    removed = _removed(out, "sketch")
    assert len(removed) == 3
    assert {r["metadata"]["filter_reason"] for r in removed} <= {"unparseable_json", "bad_structure", "truncated"}
    assert all(r["metadata"]["attempts"] == 2 for r in removed)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["funnel"]["adds_up"] and manifest["llm"][0]["model"] == str(tiny_model)


def _asked_about(prompt: str, names: dict) -> int:
    (index,) = {i for name, i in names.items() if f'"main character": "{name}"' in prompt}
    return index


def _scripted_sketcher(scenarios: int):
    """Context A (ctx-00000) answers well at once, B (ctx-00001) at its second attempt, C (ctx-00002) never."""
    from filters.tom.pools import load_pools

    pools = load_pools()
    names = {pools.profile(0, i)["main"]["name"]: i for i in range(3)}
    good = {i: json.dumps({k: context(scenarios, i)[k] for k in ("sketch", "story")}) for i in range(2)}

    def respond(prompt: str) -> str:
        index = _asked_about(prompt, names)
        if index == 0 or (index == 1 and "previous answer was rejected" in prompt):
            return f"Here it is:\n```json\n{good[index]}\n```"
        if index == 1:
            return json.dumps({"sketch": {"relationships among characters": {}}, "story": {}})
        return "I cannot write JSON today."

    return names, respond


def test_llm_retries_ask_only_contexts_without_a_sketch(tmp_path):
    from conftest import scripted_endpoint

    names, respond = _scripted_sketcher(4)
    block = {"path": str(POOLS), "format": "synthetic", "contexts": 3}
    with scripted_endpoint(respond) as (url, prompts):
        llm = {"backend": "endpoint", "model": "scripted", "endpoint_url": url}
        stages = {"sketch": {"scenarios": 4, "llm": llm, "retries": 2}}
        run_factory("build", _recipe(tmp_path, block, stages))
        asked = Counter(_asked_about(p, names) for p in prompts)
        assert asked == {0: 1, 1: 2, 2: 3}  # A once, B twice, C retries + 1 times
        retry_of_b = next(p for p in prompts if _asked_about(p, names) == 1 and "rejected" in p)
        assert "rejected (bad_structure): missing 'analysis of mental states across scenarios'" in retry_of_b
        run_factory("build", _recipe(tmp_path, block, stages, name="again.yaml", out="again"))
    out = tmp_path / "out"
    stories = _rows(out, "stories")
    assert [(r["context_id"], r["sketch_attempts"]) for r in stories] == [("ctx-00000", 1), ("ctx-00001", 2)]
    assert json.loads(stories[1]["sketch"]) == context(4, 1)["sketch"]
    per = Counter((q["context_id"], q["question_type"]) for q in _rows(out, "questions"))
    assert {t: per[("ctx-00001", t)] for t in expected_counts(4)} == expected_counts(4)
    (c,) = _removed(out, "sketch")
    assert c["id"] == "ctx-00002" and c["metadata"]["filter_reason"] == "unparseable_json"
    assert c["metadata"]["attempts"] == 3 and c["metadata"]["rejected"] == ["unparseable_json"] * 3
    assert c["metadata"]["raw_completion"] == "I cannot write JSON today."
    funnel = json.loads((out / "manifest.json").read_text())["funnel"]
    assert funnel["adds_up"] and funnel["inputs"] == 3
    contexts = next(f for f in funnel["units"] if f["unit"] == "contexts")
    assert [(s["stage"], s["read"]) for s in contexts["stages"]][:4] == [
        ("contexts", 3),
        ("sketch", 3),
        ("sketch_retry1", 3),
        ("sketch_retry2", 3),
    ]  # each context counted once per round, whether asked again or set aside
    assert funnel["dropped"] == {"sketch_retry2/unparseable_json": 1}
    for config in ("questions", "stories", "qa"):
        ours = [p.read_bytes() for p in sorted((out / "data" / config).glob("*.parquet"))]
        again = [p.read_bytes() for p in sorted((tmp_path / "again" / "data" / config).glob("*.parquet"))]
        assert ours == again


def test_truncated_is_asked_again_and_too_long_is_not():
    from conftest import ListWriter
    from datatrove.data import Document

    from filters.tom.pools import load_pools
    from filters.tom.sketch_steps import LLMSketchParser

    good = json.dumps({k: context(4, 0)[k] for k in ("sketch", "story")})
    profile = load_pools().profile(0, 0)
    cut = {"text": good[: len(good) // 2], "finish_reason": "length"}
    answers = {"ctx-0": cut, "ctx-1": {"error": "prompt_too_long", "detail": "9000 > 8192"}, "ctx-2": cut}
    docs = [
        Document(text="request", id=i, metadata={"profile": profile, "rollout_results": [a]})
        for i, a in answers.items()
    ]
    first = list(LLMSketchParser("sketch", 4, final=False).run(docs))
    assert [d.metadata["attempts"] for d in first] == [1, 1, 1]
    assert "rejected (truncated)" in first[0].text and first[1].metadata["given_up"][0] == "prompt_too_long"
    first[0].metadata["rollout_results"] = [{"text": good, "finish_reason": "stop"}]
    first[2].metadata["rollout_results"] = [cut]  # the too-long prompt is not sent again: no answer for it
    writer = ListWriter()
    kept = list(LLMSketchParser("sketch_retry1", 4, final=True, exclusion_writer=writer).run(first))
    assert [(d.id, d.metadata["attempts"]) for d in kept] == [("ctx-0", 2)] and kept[0].text == "request"
    quarantined = {d.id: (d.metadata["filter_reason"], d.metadata["attempts"]) for d in writer.docs}
    assert quarantined == {"ctx-1": ("prompt_too_long", 1), "ctx-2": ("truncated", 2)}
    assert writer.docs[1].metadata["rejected"] == ["truncated", "truncated"]


def test_bad_structure_reason_lists_the_first_problems():
    from datatrove.data import Document

    from filters.tom.pools import load_pools
    from filters.tom.sketch_steps import LLMSketchParser

    sketch = context(5, 0)["sketch"]
    for state in sketch["analysis of mental states across scenarios"].values():
        state.pop("3")  # 4 states x (key count, missing value) = 8 problems
    answer = {"text": json.dumps({"sketch": sketch, "story": context(5, 0)["story"]})}
    doc = Document(
        text="request", id="c", metadata={"profile": load_pools().profile(0, 0), "rollout_results": [answer]}
    )
    (retried,) = LLMSketchParser("sketch", 5, final=False).run([doc])
    reason = retried.text.split("rejected (bad_structure): ")[1]
    assert reason.startswith("belief: 6 keys, expected 7") and reason.endswith("; and 3 more")
    assert len(retried.metadata["problems"]) == 8
