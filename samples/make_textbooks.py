"""Writes sample textbook PDFs with pymupdf for the textbook_qa demo and tests: deterministic, no downloads.

Two books with chapters, worked examples (inline "Solution."), numbered exercises whose answers sit in an
answer section at the end of the chapter or in an answer key at the end of the book, running headers and
page-number footers, words hyphenated across lines; plus an encrypted, a corrupt, a truncated, an empty, a
non-PDF and an image-only file.
`planted.jsonl` lists every question/answer pair a perfect extractor recovers.
"""

from __future__ import annotations

import json
from pathlib import Path

BOOKS = {
    "introductory-physics": {
        "title": "Introductory Physics",
        "subject": "physics",
        "chapters": [
            {
                "title": "Kinematics",
                "intro": "Kinematics describes motion without asking what causes it. We measure displacement, velocity and "
                "acceleration, and we relate them through the equations of uniformly accelerated motion, which "
                "hold whenever the acceleration is constant throughout the interval under consideration.",
                "examples": [
                    (
                        "A car starts from rest and accelerates uniformly at 2 m/s^2 for 10 s. What is its final velocity?",
                        "The initial velocity is zero and the acceleration is constant. Using v = u + at we get "
                        "v = 0 + 2 x 10. Therefore the final velocity is \\boxed{20 m/s}.",
                    ),
                    (
                        "A stone is dropped from a bridge and hits the water after 3 s. How high is the bridge above the water, taking g = 10 m/s^2?",
                        "The stone starts from rest, so the distance fallen is h = g t^2 / 2. Substituting the values "
                        "gives h = 10 x 9 / 2. Therefore the bridge is \\boxed{45 m} above the water.",
                    ),
                ],
                "exercises": [
                    ("A cyclist travels 150 m in 30 s at constant speed. What is the speed of the cyclist?", "5 m/s"),
                    (
                        "A train slows uniformly from 30 m/s to rest in 15 s. What is the magnitude of its acceleration?",
                        "2 m/s^2",
                    ),
                    ("Using the velocity-time graph in Fig. 1-4, find the total displacement of the runner.", "120 m"),
                    (
                        "A ball is thrown vertically upward at 20 m/s. How long does it take to reach its highest point if g = 10 m/s^2?",
                        "2 s",
                    ),
                ],
                "answers": "chapter",
            },
            {
                "title": "Forces and Newton's Laws",
                "intro": "Newton's second law connects the net force on a body to its acceleration. In this chapter we "
                "draw free-body diagrams, resolve forces into components and apply the law to blocks, ropes and "
                "inclines, always checking that the units of the final answer are consistent.",
                "examples": [
                    (
                        "A net force of 12 N acts on a block of mass 3 kg. What is the acceleration of the block?",
                        "By Newton's second law F = m a, so a = F / m = 12 / 3. Therefore the acceleration is \\boxed{4 m/s^2}.",
                    ),
                ],
                "exercises": [
                    ("What net force is needed to accelerate a 1500 kg car at 2 m/s^2?", "3000 N"),
                    (
                        "A 5 kg box rests on a frictionless floor and is pushed with a horizontal force of 20 N. What is its acceleration?",
                        "4 m/s^2",
                    ),
                    (
                        "Explain why a passenger lurches forward when a moving bus brakes suddenly, in terms of inertia.",
                        None,
                    ),
                    ("What is the weight of a 70 kg astronaut on the Moon, where g = 1.6 m/s^2?", "112 N"),
                    # a near-duplicate of Exercise 1.1 (case and punctuation only: question dedup) and a too-short question
                    (
                        "a cyclist travels 150 m in 30 s at constant speed; what is the speed of the cyclist?",
                        "5 m/s",
                    ),
                    ("Define inertia.", "The tendency of a body to keep its state of motion."),
                    # points at an equation the reader of the pair does not have (outside_reference)
                    (
                        "Starting from equation (2.4), find the speed of a block at the foot of a frictionless "
                        "incline 5 m high, taking g = 10 m/s^2.",
                        "10 m/s",
                    ),
                ],
                "answers": "book",
            },
        ],
    },
    "elementary-chemistry": {
        "title": "Elementary Chemistry",
        "subject": "chemistry",
        "chapters": [
            {
                "title": "Moles and Molar Mass",
                "intro": "The mole links the microscopic world of atoms to the laboratory scale. One mole contains "
                "Avogadro's number of particles, and the molar mass of a substance, in grams per mole, is "
                "numerically equal to its relative formula mass, which we compute from the periodic table.",
                "examples": [
                    (
                        "How many moles are there in 36 g of water, given that the molar mass of water is 18 g/mol?",
                        "The number of moles is the mass divided by the molar mass, n = m / M = 36 / 18. "
                        "Therefore the sample contains \\boxed{2 mol} of water.",
                    ),
                ],
                "exercises": [
                    ("What is the mass of 3 mol of carbon dioxide if its molar mass is 44 g/mol?", "132 g"),
                    (
                        "How many moles of sodium chloride are in 117 g of the salt, with a molar mass of 58.5 g/mol?",
                        "2 mol",
                    ),
                    (
                        "Calculate the molar mass of sulfuric acid, H2SO4, using relative atomic masses H = 1, S = 32, O = 16.",
                        "98 g/mol",
                    ),
                ],
                "answers": "chapter",
            },
            {
                "title": "Solutions and Concentration",
                "intro": "A solution is a homogeneous mixture of a solute dissolved in a solvent. Its concentration is "
                "usually expressed in moles of solute per litre of solution, and dilution problems follow from "
                "the fact that the amount of solute does not change when more solvent is added.",
                "examples": [
                    (
                        "What is the concentration of a solution made by dissolving 0.5 mol of glucose in water to make 2 L of solution?",
                        "Concentration is the amount of solute divided by the volume, c = n / V = 0.5 / 2. "
                        "Therefore the concentration is \\boxed{0.25 mol/L}.",
                    ),
                ],
                "exercises": [
                    ("How many moles of solute are in 250 mL of a 2 mol/L sodium hydroxide solution?", "0.5 mol"),
                    (
                        "A 1 L solution of 3 mol/L hydrochloric acid is diluted to 3 L. What is its new concentration?",
                        "1 mol/L",
                    ),
                    (
                        "Using the solubility data in Table 2, decide which salt is most soluble at 40 degrees Celsius.",
                        "potassium nitrate",
                    ),
                ],
                "answers": "book",
            },
        ],
    },
}
LINES_PER_PAGE = 38
WIDTH = 88


