"""cot_prune — PIR (Perplexity-based Importance Refinement, arXiv 2505.19187).

Chains (question, reasoning, answer; or one response with reasoning tags) -> steps of ~3-4 sentences on paragraph
and cue boundaries -> step types by cue phrase -> PIR of each functional step with a causal LM (the answer's mean
NLL without the step minus with it) -> per functional type, the `ratio` lowest-PIR steps pruned -> parquet.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import Field, model_validator

from factory.layout import OutputLayout
from factory.llm.config import NOT_DATA
from factory.quarantine import quarantine_writers
from factory.readers import RowsReader
from factory.recipe import Recipe, StrictModel
from factory.recipe_spec import CardInfo, FunnelSpec, OutputConfig, RecipeSpec
from factory.stage import Stage
from factory.writer import config_writer
from filters.cot.cues import FUNCTIONAL, STEP_TYPES
from filters.cot.layouts import ChainParser
from filters.cot.prune import StepPruner
from filters.cot.score import PIRScorer
from filters.cot.steps import StepSegmenter
from filters.read_errors import ReadErrorFilter


class ReadStage(StrictModel):
    """Where the chain is in each record: separate fields, or one response with reasoning tags."""

    layout: Literal["auto", "fields", "think", "begin_of_thought", "thought_output"] = "auto"
    question: str = "question"
    reasoning: str = "reasoning"
    answer: str = "answer"
    response: str = "response"


class SegmentStage(StrictModel):
    min_sentences: int = Field(3, ge=1)
    max_sentences: int = Field(4, ge=1)

    @model_validator(mode="after")
    def _ordered(self):
        if self.max_sentences < self.min_sentences:
            raise ValueError("segment.max_sentences must be >= segment.min_sentences")
        return self


class ScoreStage(StrictModel):
    """`transformers`: a local model (CPU or CUDA, prefix reuse). `endpoint`: a running OpenAI-compatible server with
    vLLM's `prompt_logprobs` (URL in `endpoint_url`, API key from the environment variable `api_key_env`).
    `vllm`: `vllm serve` started on this node through datatrove's server machinery (the `gpu` extra)."""

    backend: Literal["transformers", "endpoint", "vllm"] = "transformers"
    model: str = "models/cot_tiny_lm"  # a local folder or a Hub id; for endpoint, the served model's name
    revision: str | None = None
    tokenizer: str | None = None  # server backends: the model's tokenizer (default: `model`), tokenized here
    template: Literal["plain", "chat"] = "plain"
    batch_size: int = Field(8, ge=1)  # transformers: variants of one chain per forward pass
    max_tokens: int | None = Field(None, ge=8)  # default: the model's context length (endpoint: the server's)
    overflow: Literal["quarantine", "truncate_left"] = "quarantine"
    device: str = "auto"  # auto: cuda when available
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "float32"
    endpoint_url: str | None = None
    tp: int = Field(1, ge=1)  # vllm: tensor parallel size
    # how the server backends run, not what they produce
    api_key_env: str | None = Field(None, json_schema_extra=NOT_DATA)
    chains_in_flight: int = Field(4, ge=1, json_schema_extra=NOT_DATA)
    max_concurrent: int = Field(16, ge=1, json_schema_extra=NOT_DATA)  # requests in flight
    request_timeout: float = Field(600, gt=0, json_schema_extra=NOT_DATA)
    retries: int = Field(5, ge=0, json_schema_extra=NOT_DATA)  # 429, 5xx, timeouts; then the task fails
    retry_backoff_s: float = Field(2.0, ge=0, json_schema_extra=NOT_DATA)
    server_start_timeout: float = Field(600, gt=0, json_schema_extra=NOT_DATA)

    @model_validator(mode="after")
    def _server(self):
        if self.backend == "endpoint" and not self.endpoint_url:
            raise ValueError("score.backend 'endpoint' needs score.endpoint_url")
        if self.backend == "endpoint" and self.overflow == "truncate_left" and self.max_tokens is None:
            raise ValueError("score.overflow 'truncate_left' with an endpoint needs score.max_tokens")
        return self

    def server_options(self) -> dict:
        """filters.cot.served.ServerOptions fields (the key's variable name only, never the key)."""
        keys = ("endpoint_url", "api_key_env", "tp", "max_concurrent", "request_timeout", "retries",
                "retry_backoff_s", "server_start_timeout")  # fmt: skip
        return {key: getattr(self, key) for key in keys}


