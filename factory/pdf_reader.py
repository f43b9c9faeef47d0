"""Textbook PDFs -> one document per book: paragraphs with their page numbers and indentation (pymupdf).

Per page, pymupdf's text blocks (no images) are put in reading order from their geometry (two-column
pages column by column, display math left in place), then running headers and footers are dropped:
page numbers, and any text repeated at the same place in the top or bottom band of nearby pages (so
headers that change per chapter or section go too). Words hyphenated across lines (ASCII or Unicode
hyphens) are joined and ligature glyphs spelled out. Lines keep their breaks inside a paragraph, so
display math and option lists survive for the extractor.

A heading drawn in a font without a Unicode map (a small-caps "Solution" that reads `SÊ½çã®ÊÄ`) is found from its
spans: a short bold line at body size, mostly Latin-1-supplement or private-use glyphs, first in its block, right
after an `Example`; it becomes the generic heading `Solution`. Only such lines are looked at span by span, so the
reader stays at the speed of plain `get_text()`.

Quarantined, each with its reason: `empty_file`, `not_pdf`, `truncated_pdf`, `corrupt_pdf`,
`encrypted_pdf`, `needs_ocr` (no text layer) and `garbled_text` (a text layer whose glyphs are mostly
private-use, Coptic or replacement characters: a font without a usable Unicode map).
"""

from __future__ import annotations

import fnmatch
import gc
import re
from bisect import bisect_right
from operator import itemgetter

import pymupdf
from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader

from factory.readers import error_document

MIN_CHARS_PER_PAGE = 20  # less text than this on a page: a scan
BAND = 0.1  # share of the page height at the top and bottom where running headers and footers sit
GARBLED_SHARE = 0.01  # unexpected glyphs per printed character above which a page's text layer is garbled
BAD_PAGES_SHARE = 0.5  # a book with more garbled (or image-only) pages than this is quarantined whole

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?[#ivxlc]+$|^[a-z]?[.\-–]?#$|^#\s*(of|/)\s*#$", re.I)
# word-[hyphen]-newline-lowercase: ASCII hyphen, U+2010 hyphen, U+2011 non-breaking hyphen, soft hyphen
# (the hyphen first and the letter before it as a lookbehind: the scan jumps from hyphen to hyphen, 8x faster)
_HYPHEN_BREAK = re.compile(r"[-\u2010\u2011\u00ad](?<=[^\W\d_].)\n(?=[a-z])")
# private use area, Coptic (digits from private font encodings), replacement character
_UNEXPECTED = re.compile(r"[\ue000-\uf8ff\u2c80-\u2cff\u03e2-\u03ef\ufffd]")
# a run of Latin-1-supplement / private-use glyphs: how a font without a Unicode map often comes out
_ODD_RUN = re.compile(r"[\u00c0-\u00ff\ue000-\uf8ff][\u0080-\u00ff\ue000-\uf8ff]{2}")
_ODD = re.compile(r"[\u0080-\u00ff\ue000-\uf8ff]")
_EXAMPLE = re.compile(r"^\W{0,2}(Example|EXAMPLE)\b", re.M)
EXAMPLE_REACH = 60  # paragraphs (figure labels count) from an example's label to its solution heading at most
UNMAPPED_HEADING = "Solution"  # what an unmapped bold heading right after an example stands for
# ligature glyphs; Ɵ/Ō/Ʃ are how fonts with "ti"/"ft"/"tt" ligatures often come out of a text layer
# control codes are glyphs the font left unmapped (a "=" or a bracket piece): shown as U+FFFD, not dropped
LIGATURES = {
    "ﬀ": "ff",
    "ﬁ": "fi",
    "ﬂ": "fl",
    "ﬃ": "ffi",
    "ﬄ": "ffl",
    "ﬅ": "ft",
    "ﬆ": "st",
    "Ɵ": "ti",
    "Ō": "ft",
    "Ʃ": "tt",
}
_SPELL_OUT = re.compile(f"[{''.join(LIGATURES)}\x00-\x08\x0b-\x1f\x7f-\x9f]")  # a regex scan beats str.translate


def _spell_out(match: re.Match) -> str:
    return LIGATURES.get(match.group(), "\ufffd")


def _key(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.split()).lower())


