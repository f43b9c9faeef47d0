"""Datatrove step: split each chain's reasoning into steps and type them by cue phrase."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from filters.cot.cues import classify
from filters.cot.segment import segment


class StepSegmenter(BaseFilter):
    """metadata["steps"] = [{text, type, cue, source}]; the steps join back to the reasoning exactly (checked)."""

    name = "segment"

    def __init__(self, min_sentences: int = 3, max_sentences: int = 4, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.min_sentences = min_sentences
        self.max_sentences = max_sentences

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        reasoning = doc.metadata["reasoning"]
        texts = segment(reasoning, self.min_sentences, self.max_sentences)
        if "".join(texts) != reasoning:  # cannot happen by construction; never publish an edited chain
            return False, "segmentation_mismatch"
        steps = []
        for text in texts:
            kind, cue = classify(text)
            steps.append({"text": text, "type": kind, "cue": cue, "source": "cue" if cue else "default"})
            self.stat_update(f"steps_{kind}")
        doc.metadata["steps"] = steps
        return True