class PruneStage(StrictModel):
    ratios: dict[Literal["verification", "multi_method", "error_correction"], float] = Field(
        default_factory=lambda: dict.fromkeys(FUNCTIONAL, 0.3)
    )
    threshold: float | None = None  # also require PIR < threshold to drop

    @model_validator(mode="after")
    def _in_range(self):
        for kind, ratio in self.ratios.items():
            if not 0 <= ratio <= 1:
                raise ValueError(f"prune.ratios.{kind} must be within [0, 1]")
        return self

    def ratio(self, kind: str) -> float:
        return self.ratios.get(kind, 0.3)


class Stages(StrictModel):
    read: ReadStage = Field(default_factory=ReadStage)
    segment: SegmentStage = Field(default_factory=SegmentStage)
    score: ScoreStage = Field(default_factory=ScoreStage)
    prune: PruneStage = Field(default_factory=PruneStage)


STEP = pa.struct(
    [
        ("text", pa.string()),
        ("type", pa.string()),
        ("cue", pa.string()),
        ("source", pa.string()),
        ("pir", pa.float64()),
        ("kept", pa.bool_()),
        ("tokens", pa.int64()),
    ]
)
DEFAULT_CONFIG = OutputConfig(
    "default",
    pa.schema(
        [
            ("id", pa.string()),
            ("question", pa.string()),
            ("answer", pa.string()),
            ("reasoning", pa.string()),
            ("pruned_reasoning", pa.string()),
            ("steps", pa.list_(STEP)),
            ("reasoning_tokens", pa.int64()),
            ("pruned_reasoning_tokens", pa.int64()),
            ("answer_tokens", pa.int64()),
            ("truncated_tokens", pa.int64()),
        ]
    ),
    text_column="pruned_reasoning",
)


def output_row(_writer, doc) -> dict:
    meta = doc.metadata
    return {
        "id": doc.id,
        **{k: meta[k] for k in ("question", "answer", "reasoning", "pruned_reasoning")},
        "steps": [{key: step.get(key) for key in STEP.names} for step in meta["steps"]],
        **{
            k: meta.get(k)
            for k in ("reasoning_tokens", "pruned_reasoning_tokens", "answer_tokens", "truncated_tokens")
        },
    }


def _is_hub_id(model: str) -> bool:
    return re.fullmatch(r"[\w.-]+/[\w.-]+", model) is not None


def referenced_files(recipe: Recipe) -> dict[str, Path]:
    """The scoring model's files, when it is a local folder (a Hub id is pinned by its revision instead)."""
    path = Path(recipe.stages.score.model)
    if not path.is_dir():
        return {}
    return {f"model:{f.name}": f for f in sorted(path.iterdir()) if f.is_file()}


def preflight(recipe: Recipe) -> list[tuple[str, str]]:
    s, problems = recipe.stages, []
    if recipe.input.format not in ("jsonl", "parquet"):
        problems.append(("input.format", "cot_prune reads chains from jsonl or parquet"))
    score = s.score
    field = "stages.score.tokenizer" if score.tokenizer else "stages.score.model"
    name = score.tokenizer or score.model
    if not Path(name).exists() and not _is_hub_id(name):
        problems.append((field, f"no such model folder: {name} (`make samples` builds the demo one)"))
    if score.backend == "endpoint" and score.api_key_env and score.api_key_env not in os.environ:
        problems.append(("stages.score.api_key_env", f"environment variable {score.api_key_env} is not set"))
    if score.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        problems.append(("stages.score.backend", "vllm is not installed here (the `gpu` extra); or use `endpoint`"))
    return problems


