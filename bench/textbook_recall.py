"""textbook_qa rules extractor on the real textbooks: pairs and recall per book, and a seeded random sample
of 30 answered pairs for judging precision by reading them against the PDF.

Recall = pairs with an answer / answered items in the book (hand counts: ../shared/realdata/README.md;
APEX counted for this bench, see ANSWERED). The sample goes to bench/results/textbook_precision_sample.md,
where the judged verdicts are recorded (rerunning rewrites the sample; `--judged` keeps the file).

Usage: python bench/textbook_recall.py [--seed 0] [--n 30] [--judged]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter

from _common import ROOT

BOOKS = ROOT.parent / "shared" / "realdata" / "textbooks"
SAMPLE = ROOT / "bench" / "results" / "textbook_precision_sample.md"
ANSWERED = {
    "levin_discrete.pdf": 383,  # README: ~103 inline solutions + ~280 at the back
    "ostp_physics_qlib_answers.pdf": 428,  # README: 205 `Answer:` + 224 marked multiple choice
    # APEX excerpt: 98 answer-key entries in "Solutions To Selected Problems" (odd exercises of 1.1-1.6; 8
    # "Answers will vary" not counted) + 33 worked examples whose solution heading is in a font without a
    # Unicode map (it reads "SÊ½çã®ÊÄ"): 90 + 33 = 123
    "apex_calculusI_2014.pdf": 123,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--judged", action="store_true", help="do not rewrite the judged sample file")
    args = parser.parse_args()

    from factory.pdf_reader import PdfBookReader
    from filters.qa_rules import RulesQAExtractor

    books = list(PdfBookReader(str(BOOKS)).run())
    answered = []
    print(f"{'book':34s} {'pairs':>6s} {'answered':>8s} {'items':>6s} {'recall':>7s}  rules")
    for book in books:
        if "read_error" in book.metadata:
            print(f"{book.id:34s} quarantined: {book.metadata['read_error']}")
            continue
        pairs = list(RulesQAExtractor().run(iter([book])))
        with_answer = [d for d in pairs if d.metadata["answer"]]
        answered += with_answer
        rules = Counter(d.metadata["rule"] for d in with_answer)
        total = ANSWERED.get(book.id)
        recall = f"{len(with_answer) / total:7.2f}" if total else "      -"
        print(f"{book.id:34s} {len(pairs):6d} {len(with_answer):8d} {total or 0:6d} {recall}  {dict(rules)}")
    sample = random.Random(args.seed).sample(answered, min(args.n, len(answered)))
    if args.judged:
        return
    SAMPLE.parent.mkdir(parents=True, exist_ok=True)
    with SAMPLE.open("w", encoding="utf-8") as f:
        f.write(f"# textbook_qa rules extractor: {len(sample)} answered pairs, seed {args.seed}\n\n")
        f.write("Drawn by `python bench/textbook_recall.py`; verdict: OK = question complete and self-contained ")
        f.write("and the answer is the right one for it, judged against the PDF page.\n\n")
        for n, d in enumerate(sample, 1):
            m = d.metadata
            f.write(f"## {n}. {m['source']} p. {m['pages']} — {m['label']} ({m['rule']}, {m['profile']})\n\n")
            f.write("**Q:** " + d.text.replace("\n", "  \n") + "\n\n")
            f.write("**A:** " + m["answer"].replace("\n", "  \n") + "\n\n")
            f.write("**Verdict:** _unjudged_\n\n")
    print(f"sample of {len(sample)} answered pairs -> {SAMPLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
