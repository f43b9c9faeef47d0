"""math_web extraction on real math pages no rule was written against: public HTML from Debian and npm packages.

`extract_math_text` was tuned on the 12 llm-webkit pages (bench/math_web_real.py). This bench scores it on HTML
documentation and renderer test pages that ship inside packages, with a ground truth read from each page's own
source, next to resiliparse alone and trafilatura alone, and times it against resiliparse alone.

Fetching the pages (nothing here downloads; the script reads DIR and stops with a message if it is missing):

    REPO=$PWD  # this checkout
    mkdir -p /tmp/unseen_web && cd /tmp/unseen_web
    apt-get download libeigen3-doc=3.4.0-4 python-scipy-doc=1.10.1-2 python-sympy-doc=1.11.1-1 \
        libjs-asciimathml=2.0.2-5                   # Debian 12 (bookworm) main
    for p in libeigen3-doc python-scipy-doc python-sympy-doc libjs-asciimathml; do dpkg-deb -x ${p}_*.deb $p; done
    npm pack mathjax@2.7.9 katex@0.16.11
    mkdir mathjax katex && tar xzf mathjax-2.7.9.tgz -C mathjax && tar xzf katex-0.16.11.tgz -C katex
    # SymPy's reStructuredText sources (in python-sympy-doc) written as pandoc writes math in HTML
    pip download --no-deps pypandoc_binary==1.17 -d . && unzip -q pypandoc_binary-1.17-*.whl -d pandoc-bin
    src=python-sympy-doc/usr/share/doc/python-sympy-doc/html/_sources
    for mode in mathml webtex katex mathjax; do mkdir -p pandoc-sympy/$mode
        for f in $(grep -rlE ':math:|\\.\\. math::' $src | sort); do n=$(echo ${f#$src/} | tr / _)
            pandoc-bin/pypandoc/files/pandoc -f rst -t html5 -s --$mode $f -o pandoc-sympy/$mode/${n%.rst.txt}.html
        done; done
    mkdir -p pandoc-sympy/mathml-notex && for f in pandoc-sympy/mathml/*.html; do
        perl -0pe 's#<annotation encoding="application/x-tex">.*?</annotation>##gs' $f \
            > pandoc-sympy/mathml-notex/${f##*/}
    done
    # and as pages that render their math on the server (node 20): KaTeX, and MathJax 3 with assistive MathML
    npm install --prefix mj3 mathjax-full@3.2.2 && mkdir -p pandoc-sympy/katex-rendered pandoc-sympy/mathjax3-rendered
    node $REPO/bench/prerender/katex.js katex/package/dist/katex.js pandoc-sympy/katex pandoc-sympy/katex-rendered
    node $REPO/bench/prerender/mathjax3.js mj3/node_modules/mathjax-full pandoc-sympy/mathjax \
        pandoc-sympy/mathjax3-rendered

Sources and sampling (`SOURCES`): every `*.html` under the source's folder, sorted by relative path, that holds at
least one ground-truth formula; Doxygen, scipy and sympy are sampled with `random.Random(0).sample(pages, k)` (a
fresh Random(0) per source), the small renderer test sets are taken whole.

- doxygen-mathjax: Eigen 3.4 reference (Doxygen with USE_MATHJAX): raw `\\( … \\)` in text, `\\[ … \\]` in
  `<p class="formulaDsp">`, typeset in the browser by MathJax 2.
- sphinx-mathjax: SciPy 1.10 reference (sphinx.ext.mathjax): `<span class="math notranslate nohighlight">\\(…\\)`
  and `<div class="math notranslate nohighlight">\\[…\\]`.
- sphinx-imgmath: SymPy 1.11 docs (sphinx.ext.imgmath): `<img class="math" alt="TeX">` inline, `<div class="math">
  <p><img alt="TeX">` display (no class on the image).
- mathjax2-tests / katex-autorender: the renderers' own test pages: raw TeX between the delimiters the page
  configures, `script type=math/tex`, MathML with and without a TeX annotation, ASCIIMath backticks.
- asciimathml: ASCIIMathML 2.0 docs and examples: ASCIIMath between backticks (no TeX truth: counted).
- katex-rendered / mathjax3-rendered: the same sources rendered on the server (bench/prerender/): KaTeX's HTML with
  its MathML and TeX annotation; MathJax 3's `mjx-container` with assistive MathML and no TeX (counted).
- pandoc-mathml / pandoc-webtex / pandoc-mathml-notex: the SymPy sources with math, as pandoc 3.9 writes them:
  MathML with a TeX annotation; `<img class="math inline" src="https://latex.codecogs.com/png.latex?…" alt="TeX">`;
  the same MathML with its annotations removed (no TeX truth: counted). Same docs as sphinx-imgmath, other markup.

Ground truth, read from the raw page as the page's renderer would: `script type=math/tex` contents; MathML
`<annotation encoding="application/x-tex">`; formula image alt texts (Doxygen `formulaInl`/`formulaDsp`, Sphinx
`_images/math/` images, pandoc's `class="math …"` images; `$`, `\\[`, `\\]` stripped); then, in the text left once
script, style, pre, code, textarea, noscript, math and comments are dropped and tags removed: `\\[…\\]`, `\\(…\\)`,
`$$…$$`, `\\begin{equation|align|gather|alignat}…\\end{…}`, and `$…$` where the page configures single dollars.
Spans with >= 3 non-space characters count; one is kept when it occurs in the output with all whitespace removed (as
bench/math_web_real.py). "as $" also asks that it sit inside a `$…$`/`$$…$$` span of the output (marked as math for
a reader that only knows dollars). MathML without annotation and ASCIIMath have no TeX truth: such a formula counts
as kept while the output has more non-empty `$…$` spans than the page's TeX-truth spans it marked as `$` (a count,
not a match).

Usage: python bench/math_web_unseen.py [--pages /tmp/unseen_web] [--repeats 5] [--lost 40] [--shard-pages 1000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from math_web_real import (  # noqa: E402  (the same baselines and step runner)
    REAL,
    all_pages,
    interleaved_best,
    resiliparse_alone,
    shard_of,
    step_runner,
    trafilatura_alone,
    train_rows,
)

# kind: (folder under --pages, folder inside it, sample size or None for all, cheap substring a page must hold)
SOURCES = {
    "doxygen-mathjax": ("libeigen3-doc", "usr/share/doc/libeigen3-dev/html", 20, "\\"),
    "sphinx-mathjax": ("python-scipy-doc", "usr/share/doc/python-scipy-doc/html", 25, 'class="math'),
    "sphinx-imgmath": ("python-sympy-doc", "usr/share/doc/python-sympy-doc/html", 25, "_images/math/"),
    "mathjax2-tests": ("mathjax", "package/test", None, ""),
    "katex-autorender": ("katex", "package/contrib", None, ""),
    "asciimathml": ("libjs-asciimathml", "usr/share/doc/libjs-asciimathml", None, "`"),
    "pandoc-mathml": ("pandoc-sympy", "mathml", None, ""),
    "pandoc-webtex": ("pandoc-sympy", "webtex", None, ""),
    "pandoc-mathml-notex": ("pandoc-sympy", "mathml-notex", None, ""),
    "katex-rendered": ("pandoc-sympy", "katex-rendered", None, ""),
    "mathjax3-rendered": ("pandoc-sympy", "mathjax3-rendered", None, ""),
}
SEED = 0

_DROP = re.compile(r"<(script|style|textarea|pre|code|noscript)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MATH_SCRIPT = re.compile(r"<script\b[^>]*type\s*=\s*[\"']?math/tex[^>]*>(.*?)</script\s*>", re.S | re.I)
_MATHML = re.compile(r"<math\b.*?</math\s*>", re.S | re.I)
_ANNOTATION = re.compile(
    r"<annotation\b[^>]*encoding\s*=\s*[\"']application/x-tex[\"'][^>]*>(.*?)</annotation\s*>", re.S | re.I
)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>")  # as a browser reads a tag: `<#1>` is text
_ENV = r"\\begin\{(equation|align|gather|alignat)(\*?)\}.*?\\end\{\1\2\}"
_DELIMS = re.compile(rf"\\\[(.+?)\\\]|\\\((.+?)\\\)|\$\$(.+?)\$\$|({_ENV})", re.S)
_DELIMS_DOLLAR = re.compile(rf"\\\[(.+?)\\\]|\\\((.+?)\\\)|\$\$(.+?)\$\$|({_ENV})|(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_SINGLE_DOLLAR = re.compile(r"""\[\s*['"]\$['"]\s*,\s*['"]\$['"]\s*\]|left:\s*['"]\$['"]\s*,\s*right:\s*['"]\$['"]""")
_ASCIIMATH = re.compile(r"asciimathml\.js|input/asciimath|\bam_", re.I)
_BACKTICKS = re.compile(r"`([^`]+)`")
_OUT_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def _flat(text: str) -> str:
    return "".join(text.split())


def truth(html: str) -> tuple[list[str], int]:
    """(TeX spans of >= 3 non-space characters, whitespace removed; formulas with no TeX truth) of a raw page."""
    spans = [unescape(m.group(1)) for m in _MATH_SCRIPT.finditer(html)]
    untexed = 0
    for m in _MATHML.finditer(html):
        annotation = _ANNOTATION.search(m.group(0))
        if annotation:
            spans.append(unescape(annotation.group(1)))
        else:
            untexed += 1
    for m in _IMG.finditer(html):
        attrs = {a.group(1).lower(): a.group(2) or a.group(3) or a.group(4) or "" for a in _ATTR.finditer(m.group(0))}
        classes = attrs.get("class", "")
        if "formula" in classes or "math" in classes.split() or "_images/math/" in attrs.get("src", ""):
            alt = unescape(attrs.get("alt", "")).strip()
            spans.append(alt.strip("$").removeprefix("\\[").removesuffix("\\]"))
    text = _TAG.sub("", _MATHML.sub("", _DROP.sub("", _COMMENT.sub("", html))))
    text = unescape(text)
    delims = _DELIMS_DOLLAR if _SINGLE_DOLLAR.search(html) else _DELIMS
    spans += [next(g for g in m.groups() if g is not None) for m in delims.finditer(text)]
    if _ASCIIMATH.search(html):
        untexed += sum(1 for m in _BACKTICKS.finditer(text) if m.group(1).strip())
    flat = (_flat(s) for s in spans)
    return [s for s in flat if len(s) >= 3], untexed


def load_pages(root: Path) -> dict[str, list[tuple[str, str, list[str], int]]]:
    """kind -> [(relative path, html, TeX spans, formulas without TeX truth)], sampled as the docstring says."""
    missing = [folder for folder, *_ in SOURCES.values() if not (root / folder).is_dir()]
    if missing:
        sys.exit(f"pages missing under {root}: {', '.join(missing)}; fetch them as this script's docstring says")
    kinds = {}
    for kind, (folder, inner, k, needle) in SOURCES.items():
        base = root / folder / inner
        pages = []
        for path in sorted(base.rglob("*.html"), key=lambda p: str(p.relative_to(base))):
            html = path.read_text(encoding="utf-8", errors="replace")
            if needle not in html:
                continue
            spans, untexed = truth(html)
            if spans or untexed:
                pages.append((f"{folder}/{path.relative_to(base)}", html, spans, untexed))
        if k is not None and len(pages) > k:
            pages = random.Random(SEED).sample(pages, k)
        kinds[kind] = pages
    return kinds


def score(out: str, spans: list[str], untexed: int) -> tuple[list[bool], list[bool], int]:
    """(kept per span, kept inside a `$` span per span, formulas without TeX truth counted as kept)."""
    flat = _flat(out)
    dollars = [_flat(m.group(1) or m.group(2) or "") for m in _OUT_SPAN.finditer(out)]
    dollars = [d for d in dollars if d]
    kept = [s in flat for s in spans]
    as_dollar = [any(s in d for d in dollars) for s in spans]
    return kept, as_dollar, min(untexed, max(0, len(dollars) - sum(as_dollar)))


def section_retention(kinds: dict, extractors: dict, lost_sample: int) -> None:
    print("\n## TeX spans kept (overall / mean per page; pages without TeX truth left out of the mean)\n")
    print(
        "| kind | pages | spans | extractor | kept overall | kept mean/page | as `$` overall | no-TeX formulas kept |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    lost = []
    for kind, pages in [*kinds.items(), ("all", [p for ps in kinds.values() for p in ps])]:
        n_spans, n_untexed = sum(len(p[2]) for p in pages), sum(p[3] for p in pages)
        for label, fn in extractors.items():
            kept = dollar = counted = 0
            per_page = []
            for name, html, spans, untexed in pages:
                k, d, c = score(fn(html), spans, untexed)
                kept, dollar, counted = kept + sum(k), dollar + sum(d), counted + c
                if spans:
                    per_page.append(sum(k) / len(spans))
                if label == "ours" and kind != "all":
                    lost += [(kind, name, s) for s, ok in zip(spans, k) if not ok]
            overall = f"{kept / n_spans:.3f}" if n_spans else "-"
            mean = f"{sum(per_page) / len(per_page):.3f}" if per_page else "-"
            as_dollar = f"{dollar / n_spans:.3f}" if n_spans else "-"
            untexed = f"{counted}/{n_untexed}" if n_untexed else "-"
            row = f"| {kind} | {len(pages)} | {n_spans} | {label} | {overall} | {mean} | {as_dollar} | {untexed} |"
            print(row)
    print(
        f"\n## Spans ours lost: {len(lost)}"
        + (f" (a Random({SEED}) sample of {lost_sample})" if len(lost) > lost_sample else "")
    )
    per_page = Counter(f"{kind} `{name}`" for kind, name, _ in lost)
    print("per page: " + ", ".join(f"{page} {n}" for page, n in per_page.most_common()) + "\n")
    shown = random.Random(SEED).sample(lost, lost_sample) if len(lost) > lost_sample else lost
    for kind, name, span in sorted(shown):
        print(f"- {kind} `{name}`: `{span[:120]}`")


def section_speed(kinds: dict, repeats: int) -> None:
    """pages/s per core (process CPU time) of ours vs resiliparse alone, best of `repeats`, interleaved."""
    from filters.web.math_extract import extract_math_text

    fns = {"resiliparse alone": resiliparse_alone, "ours": extract_math_text}
    best = {(kind, label): float("inf") for kind in [*kinds, "all"] for label in fns}
    for _ in range(repeats):
        total = dict.fromkeys(fns, 0.0)
        for kind, pages in kinds.items():
            for label, fn in fns.items():
                cpu = time.process_time()
                for _, html, _, _ in pages:
                    fn(html)
                cpu = time.process_time() - cpu
                best[kind, label] = min(best[kind, label], cpu)
                total[label] += cpu
        for label in fns:
            best["all", label] = min(best["all", label], total[label])
    print(f"\n## Extraction speed (pages/s per core, CPU time, best of {repeats} interleaved)\n")
    print("| kind | pages | MB | resiliparse alone | ours | ours / resiliparse |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in [*kinds, "all"]:
        pages = [p for ps in kinds.values() for p in ps] if kind == "all" else kinds[kind]
        size = sum(len(p[1]) for p in pages) / 1e6
        base, ours = len(pages) / best[kind, "resiliparse alone"], len(pages) / best[kind, "ours"]
        print(f"| {kind} | {len(pages)} | {size:.1f} | {base:.0f} | {ours:.0f} | {ours / base:.2f}x |")


def section_filter_stage(kinds: dict, repeats: int, shard_pages: int) -> None:
    """The datatrove steps on a shard of all these pages, with the classifier `train-classifier` makes from the
    labelled real pages (../shared/realdata/web): every page here is a math page, so language ID passes most and
    the classifier reads every text, unlike the mixed real set."""
    import tempfile

    from factory.train_classifier import TrainParams, resolve_preset, train
    from filters.web.language import FastTextLanguageFilter, default_lid_model_path
    from filters.web.math_classifier import MathClassifierFilter
    from filters.web.math_extract import MathHtmlExtractor

    if not REAL.is_dir():
        print(f"\n(filter stage skipped: no real pages at {REAL} to train the classifier on)")
        return
    rows = train_rows(all_pages())
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "real.bin"
        train(rows, model, resolve_preset(TrainParams(preset="auto", held_out=0.0), len(rows)))
        extract = MathHtmlExtractor(timeout=60)
        language = FastTextLanguageFilter(str(default_lid_model_path()), ["en"], 0.65)
        classifier = MathClassifierFilter(str(model), 0.4)
        _ = language.model, classifier.model
        shard = shard_of([html for pages in kinds.values() for _, html, _, _ in pages], shard_pages)
        fns = {
            "resiliparse alone": lambda: [resiliparse_alone(h) for h in shard],
            "extraction, datatrove step": step_runner([extract], shard),
            "filter stage: extract -> language -> classifier": step_runner([extract, language, classifier], shard),
        }
        best = interleaved_best(fns, repeats)
    base = best["resiliparse alone"][0]
    print(f"\n## Datatrove steps on a shard of {len(shard)} pages (CPU time, children included, best of {repeats})\n")
    print("| | pages/s | x resiliparse alone |\n|---|---:|---:|")
    for label, (cpu, _) in best.items():
        print(f"| {label} | {len(shard) / cpu:.0f} | {base / cpu:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=Path("/tmp/unseen_web"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lost", type=int, default=40, help="lost spans listed (a seeded sample when more)")
    parser.add_argument("--shard-pages", type=int, default=1000, help="pages in the filter stage's shard run")
    args = parser.parse_args()
    from filters.web.math_extract import extract_math_text

    kinds = load_pages(args.pages)
    for kind, pages in kinds.items():
        n_spans, n_untexed = sum(len(p[2]) for p in pages), sum(p[3] for p in pages)
        print(f"{kind}: {len(pages)} pages, {n_spans} TeX spans, {n_untexed} formulas without TeX truth")
    extractors = {
        "resiliparse alone": resiliparse_alone,
        "trafilatura alone": trafilatura_alone,
        "ours": extract_math_text,
    }
    section_retention(kinds, extractors, args.lost)
    section_speed(kinds, args.repeats)
    section_filter_stage(kinds, args.repeats, args.shard_pages)


if __name__ == "__main__":
    main()
