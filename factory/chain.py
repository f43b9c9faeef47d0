"""Recipes as one list of steps and LLM rounds; `chain` cuts it into executor stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.jsonl import JsonlWriter

from factory.layout import OutputLayout
from factory.llm.config import LLMConfig
from factory.llm.inference import llm_round
from factory.llm.round_reader import RoundOutputReader
from factory.stage import Stage


@dataclass
class LLMRound:
    """Send each document to `llm` with `prompt`; `parser` turns the completions into documents again."""

    name: str
    llm: LLMConfig
    prompt: Path
    parser: PipelineStep


def chain(first: str, items: list, layout: OutputLayout, tasks: int, seed: int = 0) -> list[Stage]:
    """Steps run together in a stage; each LLM round ends a stage, runs as its own, and the next stage
    starts by reading its completions back. Ranks line up across the cut (rank r hands rank r its shard)."""
    stages, current, name = [], [], first
    for item in items:
        if not isinstance(item, LLMRound):
            current.append(item)
            continue
        handoff = layout.scratch(f"handoff/{item.name}")
        current.append(JsonlWriter(str(handoff), output_filename="${rank}.jsonl.gz"))
        stages.append(Stage(name, current, tasks))
        stages.append(llm_round(item.name, item.llm, item.prompt, handoff, layout, tasks, seed))
        current, name = [RoundOutputReader(str(layout.scratch(f"llm/{item.name}"))), item.parser], f"after-{item.name}"
    stages.append(Stage(name, current, tasks))
    return stages
