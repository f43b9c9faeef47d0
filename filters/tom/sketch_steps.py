"""Sketch (and story) per context: by rules, or parsed from an LLM's JSON answer and checked."""

from __future__ import annotations

import json
import re

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.utils.typeshelper import StatHints

from factory.llm.inference import completion_of
from filters.tom.pools import load_pools
from filters.tom.rules_sketch import characters_information, rules_context
from filters.tom.sketch import scenario_count, structure_problems
from filters.tom.story import story_problems


class RulesSketcher(PipelineStep):
    """`metadata.context` = a whole context (sketch and story) from the rules library."""

    name = "sketch"
    type = "🧠 - TOM"

    def __init__(self, scenarios: int, seed: int, pools_folder: str | None = None):
        super().__init__()
        self.scenarios, self.seed, self.pools_folder = scenarios, seed, pools_folder

    def run(self, data, rank: int = 0, world_size: int = 1):
        pools = load_pools(self.pools_folder)
        for doc in data:
            self.stat_update(StatHints.total)
            meta = doc.metadata
            meta["context"] = rules_context(pools, meta["profile"], self.scenarios, self.seed, meta["index"])
            self.stat_update(StatHints.forwarded)
            yield doc


def _json_object(text: str):
    """The first JSON object in a completion (models wrap JSON in prose or ``` fences)."""
    text = re.sub(r"```(?:json)?", "", text)
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in the answer")
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    if not isinstance(obj, dict):
        raise ValueError("the answer's JSON is not an object")
    return obj


def llm_problems(obj: dict, scenarios: int) -> list[str]:
    """Schema check of an LLM context: {"sketch": {...DynToM layout...}, "story": {"scenario k": ...}}."""
    if not isinstance(obj.get("sketch"), dict):
        return ["no 'sketch' object"]
    problems = structure_problems(obj["sketch"], scenarios)
    return problems + story_problems(obj.get("story"), scenarios)


class LLMSketchParser(PipelineStep):
    """Parses a round's JSON context; a failed attempt is retried in the next round (`final=False`), the last
    round quarantines it with the reason (`unparseable_json`, `bad_structure`, `llm_timeout`, `llm_error`)."""

    type = "🧠 - TOM"

    def __init__(self, name: str, scenarios: int, final: bool, exclusion_writer=None):
        self.name = name  # before PipelineStep.__init__, which names the step's stats after it
        super().__init__()
        self.scenarios, self.final, self.exclusion_writer = scenarios, final, exclusion_writer

    def _attempt(self, doc: Document) -> tuple[dict | None, str | None, str]:
        text, reason, detail = completion_of(doc)
        if reason:
            return None, reason, detail or ""
        try:
            obj = _json_object(text)
        except ValueError as e:
            doc.metadata["raw_completion"] = text[:4000]
            return None, "unparseable_json", str(e)
        problems = llm_problems(obj, self.scenarios)
        if problems:
            doc.metadata["raw_completion"] = text[:4000]
            return None, "bad_structure", "; ".join(problems)[:1000]
        return obj, None, ""

    def run(self, data, rank: int = 0, world_size: int = 1):
        with self.exclusion_writer if self.exclusion_writer else _Null() as writer:
            for doc in data:
                self.stat_update(StatHints.total)
                meta = doc.metadata
                if "context" in meta:  # an earlier round succeeded: this round's answer is not needed
                    meta.pop("rollout_results", None)
                    self.stat_update(StatHints.forwarded)
                    yield doc
                    continue
                obj, reason, detail = self._attempt(doc)
                if obj is not None:
                    profile = meta["profile"]
                    meta["context"] = {
                        "social setting": profile.get("social setting"),
                        "social setting type": profile.get("social setting type"),
                        "main character": profile["main"]["name"],
                        "scenario numbers": self.scenarios,
                        "characters information": characters_information(profile),
                        "sketch": obj["sketch"],
                        "story": obj["story"],
                    }
                    doc.text = meta.pop("request", doc.text)
                    self.stat_update(StatHints.forwarded)
                    yield doc
                    continue
                meta["attempts"] = meta.get("attempts", 0) + 1
                if not self.final:  # ask again, telling the model what was wrong
                    meta.setdefault("request", doc.text)
                    doc.text = f"{meta['request']}\n\nYour previous answer was rejected ({reason}): {detail}"
                    self.stat_update("retried")
                    self.stat_update(StatHints.forwarded)
                    yield doc
                    continue
                meta["filter_reason"], meta["error"] = reason, detail
                self.stat_update(StatHints.dropped, f"dropped_{reason}")
                if writer:
                    writer.write(doc, rank)


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class StructureCheck(BaseFilter):
    """A sketch is questioned only if it passes `structure_problems`; released sketches that fail are
    quarantined with every problem listed."""

    name = "structure"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        context = doc.metadata["context"]
        problems = structure_problems(context["sketch"], scenario_count(context))
        if problems:
            doc.metadata["problems"] = problems
            return False, "bad_structure"
        return True