def _continues(a: tuple, b: tuple) -> bool:
    """Whether block `b` starts where block `a` ends, on its line: the tail of a line split into blocks at a glyph
    (a radical, a fraction, a binomial's brackets)."""
    return abs(b[0] - a[2]) <= 2 and a[1] < b[3] and b[1] < a[3] + (a[3] - a[1])


def _tails_in_place(blocks: list) -> list:
    """Content-stream order, except a block that the stream puts after text below it and that starts where an
    earlier block ends, on its line: it goes after that block."""
    out = []
    for b in blocks:
        if out and b[3] <= out[-1][1]:  # entirely above the block before it
            for k in range(len(out) - 1, -1, -1):
                if _continues(out[k], b):
                    out.insert(k + 1, b)
                    break
            else:
                out.append(b)
        else:
            out.append(b)
    return out


def order_blocks(blocks: list, width: float) -> list:
    """Reading order from geometry: on a page with a left and a right column of text, each column top to bottom
    between full-width blocks; otherwise the content-stream order, which typesetters emit in reading order
    (sorting by position would interleave side-by-side pieces of display math)."""
    mid, wide = width / 2, 0.12 * width
    # a column holds lines of text: a lone glyph left of the middle (a radical sign before "2 is irrational")
    # and a line's tail right of it are not two columns, nor is a short line on either side
    lines = [0, 0]  # lines of text (blocks wider than a glyph or two) in each column
    for i, b in enumerate(blocks):
        if b[2] - b[0] >= wide and (b[2] <= mid + 6 or b[0] >= mid - 6) and not (i and _continues(blocks[i - 1], b)):
            # lines of prose, not a display formula's pieces ("2" under a fraction bar, "= (k + 2)(k + 1)")
            lines[b[2] > mid + 6] += sum(len(line) >= 20 for line in b[4].split("\n"))
    if min(lines) < 3:
        return _tails_in_place(blocks)
    # the tail of a line (a block starting where the block before it ends) is no column: it stays with its line
    tails = [i > 0 and _continues(blocks[i - 1], b) for i, b in enumerate(blocks)]
    columns = [0 if b[2] <= mid + 6 else 1 if b[0] >= mid - 6 else 2 for b in blocks]
    full = sorted(b[1] for b, c in zip(blocks, columns) if c == 2)
    keys = []
    for i, (b, c) in enumerate(zip(blocks, columns)):
        if tails[i]:  # after its line's head, wherever that went
            keys.append((*keys[-1][:3], i))
            continue
        segment = bisect_right(full, b[1] - 1)
        keys.append((2 * segment + 1, 0, i, i) if c == 2 else (2 * segment, c, i, i))
    return [blocks[k[3]] for k in sorted(keys)]


def _page_blocks(page) -> tuple[list[tuple], float, float, object]:
    """(x0, y0, x1, y1, text) of the text blocks of a page, in reading order; the page's width and height; its
    text page, kept only where a heading may need a look at its spans (a run of odd glyphs on the page)."""
    textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)
    blocks = [b for b in textpage.extractBLOCKS() if b[6] == 0 and not b[4].isspace()]
    rect = page.rect
    # a run is never ASCII (a third of the text: skipped); "\n": no run across two blocks
    keep = _ODD_RUN.search("\n".join([b[4] for b in blocks if not b[4].isascii()])) is not None
    return order_blocks(blocks, rect.width), rect.width, rect.height, textpage if keep else None


