import json

import pytest
from datatrove.data import Document

from filters.decontaminate import NGramDecontaminationFilter, load_benchmark_texts
from filters.url_blocklist import UrlBlocklistFilter

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


def test_short_questions_match_as_phrases(bench):
    f = NGramDecontaminationFilter([{"name": "gsm", "path": str(bench), "field": "question"}])
    assert f.filter(Document(text="Quiz: what is two plus two? Four.", id="c")) == (False, "benchmark_overlap")
    assert f.filter(Document(text="what is two plus three", id="d")) is True


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
