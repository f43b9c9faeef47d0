"""Chains in the common layouts: separate fields, `<think>`, Sky-T1's `<|begin_of_thought|>`, Marco-o1's `<Thought>`.

`parse_chain` returns (question, reasoning, answer) or the reason the record cannot be a chain. The reasoning is
kept exactly as written (segmentation must give it back byte for byte); question and answer are stripped.
"""

from __future__ import annotations

from typing import Literal

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

Layout = Literal["auto", "fields", "think", "begin_of_thought", "thought_output"]

# layout -> (reasoning open, reasoning close, answer open, answer close); open tags may be absent for think (R1's
# chat template puts `<think>` in the prompt), answer tags only exist in the last two
TAGS = {
    "think": ("<think>", "</think>", None, None),
    "begin_of_thought": ("<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>"),
    "thought_output": ("<Thought>", "</Thought>", "<Output>", "</Output>"),
}


class ChainError(ValueError):
    """A record that is not a usable chain; `reason` is the quarantine reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def detect_layout(response: str) -> str | None:
    for layout, (open_tag, close_tag, *_) in TAGS.items():
        if open_tag in response or close_tag in response:
            return layout
    return None


def split_response(response: str, layout: str) -> tuple[str, str]:
    """(reasoning, answer) of one response in a tagged layout; ChainError names what is missing or unclosed."""
    open_tag, close_tag, answer_open, answer_close = TAGS[layout]
    start = response.find(open_tag)
    end = response.find(close_tag, max(start, 0))
    if end < 0:
        raise ChainError("unclosed_reasoning" if start >= 0 else "no_reasoning", f"no {close_tag}")
    reasoning = response[start + len(open_tag) if start >= 0 else 0 : end]
    rest = response[end + len(close_tag) :]
    if open_tag in reasoning or open_tag in rest or close_tag in rest:  # nested or several blocks: which is it?
        raise ChainError("repeated_reasoning_tags", f"more than one {open_tag}…{close_tag}")
    if answer_open is None:
        return reasoning, rest.strip()
    a_start = rest.find(answer_open)
    if a_start < 0:
        raise ChainError("no_answer", f"no {answer_open}")
    a_end = rest.find(answer_close, a_start)
    if a_end < 0:
        raise ChainError("unclosed_answer", f"no {answer_close}")
    return reasoning, rest[a_start + len(answer_open) : a_end].strip()


def parse_chain(question, record: dict, layout: Layout, fields: dict[str, str]) -> tuple[str, str, str]:
    """(question, reasoning, answer) from a record; `fields` maps reasoning/answer/response to the record's keys."""
    if not isinstance(question, str) or not question.strip():
        raise ChainError("no_question")
    if layout == "auto":
        response = record.get(fields["response"])
        has_fields = isinstance(record.get(fields["reasoning"]), str)
        layout = "fields" if has_fields or not isinstance(response, str) else detect_layout(response) or "no_tags"
        if layout == "no_tags":
            raise ChainError("no_reasoning", "response without reasoning tags")
    if layout == "fields":
        reasoning, answer = record.get(fields["reasoning"]), record.get(fields["answer"])
        if not isinstance(reasoning, str):
            raise ChainError("no_reasoning", f"no string field {fields['reasoning']!r}")
        if not isinstance(answer, str):
            raise ChainError("no_answer", f"no string field {fields['answer']!r}")
        answer = answer.strip()
    else:
        response = record.get(fields["response"])
        if not isinstance(response, str):
            raise ChainError("no_response", f"no string field {fields['response']!r}")
        reasoning, answer = split_response(response, layout)
    if not reasoning.strip():
        raise ChainError("no_reasoning", "empty reasoning")
    if not answer:
        raise ChainError("no_answer", "empty answer")
    return question.strip(), reasoning, answer


class ChainParser(BaseFilter):
    """Documents from the rows reader (text = the question field) become chains: metadata question, reasoning,
    answer. Records without reasoning or answer, or with an unclosed tag, are quarantined with the reason."""

    name = "parse"

    def __init__(self, layout: Layout = "auto", reasoning: str = "reasoning", answer: str = "answer",
                 response: str = "response", exclusion_writer=None):  # fmt: skip
        super().__init__(exclusion_writer)
        self.layout = layout
        self.fields = {"reasoning": reasoning, "answer": answer, "response": response}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        try:
            question, reasoning, answer = parse_chain(doc.text, doc.metadata, self.layout, self.fields)
        except ChainError as e:
            doc.metadata["error"] = str(e)
            return False, e.reason
        for key in self.fields.values():  # the raw fields live on only as the parsed chain
            doc.metadata.pop(key, None)
        doc.metadata.update(question=question, reasoning=reasoning, answer=answer)
        doc.text = reasoning
        return True
