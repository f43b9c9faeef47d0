"""PIR (arXiv 2505.19187): how much the answer's perplexity rises when one reasoning step is removed.

PIR(x_i) = log(PPL(A | Q, R without x_i) / PPL(A | Q, R)) = mean NLL of the answer tokens without step i minus
mean NLL with the whole chain.

The transformers scorer reuses the shared prefix: the full chain runs once with a KV cache, and each variant runs
only the tokens after its longest common token prefix with the full chain (the text before step i), attending to
the cached keys. Variants are exact token sequences of their own text (tokenized whole, as the naive recomputation
does), so the reuse changes the arithmetic order, not the result. Batched variants of different prefix lengths sit
in one padded cache with the gaps masked, answers aligned at the right so one `logits_to_keep` serves every row.

This module needs only torch and transformers (it runs on GPU machines without the rest of the project).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Literal

Template = Literal["plain", "chat"]
Overflow = Literal["quarantine", "truncate_left"]


class ChainTooLong(ValueError):
    """The full chain has more tokens than the scorer may use, and the policy is to quarantine."""


@dataclass
class ChainScore:
    base_nll: float  # mean NLL of the answer tokens given the whole chain
    pir: list[float | None]  # per step; None where not scored (progressive, or cut off by truncation)
    tokens: int  # tokens of the full chain's scoring sequence (after truncation)
    answer_tokens: int
    truncated_tokens: int = 0  # tokens cut from the left of every sequence (truncate_left policy)
    forward_tokens: int = 0  # tokens run through the model (padding excluded)
    padded_tokens: int = 0  # tokens run including batch padding
    variant_nll: list[float | None] = field(default_factory=list)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class ChainEncoder:
    """Token sequences of the plain template (`question + "\\n\\n" + reasoning + "\\n\\n"`, then the answer's tokens)
    or of the tokenizer's chat template (the question as the user turn, reasoning and answer as the assistant's)."""

    def __init__(self, tokenizer, template: Template = "plain"):
        self.tokenizer = tokenizer
        self.template = template

    def answer_ids(self, answer: str) -> list[int]:
        return self.tokenizer(answer, add_special_tokens=False).input_ids

    def prefix_ids(self, question: str, reasoning: str) -> list[int]:
        if self.template == "plain":
            return self.tokenizer(question + "\n\n" + reasoning + "\n\n").input_ids
        prompt = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False
        )
        return self.tokenizer(prompt + reasoning + "\n\n", add_special_tokens=False).input_ids

    def sequences(self, question: str, steps: list[str], answer: str, scored: list[int]):
        """(full ids, answer length, {step index: variant ids}) for the steps in `scored`."""
        answer_ids = self.answer_ids(answer)
        full = self.prefix_ids(question, "".join(steps)) + answer_ids
        variants = {i: self.prefix_ids(question, "".join(steps[:i] + steps[i + 1 :])) + answer_ids for i in scored}
        return full, len(answer_ids), variants


def load_model(model: str, revision: str | None = None, device: str = "auto", dtype: str = "auto"):
    """(model, tokenizer) from a local folder or a Hub id, in eval mode on `device`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    torch_dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
        dtype
    ]
    tokenizer = AutoTokenizer.from_pretrained(model, revision=revision)
    lm = AutoModelForCausalLM.from_pretrained(model, revision=revision, dtype=torch_dtype).to(device).eval()
    return lm, tokenizer


def max_context(model) -> int:
    config = model.config
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        if isinstance(getattr(config, key, None), int):
            return getattr(config, key)
    return 2048


def _answer_nll(logits, answer_ids):
    """Mean NLL of `answer_ids` from logits [A, V] at the positions that predict them."""
    import torch

    logp = torch.log_softmax(logits.float(), dim=-1)
    target = torch.as_tensor(answer_ids, device=logits.device)
    return float(-logp.gather(-1, target[:, None]).mean())


