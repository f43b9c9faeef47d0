"""ablate — MegaScience's selection ablations (arXiv 2507.16812 §3): one pool cut several ways at equal size.

Arms: `full` (the whole pool, the reference), `random` (seeded), `length` (longest responses), `score` (top-n
by a numeric column), `difficulty` (mean 0-10 judge score of k sampled answers in [lo, hi]) and user selectors
by import path. One dataset with a config per arm (data/ARM/), a card comparing the arms, and a LLaMA-Factory
config per arm (training/ARM.yaml) so each arm trains identically. `factory ablate X` == `factory build X`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
from pydantic import Field, model_validator

from factory.chain import LLMRound, chain
from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
from factory.llm.inference import llm_entry, load_prompt
from factory.quarantine import quarantine_writers
from factory.recipe import Recipe, StrictModel
from factory.recipe_spec import CardInfo, FunnelSpec, OutputConfig, RecipeSpec
from factory.stage import Stage
from filters.select.ablation import AblationStep
from filters.select.arm_writer import arm_schema
from filters.select.difficulty import DifficultyQuestions, DifficultyScores, JudgeScoreParser, SampledAnswerParser
from filters.select.plots import arm_histograms
from filters.select.pool import pool_files, pool_schema
from filters.select.selectors import BUILT_IN
from pipelines.citations import MEGASCIENCE

PROMPTS = Path(__file__).parent / "prompts"
ARM_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class Arm(StrictModel):
    name: str = Field(pattern=ARM_NAME)
    selector: str = "random"  # full | random | length | score | difficulty | package.module:function
    column: str | None = None  # score: the numeric column ranked (higher first)
    lo: float = Field(1.0, ge=0, le=10)  # difficulty: keep lo <= mean judge score <= hi (paper: 1 and 9)
    hi: float = Field(9.0, ge=0, le=10)
    equal_size: bool | None = None  # cut to the common n; default: every arm but `full`

    @model_validator(mode="after")
    def _check(self):
        if self.selector == "score" and not self.column:
            raise ValueError("a score arm needs `column` (the numeric column to rank by)")
        if self.selector not in BUILT_IN and ":" not in self.selector:
            raise ValueError(f"selector: one of {', '.join(BUILT_IN)} or an import path package.module:function")
        if self.lo > self.hi:
            raise ValueError("lo must not exceed hi")
        return self


class Size(StrictModel):
    """Equal size across arms: `n` rows, or a `tokens` budget per arm; neither: the smallest arm's size."""

    n: int | None = Field(None, ge=1)
    tokens: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one(self):
        if self.n is not None and self.tokens is not None:
            raise ValueError("give size.n or size.tokens, not both")
        return self


class SelectStage(StrictModel):
    arms: list[Arm] = Field(
        default_factory=lambda: [
            Arm(name="full", selector="full"),
            Arm(name="random"),
            Arm(name="length", selector="length"),
        ],
        min_length=1,
    )
    size: Size = Field(default_factory=Size)
    id_key: str = "id"
    response_key: str = "response"
    question_key: str = "question"
    reference_key: str = "reference_answer"
    tokenizer: str | None = None  # a Hugging Face tokenizer name or path; None: whitespace words
    pool_config: str = "default"  # when the pool is an earlier factory build: which data/CONFIG/ to read

    @model_validator(mode="after")
    def _unique(self):
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique: {names}")
        return self


class DifficultyStage(StrictModel):
    """MegaScience: 16 answers sampled per question, each judged 0-10 against the reference answer."""

    k: int = Field(16, ge=1)
    llm: LLMConfig = Field(default_factory=lambda: LLMConfig(temperature=0.7))  # answers: sampled, so > 0
    judge: LLMConfig | None = None  # default: the same model as `llm`, at temperature 0
    answer_prompt: str | None = None  # default: pipelines/prompts/ablate_answer.txt
    judge_prompt: str | None = None  # default: pipelines/prompts/ablate_judge.txt

    def judge_llm(self) -> LLMConfig:
        return self.judge or self.llm.model_copy(update={"temperature": 0.0})

    def prompts(self) -> dict[str, Path]:
        return {
            "answer": Path(self.answer_prompt) if self.answer_prompt else PROMPTS / "ablate_answer.txt",
            "judge": Path(self.judge_prompt) if self.judge_prompt else PROMPTS / "ablate_judge.txt",
        }


