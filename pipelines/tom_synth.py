"""tom_synth — DynToM (arXiv 2505.17663): dynamic theory-of-mind contexts and their rule-based questions.

Synthetic input (`input.format: synthetic`, `input.contexts`): profiles and settings from the pools ->
sketch + story (rules library, or an LLM answering JSON, retried, then quarantined) -> structure check ->
15S-4 multiple-choice questions per context by rule. DynToM input (`input.format: dyntom`): released
`trialN/story.json` -> structure check -> the same questions, without the released generator's bugs.
Configs: `questions` (DynToM's rows), `stories` (sketch and story per context), `qa` (flat prompt/answer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
from pydantic import Field

from factory.chain import LLMRound, chain
from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
from factory.llm.inference import llm_entry, load_prompt
from factory.quarantine import quarantine_writers
from factory.recipe import Recipe, StrictModel
from factory.recipe_spec import CardInfo, FunnelSpec, OutputConfig, RecipeSpec
from factory.stage import Stage
from factory.writer import config_writer
from filters.read_errors import ReadErrorFilter
from filters.tom.contexts import SyntheticContexts
from filters.tom.dyntom_reader import DynToMReader
from filters.tom.pools import DEFAULT_POOLS, load_pools, pool_problems
from filters.tom.question_step import QuestionMaker
from filters.tom.questions import LETTERS
from filters.tom.set_aside import SetAside
from filters.tom.sketch import scenario_count
from filters.tom.sketch_steps import LLMSketchParser, RulesSketcher, StructureCheck
from filters.tom.story import render_story


class PoolsStage(StrictModel):
    folder: str | None = None  # default: pipelines/tom_pools (names, surnames, races, ..., states.json)


class SketchStage(StrictModel):
    scenarios: int = Field(5, ge=2, le=20)  # S; DynToM released S = 4..7
    llm: LLMConfig = Field(default_factory=LLMConfig)  # rules: the phase library in states.json
    retries: int = Field(2, ge=0, le=5)  # LLM answers that fail the schema are asked again this many times


class QuestionsStage(StrictModel):
    max_options: int = Field(26, ge=2, le=26)  # letters a..z; DynToM's why-questions reach 4S-4 (28 at S=8)


class Stages(StrictModel):
    pools: PoolsStage = Field(default_factory=PoolsStage)
    sketch: SketchStage = Field(default_factory=SketchStage)
    questions: QuestionsStage = Field(default_factory=QuestionsStage)


QUESTIONS_CONFIG = OutputConfig(
    "questions",
    pa.schema(
        [
            ("context_id", pa.string()),
            ("question_id", pa.string()),
            ("question_type", pa.string()),
            ("state", pa.string()),
            ("scenario", pa.int64()),
            ("question", pa.string()),
            ("options", pa.list_(pa.string())),
            ("answer", pa.string()),
            (
                "option_reasons",
                pa.list_(pa.struct([("option", pa.string()), ("short", pa.string()), ("explain", pa.string())])),
            ),  # fmt: skip
        ]
    ),
    text_column="question",
)
STORIES_CONFIG = OutputConfig(
    "stories",
    pa.schema(
        [
            ("context_id", pa.string()),
            ("main_character", pa.string()),
            ("scenario_numbers", pa.int64()),
            ("characters_information", pa.string()),
            ("social_setting", pa.string()),
            ("social_setting_type", pa.string()),
            ("sketch", pa.string()),  # JSON, DynToM's released layout
            ("story", pa.string()),  # JSON, DynToM's released layout
            ("story_text", pa.string()),
            ("sketch_attempts", pa.int64()),  # LLM answers the sketch took (1 = first time); null: rules, DynToM
        ]
    ),
    text_column="story_text",
)
QA_CONFIG = OutputConfig(
    "qa",
    pa.schema(
        [
            ("id", pa.string()),
            ("context_id", pa.string()),
            ("question_type", pa.string()),
            ("prompt", pa.string()),
            ("answer", pa.string()),
            ("answer_text", pa.string()),
        ]
    ),
    text_column="prompt",
)


def question_row(_writer, doc) -> dict:
    m = doc.metadata
    return {k: m[k] for k in QUESTIONS_CONFIG.schema.names}


def story_row(_writer, doc) -> dict:
    c = doc.metadata["context"]
    s = scenario_count(c)
    return {
        "context_id": doc.id,
        "main_character": c.get("main character"),
        "scenario_numbers": s,
        "characters_information": c.get("characters information"),
        "social_setting": c.get("social setting"),  # missing from part of DynToM's release
        "social_setting_type": c.get("social setting type"),
        "sketch": json.dumps(c["sketch"], ensure_ascii=False),
        "story": json.dumps(c.get("story") or {}, ensure_ascii=False),
        "story_text": render_story(c.get("story") or {}, s),
        "sketch_attempts": doc.metadata.get("attempts"),
    }


def qa_row(_writer, doc) -> dict:
    m = doc.metadata
    options = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(m["options"]))
    prompt = (
        f"Read the story and answer the question.\n\n{m['story_text']}\n\nQuestion: {m['question']}\n{options}\n\n"
        'Answer with the letter of the correct option, as a last line "Answer: $LETTER".'
    )
    return {
        "id": doc.id,
        "context_id": m["context_id"],
        "question_type": m["question_type"],
        "prompt": prompt,
        "answer": m["answer"],
        "answer_text": m["options"][LETTERS.index(m["answer"])],
    }


def pools_folder(recipe: Recipe) -> Path:
    return Path(recipe.stages.pools.folder) if recipe.stages.pools.folder else DEFAULT_POOLS


def prompt_path(recipe: Recipe) -> Path:
    llm = recipe.stages.sketch.llm
    return Path(llm.prompt) if llm.prompt else DEFAULT_POOLS / "sketch_prompt.txt"


def synthesises(recipe: Recipe) -> bool:
    return recipe.input.format == "synthetic"


def llm_info(recipe: Recipe) -> list[dict]:
    llm = recipe.stages.sketch.llm
    return [llm_entry("sketch", llm, prompt_path(recipe))] if synthesises(recipe) and llm.uses_model else []


def referenced_files(recipe: Recipe) -> dict[str, Path]:
    folder = pools_folder(recipe)
    files = {f"pool:{k}": p for k, p in load_pools(folder).files(folder).items()} if folder.is_dir() else {}
    if llm_info(recipe):
        files["prompt:sketch"] = prompt_path(recipe)
    return files


def preflight(recipe: Recipe) -> list[tuple[str, str]]:
    problems = []
    fmt = recipe.input.format
    if fmt not in ("synthetic", "dyntom"):
        problems.append(("input.format", "tom_synth reads `synthetic` (with input.contexts) or `dyntom` folders"))
    if fmt == "synthetic" and not recipe.input.contexts:
        problems.append(("input.contexts", "how many contexts to generate (input.format: synthetic)"))
    problems += [("stages.pools.folder", p) for p in pool_problems(pools_folder(recipe))]
    if llm_info(recipe):
        try:
            load_prompt(prompt_path(recipe))
        except (OSError, ValueError) as e:
            problems.append(("stages.sketch.llm.prompt", str(e)))
        llm = recipe.stages.sketch.llm
        if llm.backend == "transformers" and not Path(llm.model).exists() and not re.fullmatch(r"[\w.-]+/[\w.-]+",
                                                                                               llm.model):  # fmt: skip
            problems.append(("stages.sketch.llm.model", f"no such model folder: {llm.model}"))
    return problems


def build_stages(recipe: Recipe, layout: OutputLayout) -> list[Stage]:
    s, tasks, seed = recipe.stages, recipe.executor.tasks, recipe.seed
    quarantine = quarantine_writers(layout, {})
    pools = str(pools_folder(recipe))
    if synthesises(recipe):
        steps = [SyntheticContexts(recipe.input.contexts, s.sketch.scenarios, seed, pools)]
        if s.sketch.llm.uses_model:
            prompt, attempts, aside = prompt_path(recipe), s.sketch.retries + 1, None
            for i in range(attempts):
                name = "sketch" if i == 0 else f"sketch_retry{i}"
                final = i == attempts - 1
                writer = quarantine("sketch") if final else None
                if aside:  # a retry round asks only the contexts without a sketch; the others wait in `aside`
                    steps.append(SetAside(aside))
                parser = LLMSketchParser(name, s.sketch.scenarios, final, writer, rejoin=aside)
                steps.append(LLMRound(name, s.sketch.llm, prompt, parser))
                aside = str(layout.scratch(f"sketched/{name}"))
        else:
            steps.append(RulesSketcher(s.sketch.scenarios, seed, pools))
    else:
        folder = getattr(recipe.input, "folder", recipe.input.path)
        steps = [DynToMReader(folder, recipe.input.glob_pattern), ReadErrorFilter(exclusion_writer=quarantine("read"))]
    steps += [
        StructureCheck(exclusion_writer=quarantine("structure")),
        config_writer(layout, STORIES_CONFIG, story_row),
        QuestionMaker(seed, s.questions.max_options, pools),
        config_writer(layout, QUESTIONS_CONFIG, question_row),
        config_writer(layout, QA_CONFIG, qa_row),
    ]
    return chain("questions", steps, layout, tasks, seed)


CARD = CardInfo(
    section="tom_synth.md.j2",
    task_categories=["question-answering", "multiple-choice"],
    tags=["theory-of-mind", "synthetic", "benchmark", "datatrove", "dataset-factory"],
    citation="""@article{xiao2025dyntom,
  title   = {Towards Dynamic Theory of Mind: Evaluating LLM Adaptation to Temporal Evolution of Human States},
  author  = {Xiao, Yang and Wang, Jiashuo and Xu, Qiancheng and others},
  journal = {arXiv preprint arXiv:2505.17663},
  year    = {2025}
}""",
)


def _question_stats(layout: OutputLayout) -> dict:
    import polars as pl

    files = sorted(layout.data("questions").glob("*.parquet"))
    if not files:
        return {
            "per_type": [],
            "per_state": [],
            "options": [],
            "letters": [],
            "balance": [],
            "examples": [],
            "total": 0,
        }
    # lazy scans of the few columns each count needs: memory does not grow with the data
    frame = pl.scan_parquet(files).with_columns(pl.col("options").list.len().alias("n"))

    def counts(*keys: str) -> list:
        return frame.group_by(*keys).len().sort(*keys).collect().rows()

    per_type = counts("question_type")
    per_state, options, letters = counts("question_type", "state"), counts("question_type", "n"), counts("answer")
    balance = _letter_balance(counts("question_type", "answer"), options)
    columns = ["question_type", "question", "options", "answer"]
    found: dict[str, dict] = {}
    for path in files:  # the first question of each type, shard by shard until every type has one
        shard = pl.read_parquet(path, columns=columns)
        for row in shard.group_by("question_type", maintain_order=True).first().iter_rows(named=True):
            found.setdefault(row["question_type"], row)
        if len(found) == len(per_type):
            break
    examples = [found[kind] for kind in sorted(found)]
    _letter_plot(balance, layout)
    return {"per_type": per_type, "per_state": per_state, "options": options, "letters": letters,
            "balance": balance, "examples": examples, "total": sum(n for _, n in per_type)}  # fmt: skip


def _letter_balance(type_letters: list, options: list) -> list[dict]:
    """Per type, each letter's answers against a uniform draw over each question's options (questions with k
    options expect 1/k of their answers on each of their k letters): types mix option counts, so raw letter
    counts alone would look skewed towards a."""
    rows = []
    for kind in sorted({t for t, _, _ in type_letters}):
        sizes = [(k, n) for t, k, n in options if t == kind]
        seen = dict((letter, n) for t, letter, n in type_letters if t == kind)
        letters = LETTERS[: max(k for k, _ in sizes)]
        expected = [sum(n / k for k, n in sizes if k > i) for i in range(len(letters))]
        observed = [seen.get(letter, 0) for letter in letters]
        worst = max(abs(o - e) / e for o, e in zip(observed, expected))
        rows.append({"type": kind, "letters": letters, "observed": observed, "expected": expected,
                     "max_deviation": worst})  # fmt: skip
    return rows


def _letter_plot(balance: list[dict], layout: OutputLayout) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layout.assets.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, max(1, len(balance)), figsize=(3 * max(1, len(balance)), 2.6), squeeze=False)
    for ax, row in zip(axes[0], balance):
        x = range(len(row["letters"]))
        ax.bar(x, row["observed"], color="#4c72b0", label="answers")
        ax.scatter(x, row["expected"], marker="_", s=150, color="#dd8452", label="uniform", zorder=3)
        ax.set_xticks(list(x), list(row["letters"]), fontsize=6)
        ax.set_title(row["type"], fontsize=8)
    axes[0][0].set_ylabel("questions")
    axes[0][0].legend(fontsize=6)
    fig.supxlabel("answer letter", fontsize=8)
    fig.tight_layout()
    fig.savefig(layout.assets / "tom_answer_letters.png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def card_context(recipe: Recipe, layout: OutputLayout) -> dict:
    s = recipe.stages
    synthetic = synthesises(recipe)
    source = (
        f"{recipe.input.contexts} synthetic contexts, S = {s.sketch.scenarios}, "
        f"sketch backend `{s.sketch.llm.backend}`"
        if synthetic
        else "DynToM's released sketches (`trialN/story.json`), re-questioned"
    )
    limitations = [
        "Questions are made by rule from the sketch; they are only as right as the sketch's values and reasons.",
        "DynToM's why-questions ask why a state changed even where it did not; the reason text is still the sketch's.",
        "The influence questions keep DynToM's option counts (S+1, S+2 in the last scenario), but every scenario, "
        "the last one too, may give distractors.",
    ]
    if synthetic and not s.sketch.llm.uses_model:
        limitations.insert(0, "The `rules` backend composes sketches and dialogues from a small phase library: the "
                           "stories are coherent but formulaic; use an LLM backend for natural text.")  # fmt: skip
    if not synthetic:
        limitations.append("DynToM's data license must be checked before publishing derived questions.")
    return {
        "languages": ["en"],
        "source": source,
        "stats": _question_stats(layout),
        "llm": llm_info(recipe),
        "summary": "Dynamic theory-of-mind questions in DynToM's format: how a person's belief, emotion, intention "
        "and action evolve across connected scenarios, asked as multiple choice with rule-made distractors.",
        "limitations": limitations,
    }


RECIPE = RecipeSpec(
    name="tom_synth",
    stages_model=Stages,
    build_stages=build_stages,
    funnel=FunnelSpec(
        unit="contexts",
        steps=[
            "contexts",
            "read",
            "sketch",
            "sketch_retry1",
            "sketch_retry2",
            "sketch_retry3",
            "sketch_retry4",
            "sketch_retry5",
            "structure",
            "questions",
        ],  # fmt: skip
        produces={"questions": "questions"},
    ),
    configs=[QUESTIONS_CONFIG, STORIES_CONFIG, QA_CONFIG],
    card=CARD,
    card_context=card_context,
    preflight=preflight,
    referenced_files=referenced_files,
    llm_info=llm_info,
)
