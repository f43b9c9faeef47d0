"""Parsing LLM completions of the textbook_qa rounds; what does not parse is quarantined with the raw text."""

from __future__ import annotations

import contextlib
import re

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from factory.llm.inference import completion_of

NO_QA = re.compile(r"\[\s*NO\s+QA\s*\]", re.I)
REFUSAL = re.compile(r"^\W*(I'?m sorry|I am sorry|I cannot|I can'?t|I won'?t|As an AI)\b", re.I)
# "Question:", "Question 2:", "**Question:**", "Q:" at the start of a line
_LEAD = r"^[ \t*#>-]*(?:\d+[.)][ \t]*)?(?:\*\*)?"
_TAIL = r"[ \t]*\d*[ \t]*(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*"
QUESTION = re.compile(_LEAD + r"(?:question|q)" + _TAIL, re.I | re.M)
ANSWER = re.compile(_LEAD + r"(?:answer|a)" + _TAIL, re.I | re.M)


def parse_qa(text: str) -> list[tuple[str, str]]:
    """(question, answer) pairs in `Question: ... Answer: ...` format.

    Each pair is cut at the next `Question:`, so a question without an answer is dropped alone and
    never takes the following pair's answer.
    """
    starts = [m for m in QUESTION.finditer(text)]
    pairs = []
    for i, match in enumerate(starts):
        block = text[match.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        answer = ANSWER.search(block)
        if not answer:
            continue
        question, body = block[: answer.start()].strip(), block[answer.end() :].strip()
        if question and body and not NO_QA.search(question):
            pairs.append((question, body))
    return pairs


def failure_reason(text: str) -> str:
    if NO_QA.search(text):
        return "no_qa"
    if REFUSAL.search(text):
        return "refusal"
    return "unparseable"


class CompletionStep(PipelineStep):
    """Base for steps that turn a round's completion into zero or more documents."""

    type = "🧠 - LLM"
    expands = False  # one input -> many outputs: the funnel's unit changes here

    def __init__(self, exclusion_writer=None):
        super().__init__()
        self.exclusion_writer = exclusion_writer

    def handle(self, doc: Document, text: str) -> list[Document] | str:
        """The documents to pass on, or the reason to quarantine `doc`."""
        raise NotImplementedError

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.exclusion_writer or contextlib.nullcontext() as writer:
            for doc in data:
                self.stat_update(StatHints.total)
                text, reason, detail = completion_of(doc)
                outcome = reason or self.handle(doc, text)
                if isinstance(outcome, str):
                    self.stat_update(StatHints.dropped, f"dropped_{outcome}")
                    if writer:
                        doc.metadata.update(filter_reason=outcome, raw_completion=text, filter_detail=detail)
                        writer.write(doc, rank)
                    continue
                self.stat_update(StatHints.forwarded)
                if self.expands:
                    self.stat_update("produced", value=len(outcome))
                yield from outcome


class QAExtractionParser(CompletionStep):
    """A chunk's completion -> one document per QA pair (`[NO QA]`, refusals, garbage quarantined)."""

    name = "extract"
    expands = True

    def __init__(self, standard: str, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.standard = standard

    def handle(self, chunk: Document, text: str):
        pairs = parse_qa(text)
        if not pairs:
            return failure_reason(text)
        meta = chunk.metadata
        return [
            Document(
                text=q,
                id=f"{chunk.id}#{n:03d}",
                metadata={
                    "answer": a,
                    "subject": meta.get("subject"),
                    "source": meta.get("source"),
                    "pages": meta.get("pages"),
                    "chunk_id": chunk.id,
                    "label": None,
                    "standard": self.standard,
                },
            )
            for n, (q, a) in enumerate(pairs)
        ]


class RefineParser(CompletionStep):
    """The refined pair replaces the original; exactly one pair is expected."""

    name = "refine"

    def handle(self, doc: Document, text: str):
        pairs = parse_qa(text)
        if len(pairs) != 1:
            return failure_reason(text)
        doc.text, doc.metadata["answer"] = pairs[0]
        return [doc]


class CoTParser(CompletionStep):
    """`REASONING` keeps the answer; `NO_REASONING` + `Solution:` replaces it with the distilled solution."""

    name = "cot"

    def handle(self, doc: Document, text: str):
        head = text.strip().upper()
        if head.startswith("REASONING"):
            return [doc]
        if head.startswith("NO_REASONING") and (m := re.search(r"solution\s*:\s*(.+)", text, re.I | re.S)):
            doc.metadata["answer"] = m.group(1).strip()
            return [doc]
        return failure_reason(text)


class LLMFilterParser(CompletionStep):
    """`KEEP` keeps the pair, `DROP: reason` quarantines it as llm_rejected."""

    name = "llm_filter"

    def handle(self, doc: Document, text: str):
        head = text.strip().upper()
        if head.startswith("KEEP"):
            return [doc]
        if head.startswith("DROP"):
            return "llm_rejected"
        return failure_reason(text)


class DecontaminationJudgeParser(CompletionStep):
    """`CLEAN` keeps the question; `CONTAMINATED` quarantines it as benchmark_match."""

    name = "decontamination_judge"

    def handle(self, doc: Document, text: str):
        head = text.strip().upper()
        if head.startswith("CLEAN"):
            doc.metadata.pop("benchmark_neighbours", None)
            return [doc]
        # quarantined records keep the neighbours the judge saw, for audit
        return "benchmark_match" if head.startswith("CONTAMINATED") else failure_reason(text)