class TrainingStage(StrictModel):
    """The LLaMA-Factory config written per arm; `overrides` replace the (labelled) default hyper-parameters."""

    model: str = "Qwen/Qwen2.5-7B"
    template: str = "qwen"
    output_dir: str = "saves/ablate"
    seed: int = 42
    overrides: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Stages(StrictModel):
    select: SelectStage = Field(default_factory=SelectStage)
    difficulty: DifficultyStage = Field(default_factory=DifficultyStage)
    training: TrainingStage = Field(default_factory=TrainingStage)


def arm_configs(recipe: Recipe) -> list[OutputConfig]:
    """One config per arm the recipe names; every arm has the pool's columns plus `tokens` and `selection_score`
    (read from the pool's parquet footers or jsonl schema; the id and response alone when the pool is unreadable)."""
    s = recipe.stages.select
    try:
        schema = arm_schema(
            pool_schema(pool_files(recipe.input.path, recipe.input.format, recipe.input.glob, s.pool_config))
        )
    except Exception:  # noqa: BLE001 - a missing or unreadable pool: the build itself reports it
        schema = arm_schema(pa.schema([(s.id_key, pa.string()), (s.response_key, pa.string())]))
    return [OutputConfig(arm.name, schema, text_column=s.response_key) for arm in s.arms]


def uses_difficulty(recipe: Recipe) -> bool:
    return any(a.selector == "difficulty" for a in recipe.stages.select.arms)


def selection_settings(recipe: Recipe) -> dict:
    """What the selection step needs, as plain data (steps are pickled to the executor's workers)."""
    return pool_selection(recipe.input.path, recipe.input.format, recipe.input.glob, recipe.stages.select)


def pool_selection(path: str, fmt: str, glob: str | None, select: SelectStage) -> dict:
    """The selection settings for a pool at `path` (also what the memory test and bench hand the step)."""
    return {
        "path": path,
        "format": fmt,
        "glob": glob,
        **select.model_dump(mode="json", exclude={"arms", "size"}),
        "size": select.size.model_dump(),
        "arms": [a.model_dump() for a in select.arms],
    }


def build_stages(recipe: Recipe, layout: OutputLayout) -> list[Stage]:
    settings = selection_settings(recipe)
    select = AblationStep(
        settings,
        recipe.seed,
        data_root=str(layout.root / "data"),
        work=str(layout.scratch("ablate")),
        quarantine=str(layout.removed("select")),
        difficulty=str(layout.scratch("difficulty")) if uses_difficulty(recipe) else None,
        training={**recipe.stages.training.model_dump(), "root": str(layout.root / "training")},
    )
    if not uses_difficulty(recipe):
        return [Stage("select", [select], tasks=1)]
    d = recipe.stages.difficulty
    quarantine = quarantine_writers(layout, {})
    prompts = d.prompts()
    items = [
        DifficultyQuestions(settings, d.k),
        LLMRound("difficulty-answer", d.llm, prompts["answer"], SampledAnswerParser(quarantine("difficulty_answer"))),
        LLMRound(
            "difficulty-judge", d.judge_llm(), prompts["judge"], JudgeScoreParser(quarantine("difficulty_judge"))
        ),
        DifficultyScores(str(layout.scratch("difficulty"))),
    ]
    return chain("difficulty", items, layout, recipe.executor.tasks, recipe.seed) + [
        Stage("select", [select], tasks=1)
    ]


