"""Nearest benchmark questions by embedding (MegaScience decontamination: top-5, then an LLM judge)."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.batching import batched

from filters.decontaminate import load_benchmark_texts


class EmbeddingNeighbours(PipelineStep):
    """Attaches the `top_k` most similar benchmark questions (cosine of mean-pooled hidden states of a
    local HF encoder) as `metadata.benchmark_neighbours`, for the judge round to compare against."""

    name = "neighbours"
    type = "🔎 - EMBED"

    def __init__(
        self,
        model: str,
        benchmarks: list[dict],
        top_k: int = 5,
        device: str = "auto",
        batch_size: int = 32,
        revision: str | None = None,
    ):
        super().__init__()
        self.model_name, self.revision = model, revision
        self.benchmarks, self.top_k = benchmarks, top_k
        self.device, self.batch_size = device, batch_size
        self._state = None

    def __getstate__(self):
        return {**self.__dict__, "_state": None}

    def _load(self):
        import torch
        from transformers import AutoModel, AutoTokenizer

        device = ("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto" else self.device
        tokenizer = AutoTokenizer.from_pretrained(self.model_name, revision=self.revision)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        model = AutoModel.from_pretrained(self.model_name, revision=self.revision).to(device).eval()
        texts = [t for b in self.benchmarks for t in load_benchmark_texts(b["path"], b["field"])]
        self._state = (tokenizer, model, device, texts, None)
        self._state = (tokenizer, model, device, texts, self._embed(texts))

    def _embed(self, texts: list[str]):
        import torch

        tokenizer, model, device, *_ = self._state
        vectors = []
        for batch in batched(texts, self.batch_size):
            enc = tokenizer(list(batch), return_tensors="pt", padding=True, truncation=True, max_length=512).to(device)
            with torch.inference_mode():
                hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            vectors.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu())
        return torch.cat(vectors) if vectors else torch.empty(0)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for batch in batched(data, self.batch_size):
            if self._state is None:
                self._load()
            _, _, _, texts, bench = self._state
            with self.track_time("batch"):
                if len(texts):
                    scores = self._embed([d.text for d in batch]) @ bench.T
                    top = scores.topk(min(self.top_k, len(texts)), dim=-1)
            for i, doc in enumerate(batch):
                self.stat_update("total")
                doc.metadata["benchmark_neighbours"] = (
                    [texts[j] for j in top.indices[i].tolist()] if len(texts) else []
                )
                doc.metadata["benchmark_similarity"] = round(float(top.values[i][0]), 4) if len(texts) else 0.0
                yield doc
