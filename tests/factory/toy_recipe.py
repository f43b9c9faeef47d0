"""A tiny recipe for engine tests: JSONL docs -> drop short or listed ones -> split into sentences -> parquet.

It changes its unit (docs -> sentences) like textbook_qa (books -> pairs), and references a file (a word list)
like math_web references its models, so every engine behaviour can be tested in a second, without models.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from pydantic import Field

from factory.quarantine import quarantine_writers
from factory.readers import make_reader
from factory.recipe import StrictModel
from factory.recipe_spec import CardInfo, FunnelSpec, OutputConfig, RecipeSpec
from factory.stage import Stage
from factory.writer import config_writer
from filters.read_errors import ReadErrorFilter


class ToyStages(StrictModel):
    min_words: int = Field(2, ge=0)
    wordlist: str | None = None  # docs containing any of these words are dropped
    split: bool = True
    progress_note: str = Field("", json_schema_extra={"hash": False})  # a setting that cannot change the data


class MinWords(BaseFilter):
    name = "short"

    def __init__(self, min_words: int, words: list[str], exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.min_words, self.words = min_words, set(words)

    def filter(self, doc: Document):
        tokens = doc.text.split()
        if len(tokens) < self.min_words:
            return False, "too_short"
        if self.words & set(tokens):
            return False, "listed_word"
        return True


class Sentences(PipelineStep):
    name = "split"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("total")
            parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+", doc.text) if len(p.strip()) > 1]
            if not parts:
                self.stat_update("dropped", "dropped_no_sentence")
                continue
            self.stat_update("forwarded")
            for i, part in enumerate(parts):
                self.stat_update("produced")
                yield Document(text=part, id=f"{doc.id}/{i}", metadata={})


CONFIG = OutputConfig(
    "default", pa.schema([("id", pa.string()), ("text", pa.string()), ("words", pa.int64())]), "text"
)


def row(_writer, doc) -> dict:
    return {"id": doc.id, "text": doc.text, "words": len(doc.text.split())}


def build_stages(recipe, layout) -> list[Stage]:
    s = recipe.stages
    quarantine = quarantine_writers(layout, {})
    words = Path(s.wordlist).read_text().split() if s.wordlist else []
    steps = [
        make_reader(recipe.input),
        ReadErrorFilter(exclusion_writer=quarantine("read")),
        MinWords(s.min_words, words, exclusion_writer=quarantine("short")),
        *([Sentences()] if s.split else []),
        config_writer(layout, CONFIG, row),
    ]
    return [Stage("filter", steps, recipe.executor.tasks)]


def referenced_files(recipe) -> dict[str, Path]:
    return {"wordlist": Path(recipe.stages.wordlist)} if recipe.stages.wordlist else {}


RECIPE = RecipeSpec(
    name="toy",
    stages_model=ToyStages,
    build_stages=build_stages,
    funnel=FunnelSpec("docs", ["read", "short", "split"], produces={"split": "sentences"}),
    configs=[CONFIG],
    card=CardInfo(str(Path(__file__).with_name("toy_card.md.j2")), ["text-generation"], ["test"], "@misc{toy}"),
    card_context=lambda recipe, layout: {"summary": "Toy sentences.", "limitations": ["A test recipe."]},
    referenced_files=referenced_files,
)
