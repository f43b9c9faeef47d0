"""The `rules` QA extractor: a book's exercises, examples and questions paired with their answers.

Conventions read (see the README for what is not):
- items: labelled `Example 1.2.` / `Exercise 3:` / `Problem 4)` / unnumbered `Example:`; bare numbers `12.`
  inside an exercise region (`Exercises`, `Problems`, `Exercises for Section 2.1`, `EXERCISE 1.1` over its
  questions, `Multiple Choice`, ...) or anywhere in a question
  bank; multi-level numbers `0.2.16.`; sub-parts `(a)` stay in their item;
- inline answers after the question: `Solution` / `SOLUTION` / `Solution.` / `Sol.` / `Proof.` / `Hint:` /
  `Answer:` / `Ans.`, with or without punctuation (a `Proof.` inside an exercise is the problem's text: a proof to
  check); multiple choice with the correct option marked (`(Correct)`, a check mark, `[x]`): options stay in
  the question, the marked ones are the answer;
- OpenStax-style `CHECK YOUR UNDERSTANDING 3.1`, `Checkpoint 1.2`, `TRY IT #1` (answered from the key's list of
  that name), `Check Your Learning` after a worked example (answered by its own `Answer:`),
  examples with `Strategy` + `Solution` (both kept) ending at `Significance`, chapter-end `Conceptual Questions`
  / `Problems` grouped under the section headings again; Schaum-style `Solved Problems` (the solution is the
  paragraph after the statement) and `Supplementary Problems` with `Ans.` answers, numbered `2.15.`;
- answer keys, at the end of a section or chapter or of the book (`Answers`, `Selected Solutions`,
  `Solutions to Exercises`, `Answers to Exercises`, ..., or a restart of the section numbering), keyed
  `1.2.3.` or by section heading + number; a solution beats a hint.
An item runs over pages and display math until the next item, heading or answer; an indented item (an
example set off from the body) ends where the indentation does.

Layout profiles: `textbook` (bare numbers are items only in exercise regions) and `question_bank`
(every numbered line is an item); `auto` picks one per book from its marked options and inline answers.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from factory.chunking import chunk_paragraphs

PROFILES = ("textbook", "question_bank")

LABELLED = re.compile(
    r"^[^\w(]{0,2}(Example|Exercise|Problem|Question|Activity|Check Your Understanding|Check Your Learning"
    r"|Checkpoint|Try It|EXAMPLE|EXERCISE|PROBLEM|QUESTION|CHECK YOUR UNDERSTANDING|CHECK YOUR LEARNING"
    r"|CHECKPOINT|TRY IT)"
    r"(?:\s+#?(\d+(?:\.\d+)*|[A-Z]))?\s*(?:[.:)]\s*(.*)|(?<=\s)(?=[A-Z(])(.*)|$)",
    re.S,
)
BARE = re.compile(r"^(\d{1,3})[.)](?:\s+(\S.*))?$", re.S)
MULTI = re.compile(r"^(\d{1,2}(?:\.\d{1,3}){1,3})\.(?:\s+(\S.*))?$", re.S)
SOLUTION = re.compile(
    r"^(SOLUTION|ANSWER|PROOF|HINT|STRATEGY|Solution|Answer|Proof|Hint|Strategy)s?(?:\s*[.:]\s*|\s*$|(?<=[A-Z]{4})\s+)(.*)$"
    r"|^(Ans|Sol|Soln)\.\s*(.*)$",
    re.S,
)
INLINE_ANS = re.compile(r"\s+Ans\.\s+")  # Schaum-style "... of (6, 8). Ans. 10" on the question's line
# commentary after a worked example's solution (OpenStax "Significance"): the example ends there
AFTERWORD = re.compile(r"^(Significance|SIGNIFICANCE)$")
# answer keys namespaced by the kind of item they answer (a key's "3.1." under "Check Your Understanding" is not
# exercise 1 of chapter 3)
NAMESPACED = ("Check Your Understanding", "Checkpoint", "Try It")
ONE_PARAGRAPH_ANSWERS = ("Check Your Learning",)  # a practice item inside a worked example: a short answer ends it
KEY_SUBHEADING = re.compile(r"^(Check Your Understanding|Checkpoint|Try It)$", re.I)
OPTION = re.compile(r"^(?:[⃝○◯◦☐□●◉■☑☒✓✔]|\(?[A-Ea-e][.)])\s*(.*)$", re.S)
MARK = re.compile(r"\s*(?:\((?:correct|Correct|CORRECT)\)|✓|✔|\[x\]|☒|☑)\s*")
CHAPTER = re.compile(r"^(?:Chapter|CHAPTER)\s+(\d+)\b[.:]?\s*(.*)$")
APPENDIX = re.compile(r"^(?:Appendix|APPENDIX)\s+[A-Z0-9]\b")
SECTION = re.compile(r"^(?:(Section|Sec\.|§)\s*)?(\d{1,2})\.(\d{1,2})\.?(?:\s+([A-Z][^.]{2,80}))?$")
EXERCISES = re.compile(
    r"^(?:(?:Section\s+)?(\d{1,2})\.(\d{1,2})\.?\s+)?(Exercises|Problems|Exercises and Problems"
    r"|Review (?:Exercises|Questions|Problems)"
    r"|Homework(?: Problems)?|Practice(?: Problems| Exercises)?|Problem Set|Multiple Choice(?: Questions)?"
    r"|Long Answers?|Short Answers?|Questions|Terms and Concepts|Conceptual Questions"
    r"|Solved Problems|Supplementary Problems)(?:\s+(?:for\s+)?(?:Section\s+)?(\d{1,2})\.(\d{1,2}))?:?$",
    re.I,
)
KEY_HEADING = re.compile(
    r"^(?:(?:Appendix\s+[A-Z0-9][.:]?\s*)?(Selected\s+(?:Solutions|Answers)|Answer\s+Key|(?:Hints\s+and\s+)?"
    r"(?:Solutions|Answers)(?:\s+and\s+Hints)?(?:\s+(?:to|for)\s+(?:the\s+)?(?:Selected\s+|Odd[- ]Numbered\s+)?"
    r"(?:Exercises|Problems|Questions)|\s+to\s+Selected\s+\w+)?|Hints)"
    r"|(?:Solutions|Answers)\s+to\s+Chapter\s+(\d+)(?:\s+\w+)?)$",
    re.I,
)
KEY_SECTION = re.compile(
    r"^(?:(?:Solutions?|Answers?|Hints?)\s+(?:for|to)\s+)?(?:Section|Exercises?)\s+(\d{1,2})\.(\d{1,2})$"
    r"|^(?:Solutions?|Answers?|Hints?)\s+(?:for|to)\s+(\d{1,2})\.(\d{1,2})$",
    re.I,
)
# "EXERCISE 1.1" alone over "1. ...": the heading of a section's exercise list (NCERT and many others), not an item
EXERCISE_SET = re.compile(r"^(?:Exercise|EXERCISE)(?:\s+Set|\s+SET)?\s+(\d{1,2})\.(\d{1,2})$")
# "In Exercises 22 – 32, give the intervals on which the given function is continuous.": an instruction that the
# items of the range leave out (their text is only "23. g(x) = √(x2 − 4)")
GROUP = re.compile(r"^(?:In|For)\s+(?:Exercises|Problems|Questions)\s+(\d{1,3})\s*[–—-]\s*(\d{1,3}),\s*(\S.*)$")
# the same instruction worded otherwise ("... evaluate the limits given in Exercises 6 – 13, where possible."), after
# the givens it introduces ("Using:" over the values of the limits)
GROUP_MENTION = re.compile(r"\b(?:Exercises|Problems|Questions)\s+(\d{1,3})\s*[–—-]\s*(\d{1,3})\b")
FOOTNOTE = re.compile(r"^\d{1,2}[A-Z][a-z]")
STOP = re.compile(r"^(Index|Bibliography|References|Glossary|Notes:?)$")
# a table of contents' leaders: many dots, not a sequence's ". . .." or an ellipsis "1 + 2 + … + n"
DOT_LEADERS = re.compile(r"(\.\s?){6,}|…{2,}")
NO_ANSWER = re.compile(r"^(answers? (will|may) vary|((solution|answer|proof)s? )?omitted|see (the )?text)\b", re.I)
SENTENCE_END = re.compile(r"[.!?](\s|$)")
# end of a worked example or proof: a tombstone (alone or closing a line), a text-layer "qed", or a lone period
END_MARK = re.compile(r"^(?:[■□∎◼]|q\.?e\.?d\.?|Q\.?E\.?D\.?|\.)$")
END_TRAIL = re.compile(r"(?<=\S)\s*[■□∎◼]$|(?<=[^\s.])\s+\.$")  # not an ellipsis ". . ."
# a period ends the example only before a new sentence; figure tick labels ("0.5", "−1") and lowercase text after
# a display formula's period continue it
NEW_SENTENCE = re.compile(r"^[A-Z][a-z]")


@dataclass
class Item:
    label: str
    key: tuple  # (chapter, section..., number)
    chapter_key: tuple | None  # (chapter, number): for keys numbered per chapter
    keyable: bool  # may take its answer from a key
    page: int | None
    paragraph: int
    indent: int
    question: list[str] = field(default_factory=list)
    options: list[list[str]] = field(default_factory=list)  # MC options (lines), in order
    answer: list[str] = field(default_factory=list)
    answer_page: int | None = None
    rule: str = ""
    region: str = ""  # the exercise-region heading it sits under
    instruction: str = ""  # the group's "In Exercises 22 – 32, give the intervals ..." that the item leaves out
    mark: str = ""  # what follows a bare item's number: "." or ")"
    colon_at: int | None = None  # where a later paragraph ending in ":" ("Using:") starts in its question
    last_page: int | None = None  # the page of its last line (a question or solution over a page break)


@dataclass
class KeyEntry:
    text: list[str]
    page: int | None
    hint: bool
    chapter_only: bool


def detect_profile(lines: list[str]) -> str:
    """`question_bank` when numbered items mostly carry their answer inline (marked options, `Answer:` lines)."""
    bare = sum(1 for line in lines if BARE.match(line))
    inline = sum(1 for line in lines if MARK.search(line) or line.startswith(("Answer:", "ANSWER:")))
    return "question_bank" if bare and inline >= max(3, 0.2 * bare) else "textbook"


def _looks_like_title(line: str | None) -> bool:
    return (
        bool(line)
        and line[:1].isupper()
        and len(line.split()) <= 12
        and not line.rstrip().endswith((".", ",", ":"))
        and not re.match(r"(Figure|Fig\.|Table|Example|Exercise|Notes?)\b", line)
    )


def _is_heading(line: str) -> bool:
    """A subsection heading in Title Case ("Solving Congruences"): 2-6 words, no digits, no end punctuation."""
    words = line.split()
    return (
        2 <= len(words) <= 6
        and not any(c.isdigit() for c in line)
        and not line.endswith((".", ",", ":", ";", "?", "!"))
        and all(w[:1].isupper() for w in words if len(w) > 3)
        and words[0][:1].isupper()
        and words[-1][:1].isupper()
    )


def _number(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split("."))


def _join(lines: list[str]) -> str:
    return (
        re.sub(r"[ \t]+", " ", "\n".join(lines).replace("\n\n", "\0").replace("\n", " ")).replace("\0", "\n").strip()
    )


def _finish_item(item: Item) -> tuple[str, str]:
    """Question and inline answer text; marked options become the answer of a multiple-choice question."""
    options = [_join(lines) for lines in item.options]
    marked = [i for i, option in enumerate(options) if MARK.search(option)]
    if len(options) >= 2 and marked:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        texts = [f"{letters[i]}. {MARK.sub(' ', o).strip()}" for i, o in enumerate(options[:26])]
        question = _join(item.question) + "\n" + "\n".join(texts)
        return question, "; ".join(texts[i] for i in marked if i < 26)
    question = _join(item.question + [line for lines in item.options for line in lines])
    return question, _join(item.answer)


def _lettered_before(question: list[str], line: str) -> list[list[str]]:
    """The options before a marked "B. 25 cm (Correct)" that were read as question lines ("A. 12 cm"): popped
    from the question when they run back to A; none otherwise (a lettered first option is a sub-part until a mark
    shows it is an option)."""
    m = re.match(r"\(?([B-Eb-e])([.)])", line)
    if not m:
        return []
    letter, close = ord(m.group(1)), m.group(2)
    found, at = [], len(question)
    for want in range(letter - 1, ord("a" if m.group(1).islower() else "A") - 1, -1):
        at -= 1
        while at > 0 and not question[at]:  # a paragraph break between options
            at -= 1
        option = re.match(rf"\(?{re.escape(chr(want) + close)}\s*(\S.*)$", question[at]) if at > 0 else None
        if not option:
            return []
        found.insert(0, [option.group(1).strip()])
    del question[at:]
    return found


def extract_pairs(
    paragraphs: list[str],
    pages: list[int | None] | None,
    chunk_tokens: int = 4096,
    indents: list[int] | None = None,
    profile: str = "auto",
) -> list[dict]:
    """QA pairs of one book, in book order; `chunk` is the index of the ~chunk_tokens chunk holding the question."""
    pages = pages or [None] * len(paragraphs)
    indents = indents or [0] * len(paragraphs)
    lines = [(line.strip(), p, j == 0) for p, text in enumerate(paragraphs) for j, line in enumerate(text.split("\n"))]
    lines = [(line, p, first) for line, p, first in lines if line]
    if profile == "auto":
        profile = detect_profile([line for line, _, _ in lines])

    items: list[Item] = []
    keys: dict[tuple, KeyEntry] = {}
    chapter: int | None = None
    section: tuple = ()
    in_exercises = False
    key_mode: str | None = None  # None, "local" or "book"
    key_section: tuple = ()
    key_namespace: tuple = ()  # ("Check Your Understanding",) under that heading of a key
    max_item_section: tuple = ()
    current: Item | None = None
    part = "question"  # where continuation lines go: question, option, answer
    entry: KeyEntry | None = None
    key_last: tuple = ()  # the last bare-numbered key entry of this key list, with its scope
    key_multi = False  # this key list numbers its entries "1.2.3.": a bare "23." in it is text (a 2^3 exponent)
    unlabelled = 0
    group: list = []  # [first, last, section, instruction lines] of the latest "In Exercises N – M, ..." line
    in_group = False  # the lines after it, up to the next item, continue the instruction
    loose: list[str] = []  # lines outside any item since a paragraph ending in ":" ("Using:"): a group's givens
    region = ""

    def close():  # in a key: at a heading, where a new list of entries begins
        nonlocal current, entry, key_last, key_multi, in_group, loose
        current, entry, key_last, key_multi, in_group, loose = None, None, (), False, False, []

    def enter_key(kind: str, sect: tuple = ()):
        nonlocal key_mode, key_section, in_exercises, key_namespace
        key_mode, key_section, in_exercises, key_namespace = kind, sect, False, ()
        close()

    footnote = -1  # the paragraph being skipped as a footnote
    for n, (line, p, first) in enumerate(lines):
        page = pages[p]
        nxt = lines[n + 1][0] if n + 1 < len(lines) else None
        # a footnote: the page's last paragraph, its number glued to its first word ("5This is not to say ...");
        # read out of the text it interrupts, so an example or question goes on past it
        if first and FOOTNOTE.match(line) and (p + 1 == len(paragraphs) or pages[p + 1] != page):
            footnote = p
        if p == footnote:
            continue
        if STOP.match(line):
            if line.startswith(("Index", "Bibliography", "References", "Glossary")) and key_mode == "book":
                break
            continue
        if DOT_LEADERS.search(line):  # a table of contents
            continue
        # an indented item (an example set off from the body) ends where the indentation does
        if first and current is not None and current.indent >= 6 and indents[p] < current.indent - 3:
            close()
        if (
            line.isdigit()
            and not key_mode
            and int(line) == (chapter or 0) + 1
            and _looks_like_title(nxt)
            and first
            and (p == 0 or page is None or pages[p - 1] != page)  # a chapter opens a page; a tick label does not
        ):
            chapter, section, in_exercises = int(line), (int(line),), False  # "19" over "Circuits": a chapter
            close()
            continue
        if (m := CHAPTER.match(line)) or APPENDIX.match(line):
            if m:
                chapter = int(m.group(1))
                if key_mode == "book":
                    key_section, key_namespace = (chapter,), ()
                    close()
                    continue
            if key_mode == "local":
                key_mode = None
            section, in_exercises = ((chapter,) if m else ()), False
            close()
            continue
        if items and (m := KEY_HEADING.match(line)):  # before any item it is a table-of-contents line
            kind = (
                "local" if m.group(2) or (line.lower() in ("answers", "solutions") and key_mode != "book") else "book"
            )
            if kind == "book" and p < 0.3 * len(paragraphs):  # a book's key is at its end: this is a contents line
                continue
            if m.group(2):
                enter_key(kind, (int(m.group(2)),))
            else:
                enter_key(kind if key_mode != "book" else "book", section if kind == "local" else ())
            continue
        if key_mode and (KEY_SUBHEADING.match(line) or (EXERCISES.match(line) and not line[:1].isdigit())):
            # "Check Your Understanding" / "Problems" inside a key: a sub-list, not part of the entry before it
            key_namespace = (KEY_SUBHEADING.match(line).group(1).title(),) if KEY_SUBHEADING.match(line) else ()
            close()
            continue
        if key_mode and (m := KEY_SECTION.match(line)):
            key_section = _number(".".join(g for g in m.groups() if g))
            close()
            continue
        if m := EXERCISES.match(line):
            numbers = [g for g in m.groups()[:2] + m.groups()[3:] if g]
            if numbers:
                sect = _number(".".join(numbers))
                if key_mode:
                    key_section = sect
                    close()
                    continue
                if max_item_section and sect < max_item_section:  # numbering restarts: an answer key
                    enter_key("book", sect)
                    continue
                chapter, section = sect[0], sect
            if key_mode == "local":
                key_mode = None
            if not key_mode:
                in_exercises, region = True, m.group(3).lower()
                close()
                continue
        if (m := SECTION.match(line)) and (m.group(1) or m.group(4) or _looks_like_title(nxt)):
            sect = (int(m.group(2)), int(m.group(3)))
            plausible = m.group(1) or chapter is None or not items or sect[0] in (chapter, chapter + 1) or key_mode
            if nxt and DOT_LEADERS.search(nxt):  # a table of contents
                continue
            going_back = max_item_section and sect < max_item_section
            if (
                in_exercises
                and not key_mode
                and chapter == sect[0]
                and m.group(4)
                and not m.group(1)
                and (going_back or (nxt and BARE.match(nxt)))
            ):
                section = sect  # the chapter-end exercises grouped under the section headings again (OpenStax)
                close()
                continue
            if plausible and (key_mode or m.group(1) or not going_back):
                if key_mode:
                    key_section = sect
                    close()
                    continue
                if going_back:  # "Section 1.1" again after the exercises of 1.6: an answer key
                    enter_key("book", sect)
                    continue
                chapter, section, in_exercises = sect[0], sect, False
                close()
                continue
        if key_mode:
            m = MULTI.match(line) or BARE.match(line)
            if m and m.re is BARE and key_multi and entry is not None:
                m = None  # "1.2.7. ... 2" over "9.": the exponent of the entry's last term, not entry 9
            if m and (
                m.re is MULTI or first or entry is None or not line[len(m.group(1)) + 1 :].strip()[:1].islower()
            ):
                number = _number(m.group(1))
                scope = key_namespace + (key_section if m.re is BARE else ())
                key_multi = m.re is MULTI
                if m.re is BARE:
                    # numbering that restarts with no section heading between is another list (a table of
                    # formulas after the key): its entries answer nothing, up to the next heading
                    if key_last and key_last[0] == scope and number <= key_last[1]:
                        if entry is not None and len(entry.text) > 1 and _is_heading(entry.text[-1]):
                            entry.text.pop()  # that list's title ("Differentiation Rules")
                        entry = None
                        key_last = (scope, (float("inf"),))
                        continue
                    key_last = (scope, number)
                text = (m.group(2) or "").strip()
                # "Further hint: ...", "(a) Hint: ..." (the parts of a key entry that only hint)
                hint = bool(re.match(r"(?i)(\([a-z]\)\s*)?(further\s+)?hints?\b", text))
                entry = KeyEntry(
                    [text] if text else [], page, hint, chapter_only=len(scope) == 1 and not key_namespace
                )
                full = scope + number
                if full not in keys or (keys[full].hint and not hint):
                    keys[full] = entry
                continue
            if entry is not None:
                entry.text.append(line)
            continue
        # the body: items, inline answers, continuation lines
        if (in_exercises or profile == "question_bank") and (m := GROUP.match(line)):
            close()
            group, in_group = [int(m.group(1)), int(m.group(2)), section, [m.group(3)]], True
            continue
        if (
            first
            and (in_exercises or profile == "question_bank")
            and (m := GROUP_MENTION.search(line))
            and not (BARE.match(line) or MULTI.match(line) or LABELLED.match(line))
            # a range still to come: "see Exercises 5 – 7" inside item 9 is its text
            and (current is None or current.key[-1:] < (int(m.group(1)),))
        ):
            # the givens a "Using:" paragraph introduced belong to the instruction, not to the item before it
            preamble = loose
            if current is not None and current.colon_at is not None:
                preamble = [q for q in current.question[current.colon_at :] if q]  # as one paragraph
                del current.question[current.colon_at :]
            close()
            group, in_group = [int(m.group(1)), int(m.group(2)), section, [*preamble, line]], True
            continue
        if (m := EXERCISE_SET.match(line)) and nxt and (first_item := BARE.match(nxt)) and first_item.group(1) == "1":
            chapter, section = int(m.group(1)), (int(m.group(1)), int(m.group(2)))
            in_exercises, region = True, "exercises"
            close()
            continue
        label = None
        m = LABELLED.match(line)
        if m and not (m.group(2) is None and not (m.group(3) or m.group(4)) and nxt and nxt[:1].islower()):
            kind = m.group(1).title() if " " in m.group(1) else m.group(1).capitalize()
            number = m.group(2)
            if number and number.isdigit() is False and not re.fullmatch(r"\d+(\.\d+)*", number):
                number = None
            if number:
                full = _number(number)
                key = ((chapter,) if chapter is not None and len(full) == 1 else ()) + full
                key = (section + full) if len(full) == 1 and section else key
                key = ((kind,) if kind in NAMESPACED else ()) + key
                label = f"{kind} {number}"
            else:
                unlabelled += 1
                key, label = ("unnumbered", unlabelled), kind
            text = m.group(3) or m.group(4)
            keyable = bool(number) and kind != "Example"  # worked examples carry their own solution
            if kind == "Example":
                in_exercises = False
        elif (
            (m := MULTI.match(line))
            and (in_exercises or profile == "question_bank")
            and (len(_number(m.group(1))) >= 3 or region in ("solved problems", "supplementary problems"))
        ):
            full = _number(m.group(1))
            key, label, text, keyable = full, m.group(1), m.group(2), True
        elif (
            (m := BARE.match(line))
            and (in_exercises or profile == "question_bank")
            # "1) y = 2 sin(3x)" under item "331." is a list inside its question, not item 1
            and not (
                current is not None
                and current.mark not in ("", line[len(m.group(1))])
                and current.key[-1:] >= (int(m.group(1)),)
            )
            and (
                first
                or current is None
                or part == "answer"
                or current.options
                or not line[len(m.group(1)) + 1 :].strip()[:1].islower()
                or current.key[-1:] == (int(m.group(1)) - 1,)  # "28. f(x) = ex" right after item 27
            )
        ):
            key = (
                section + (int(m.group(1)),)
                if section
                else ((chapter,) if chapter is not None else ()) + (int(m.group(1)),)
            )
            label = f"{'.'.join(map(str, section)) + '.' if section else ''}{m.group(1)}"
            text, keyable = m.group(2), True
        if label is not None:
            in_group, loose = False, []
            number = int(re.split(r"[.)]", line.split()[0])[-2] or 0) if line[:1].isdigit() else None
            current = Item(
                label,
                key,
                (chapter, key[-1]) if chapter is not None and keyable else None,
                keyable,
                page,
                p,
                indents[p],
            )
            current.region = region if in_exercises else ""
            if m.re is BARE:
                current.mark = line[len(m.group(1))]
            if group and number is not None and group[2] == section and group[0] <= number <= group[1]:
                instruction = _join(group[3])
                current.instruction = instruction[:1].upper() + instruction[1:]
            if text and (ans := INLINE_ANS.search(text)):  # "... of (6, 8). Ans. 10"
                text, current.answer, current.answer_page = text[: ans.start()], [text[ans.end() :]], page
                current.rule = "inline_answer"
            if text:
                current.question.append(text.strip())
            items.append(current)
            part = "answer" if current.answer else "question"
            if section:
                max_item_section = max(max_item_section, section)
            continue
        if current is None:
            if in_group:
                group[3].append(line)
            elif loose or (first and line.endswith(":")):
                loose.append(line)
            continue
        alone = n + 1 == len(lines) or lines[n + 1][2]  # a paragraph of one line
        if AFTERWORD.match(line) or (first and alone and part == "answer" and current.answer and _is_heading(line)):
            close()  # the example is over: commentary, or the next subsection's heading
            continue
        if first and part == "answer" and current.answer and current.label in ONE_PARAGRAPH_ANSWERS:
            close()  # "Check Your Learning ... Answer: 58.44 amu" closes its example; the body goes on
            continue
        current.last_page = page  # every line from here on is the item's
        if part == "answer" and current.answer and (END_MARK.match(line) or END_TRAIL.search(line)):
            # a tombstone always ends the example; a period (a display formula's) only when nothing continues it
            tombstone = line[-1] in "■□∎◼" or line.lower().replace(".", "") == "qed"
            # ... and never inside a proof the book closes with a mark (a "Proof." line in the solution) or in an
            # example set off by its indent (it ends where the indent does)
            held_open = current.indent >= 6 or any(a.startswith(("Proof.", "Proof:", "PROOF")) for a in current.answer)
            if tombstone or nxt is None or (NEW_SENTENCE.match(nxt) and not SOLUTION.match(nxt) and not held_open):
                if not END_MARK.match(line):  # the line's own text, without the mark
                    current.answer.append(END_TRAIL.sub("." if line.endswith(".") else "", line))
                elif line == ".":
                    current.answer[-1] += "."
                close()
                continue
        # "Proof." inside an exercise is the problem's own text (a proof to find the flaw in), not its answer
        proof_to_check = current.keyable and current.region != "" and line[:5] in ("Proof", "PROOF")
        if (m := SOLUTION.match(line)) and not proof_to_check:
            heading, rest = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            heading = heading.lower()
            heading = {"sol": "solution", "soln": "solution"}.get(heading, heading)
            if part != "answer" or heading in ("solution", "answer", "ans"):
                rule = {"answer": "inline_answer", "ans": "inline_answer", "hint": "inline_hint"}.get(
                    heading, "inline_solution"
                )
                if current.rule in ("", "inline_hint") or not current.answer:
                    current.answer, current.answer_page, current.rule = [], page, rule
                elif part == "answer" and heading == "solution":  # the solution after a "Strategy"
                    current.answer.append("")
                part = "answer"
                if rest.strip():
                    current.answer.append(rest.strip())
                if rest.rstrip()[-1:] in ("■", "□", "∎", "◼"):  # a one-line proof with its tombstone
                    current.answer[-1] = END_TRAIL.sub("", current.answer[-1])
                    close()
                continue
        if part == "question" and (m := INLINE_ANS.search(line)):  # "... (6, 8). Ans. 10"
            current.question.append(line[: m.start()])
            current.answer, current.answer_page, current.rule = [line[m.end() :]], page, "inline_answer"
            part = "answer"
            continue
        # Schaum's solved problems: the statement is the first paragraph, the solution the ones after it
        if first and part == "question" and current.question and current.region == "solved problems":
            current.answer, current.answer_page, current.rule = [line], page, "inline_solution"
            part = "answer"
            continue
        if (
            part != "answer"
            and (m := OPTION.match(line))
            and (line[0] not in "(abcdeABCDE" or current.options or MARK.search(line))
        ):
            if not current.options:
                current.options = _lettered_before(current.question, line)
            current.options.append([m.group(1).strip()])
            part = "option"
            continue
        if first and part != "answer" and current.question and not current.options:
            if part == "question" and line.endswith(":") and current.colon_at is None:
                current.colon_at = len(current.question)
            current.question.append("")  # a paragraph break inside the question
        if part == "answer":
            current.answer.append(line)
        elif part == "option":
            current.options[-1].append(line)
        else:
            current.question.append(line)

    # one number twice in a section (a "Homework" list restarting at 1 next to the "Exercises"): the key
    # belongs to the exercises; with no such tie-breaker it belongs to neither
    by_key: dict[tuple, list[Item]] = {}
    for item in items:
        if item.keyable:
            by_key.setdefault(item.key, []).append(item)
    for same in by_key.values():
        if len(same) > 1:
            preferred = [i for i in same if i.region == "exercises"]
            for i in same:
                i.keyable = len(preferred) == 1 and i is preferred[0]
    chunks = chunk_paragraphs(paragraphs, chunk_tokens)
    pairs = []
    for item in items:
        question, answer = _finish_item(item)
        if question and item.instruction:
            question = item.instruction + "\n" + question
        rule, answer_page = item.rule, item.answer_page
        if item.options and answer and not item.answer:
            rule, answer_page = "marked_option", item.page
        if NO_ANSWER.match(answer):
            answer, rule = "", ""
        if (not answer or rule == "inline_hint") and item.keyable:
            entry = keys.get(item.key)
            if entry is None and item.chapter_key:
                entry = keys.get(item.chapter_key)
                entry = entry if entry is not None and entry.chapter_only else None
            if entry is not None and entry.text and not NO_ANSWER.match(_join(entry.text)):
                if not (entry.hint and answer):
                    answer, answer_page = _join(entry.text), entry.page
                    rule = "key_hint" if entry.hint else "key_solution"
        if not question:
            continue
        multi_step = rule == "inline_solution" and len(SENTENCE_END.findall(answer)) >= 2
        pairs.append(
            {
                "question": question,
                "answer": answer,
                "label": item.label,
                "rule": rule or "none",
                "profile": profile,
                "standard": "high" if multi_step else "low",
                "pages": sorted({q for q in (item.page, item.last_page, answer_page) if q is not None}),
                "chunk": next(c for c, (a, b) in enumerate(chunks) if a <= item.paragraph < b),
            }
        )
    return pairs


class RulesQAExtractor(PipelineStep):
    """Book documents in, one document per QA pair out (`text` = question, answer etc. in metadata).

    `profile` is `auto`, `textbook` or `question_bank`; a book's `metadata.profile` (from the reader's
    `profiles` map) wins over it."""

    name = "extract"
    type = "✂️ - EXTRACT"

    def __init__(self, chunk_tokens: int = 4096, exclusion_writer=None, profile: str = "auto"):
        super().__init__()
        self.chunk_tokens = chunk_tokens
        self.exclusion_writer = exclusion_writer
        self.profile = profile

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        with self.exclusion_writer or contextlib.nullcontext() as writer:
            for book in data:
                self.stat_update(StatHints.total)
                with self.track_time():
                    pairs = extract_pairs(
                        book.text.split("\n\n"),
                        book.metadata.get("paragraph_pages"),
                        self.chunk_tokens,
                        book.metadata.get("paragraph_indents"),
                        book.metadata.get("profile") or self.profile,
                    )
                if not pairs:
                    self.stat_update(StatHints.dropped, "dropped_no_qa")
                    if writer:
                        book.metadata["filter_reason"] = "no_qa"
                        writer.write(book, rank)
                    continue
                self.stat_update(StatHints.forwarded)
                for n, pair in enumerate(pairs):
                    self.stat_update("produced", f"rule_{pair['rule']}")
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
