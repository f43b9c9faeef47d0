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
from filters.tom.set_aside import rejoined
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


# a prompt the model refuses as too long only grows with the rejection appended: not asked again
UNANSWERABLE = ("prompt_too_long",)


def _first_problems(problems: list[str], most: int = 5) -> str:
    """The first problems of a rejected answer, in the words the model is shown when asked again."""
    shown = "; ".join(problems[:most])
    return shown + (f"; and {len(problems) - most} more" if len(problems) > most else "")


class LLMSketchParser(PipelineStep):
    """Parses a round's JSON context. A failed attempt (`unparseable_json`, `bad_structure` with its first
    problems, `truncated`) is asked again in the next round with the reason (`final=False`); the last round
    quarantines it. `prompt_too_long` is not asked again (the prompt would only grow): it waits, set aside, for
    the last round to quarantine it.

    A retry round is only sent the contexts still without a sketch: `rejoin` is the folder where the earlier
    rounds' settled contexts were set aside; they are merged back here in id order and passed through, so every
    round's parser counts every context once. `metadata.attempts` counts the answers a context was given,
    `metadata.rejected` the reason of each rejected one.
    """

    type = "🧠 - TOM"

    def __init__(self, name: str, scenarios: int, final: bool, exclusion_writer=None, rejoin: str | None = None):
        self.name = name  # before PipelineStep.__init__, which names the step's stats after it
        super().__init__()
        self.scenarios, self.final, self.exclusion_writer, self.rejoin = scenarios, final, exclusion_writer, rejoin

    def _attempt(self, doc: Document) -> tuple[dict | None, str | None, str]:
        for key in ("raw_completion", "problems"):  # an earlier attempt's
            doc.metadata.pop(key, None)
        text, reason, detail = completion_of(doc)
        if reason:
            if text:
                doc.metadata["raw_completion"] = text[:4000]
            return None, reason, detail or ""
        try:
            obj = _json_object(text)
        except ValueError as e:
            doc.metadata["raw_completion"] = text[:4000]
            return None, "unparseable_json", str(e)
        problems = llm_problems(obj, self.scenarios)
        if problems:
            doc.metadata["raw_completion"] = text[:4000]
            doc.metadata["problems"] = problems
            return None, "bad_structure", _first_problems(problems)
        return obj, None, ""

    def run(self, data, rank: int = 0, world_size: int = 1):
        with self.exclusion_writer if self.exclusion_writer else _Null() as writer:
            for doc in rejoined(data, self.rejoin, rank):
                self.stat_update(StatHints.total)
                meta = doc.metadata
                if "context" in meta or ("given_up" in meta and not self.final):  # settled in an earlier round
                    self.stat_update("settled_earlier")
                    self.stat_update(StatHints.forwarded)
                    yield doc
                    continue
                if "given_up" in meta:
                    obj, (reason, detail) = None, meta.pop("given_up")
                else:
                    self.stat_update("answered")
                    meta["attempts"] = meta.get("attempts", 0) + 1
                    obj, reason, detail = self._attempt(doc)
                    if obj is None:
                        meta.setdefault("rejected", []).append(reason)  # every attempt's reason, in order
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
                if not self.final and reason in UNANSWERABLE:  # asking again cannot help: quarantined at the end
                    meta["given_up"] = [reason, detail]
                    self.stat_update(StatHints.forwarded)
                    yield doc
                    continue
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
