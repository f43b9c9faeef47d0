"""textbook_qa rules extractor on the real textbooks: pairs and recall per book, and a seeded random sample
of 30 published pairs for judging precision by reading them against the PDF.

Recall = pairs with an answer / answered items in the book (hand counts: ../shared/realdata/README.md;
APEX counted for this bench, see ANSWERED), once as extracted and once as published, i.e. after the
recipe's rule filters (questions under 5 words, `missing_answer`, `needs_figure`, `outside_reference`).
The sample of published pairs goes to bench/results/textbook_precision_sample.md (_seed<N>.md for another
seed), drawn by a seeded hash so that a fix redraws only the pairs it changed; every verdict written in a sample
file is kept in textbook_verdicts.jsonl and reused whenever the same pair (question and answer unchanged) is
drawn again. `--pages` prints each sampled
pair's PDF page text (raw pymupdf) to judge it against.

Usage: python bench/textbook_recall.py [--seed 0] [--n 30] [--pages]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter

from _common import ROOT

BOOKS = ROOT.parent / "shared" / "realdata" / "textbooks"
RESULTS = ROOT / "bench" / "results"
VERDICTS = RESULTS / "textbook_verdicts.jsonl"  # every verdict given, reused when drawn again
ANSWERED = {
    "levin_discrete.pdf": 383,  # README: ~103 inline solutions + ~280 at the back
    "ostp_physics_qlib_answers.pdf": 428,  # README: 205 `Answer:` + 224 marked multiple choice
    # APEX excerpt: 90 answer-key entries in "Solutions To Selected Problems" (odd exercises of 1.1-1.6; 8
    # "Answers will vary" not counted) + 33 worked examples whose solution heading is in a font without a
    # Unicode map (it reads "SÊ½çã®ÊÄ"): 90 + 33 = 123
    "apex_calculusI_2014.pdf": 123,
}


def _rendered(d) -> tuple[str, str]:
    """Question and answer as the sample file shows them (markdown line breaks)."""
    return d.text.replace("\n", "  \n"), d.metadata["answer"].replace("\n", "  \n")


def _header(d) -> str:
    m = d.metadata
    return f"{m['source']} p. {m['pages']} — {m['label']} ({m['rule']}, {m['profile']})"


def _unpaged(header: str) -> str:
    """The header without its page list: a verdict judges the question and answer, which a more exact page list
    (a question over a page break) does not change."""
    return re.sub(r" p\. \[[^\]]*\]", "", header)


def _verdicts_in(path) -> dict[tuple[str, str, str], str]:
    """(header, question, answer) -> verdict of every judged pair in a sample file."""
    verdicts = {}
    for block in path.read_text(encoding="utf-8").split("\n## ")[1:]:
        header = block.split("\n", 1)[0].split(". ", 1)[1]
        qa = re.search(r"\*\*Q:\*\* (.*?)\n\n\*\*A:\*\* (.*?)\n\n\*\*Verdict:\*\* (.*)", block, re.S)
        if qa and qa.group(3).strip() != "_unjudged_":
            verdicts[(header, qa.group(1), qa.group(2))] = qa.group(3).strip()
    return verdicts


def _sample_file(seed: int):
    return RESULTS / ("textbook_precision_sample.md" if seed == 0 else f"textbook_precision_sample_seed{seed}.md")


def _known_verdicts() -> dict[tuple[str, str, str], str]:
    """Every verdict written so far: the store, updated with the verdicts of every sample file."""
    known = {}
    if VERDICTS.exists():
        for line in VERDICTS.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            known[(row["header"], row["question"], row["answer"])] = row["verdict"]
    for sample_file in sorted(RESULTS.glob("textbook_precision_sample*.md")):
        known.update(_verdicts_in(sample_file))
    rows = [dict(zip(("header", "question", "answer", "verdict"), (*k, v))) for k, v in sorted(known.items())]
    VERDICTS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return {(_unpaged(header), question, answer): v for (header, question, answer), v in known.items()}


def _draw(published: list, n: int, seed: int) -> list:
    """A seeded random sample that is stable under fixes: pairs ordered by a seeded hash of where they come from
    and their question, so a fix only swaps in the pairs it changed."""

    def rank(d) -> str:
        return hashlib.sha256(f"{seed}\n{_header(d)}\n{d.text}".encode()).hexdigest()

    return sorted(published, key=rank)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--pages", action="store_true", help="print the PDF text of each sampled pair's pages")
    args = parser.parse_args()

    from factory.pdf_reader import PdfBookReader
    from filters.books.qa_filters import QARulesFilter, ShortQuestionFilter
    from filters.books.qa_rules import RulesQAExtractor

    books = list(PdfBookReader(str(BOOKS)).run())
    published = []
    print(f"{'book':32s} {'pairs':>5s} {'answered':>8s} {'items':>5s} {'recall':>6s} {'published':>9s} {'recall':>6s}")
    for book in books:
        if "read_error" in book.metadata:
            print(f"{book.id:32s} quarantined: {book.metadata['read_error']}")
            continue
        pairs = list(RulesQAExtractor().run(iter([book])))
        with_answer = [d for d in pairs if d.metadata["answer"]]
        kept, reasons = [], Counter()
        for d in with_answer:
            verdict = ShortQuestionFilter().filter(d)
            verdict = QARulesFilter().filter(d) if verdict is True else verdict
            if verdict is True:
                kept.append(d)
            else:
                reasons[verdict[1]] += 1
        published += kept
        total = ANSWERED[book.id]
        print(
            f"{book.id:32s} {len(pairs):5d} {len(with_answer):8d} {total:5d} {len(with_answer) / total:6.2f}"
            f" {len(kept):9d} {len(kept) / total:6.2f}"
        )
        print(f"{'':32s} rules: {dict(Counter(d.metadata['rule'] for d in with_answer))}")
        print(f"{'':32s} dropped by the rule filters: {dict(reasons)}")
    sample = _draw(published, args.n, args.seed)
    known = _known_verdicts()
    verdicts = [known.get((_unpaged(_header(d)), *_rendered(d)), "_unjudged_") for d in sample]
    judged = sum(v != "_unjudged_" for v in verdicts)
    ok = sum(v.startswith("OK") for v in verdicts)
    sample_file = _sample_file(args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with sample_file.open("w", encoding="utf-8") as f:
        f.write(f"# textbook_qa rules extractor: {len(sample)} published pairs, seed {args.seed}\n\n")
        f.write(
            "Drawn by `python bench/textbook_recall.py` from the pairs that pass the recipe's rule filters. "
            "Verdict: OK = the question is complete and self-contained and the answer is the right one for it, "
            "judged by reading the PDF page text (pymupdf) of the pages listed.\n\n"
        )
        f.write(f"**Judged {judged} of {len(sample)}: {ok} OK = precision {ok / max(judged, 1):.2f}**\n\n")
        for n, d in enumerate(sample, 1):
            question, answer = _rendered(d)
            f.write(f"## {n}. {_header(d)}\n\n**Q:** {question}\n\n**A:** {answer}\n\n")
            f.write(f"**Verdict:** {verdicts[n - 1]}\n\n")
    print(f"sample of {len(sample)} published pairs -> {sample_file.relative_to(ROOT)}; judged {judged}, OK {ok}")
    if args.pages:
        import pymupdf

        for n, d in enumerate(sample, 1):
            print(f"\n===== {n}. {_header(d)}\nQ: {d.text}\nA: {d.metadata['answer']}")
            with pymupdf.open(BOOKS / d.metadata["source"]) as pdf:
                for p in d.metadata["pages"]:
                    print(f"----- page {p}\n{pdf[p - 1].get_text()}")


if __name__ == "__main__":
    main()
