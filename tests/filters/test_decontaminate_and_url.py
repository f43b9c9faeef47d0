import json
import random

import pytest
import yaml
from datatrove.data import Document

from filters.decontaminate import NGramDecontaminationFilter, load_benchmark_texts
from filters.web.url_blocklist import UrlBlocklistFilter

QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."


@pytest.fixture
def bench(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(
        json.dumps({"question": QUESTION}) + "\n" + json.dumps({"question": "What is two plus two"}) + "\n"
    )
    return path


def test_13gram_overlap_after_normalisation(bench):
    f = NGramDecontaminationFilter([{"name": "gsm", "path": str(bench), "field": "question"}])
    hit = Document(
        text="Intro. NATALIA sold clips to 48 of her friends in April, and then she sold half... more", id="a"
    )
    assert f.filter(hit) == (False, "benchmark_overlap")
    assert hit.metadata["contaminated_with"] == "gsm"
    # 12 consecutive words are not enough
    assert f.filter(Document(text="Natalia sold clips to 48 of her friends in April, and then", id="b")) is True


def _bench_file(tmp_path, questions, name="bench.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps({"question": q}) + "\n" for q in questions))
    return path


def test_short_items_match_whole_from_min_n_words(tmp_path):
    short = "A train travels 120 km in 2 hours; find its speed."  # 10 words: under 13, at least 8
    path = _bench_file(tmp_path, [short])
    f = NGramDecontaminationFilter([{"name": "gsm", "path": str(path), "field": "question"}], n=13, min_n=8)
    assert f.filter(Document(text=f"Homework 3. {short.upper()} Show your work.", id="c")) == (
        False,
        "benchmark_overlap",
    )
    # its first nine words are not the item
    assert f.filter(Document(text="A train travels 120 km in 2 hours; find the time.", id="d")) is True
    # matching is on whole words: no hit inside longer tokens
    assert f.filter(Document(text="AA train travels 120 km in 2 hours; find its speeds.", id="e")) is True


def test_generic_short_items_never_match(tmp_path):
    path = _bench_file(tmp_path, ["Solve for x.", "Which of the following is true?", "What is the value of x?"])
    f = NGramDecontaminationFilter([{"name": "mmlu", "path": str(path), "field": "question"}])
    page = "Exercise 4. Solve for x. Which of the following is true? What is the value of x? Explain."
    assert f.filter(Document(text=page, id="p")) is True
    assert f.build_index().too_short == 3


def test_lookups_per_document_do_not_grow_with_the_benchmark(tmp_path, monkeypatch):
    import filters.decontaminate as decontaminate

    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(2000)]
    many = [" ".join(rng.choices(vocab, k=rng.randint(8, 12))) for _ in range(5000)]
    page = " ".join(rng.choices(vocab, k=400))
    calls = {}
    real_hash = decontaminate.xxh3_64_intdigest

    def counting(text):
        calls["n"] = calls.get("n", 0) + 1
        return real_hash(text)

    monkeypatch.setattr(decontaminate, "xxh3_64_intdigest", counting)
    for label, items in (("one", many[:1]), ("many", many)):
        f = NGramDecontaminationFilter(
            [{"name": "b", "path": str(_bench_file(tmp_path, items, f"{label}.jsonl")), "field": "question"}]
        )
        f._index = f.build_index()
        calls["n"] = 0
        f.filter(Document(text=page, id=label))
        calls[label] = calls["n"]
    # one hash per window of min_n words (393 here), plus a few verifications of anchor hits
    assert calls["one"] == 400 - 8 + 1
    assert calls["many"] < 1.1 * calls["one"]


def test_min_n_grams_is_recorded_and_checked():
    from pydantic import ValidationError

    from factory.decontamination import DecontaminationStage

    stage = DecontaminationStage(n_grams=13)
    assert stage.min_n_grams == 8 and stage.filter().min_n == 8
    with pytest.raises(ValidationError, match="must not exceed"):
        DecontaminationStage(n_grams=5, min_n_grams=8)


def test_benchmark_errors_name_line_and_field(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text('{"question": "a"}\n{"problem": "b"}\n')
    with pytest.raises(ValueError, match="line 2: no field 'question'"):
        load_benchmark_texts(path, "question")


def test_url_blocklist_blocks_subdomains_and_patterns():
    f = UrlBlocklistFilter(["bad.example"], ["/ads/"])
    assert f.filter(Document(text="", id="1", metadata={"url": "https://www.bad.example/x"})) == (
        False,
        "blocked_domain",
    )
    assert f.filter(Document(text="", id="2", metadata={"url": "https://good.example/ads/1"})) == (
        False,
        "blocked_url_pattern",
    )
    assert f.filter(Document(text="", id="3", metadata={"url": "https://notbad.example/"})) is True
    assert f.filter(Document(text="", id="4", metadata={})) is True


def test_math_web_decontaminates_the_rewritten_text(tmp_path):
    """The filter runs on what the Web-Pro rewrite returns, not on the page it was given."""
    from factory.layout import OutputLayout
    from factory.recipe import load_recipe
    from pipelines.math_web import build_stages

    path = tmp_path / "r.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "recipe": "math_web",
                "name": "t",
                "input": {"path": str(tmp_path), "format": "jsonl"},
                "stages": {
                    "refine": {
                        "enabled": True,
                        "llm": {"backend": "endpoint", "model": "m", "endpoint_url": "http://127.0.0.1:9/v1"},
                    }
                },
                "output": {"path": str(tmp_path / "out")},
            }
        )
    )
    stages = build_stages(load_recipe(path), OutputLayout(tmp_path / "out"))
    names = [stage.name for stage in stages]
    (where,) = [s.name for s in stages if any(isinstance(step, NGramDecontaminationFilter) for step in s.pipeline)]
    assert names.index(where) > names.index("llm-refine") > names.index("llm-edu")
    assert where == "after-refine"
