from conftest import ListWriter
from datatrove.data import Document

from filters.books.qa_llm import CoTParser, LLMFilterParser, QAExtractionParser, RefineParser, failure_reason, parse_qa


def test_parse_pairs_in_common_shapes():
    text = (
        "Here are the pairs.\nQuestion: What is 2+2?\nAnswer: 4\n\n**Question 2:** Define work.\n"
        "**Answer:** Force times displacement.\nQ: Why?\nA: Because."
    )
    assert parse_qa(text) == [
        ("What is 2+2?", "4"),
        ("Define work.", "Force times displacement."),
        ("Why?", "Because."),
    ]


def test_an_answerless_question_does_not_swallow_the_next_pair():
    text = "Question: First, with no answer.\nQuestion: Second?\nAnswer: Yes.\nQuestion: Third?\nAnswer:\n"
    assert parse_qa(text) == [("Second?", "Yes.")]


def test_multiline_answers_and_answer_words_inside_text():
    text = "Question: What is the answer: 42 or 43?\nAnswer: Step one.\nStep two: add.\nSo 42."
    assert parse_qa(text) == [("What is the answer: 42 or 43?", "Step one.\nStep two: add.\nSo 42.")]


def test_failures_are_named():
    assert parse_qa("[NO QA]") == [] and failure_reason("[NO QA]") == "no_qa"
    assert failure_reason("I'm sorry, but I can't help with that.") == "refusal"
    assert failure_reason("asdkj qwe") == "unparseable"


def _round(text=None, error=None, finish_reason="stop", **meta):
    result = {"error": error, "detail": "d"} if error else {"text": text, "finish_reason": finish_reason}
    return Document(text="chunk text", id="book#chunk000", metadata={"rollout_results": [result], **meta})


def test_extraction_parser_quarantines_with_raw_text_and_counts():
    sink = ListWriter()
    step = QAExtractionParser("low", exclusion_writer=sink)
    docs = [
        _round("Question: A?\nAnswer: B.\nQuestion: C?\nAnswer: D.", subject="physics"),
        _round("[NO QA]"),
        _round("lorem ipsum"),
        _round("I cannot do that."),
        _round("Question: Cut?\nAnswer: 20, so the tank is empty after", finish_reason="length"),
        _round(error="prompt_too_long"),
    ]
    out = list(step.run(iter(docs)))
    assert [(d.text, d.metadata["answer"], d.metadata["subject"]) for d in out] == [
        ("A?", "B.", "physics"),
        ("C?", "D.", "physics"),
    ]
    assert [d.metadata["filter_reason"] for d in sink.docs] == [
        "no_qa",
        "unparseable",
        "refusal",
        "truncated",
        "prompt_too_long",
    ]
    assert sink.docs[1].metadata["raw_completion"] == "lorem ipsum"
    assert sink.docs[3].metadata["raw_completion"].endswith("empty after")  # a cut-off answer is never published
    assert step.stats["produced"].total == 2 and step.stats["total"].total == 6


def test_refine_cot_and_filter_parsers():
    doc = _round("Question: Refined?\nAnswer: \\boxed{1}", answer="old")
    (refined,) = RefineParser().run(iter([doc]))
    assert (refined.text, refined.metadata["answer"]) == ("Refined?", "\\boxed{1}")
    (kept,) = CoTParser().run(iter([_round("REASONING", answer="a")]))
    assert kept.metadata["answer"] == "a"
    (distilled,) = CoTParser().run(iter([_round("NO_REASONING\nSolution: 2 + 2 = 4, so \\boxed{4}", answer="4")]))
    assert distilled.metadata["answer"].endswith("\\boxed{4}")
    sink = ListWriter()
    assert (
        list(LLMFilterParser(exclusion_writer=sink).run(iter([_round("DROP: cites Fig. 2"), _round("maybe")]))) == []
    )
    assert [d.metadata["filter_reason"] for d in sink.docs] == ["llm_rejected", "unparseable"]


def test_a_document_without_a_completion_is_an_error_not_a_drop():
    import pytest

    with pytest.raises(ValueError, match="no completion"):
        list(QAExtractionParser("low").run(iter([Document(text="t", id="x", metadata={})])))
