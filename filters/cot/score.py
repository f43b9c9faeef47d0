"""Datatrove step: PIR of every functional step with a local transformers model (CPU or CUDA)."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from filters.cot.cues import FUNCTIONAL


class PIRScorer(BaseFilter):
    """Adds `pir` (None for progressive steps) and `tokens` to each step, and the chain's token counts.

    Chains longer than `max_tokens` are quarantined (`too_long`) or, with `overflow: truncate_left`, lose the same
    first tokens in every variant (the count is recorded; steps inside the cut text get no PIR).
    """

    name = "score"

    def __init__(self, model: str, revision: str | None = None, template: str = "plain", batch_size: int = 8,
                 max_tokens: int | None = None, overflow: str = "quarantine", device: str = "auto",
                 dtype: str = "float32", exclusion_writer=None):  # fmt: skip
        super().__init__(exclusion_writer)
        self.model, self.revision, self.template = model, revision, template
        self.batch_size, self.max_tokens, self.overflow = batch_size, max_tokens, overflow
        self.device, self.dtype = device, dtype
        self._scorer = None

    @property
    def scorer(self):
        if self._scorer is None:
            import torch

            from filters.cot.pir import TransformersPIRScorer, load_model

            torch.manual_seed(0)
            lm, tokenizer = load_model(self.model, self.revision, self.device, self.dtype)
            self._scorer = TransformersPIRScorer(
                lm, tokenizer, self.template, self.batch_size, self.max_tokens, self.overflow
            )
        return self._scorer

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        from filters.cot.pir import ChainTooLong

        meta, steps = doc.metadata, doc.metadata["steps"]
        scored = [i for i, step in enumerate(steps) if step["type"] in FUNCTIONAL]
        texts = [step["text"] for step in steps]
        with self.track_time():
            try:
                result = self.scorer.score(meta["question"], texts, meta["answer"], scored)
            except ChainTooLong as e:
                meta["error"] = str(e)
                return False, "too_long"
        tokenizer = self.scorer.encoder.tokenizer
        for step, pir in zip(steps, result.pir):
            step["pir"] = pir
            step["tokens"] = len(tokenizer(step["text"], add_special_tokens=False).input_ids)
        meta.update(
            reasoning_tokens=sum(step["tokens"] for step in steps),  # per step, so before and after prune add up
            answer_tokens=result.answer_tokens,
            answer_nll=result.base_nll,
            truncated_tokens=result.truncated_tokens,
        )
        self.stat_update("forward_tokens", value=result.forward_tokens)
        self.stat_update("scored_steps", value=sum(p is not None for p in result.pir))
        if result.truncated_tokens:
            self.stat_update("truncated")
        return True