def _clipped_dict(textpage, clip: tuple) -> dict:
    """`get_text("dict", clip=clip)` from the page's text page, without running the page again: the lines of the
    whole page's dict (public API only) whose box overlaps the clip."""
    x0, y0, x1, y1 = clip
    blocks = []
    for block in textpage.extractDICT()["blocks"]:
        lines = [
            line
            for line in block.get("lines", [])
            if line["bbox"][0] < x1 and line["bbox"][2] > x0 and line["bbox"][1] < y1 and line["bbox"][3] > y0
        ]
        if lines:
            blocks.append({**block, "lines": lines})
    return {"blocks": blocks}


def unmapped_heading(source, block: tuple) -> bool:
    """Whether the block's first line is a short bold heading at body size drawn in a font without a Unicode
    map: most of its glyphs Latin-1-supplement or private-use characters (read from the block's spans, from
    `source`: the page, or its text page, which saves running the page again)."""
    first = block[4].split("\n", 1)[0].strip()
    if not 3 <= len(first) <= 24 or len(_ODD.findall(first)) < 0.6 * len(first.replace(" ", "")):
        return False
    # the block and a few line heights under it: a heading alone in its block is compared with the text below
    x0, y0, x1, y1 = block[:4]
    clip = (x0, y0, max(x1, x0 + 200), y1 + 3 * (y1 - y0))
    found = _clipped_dict(source, clip) if isinstance(source, pymupdf.TextPage) else source.get_text("dict", clip=clip)
    lines = [line for b in found["blocks"] for line in b.get("lines", [])]
    heading, body = [], []
    for line in lines:
        spans = [s for s in line["spans"] if s["text"].strip()]
        inside = line["bbox"][1] >= y0 - 1 and line["bbox"][3] <= y1 + 1
        if inside and "".join(s["text"] for s in spans).strip() == first:
            heading += spans
        else:
            body += [s["size"] for s in spans]
    if not heading or not body:
        return False
    bold = all(s["flags"] & pymupdf.TEXT_FONT_BOLD or "bold" in s["font"].lower() for s in heading)
    return bold and max(s["size"] for s in heading) <= 1.2 * max(body)