def llm_info(recipe: Recipe) -> list[dict]:
    s = recipe.stages.score
    generation = {"template": s.template, "max_tokens": s.max_tokens, "overflow": s.overflow}
    if s.backend == "transformers":
        generation["dtype"] = s.dtype
    else:
        generation.update(tokenizer=s.tokenizer or s.model, logprobs="prompt_logprobs of /v1/completions")
    return [
        {
            "stage": "score",
            "backend": s.backend,
            "model": s.model,
            "revision": s.revision,
            "generation": generation,
            "prompt": None,
            "prompt_sha256": "",
        }
    ]


def build_stages(recipe: Recipe, layout: OutputLayout) -> list[Stage]:
    s = recipe.stages
    quarantine = quarantine_writers(layout, {})
    inp = recipe.input
    steps = [
        RowsReader(inp.path, inp.format, inp.glob_pattern, text_key=s.read.question, id_key=inp.id_key),
        ReadErrorFilter(exclusion_writer=quarantine("read")),
        ChainParser(
            s.read.layout, s.read.reasoning, s.read.answer, s.read.response, exclusion_writer=quarantine("parse")
        ),
        StepSegmenter(s.segment.min_sentences, s.segment.max_sentences, exclusion_writer=quarantine("segment")),
        PIRScorer(
            s.score.model,
            s.score.revision,
            s.score.template,
            s.score.batch_size,
            s.score.max_tokens,
            s.score.overflow,
            s.score.device,
            s.score.dtype,
            backend=s.score.backend,
            tokenizer=s.score.tokenizer,
            server=s.score.server_options() if s.score.backend != "transformers" else None,
            chains_in_flight=s.score.chains_in_flight,
            exclusion_writer=quarantine("score"),
        ),
        StepPruner({kind: s.prune.ratio(kind) for kind in FUNCTIONAL}, s.prune.threshold),
        config_writer(layout, DEFAULT_CONFIG, output_row),
    ]
    # each task loads the scoring model or starts its server: on one machine, one task at a time
    gpus = {"vllm": s.score.tp, "transformers": int(s.score.device == "cuda")}.get(s.score.backend, 0)
    return [Stage("prune", steps, recipe.executor.tasks, serves_model=s.score.backend != "endpoint", gpus=gpus)]


CARD = CardInfo(
    section="cot_prune.md.j2",
    task_categories=["text-generation", "question-answering"],
    tags=["reasoning", "chain-of-thought", "pruning", "sft", "datatrove", "dataset-factory"],
    citation="""@article{xiao2025limopro,
  title   = {LIMOPro: Reasoning Refinement for Efficient and Effective Test-time Scaling},
  author  = {Xiao, Yang and Wang, Jiashuo and Yuan, Ruifeng and Xu, Chunpu and Xu, Kaishuai and Li, Wenjie and
             Liu, Pengfei},
  journal = {arXiv preprint arXiv:2505.19187},
  year    = {2025}
}""",
)


