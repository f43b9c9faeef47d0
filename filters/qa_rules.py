"""The `rules` QA extractor: numbered examples, exercises and problems with their solutions.

Solutions are found inline ("Solution." after the item) or in an answer section at the end of the
chapter or an answer key at the end of the book, matched to the question by its number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from factory.chunking import chunk_paragraphs

ITEM = re.compile(r"^(Example|Exercise|Problem|Question)\s+(?:(\d+)\.)?(\d+)[.:)]?\s+(\S.*)$", re.S)
SOLUTION = re.compile(r"^(Solution|Answer|Proof)\s*[.:]\s*(.*)$", re.S | re.I)
CHAPTER = re.compile(r"^Chapter\s+(\d+)\b[.:]?\s*(.*)$", re.I)
ANSWER_SECTION = re.compile(r"^(Answers?( Key)?|Answers to .*|Solutions to .*|Answers and Solutions.*)$", re.I)
KEY_ENTRY = re.compile(r"^(?:(\d+)\.)?(\d+)[.:)]\s+(\S.*)$", re.S)
SENTENCE_END = re.compile(r"[.!?](\s|$)")


@dataclass
class Item:
    label: str
    chapter: int | None
    number: int
    question: list[str]
    paragraph: int
    page: int
    solution: list[str] = field(default_factory=list)
    solution_page: int | None = None


def _is_heading(paragraph: str) -> bool:
    return len(paragraph.split()) <= 8 and not paragraph.rstrip().endswith((".", "?", "!", ":"))


def extract_pairs(paragraphs: list[str], pages: list[int | None], chunk_tokens: int = 4096) -> list[dict]:
    """QA pairs of one book, in book order; `chunk` is the index of the ~chunk_tokens chunk holding the question."""
    pages = pages or [None] * len(paragraphs)
    items: list[Item] = []
    keys: dict[tuple[int | None, int], tuple[str, int]] = {}
    chapter, current, in_solution, in_key = None, None, False, False
    for i, (paragraph, page) in enumerate(zip(paragraphs, pages)):
        if match := CHAPTER.match(paragraph):
            chapter = int(match.group(1))
            if match.group(2).strip() or not in_key:  # "Chapter 2" alone inside an answer key keeps it open
                in_key = False
            current, in_solution = None, False
        elif ANSWER_SECTION.match(paragraph):
            in_key, current, in_solution = True, None, False
        elif in_key and (match := KEY_ENTRY.match(paragraph)):
            key_chapter = int(match.group(1)) if match.group(1) else chapter
            keys[(key_chapter, int(match.group(2)))] = (match.group(3).strip(), page)
        elif match := ITEM.match(paragraph):
            in_key, in_solution = False, False
            item_chapter = int(match.group(2)) if match.group(2) else chapter
            current = Item(
                f"{match.group(1)} {match.group(2) + '.' if match.group(2) else ''}{match.group(3)}",
                item_chapter,
                int(match.group(3)),
                [match.group(4).strip()],
                i,
                page,
            )
            items.append(current)
        elif current is not None and (match := SOLUTION.match(paragraph)):
            current.solution, current.solution_page, in_solution = [match.group(2).strip()], page, True
        elif current is not None and not _is_heading(paragraph) and not in_key:
            (current.solution if in_solution else current.question).append(paragraph)
        else:
            current, in_solution = None, False
    chunks = chunk_paragraphs(paragraphs, chunk_tokens)
    pairs = []
    for item in items:
        answer, answer_page = " ".join(item.solution), item.solution_page
        if not answer and (key := keys.get((item.chapter, item.number))):
            answer, answer_page = key
        multi_step = len(SENTENCE_END.findall(answer)) >= 2
        pairs.append(
            {
                "question": " ".join(item.question),
                "answer": answer,
                "label": item.label,
                "standard": "high" if item.solution and multi_step else "low",
                "pages": sorted({p for p in (item.page, answer_page) if p is not None}),
                "chunk": next(n for n, (a, b) in enumerate(chunks) if a <= item.paragraph < b),
            }
        )
    return pairs


class RulesQAExtractor(PipelineStep):
    """Book documents in, one document per QA pair out (`text` = question, answer etc. in metadata)."""

    name = "extract"
    type = "✂️ - EXTRACT"

    def __init__(self, chunk_tokens: int = 4096, exclusion_writer=None):
        super().__init__()
        self.chunk_tokens = chunk_tokens
        self.exclusion_writer = exclusion_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import contextlib

        with self.exclusion_writer or contextlib.nullcontext() as writer:
            for book in data:
                self.stat_update(StatHints.total)
                with self.track_time():
                    pairs = extract_pairs(
                        book.text.split("\n\n"), book.metadata.get("paragraph_pages"), self.chunk_tokens
                    )
                if not pairs:
                    self.stat_update(StatHints.dropped, "dropped_no_qa")
                    if writer:
                        book.metadata["filter_reason"] = "no_qa"
                        writer.write(book, rank)
                    continue
                self.stat_update(StatHints.forwarded)
                for n, pair in enumerate(pairs):
                    self.stat_update("produced")
                    yield Document(
                        text=pair.pop("question"),
                        id=f"{book.id}#{n:04d}",
                        metadata={
                            "source": book.metadata.get("source", book.id),
                            "subject": book.metadata.get("subject"),
                            "chunk_id": f"{book.id}#chunk{pair.pop('chunk'):03d}",
                            **pair,
                        },
                    )