def _with_page_number(text: str, p: int) -> bool:
    """A short band block that starts or ends with the page's number ("3.1 Exercises" over "139"): a header that
    names the page's own section, so it need not repeat on other pages."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not 2 <= len(lines) <= 3:
        return False
    return any(
        (end.isdigit() and abs(int(end) - (p + 1)) <= 50) or re.fullmatch(r"[ivxlc]{1,6}", end)
        for end in (lines[0], lines[-1])
    )


def running_blocks(pages: list[list[tuple]], heights: list[float], window: int = 4) -> list[set[int]]:
    """Indices of the header/footer blocks of every page: page numbers in the top or bottom band, and text
    repeated in a band at about the same height on at least two pages within `window` pages (or on half of
    all pages)."""
    seen: dict[tuple[str, int], list[int]] = {}
    candidates = []
    for p, (blocks, height) in enumerate(zip(pages, heights)):
        top, bottom = BAND * height, (1 - BAND) * height
        page_candidates = []
        for i, b in enumerate(blocks):
            if b[3] <= top or b[1] >= bottom:
                key = _key(b[4])
                page_candidates.append((i, key, round(b[1] / 4), _with_page_number(b[4], p)))
                seen.setdefault((key, round(b[1] / 4)), []).append(p)
        candidates.append(page_candidates)
    often = max(3, len(pages) // 2)
    running = []
    for p, page_candidates in enumerate(candidates):
        drop = set()
        for i, key, y, numbered in page_candidates:
            near = seen[(key, y)]
            if (
                _PAGE_NUMBER.match(key)
                or numbered
                or len(near) >= often
                or sum(1 for q in near if q != p and abs(q - p) <= window) >= 2
                or (len(pages) <= 3 and len(near) >= 2)
            ):
                drop.add(i)
        running.append(drop)
    return running


def read_pages(pdf) -> dict:
    """Paragraphs of a book with their pages and indents, plus counts of image-only and garbled pages."""
    # a book's blocks are thousands of tuples in no reference cycle: the cyclic collector would only walk them
    # over and over (2% of the time); cycles made meanwhile are collected once it is back on
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_pages(pdf)
    finally:
        if enabled:
            gc.enable()


def _read_pages(pdf) -> dict:
    pages, widths, heights, textpages = zip(*[_page_blocks(page) for page in pdf])
    running = running_blocks(pages, heights)
    # the body's left margin per page parity: the left edge of the most text (a book whose body sits in a
    # narrower column beside a margin for figures has no wide blocks); indents are measured from it once known
    margins: list[dict[int, int]] = [{}, {}]  # left edge -> characters (Counter's missing keys cost a Python call)
    paragraphs, paragraph_pages, lefts = [], [], []
    image_only, garbled, unexpected, printed_total = 0, 0, 0, 0
    example = None  # paragraph count when the last example without a solution heading started
    # a heading's glyph run confirmed from its spans once is that heading for the rest of the book (a book draws
    # each "Solution" in the same font): its spans are not read again (a whole-page dict, ~0.4 ms each)
    headings: set[str] = set()
    for p, blocks in enumerate(pages):
        parity, drop = p % 2, running[p]
        margin = margins[parity]
        for b in blocks:
            x = round(b[0])
            margin[x] = margin.get(x, 0) + len(b[4])
        kept = [b for i, b in enumerate(blocks) if i not in drop] if drop else blocks
        page_text = "".join([b[4] for b in kept])
        printed = len(page_text) - page_text.count(" ") - page_text.count("\n")
        if printed < MIN_CHARS_PER_PAGE:
            image_only += not blocks
            continue
        bad = 0 if page_text.isascii() else len(_UNEXPECTED.findall(page_text))  # isascii: a flag, no scan
        unexpected, printed_total = unexpected + bad, printed_total + printed
        if bad > GARBLED_SHARE * printed:
            garbled += 1
            continue
        px0 = py1 = -float("inf")  # no block before: -inf is never within 2 points of a left edge
        # the span-level look only where it can matter (a page without a run in any block kept no text page)
        odd_page = textpages[p] is not None and _ODD_RUN.search(page_text) is not None
        for block in kept:
            x0, y0, _x1, y1, text, _n, _t = block
            text = text.strip()
            if (
                odd_page
                and _ODD_RUN.search(first := text.split("\n", 1)[0])
                and example is not None
                and len(paragraphs) - example <= EXAMPLE_REACH
                and (first in headings or unmapped_heading(textpages[p], block))
            ):
                headings.add(first)
                text, example = UNMAPPED_HEADING + text[len(first) :], None
            elif "xample" in text and _EXAMPLE.search(text):
                example = len(paragraphs)
            # a block starting right under the previous one, at the same left edge, continues its paragraph
            if abs(x0 - px0) < 2 and 0 <= y0 - py1 < 0.5 * (y1 - y0) / (text.count("\n") + 1):
                paragraphs[-1] += "\n" + text
            else:
                paragraphs.append(text)
                paragraph_pages.append(p + 1)
                lefts.append(x0)
            px0, py1 = x0, y1
    left = [max(m.items(), key=itemgetter(1))[0] if m else 0 for m in margins]  # ties: the first seen, as Counter
    indents = [max(0, round(x) - left[(page - 1) % 2]) for x, page in zip(lefts, paragraph_pages)]
    text = _HYPHEN_BREAK.sub("", _SPELL_OUT.sub(_spell_out, "\n\n".join(paragraphs)))
    return {
        "text": text,
        "paragraph_pages": paragraph_pages,
        "paragraph_indents": indents,
        "image_only_pages": image_only,
        "garbled_pages": garbled,
        "unexpected_share": unexpected / max(printed_total, 1),
    }


def check_bytes(content: bytes) -> tuple[str, str] | None:
    """A reason and detail for files that cannot be a readable PDF, before pymupdf sees them."""
    if not content:
        return "empty_file", "zero-byte file"
    if b"%PDF-" not in content[:1024]:
        return "not_pdf", f"no %PDF- header; starts with {content[:16]!r}"
    if b"%%EOF" not in content[-2048:]:
        return "truncated_pdf", f"no %%EOF at the end of {len(content)} bytes: the download or copy was cut short"
    return None


class PdfBookReader(BaseDiskReader):
    """One document per PDF: `text` is its paragraphs joined by blank lines (lines inside a paragraph kept);
    `metadata.paragraph_pages` / `paragraph_indents` hold each paragraph's page number and its left indent
    from the body margin in points; `metadata.subject` comes from `subjects` (glob -> subject) or
    `default_subject`; `metadata.profile` from `profiles` (glob -> extractor layout profile), if named."""

    name = "input"

    def __init__(
        self,
        data_folder: str,
        glob_pattern: str | None = None,
        subjects: dict | None = None,
        default_subject: str | None = None,
        profiles: dict | None = None,
    ):
        super().__init__(data_folder, glob_pattern=glob_pattern, add_file_path=False)
        self.subjects = subjects or {}
        self.default_subject = default_subject
        self.profiles = profiles or {}

    @staticmethod
    def _match(mapping: dict, filepath: str, default=None):
        for pattern, value in mapping.items():
            if fnmatch.fnmatch(filepath, pattern) or fnmatch.fnmatch(filepath.rsplit("/", 1)[-1], pattern):
                return value
        return default

    def subject_of(self, filepath: str) -> str | None:
        return self._match(self.subjects, filepath, self.default_subject)

    def _error(self, filepath: str, reason: str, detail: str) -> Document:
        doc = error_document(filepath, reason, detail, filepath)
        doc.metadata["subject"] = self.subject_of(filepath)  # the card lists quarantined books per subject
        return doc

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rb") as f:
            content = f.read()
        if problem := check_bytes(content):
            yield self._error(filepath, *problem)
            return
        try:
            pdf = pymupdf.open(stream=content, filetype="pdf")
        except Exception as e:  # pymupdf raises several types for damaged files
            yield self._error(filepath, "corrupt_pdf", f"{type(e).__name__}: {e}")
            return
        with pdf:
            if pdf.needs_pass and not pdf.authenticate(""):
                yield self._error(filepath, "encrypted_pdf", "password-protected: decrypt it first")
                return
            if pdf.page_count == 0:
                yield self._error(filepath, "corrupt_pdf", "no readable pages")
                return
            try:
                book = read_pages(pdf)
            except Exception as e:
                yield self._error(filepath, "corrupt_pdf", f"{type(e).__name__}: {e}")
                return
            n = pdf.page_count
            if book["garbled_pages"] > BAD_PAGES_SHARE * n:
                yield self._error(
                    filepath,
                    "garbled_text",
                    f"{book['garbled_pages']} of {n} pages have a garbled text layer "
                    f"({book['unexpected_share']:.1%} of the glyphs are unexpected: private-use, Coptic or "
                    "replacement characters from a font without a Unicode map); OCR the PDF instead",
                )
                return
            if not book["paragraph_pages"] or len(book["text"]) < MIN_CHARS_PER_PAGE * n:
                yield self._error(
                    filepath,
                    "needs_ocr",
                    f"{n} pages with {len(book['text'])} characters of text: an image-only PDF needs OCR first",
                )
                return
            yield Document(
                text=book["text"],
                id=filepath,
                metadata={
                    "source": filepath,
                    "subject": self.subject_of(filepath),
                    "profile": self._match(self.profiles, filepath),
                    "pages": n,
                    "paragraph_pages": book["paragraph_pages"],
                    "paragraph_indents": book["paragraph_indents"],
                    "garbled_pages": book["garbled_pages"],
                    "image_only_pages": book["image_only_pages"],
                },
            )
