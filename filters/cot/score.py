"""Datatrove step: PIR of every functional step, with a local transformers model or a server's prompt logprobs."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from filters.cot.cues import FUNCTIONAL


class PIRScorer(BaseFilter):
    """Adds `pir` (None for progressive steps) and `tokens` to each step, and the chain's token counts.

    `backend`: `transformers` (local model, CPU or CUDA, prefix reuse), `endpoint` or `vllm` (prompt logprobs of a
    server; `server` holds filters.cot.served.ServerOptions' fields and `tokenizer` names the model's tokenizer).
    Server backends score `chains_in_flight` chains at a time. Chains longer than `max_tokens` (or than the
    server's context) are quarantined (`too_long`) or, with `overflow: truncate_left`, lose the same first tokens
    in every variant (the count is recorded; steps inside the cut text get no PIR). A server that keeps failing
    fails the task.
    """

    name = "score"

    def __init__(self, model: str, revision: str | None = None, template: str = "plain", batch_size: int = 8,
                 max_tokens: int | None = None, overflow: str = "quarantine", device: str = "auto",
                 dtype: str = "float32", backend: str = "transformers", tokenizer: str | None = None,
                 server: dict | None = None, chains_in_flight: int = 4, exclusion_writer=None):  # fmt: skip
        super().__init__(exclusion_writer, batch_size=1 if backend == "transformers" else chains_in_flight)
        self.model, self.revision, self.template = model, revision, template
        self.variant_batch, self.max_tokens, self.overflow = batch_size, max_tokens, overflow
        self.device, self.dtype = device, dtype
        self.backend, self.tokenizer_name, self.server = backend, tokenizer, server or {}
        self._scorer = None

    @property
    def scorer(self):
        if self._scorer is None:
            self._scorer = self._load()
        return self._scorer

    def _load(self):
        if self.backend == "transformers":
            import torch

            from filters.cot.pir import TransformersPIRScorer, load_model

            torch.manual_seed(0)
            lm, tokenizer = load_model(self.model, self.revision, self.device, self.dtype)
            return TransformersPIRScorer(
                lm, tokenizer, self.template, self.variant_batch, self.max_tokens, self.overflow
            )
        from transformers import AutoTokenizer

        from filters.cot.served import ServerOptions, ServerPIRScorer

        # the model's own tokenizer: the server scores exactly the token ids sent
        name = self.tokenizer_name or self.model
        tokenizer = AutoTokenizer.from_pretrained(name, revision=None if self.tokenizer_name else self.revision)
        options = ServerOptions(backend=self.backend, model=self.model, revision=self.revision, **self.server)
        if self.backend == "vllm" and options.max_context is None:
            options.max_context = self.max_tokens or _model_context(self.model, self.revision)
        return ServerPIRScorer(tokenizer, options, self.template, self.max_tokens, self.overflow)

    def run(self, data, rank: int = 0, world_size: int = 1):
        try:
            yield from super().run(data, rank, world_size)
        finally:
            if self._scorer is not None and hasattr(self._scorer, "close"):
                self._scorer.close()  # stops a spawned server
                counters = self._scorer.client.counters
                for key in ("requests", "retried_requests"):
                    self.stat_update(key, value=counters[key])
            self._scorer = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        from filters.cot.pir import ChainTooLong

        chains = []
        for doc in batch:
            meta, steps = doc.metadata, doc.metadata["steps"]
            scored = [i for i, step in enumerate(steps) if step["type"] in FUNCTIONAL]
            chains.append((meta["question"], [step["text"] for step in steps], meta["answer"], scored))
        if hasattr(self.scorer, "score_many"):
            results = self.scorer.score_many(chains)
        else:
            results = []
            for chain in chains:
                try:
                    results.append(self.scorer.score(*chain))
                except ChainTooLong as e:
                    results.append(e)
        return [self._record(doc, result) for doc, result in zip(batch, results)]

    def _record(self, doc: Document, result) -> bool | tuple[bool, str]:
        from filters.cot.pir import ChainTooLong

        meta, steps = doc.metadata, doc.metadata["steps"]
        if isinstance(result, ChainTooLong):
            meta["error"] = str(result)
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


def _model_context(model: str, revision: str | None) -> int:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model, revision=revision)
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        if isinstance(getattr(config, key, None), int):
            return getattr(config, key)
    return 8192
