"""textbook_qa — MegaScience TextbookReasoning (arXiv 2507.16812).

Textbook PDFs -> clean text with page numbers (pymupdf) -> QA extraction (high or low standard) ->
questions under 5 words dropped -> filter (outside references, missing answers) -> MinHash question dedup
(word 3-grams, ~0.6, numbers kept) -> [LLM refine, CoT, filter] -> benchmark decontamination -> reference answers ->
`question, answer, subject, reference_answer` (config `default`) + provenance (config `provenance`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import pyarrow as pa
import yaml
from pydantic import Field

from factory.chain import LLMRound, chain
from factory.decontamination import DecontaminationStage
from factory.dedup import MinHashStage, minhash_stages
from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
from factory.llm.inference import llm_entry, load_prompt
from factory.pdf_reader import PdfBookReader
from factory.quarantine import quarantine_writers
from factory.recipe import Recipe, StrictModel
from factory.recipe_spec import CardInfo, FunnelSpec, OutputConfig, RecipeSpec
from factory.stage import Stage
from factory.writer import config_writer
from filters.books.chunker import BookChunker
from filters.books.qa_filters import QARulesFilter, ShortQuestionFilter, StandardFilter
from filters.books.qa_llm import (
    CoTParser,
    DecontaminationJudgeParser,
    LLMFilterParser,
    QAExtractionParser,
    RefineParser,
)
from filters.books.qa_rules import RulesQAExtractor
from filters.books.reference_answer import ReferenceAnswerStep
from filters.read_errors import ReadErrorFilter
from pipelines.citations import MEGASCIENCE


class PdfStage(StrictModel):
    subject: str | None = None  # subject of every book, unless `subjects` names it
    subjects: dict[str, str] = Field(default_factory=dict)  # file glob -> subject
    subjects_file: str | None = None  # YAML file with the same map
    chunk_tokens: int = Field(4096, ge=256)


class ExtractStage(StrictModel):
    standard: Literal["high", "low"] = "low"
    # rules backend layout profile: auto-detected per book, or named for all books / per file glob
    profile: Literal["auto", "textbook", "question_bank"] = "auto"
    profiles: dict[str, Literal["textbook", "question_bank"]] = Field(default_factory=dict)
    llm: LLMConfig = Field(default_factory=LLMConfig)  # rules: numbered items + answer keys, whole books


class LLMStage(StrictModel):
    llm: LLMConfig = Field(default_factory=LLMConfig)  # rules: refine and CoT are skipped; filter runs its rules


class DedupStage(MinHashStage):
    """MegaScience question dedup: word 3-grams, ~0.6 Jaccard; questions under `min_words` dropped first."""

    min_words: int = Field(5, ge=1)
    n_grams: int = Field(3, ge=1)
    num_buckets: int = Field(12, ge=1)  # 12 x 5: Jaccard threshold ~(1/12)^(1/5) = 0.61
    hashes_per_bucket: int = Field(5, ge=1)
    normalize_numbers: bool = False  # "120 km in 2 h" and "450 km in 9 h" are two exercises


class Stages(StrictModel):
    pdf: PdfStage = Field(default_factory=PdfStage)
    extract: ExtractStage = Field(default_factory=ExtractStage)
    dedup: DedupStage = Field(default_factory=DedupStage)
    refine: LLMStage = Field(default_factory=LLMStage)
    cot: LLMStage = Field(default_factory=LLMStage)
    filter: LLMStage = Field(default_factory=LLMStage)
    decontamination: DecontaminationStage = Field(default_factory=DecontaminationStage)


PROMPTS = Path(__file__).parent / "prompts"
DEFAULT_REASONS = {"dedup": "near_duplicate_question"}
DEFAULT_CONFIG = OutputConfig(  # MegaScience's released schema, exactly
    "default",
    pa.schema(
        [
            ("question", pa.string()),
            ("answer", pa.string()),
            ("subject", pa.string()),
            ("reference_answer", pa.string()),
        ]
    ),
    text_column="question",
)
PROVENANCE_CONFIG = OutputConfig(
    "provenance",
    pa.schema(
        [
            ("id", pa.string()),
            ("question", pa.string()),
            ("source", pa.string()),
            ("pages", pa.list_(pa.int64())),
            ("chunk_id", pa.string()),
            ("label", pa.string()),
            ("standard", pa.string()),
            ("rule", pa.string()),
            ("profile", pa.string()),
        ]
    ),
    text_column="question",
)


def qa_row(_writer, doc) -> dict:
    """The released MegaScience schema, exactly."""
    meta = doc.metadata
    return {
        "question": doc.text,
        "answer": meta["answer"],
        "subject": meta.get("subject"),
        "reference_answer": meta["reference_answer"],
    }


def provenance_row(_writer, doc) -> dict:
    meta = doc.metadata
    return {
        "id": doc.id,
        "question": doc.text,
        "source": meta.get("source"),
        "pages": meta.get("pages"),
        "chunk_id": meta.get("chunk_id"),
        "label": meta.get("label"),
        "standard": meta.get("standard"),
        "rule": meta.get("rule"),
        "profile": meta.get("profile"),
    }


def subjects(stages: Stages) -> dict[str, str]:
    mapping = {}
    if stages.pdf.subjects_file:
        mapping.update(yaml.safe_load(Path(stages.pdf.subjects_file).read_text()) or {})
    mapping.update(stages.pdf.subjects)
    return mapping


def referenced_files(recipe: Recipe) -> dict[str, Path]:
    """Every file besides the inputs that the data depends on (hashed when the build starts)."""
    s = recipe.stages
    files = {f"prompt:{name}": path for name, (_llm, path) in llm_stages(recipe).items()}
    if s.pdf.subjects_file:
        files["subjects"] = Path(s.pdf.subjects_file)
    files.update(s.decontamination.referenced_files())
    return files


def prompt_path(stage: str, llm: LLMConfig, standard: str | None = None) -> Path:
    if llm.prompt:
        return Path(llm.prompt)
    return PROMPTS / (f"textbook_qa_extract_{standard}.txt" if stage == "extract" else f"textbook_qa_{stage}.txt")


def llm_stages(recipe: Recipe) -> dict[str, tuple[LLMConfig, Path]]:
    """The stages this build sends to a model, with their prompt files."""
    s = recipe.stages
    configured = {"extract": s.extract.llm, "refine": s.refine.llm, "cot": s.cot.llm, "filter": s.filter.llm}
    if s.decontamination.mode == "embedding":
        configured["decontamination"] = s.decontamination.judge
    return {
        name: (llm, prompt_path(name, llm, s.extract.standard)) for name, llm in configured.items() if llm.uses_model
    }


def llm_info(recipe: Recipe) -> list[dict]:
    """Model, revision, generation parameters and prompt hash of every LLM stage (manifest and card)."""
    info = [llm_entry(name, llm, path) for name, (llm, path) in llm_stages(recipe).items()]
    d = recipe.stages.decontamination
    if d.mode == "embedding":
        info.append(
            {
                "stage": "decontamination-embedding",
                "backend": "transformers",
                "model": d.embedding_model,
                "revision": None,
                "generation": {"top_k": d.top_k},
                "prompt": None,
                "prompt_sha256": "",
            }
        )
    return info


def preflight(recipe: Recipe) -> list[tuple[str, str]]:
    s, problems = recipe.stages, []
    if recipe.input.format != "pdf":
        problems.append(("input.format", "textbook_qa reads textbooks: use format: pdf"))
    if s.pdf.subjects_file:
        if not Path(s.pdf.subjects_file).is_file():
            problems.append(("stages.pdf.subjects_file", f"no such file: {s.pdf.subjects_file}"))
        else:
            try:
                data = yaml.safe_load(Path(s.pdf.subjects_file).read_text())
                if data is not None and not isinstance(data, dict):
                    problems.append(("stages.pdf.subjects_file", "expected a mapping: file glob -> subject"))
            except yaml.YAMLError as e:
                problems.append(("stages.pdf.subjects_file", f"invalid YAML: {str(e).splitlines()[0]}"))
    for name, (llm, path) in llm_stages(recipe).items():
        if not path.is_file():
            problems.append((f"stages.{name}.llm.prompt", f"no such file: {path}"))
        else:
            try:
                load_prompt(path)
            except ValueError as e:
                problems.append((f"stages.{name}.llm.prompt", str(e)))
        if llm.backend == "endpoint" and llm.api_key_env and llm.api_key_env not in os.environ:
            problems.append((f"stages.{name}.llm.api_key_env", f"environment variable {llm.api_key_env} is not set"))
        looks_like_hub_id = re.fullmatch(r"[\w.-]+/[\w.-]+", llm.model) is not None
        if llm.backend == "transformers" and not Path(llm.model).exists() and not looks_like_hub_id:
            problems.append((f"stages.{name}.llm.model", f"no such model folder: {llm.model}"))
    problems += s.decontamination.problems()
    return problems


def build_stages(recipe: Recipe, layout: OutputLayout) -> list[Stage]:
    s, tasks = recipe.stages, recipe.executor.tasks
    rounds = llm_stages(recipe)

    quarantine = quarantine_writers(layout, DEFAULT_REASONS)

    def llm_round(name: str, parser) -> LLMRound:
        llm, prompt = rounds[name]
        return LLMRound(name, llm, prompt, parser)

    books = [
        PdfBookReader(
            recipe.input.folder,
            glob_pattern=recipe.input.glob_pattern,
            subjects=subjects(s),
            default_subject=s.pdf.subject,
            profiles=s.extract.profiles,
        ),
        ReadErrorFilter(exclusion_writer=quarantine("read")),
    ]
    if "extract" in rounds:  # the paper's way: chunks of ~4k tokens, each sent to the model
        extraction = [
            BookChunker(s.pdf.chunk_tokens),
            llm_round("extract", QAExtractionParser(s.extract.standard, quarantine("extract"))),
        ]
    else:
        extraction = [RulesQAExtractor(s.pdf.chunk_tokens, quarantine("extract"), s.extract.profile)]
    pairs = [
        *books,
        *extraction,
        StandardFilter(s.extract.standard, exclusion_writer=quarantine("standard")),
        ShortQuestionFilter(s.dedup.min_words, exclusion_writer=quarantine("short")),
        # before dedup: of two copies of a question, the one kept must be the one with an answer
        QARulesFilter(exclusion_writer=quarantine("filter")),
    ]
    finish = [
        *([llm_round("refine", RefineParser(quarantine("refine")))] if "refine" in rounds else []),
        *([llm_round("cot", CoTParser(quarantine("cot")))] if "cot" in rounds else []),
        *([llm_round("filter", LLMFilterParser(quarantine("llm_filter")))] if "filter" in rounds else []),
        *(
            [
                s.decontamination.embedding_step(),
                llm_round("decontamination", DecontaminationJudgeParser(quarantine("decontamination_judge"))),
            ]
            if s.decontamination.mode == "embedding"
            else [s.decontamination.filter(quarantine("decontamination"))]
        ),
        ReferenceAnswerStep(exclusion_writer=quarantine("reference")),
        config_writer(layout, DEFAULT_CONFIG, qa_row),
        config_writer(layout, PROVENANCE_CONFIG, provenance_row),
    ]
    if not s.dedup.enabled:
        return chain("filter", pairs + finish, layout, tasks, recipe.seed)
    return minhash_stages(pairs, finish, layout, tasks, s.dedup.config(recipe.seed), quarantine)


CARD = CardInfo(
    section="textbook_qa.md.j2",
    task_categories=["question-answering", "text-generation"],
    tags=["science", "textbooks", "reasoning", "sft", "datatrove", "dataset-factory"],
    citation=MEGASCIENCE,
)


def _per_subject(layout: OutputLayout) -> list[dict]:
    """Per subject: pairs kept, pairs dropped by stage, and the books quarantined whole (file and reason), from the
    data and the quarantine."""
    import gzip
    import json

    import polars as pl

    rows: dict[str, dict] = {}

    def row(subject: str | None) -> dict:
        subject = subject or "unknown"
        return rows.setdefault(subject, {"subject": subject, "kept": 0, "dropped": {}, "quarantined_books": []})

    for path in sorted(layout.root.glob("removed/*/*.jsonl.gz")):
        stage = path.parent.name
        for line in gzip.open(path, "rt"):
            doc = json.loads(line)
            meta = doc.get("metadata", {})
            reason = meta.get("filter_reason") or stage
            if stage == "read" or reason == "no_qa":  # a whole book, not a pair
                row(meta.get("subject"))["quarantined_books"].append(
                    {"file": meta.get("source") or doc.get("id"), "reason": reason}
                )
                continue
            dropped = row(meta.get("subject"))["dropped"]
            dropped[stage] = dropped.get(stage, 0) + 1
    files = sorted(layout.data("default").glob("*.parquet"))
    if files:
        # only the subject column, counted by polars' streaming engine: memory does not grow with the data
        counts = (
            pl.scan_parquet(files).select(pl.col("subject").fill_null("unknown")).group_by("subject").len().collect()
        )
        for subject, n in counts.iter_rows():
            row(subject)["kept"] = n
    for r in rows.values():
        r["quarantined_books"].sort(key=lambda b: (b["file"], b["reason"]))
    return [rows[k] for k in sorted(rows)]


def card_context(recipe: Recipe, layout: OutputLayout) -> dict:
    s = recipe.stages
    return {
        "languages": ["en"],
        "stages": s,
        "benchmarks": [b["name"] for b in s.decontamination.specs()],
        "per_subject": _per_subject(layout),
        "llm": llm_info(recipe),
        "summary": "Question-answer pairs with reference answers extracted from textbooks, following MegaScience's "
        "TextbookReasoning pipeline: `question, answer, subject, reference_answer`.",
        "limitations": [
            "The `rules` extractor finds numbered examples and exercises with inline solutions or answer keys; "
            "problems stated in prose without a label are missed (the LLM backends find those).",
            "Reference answers from the rules extractor are the final value of the solution or the answer key "
            "entry; they are not verified by a model.",
            "Decontamination is exact n-gram overlap with the benchmark files named in the recipe.",
        ],
    }


RECIPE = RecipeSpec(
    name="textbook_qa",
    stages_model=Stages,
    build_stages=build_stages,
    funnel=FunnelSpec(
        unit="books",
        steps=[
            "read",
            "chunk",
            "extract",
            "standard",
            "short",
            "filter",
            "dedup",
            "refine",
            "cot",
            "llm_filter",
            "decontamination",
            "decontamination_judge",
            "reference",
        ],
        produces={"chunk": "chunks", "extract": "pairs"},
        default_reasons=DEFAULT_REASONS,
    ),
    configs=[DEFAULT_CONFIG, PROVENANCE_CONFIG],
    card=CARD,
    card_context=card_context,
    preflight=preflight,
    referenced_files=referenced_files,
    llm_info=llm_info,
)