def preflight(recipe: Recipe) -> list[tuple[str, str]]:
    problems = []
    if recipe.input.format not in ("jsonl", "parquet"):
        problems.append(("input.format", "a pool is jsonl or parquet (or an earlier factory build, format parquet)"))
    if uses_difficulty(recipe):
        d = recipe.stages.difficulty
        if not d.llm.uses_model:
            problems.append(
                ("stages.difficulty.llm", "difficulty selection samples answers from a model: set a backend")
            )
        for name, path in d.prompts().items():
            try:
                load_prompt(path)
            except (OSError, ValueError) as e:
                problems.append((f"stages.difficulty.{name}_prompt", str(e)))
    return problems


def referenced_files(recipe: Recipe) -> dict[str, Path]:
    files = {}
    if uses_difficulty(recipe):
        files.update({f"prompt:{name}": path for name, path in recipe.stages.difficulty.prompts().items()})
    return files


def llm_info(recipe: Recipe) -> list[dict]:
    if not uses_difficulty(recipe):
        return []
    d, prompts = recipe.stages.difficulty, recipe.stages.difficulty.prompts()
    return [
        llm_entry("difficulty-answer", d.llm, prompts["answer"]),
        llm_entry("difficulty-judge", d.judge_llm(), prompts["judge"]),
    ]


CARD = CardInfo(
    section="ablate.md.j2",
    task_categories=["text-generation", "question-answering"],
    tags=["data-selection", "ablation", "sft", "datatrove", "dataset-factory"],
    citation=MEGASCIENCE,
)


def card_context(recipe: Recipe, layout: OutputLayout) -> dict:
    """The arms side by side (from the selection step's stats), the exact settings, the training configs."""
    stats_path = layout.scratch("ablate") / "stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.is_file() else {"arms": [], "overlap": {}}
    arms = [{k: v for k, v in a.items() if k not in ("token_hist", "score_hist")} for a in stats["arms"]]
    plots = []
    for key, title, name in (
        ("token_hist", "response tokens per arm", "arms_tokens.png"),
        ("score_hist", "selection score per arm", "arms_scores.png"),
    ):
        if arm_histograms(stats["arms"], key, title, layout.assets / name):
            plots.append(name)  # drawn here: the card writer clears assets/ of earlier plots first
    training = layout.root / "training"
    example = next(iter(sorted(training.glob("*.yaml"))), None) if training.is_dir() else None
    limitations = [
        "`full` is the reference arm and keeps the whole usable pool; the other arms are cut to the same n.",
        "Rows missing a field any arm needs are left out of every arm, so all arms draw from the same rows.",
        "The LLaMA-Factory hyper-parameters are labelled defaults, not verified against MegaScience's own config.",
    ]
    if uses_difficulty(recipe):
        limitations.append("Difficulty depends on the sampling model and the judge: it is their difficulty.")
    return {
        "languages": ["en"],
        "stats": stats,
        "arms": arms,
        "shortfalls": [a["shortfall"] for a in arms if a.get("shortfall")],
        "select": recipe.stages.select,
        "difficulty": recipe.stages.difficulty if uses_difficulty(recipe) else None,
        "training_example": example.read_text() if example else None,
        "plots": plots,
        "llm": llm_info(recipe),
        "limitations": limitations,
        "summary": f"One pool cut {len(recipe.stages.select.arms)} ways at equal size for a data-selection ablation "
        "(MegaScience §3): one config per arm, compared side by side, with a training config per arm.",
    }


RECIPE = RecipeSpec(
    name="ablate",
    stages_model=Stages,
    build_stages=build_stages,
    funnel=FunnelSpec(
        unit="rows",
        steps=["difficulty_questions", "difficulty_answer", "difficulty_judge", "select"],
    ),
    configs=arm_configs,
    card=CARD,
    card_context=card_context,
    preflight=preflight,
    referenced_files=referenced_files,
    llm_info=llm_info,
)