class TransformersPIRScorer:
    """Exact PIR with a local causal LM, reusing the full chain's KV cache for every variant's shared prefix."""

    def __init__(self, model, tokenizer, template: Template = "plain", batch_size: int = 8,
                 max_tokens: int | None = None, overflow: Overflow = "quarantine"):  # fmt: skip
        self.model = model
        self.encoder = ChainEncoder(tokenizer, template)
        self.batch_size = batch_size
        self.max_tokens = max_tokens or max_context(model)
        self.overflow = overflow

    @property
    def _cache_arg(self) -> str:
        # transformers renamed `past_key_values` to `cache` (5.2x); older 5.x releases only know the first
        return "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"

    @property
    def device(self):
        return next(self.model.parameters()).device

    def score(self, question: str, steps: list[str], answer: str, scored: list[int]) -> ChainScore:
        import torch

        full, n_answer, variants = self.encoder.sequences(question, steps, answer, scored)
        cut = self._cut(len(full))
        rows = self._rows(variants, full, cut, n_answer)
        full = full[cut:]
        out = ChainScore(0.0, [None] * len(steps), len(full), n_answer, truncated_tokens=cut)
        out.variant_nll = [None] * len(steps)
        with torch.inference_mode():
            ids = torch.tensor([full], device=self.device)
            result = self.model(input_ids=ids, use_cache=True, logits_to_keep=n_answer + 1)
            out.base_nll = _answer_nll(result.logits[0, :-1], full[-n_answer:])
            out.forward_tokens = out.padded_tokens = len(full)
            past = getattr(result, "cache", None) or result.past_key_values
            layers = [(layer.keys, layer.values) for layer in past.layers]
            del result
            rows.sort(key=lambda r: r[1])  # neighbours in a batch have similar prefixes: little padding
            for start in range(0, len(rows), self.batch_size):
                batch = rows[start : start + self.batch_size]
                for (i, _, _), nll in zip(batch, self._variant_batch(batch, layers, n_answer, full[-n_answer:])):
                    out.variant_nll[i] = nll
                    out.pir[i] = nll - out.base_nll
                out.forward_tokens += sum(len(suffix) for _, _, suffix in batch)
                out.padded_tokens += len(batch) * max(len(suffix) for *_, suffix in batch)
        return out

    def _cut(self, length: int) -> int:
        if length <= self.max_tokens:
            return 0
        if self.overflow == "quarantine":
            raise ChainTooLong(f"{length} tokens > max_tokens {self.max_tokens}")
        return length - self.max_tokens

    @staticmethod
    def _rows(variants: dict[int, list[int]], full: list[int], cut: int, n_answer: int):
        """(step, cached prefix length, suffix ids) per variant, in the coordinates of `full[cut:]`.

        A variant reuses the cache up to where it departs from the full chain, and always recomputes the position
        that predicts the first answer token. Every sequence loses the same `cut` tokens from the left, so a step
        that starts inside the cut-off text is not scored.
        """
        rows = []
        for i, ids in variants.items():
            shared = common_prefix(ids, full)
            if shared < cut:
                continue
            prefix = max(min(shared, len(ids) - n_answer - 1) - cut, 0)
            rows.append((i, prefix, ids[cut + prefix :]))
        return rows

    def _variant_batch(self, batch, layers, n_answer: int, answer_ids: list[int]) -> list[float]:
        import torch

        device, size = self.device, len(batch)
        cached = max(p for _, p, _ in batch)
        width = max(len(s) for *_, s in batch)
        input_ids = torch.zeros((size, width), dtype=torch.long, device=device)
        positions = torch.zeros((size, width), dtype=torch.long, device=device)
        mask = torch.zeros((size, cached + width), dtype=torch.long, device=device)
        for b, (_, prefix, suffix) in enumerate(batch):
            pad = width - len(suffix)  # left-pad the new tokens: every row's answer ends at the last column
            input_ids[b, pad:] = torch.tensor(suffix, device=device)
            positions[b, pad:] = torch.arange(prefix, prefix + len(suffix), device=device)
            mask[b, :prefix] = 1
            mask[b, cached + pad :] = 1
        cache = {self._cache_arg: self._batch_cache(batch, layers, cached)} if cached else {}
        result = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            logits_to_keep=n_answer + 1,
            **cache,
        )
        return [_answer_nll(result.logits[b, :-1], answer_ids) for b in range(size)]

    @staticmethod
    def _batch_cache(batch, layers, cached: int):
        """A cache whose row b holds the full chain's first p_b positions; the rest is masked out."""
        from transformers import DynamicCache

        cache = DynamicCache()
        for index, (keys, values) in enumerate(layers):
            k = keys.new_zeros((len(batch), keys.shape[1], cached, keys.shape[3]))
            v = values.new_zeros((len(batch), values.shape[1], cached, values.shape[3]))
            for b, (_, prefix, _) in enumerate(batch):
                k[b, :, :prefix] = keys[0, :, :prefix]
                v[b, :, :prefix] = values[0, :, :prefix]
            cache.update(k, v, index)
        return cache


def naive_score(model, tokenizer, question: str, steps: list[str], answer: str, scored: list[int],
                template: Template = "plain") -> ChainScore:  # fmt: skip
    """The straightforward recomputation: one full forward pass per variant, log-softmax, answer tokens only."""
    import torch

    encoder = ChainEncoder(tokenizer, template)
    full, n_answer, variants = encoder.sequences(question, steps, answer, scored)
    device = next(model.parameters()).device

    def nll(ids: list[int]) -> float:
        logits = model(input_ids=torch.tensor([ids], device=device)).logits[0]
        logp = torch.log_softmax(logits.float(), dim=-1)
        targets = ids[-n_answer:]
        start = len(ids) - n_answer
        return -sum(float(logp[start - 1 + j, t]) for j, t in enumerate(targets)) / n_answer

    with torch.inference_mode():
        base = nll(full)
        out = ChainScore(base, [None] * len(steps), len(full), n_answer, forward_tokens=len(full))
        out.variant_nll = [None] * len(steps)
        for i, ids in variants.items():
            out.variant_nll[i] = nll(ids)
            out.pir[i] = out.variant_nll[i] - base
            out.forward_tokens += len(ids)
    out.padded_tokens = out.forward_tokens
    return out


def is_finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
