"""MinHash dedup: the number normalisation setting, and which copy of a duplicate survives."""

import json

import pytest
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter

from factory.dedup import MinHashStage, minhash_stages
from factory.layout import OutputLayout
from factory.quarantine import quarantine_writers
from filters.books.qa_filters import QARulesFilter

SLOW = "A car travels 120 km in 2 h on a straight road. What is its average speed in km per hour?"
FAST = "A car travels 450 km in 9 h on a straight road. What is its average speed in km per hour?"


def _shingles(stage: MinHashStage, text: str) -> set[int]:
    return set(MinhashDedupSignature("/tmp/unused", config=stage.config(seed=0)).get_shingles(text).ravel().tolist())


def test_question_dedup_keeps_numbers_and_web_dedup_normalises_them():
    from pipelines.math_web import DedupStage as WebDedup
    from pipelines.textbook_qa import DedupStage as QuestionDedup

    questions = QuestionDedup()
    assert questions.normalize_numbers is False
    assert questions.config(0).norm_config.norm_numbers is False
    assert _shingles(questions, SLOW) != _shingles(questions, FAST)
    # datatrove's default, kept for web pages: the two exercises become one text
    web = WebDedup(n_grams=3)
    assert web.normalize_numbers is True
    assert _shingles(web, SLOW) == _shingles(web, FAST)


def _run(stages, tmp_path):
    for i, stage in enumerate(stages):
        LocalPipelineExecutor(
            pipeline=stage.pipeline, tasks=stage.tasks, workers=1, logging_dir=str(tmp_path / "logs" / f"{i}")
        ).run()


def _dedup_questions(tmp_path, normalize_numbers: bool, filter_first: bool) -> list[dict]:
    """Rows through [QARulesFilter, MinHash] (or the old order), like textbook_qa; the rows that come out."""
    rows = [
        {"id": "a", "text": SLOW, "metadata": {"answer": ""}},  # first copy: no answer
        {"id": "b", "text": SLOW, "metadata": {"answer": "60 km/h"}},
        {"id": "c", "text": FAST, "metadata": {"answer": "50 km/h"}},
    ]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    layout = OutputLayout(tmp_path / "out")
    quarantine = quarantine_writers(layout, {"dedup": "near_duplicate_question"})
    rules = [QARulesFilter(exclusion_writer=quarantine("filter"))]
    stage = MinHashStage(n_grams=3, num_buckets=12, hashes_per_bucket=5, normalize_numbers=normalize_numbers)
    stages = minhash_stages(
        [JsonlReader(str(tmp_path / "in")), *(rules if filter_first else [])],
        [
            *([] if filter_first else rules),
            JsonlWriter(str(tmp_path / "kept"), output_filename="kept.jsonl", compression=None),
        ],
        layout,
        1,
        stage.config(seed=0),
        quarantine,
    )
    _run(stages, tmp_path)
    kept = tmp_path / "kept" / "kept.jsonl"
    return [json.loads(line) for line in kept.read_text().splitlines()] if kept.exists() else []


def test_the_copy_with_an_answer_survives_and_different_numbers_are_kept(tmp_path):
    kept = _dedup_questions(tmp_path, normalize_numbers=False, filter_first=True)
    assert [(r["id"], r["metadata"]["answer"]) for r in kept] == [("b", "60 km/h"), ("c", "50 km/h")]


@pytest.mark.parametrize(
    "normalize_numbers, filter_first, survivors",
    [
        (True, True, ["b"]),  # the other exercise is a "duplicate"
        (False, False, ["c"]),  # dedup keeps the unanswered copy, the filter then drops it
        (True, False, []),  # both: what the recipe did before
    ],
)
def test_each_fix_matters(tmp_path, normalize_numbers, filter_first, survivors):
    kept = _dedup_questions(tmp_path, normalize_numbers=normalize_numbers, filter_first=filter_first)
    assert [r["id"] for r in kept] == survivors


def test_textbook_qa_filters_answers_before_dedup(tmp_path):
    from factory.recipe import load_recipe
    from pipelines.textbook_qa import build_stages

    (tmp_path / "pdfs").mkdir()
    path = tmp_path / "r.yaml"
    path.write_text(
        "recipe: textbook_qa\nname: t\n"
        f"input: {{path: {tmp_path / 'pdfs'}, format: pdf}}\noutput: {{path: {tmp_path / 'out'}}}\n"
    )
    recipe = load_recipe(path)
    steps = [
        type(step).__name__
        for stage in build_stages(recipe, OutputLayout(tmp_path / "out"))
        for step in stage.pipeline
    ]
    assert steps.index("QARulesFilter") < steps.index("MinhashDedupSignature")
    # the setting lands in the saved recipe (and so in the recipe hash)
    assert "normalize_numbers: false" in recipe.resolved_yaml()