def step_stats(layout: OutputLayout) -> dict:
    """Token share per step type before and after pruning, PIR values per type, tokens saved."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = sorted(layout.data(DEFAULT_CONFIG.name).glob("*.parquet"))
    before = dict.fromkeys(STEP_TYPES, 0)
    after = dict.fromkeys(STEP_TYPES, 0)
    counts = {kind: [0, 0] for kind in STEP_TYPES}  # steps, dropped
    pirs: dict[str, list[float]] = {kind: [] for kind in FUNCTIONAL}
    chains = 0
    for path in files:  # batch by batch, only the steps' type/tokens/kept/pir: memory does not grow with the data
        with pq.ParquetFile(path) as shard:
            chains += shard.metadata.num_rows
            for batch in shard.iter_batches(columns=["steps"], batch_size=1024):
                steps = pc.list_flatten(batch.column(0))
                fields = [pc.struct_field(steps, name).to_pylist() for name in ("type", "tokens", "kept", "pir")]
                for kind, tokens, kept, pir in zip(*fields):
                    if kind is None:
                        continue
                    before[kind] += tokens or 0
                    after[kind] += (tokens or 0) if kept else 0
                    counts[kind][0] += 1
                    counts[kind][1] += 0 if kept else 1
                    if pir is not None and kind in pirs:
                        pirs[kind].append(pir)
    total_before, total_after = sum(before.values()), sum(after.values())
    rows = [
        {
            "type": kind,
            "steps": counts[kind][0],
            "dropped": counts[kind][1],
            "tokens_before": before[kind],
            "share_before": 100 * before[kind] / total_before if total_before else 0.0,
            "tokens_after": after[kind],
            "share_after": 100 * after[kind] / total_after if total_after else 0.0,
        }
        for kind in STEP_TYPES
    ]
    saved = 100 * (total_before - total_after) / total_before if total_before else 0.0
    return {"chains": chains, "rows": rows, "pirs": pirs, "tokens_before": total_before,
            "tokens_after": total_after, "saved": saved}  # fmt: skip


def _plots(stats: dict, assets: Path) -> None:
    from factory.cards import _pyplot

    plt = _pyplot()
    assets.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 3))
    left = [0.0, 0.0]
    colors = {
        "progressive": "#2b8cbe",
        "verification": "#fdae61",
        "multi_method": "#abdda4",
        "error_correction": "#d7191c",
    }
    for row in stats["rows"]:
        widths = [row["tokens_before"], row["tokens_after"]]
        ax.barh(["before", "after"], widths, left=left, color=colors[row["type"]], label=row["type"])
        left = [a + b for a, b in zip(left, widths)]
    ax.set_xlabel("reasoning tokens")
    ax.set_title("tokens by step type, before and after pruning")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(assets / "step_tokens.png", dpi=100, metadata={"Software": None})
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3))
    for kind, values in stats["pirs"].items():
        if values:
            ax.hist(values, bins=30, alpha=0.6, color=colors[kind], label=f"{kind} ({len(values)})")
    ax.set_xlabel("PIR (nats: answer NLL without the step - with it)")
    ax.set_ylabel("steps")
    ax.set_title("PIR per functional step type")
    if any(stats["pirs"].values()):
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(assets / "pir.png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def card_context(recipe: Recipe, layout: OutputLayout) -> dict:
    s = recipe.stages
    stats = step_stats(layout)
    _plots(stats, layout.assets)
    return {
        "languages": ["en"],
        "stages": s,
        "stats": stats,
        "ratios": {kind: s.prune.ratio(kind) for kind in FUNCTIONAL},
        "llm": llm_info(recipe),
        "summary": "Reasoning chains pruned with PIR (perplexity-based importance refinement): progressive steps "
        "are kept, and the functional steps (verification, multiple methods, error correction) that matter least "
        "to the answer's likelihood are removed.",
        "limitations": [
            "Step types come from cue phrases at the start of each step; functional steps without a cue count as "
            "progressive and are never pruned.",
            "PIR is only as meaningful as the scoring model: a model unlike the one that wrote the chains scores "
            "the answer's perplexity differently. The demo's tiny random-weight model proves the plumbing only.",
            "Token counts use the scoring model's tokenizer, per step.",
        ],
    }


RECIPE = RecipeSpec(
    name="cot_prune",
    stages_model=Stages,
    build_stages=build_stages,
    funnel=FunnelSpec(unit="chains", steps=["read", "parse", "segment", "score", "prune"]),
    configs=[DEFAULT_CONFIG],
    card=CARD,
    card_context=card_context,
    preflight=preflight,
    referenced_files=referenced_files,
    llm_info=llm_info,
)
