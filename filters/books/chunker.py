"""Books -> chunks of ~N tokens on paragraph boundaries, each with its pages and subject."""

from __future__ import annotations

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from factory.chunking import chunk_paragraphs


class BookChunker(PipelineStep):
    name = "chunk"
    type = "✂️ - CHUNK"

    def __init__(self, max_tokens: int = 4096):
        super().__init__()
        self.max_tokens = max_tokens

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for book in data:
            self.stat_update(StatHints.total, StatHints.forwarded)
            paragraphs = book.text.split("\n\n")
            pages = book.metadata.get("paragraph_pages") or [None] * len(paragraphs)
            for n, (start, end) in enumerate(chunk_paragraphs(paragraphs, self.max_tokens)):
                self.stat_update("produced")
                chunk_pages = sorted({p for p in pages[start:end] if p is not None})
                yield Document(
                    text="\n\n".join(paragraphs[start:end]),
                    id=f"{book.id}#chunk{n:03d}",
                    metadata={
                        "source": book.metadata.get("source", book.id),
                        "subject": book.metadata.get("subject"),
                        "pages": chunk_pages,
                    },
                )
