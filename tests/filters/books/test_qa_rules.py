import json

from datatrove.data import Document

from factory.pdf_reader import PdfBookReader
from filters.books.qa_filters import QARulesFilter, ShortQuestionFilter, StandardFilter
from filters.books.qa_rules import RulesQAExtractor, extract_pairs
from filters.books.reference_answer import last_boxed, reference_answer


def test_rules_recover_planted_pairs_from_the_sample_pdfs(samples_textbooks):
    books = [d for d in PdfBookReader(str(samples_textbooks / "pdfs")).run() if "read_error" not in d.metadata]
    pairs = list(RulesQAExtractor().run(iter(books)))
    found = {(d.text, d.metadata["answer"]) for d in pairs if d.metadata["answer"]}
    planted = {(p["question"], p["answer"]) for p in map(json.loads, open(samples_textbooks / "planted.jsonl"))}
    precision = len(found & planted) / len(found)
    recall = len(found & planted) / len(planted)
    print(
        f"rules extractor on the sample PDFs: precision {precision:.3f}, recall {recall:.3f} ({len(planted)} planted)"
    )
    assert precision >= 0.9 and recall >= 0.9
    labels = {d.metadata["label"]: d for d in pairs if d.metadata["source"] == "introductory-physics.pdf"}
    assert labels["Example 1.1"].metadata["standard"] == "high"
    assert labels["Exercise 2.1"].metadata["answer"] == "3000 N"  # from the book-level answer key
    assert labels["Exercise 1.4"].metadata["pages"] and labels["Exercise 1.4"].metadata["chunk_id"].endswith(
        "chunk000"
    )


def test_an_answerless_question_does_not_take_the_next_solution():
    paragraphs = ["Example 3. Why is the sky blue?", "Example 4. What is 3 x 4?", "Solution. Multiply. We get 12."]
    pairs = extract_pairs(paragraphs, [1, 1, 1])
    assert pairs[0]["answer"] == "" and pairs[1]["answer"] == "Multiply. We get 12."


def test_books_without_exercises_are_quarantined_as_no_qa():
    out = list(
        RulesQAExtractor().run(
            iter([Document(text="Just prose.\n\nMore prose.", id="b", metadata={"paragraph_pages": [1, 1]})])
        )
    )
    assert out == []


def test_filters():
    def doc(q, a, standard="low"):
        return Document(text=q, id="x", metadata={"answer": a, "standard": standard})

    assert ShortQuestionFilter(5).filter(doc("Define inertia.", "x")) == (False, "too_short")
    assert StandardFilter("high").filter(doc("q", "a", "low")) == (False, "below_standard")
    assert StandardFilter("low").filter(doc("q", "a", "low")) is True
    f = QARulesFilter()
    assert f.filter(doc("Using the graph in Fig. 4-16, find v.", "3 m/s")) == (False, "needs_figure")
    assert f.filter(doc("Derive it.", "Apply equation (8.75) twice.")) == (False, "outside_reference")
    assert f.filter(doc("See Table 2 and decide.", "KNO3")) == (False, "needs_figure")
    assert f.filter(doc("What is the speed?", "  ")) == (False, "missing_answer")
    assert f.filter(doc("Give an example like this one for a set of three numbers.", "x")) is True


def test_reference_answers():
    assert last_boxed("a \\boxed{1} b \\boxed{\\frac{a}{b}} c") == "\\frac{a}{b}"
    assert reference_answer("Reference Answer: 42 J") == "42 J"
    assert reference_answer("We add them up and so the final answer is 7 apples.") == "7 apples"
    assert reference_answer("5 m/s") == "5 m/s"
    assert (
        reference_answer(
            "Momentum is conserved in the collision, so we equate the totals before and after. "
            "Hence the final speed is 3 m/s."
        )
        == "3 m/s"
    )
    assert (
        reference_answer(
            "It depends on many things that we discussed at length in the previous chapters "
            "and cannot be stated simply"
        )
        is None
    )


def test_questions_that_need_a_figure_are_dropped_with_needs_figure():
    f = QARulesFilter()

    def verdict(question, answer="42"):
        return f.filter(Document(text=question, id="x", metadata={"answer": answer}))

    # phrasings seen in real books: a numbered caption kept in a question, pictured graphs, "shown below" at the end
    for question in (
        "The cylinder has resistivity ρ. Find its resistance.\nFigure 173: A hollow cylinder of length l.",
        "Which (if any) of the graphs below are the same? Which are different? Explain.",
        "What is the tension in the rope in the figure?",
        "Find the current through each resistor of the circuit shown below.",
        "Consider the Venn diagram above and name the shaded set.",
        "Two blocks are connected as shown above. Find their acceleration.",
        "Use the following table to estimate the median.",
        "Below is a graph representing friendships between students. Can they sit around a round table?",
    ):
        assert verdict(question) == (False, "needs_figure"), question
    assert verdict("What is the speed?", "Read it off the graph shown at right.") == (False, "needs_figure")
    # an answer that introduces what only a drawing shows
    assert verdict("Does the graph have a Hamiltonian cycle?", "Yes, and here is one:") == (False, "needs_figure")
    # the same words where the text holds what they point at, or no picture is meant
    for question in (
        "Find the inverse of the matrix shown below: A = [[1, 2], [3, 4]], using row reduction.",
        "Draw a Venn diagram for the sets A = {1, 2} and B = {2, 3}.",
        "Prove that the graph K5 is not planar.",
        "Solve the following: 2x + 3 = 7 and x - y = 1 for x and y.",
    ):
        assert verdict(question) is True, question
