"""Chunks of ~N tokens on paragraph boundaries (MegaScience: ~4,096 tokens per chunk)."""

from __future__ import annotations

TOKENS_PER_WORD = 1.3  # English text under common LLM tokenizers; an estimate, not a tokenizer


def estimate_tokens(text: str) -> int:
    return int(len(text.split()) * TOKENS_PER_WORD) + 1


def chunk_paragraphs(paragraphs: list[str], max_tokens: int) -> list[tuple[int, int]]:
    """[start, end) paragraph ranges, each under `max_tokens` unless a single paragraph is larger."""
    ranges, start, size = [], 0, 0
    for i, paragraph in enumerate(paragraphs):
        tokens = estimate_tokens(paragraph)
        if i > start and size + tokens > max_tokens:
            ranges.append((start, i))
            start, size = i, 0
        size += tokens
    if start < len(paragraphs):
        ranges.append((start, len(paragraphs)))
    return ranges