def _wrap(paragraph: str) -> list[str]:
    """Greedy wrap that hyphenates long words at the line end, as typeset books do."""
    lines, line = [], ""
    for word in paragraph.split():
        candidate = f"{line} {word}".strip()
        if len(candidate) <= WIDTH:
            line = candidate
            continue
        room = WIDTH - len(line) - 2
        if len(word) >= 10 and word.isalpha() and room >= 4:
            lines.append(f"{line} {word[:room]}-")
            line = word[room:]
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def book_paragraphs(book: dict) -> tuple[list[str], list[dict]]:
    paragraphs, planted, key = [], [], []
    for c, chapter in enumerate(book["chapters"], start=1):
        paragraphs += [f"Chapter {c}. {chapter['title']}", chapter["intro"]]
        for e, (question, solution) in enumerate(chapter["examples"], start=1):
            paragraphs += [f"Example {c}.{e}. {question}", f"Solution. {solution}"]
            planted.append(
                {"question": question, "answer": solution, "subject": book["subject"], "label": f"Example {c}.{e}"}
            )
        paragraphs.append("Exercises")
        answers = []
        for x, (question, answer) in enumerate(chapter["exercises"], start=1):
            paragraphs.append(f"Exercise {c}.{x}. {question}")
            if answer:
                answers.append(f"{c}.{x}. {answer}")
                planted.append(
                    {"question": question, "answer": answer, "subject": book["subject"], "label": f"Exercise {c}.{x}"}
                )
        if chapter["answers"] == "chapter":
            paragraphs += [f"Answers to Chapter {c} Exercises", *answers]
        else:
            key += [f"Chapter {c}", *answers]
    if key:
        paragraphs += ["Answer Key", *key]
    return paragraphs, planted


def write_book(path: Path, book: dict) -> list[dict]:
    import pymupdf

    paragraphs, planted = book_paragraphs(book)
    lines = []
    for paragraph in paragraphs:
        lines += _wrap(paragraph) + [""]
    doc = pymupdf.open()
    for start in range(0, len(lines), LINES_PER_PAGE):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 40), f"{book['title']} - sample edition", fontsize=8)
        y = 80
        for line in lines[start : start + LINES_PER_PAGE]:
            if line:
                page.insert_text((72, y), line, fontsize=10)
            y += 16
        page.insert_text((300, 770), str(doc.page_count), fontsize=8)
    doc.set_metadata({"title": book["title"], "creationDate": "D:20250101000000", "modDate": "D:20250101000000"})
    doc.save(path, garbage=3, deflate=True, no_new_id=True)
    return planted


def write_textbooks(root: Path) -> None:
    import pymupdf

    pdfs = root / "pdfs"
    pdfs.mkdir(parents=True, exist_ok=True)
    planted = []
    for name, book in BOOKS.items():
        planted += [dict(p, source=f"{name}.pdf") for p in write_book(pdfs / f"{name}.pdf", book)]
    with (root / "planted.jsonl").open("w", encoding="utf-8") as f:
        for pair in planted:
            f.write(json.dumps(pair) + "\n")
    # an encrypted book (user password), a corrupt file, and a scanned (image-only) page
    secret = pymupdf.open()
    secret.new_page().insert_text((72, 72), "Exercise 1.1. What is 2 + 2?", fontsize=10)
    secret.save(
        pdfs / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner", no_new_id=True
    )
    (pdfs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body\n%%EOF\n")
    # a download cut short, a zero-byte file and an HTML error page saved as .pdf
    whole = (pdfs / "elementary-chemistry.pdf").read_bytes()
    (pdfs / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    (pdfs / "empty.pdf").write_bytes(b"")
    (pdfs / "not-a-book.pdf").write_bytes(b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n")
    scan = pymupdf.open()
    page = scan.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 100), False)
    pixmap.clear_with(200)
    page.insert_image(page.rect, pixmap=pixmap)
    scan.save(pdfs / "scanned.pdf", no_new_id=True)
    (root / "subjects.yaml").write_text(
        "# subject per file (glob -> subject)\nintroductory-physics.pdf: physics\nelementary-chemistry.pdf: chemistry\n"
        "truncated.pdf: chemistry  # a cut copy of the chemistry book: listed as quarantined under chemistry\n"
    )
    bench = root / "benchmarks"
    bench.mkdir(parents=True, exist_ok=True)
    with (bench / "scibench_sample.jsonl").open("w", encoding="utf-8") as f:
        # one planted exercise appears in this "benchmark": decontamination must remove it
        f.write(json.dumps({"question": BOOKS["elementary-chemistry"]["chapters"][0]["exercises"][2][0]}) + "\n")
        f.write(json.dumps({"question": "What is the boiling point of water at sea level in kelvin?"}) + "\n")
