"""math_web on real pages (../shared/realdata/web): LaTeX kept, extraction and filter-stage speed, classifier AUC.

1. LaTeX retention on the llm-webkit `math_*` pages, scored as realdata/README.md says: ground-truth `$…$` /
   `$$…$$` spans with >= 3 non-space characters, kept when found in the output with all whitespace removed;
   overall and mean per page (pages with no such span left out). Goal >= 0.95 and >= 0.90.
2. Extraction pages/s on one core over every real page (llm-webkit + news), in the same run: resiliparse
   alone (main content), trafilatura alone, ours in process, ours as the sandboxed datatrove step. Goal >= 0.7x.
3. The filter stage (extract -> language ID -> math classifier, as a build runs them) pages/s on one core.
   Goal >= 0.5x resiliparse alone.
4. `train-classifier` on the labelled real pages (math_* vs every other page, news included): AUC on pages
   the model did not see, by k-fold (every page scored once by a model trained without it), plus the
   held-out split the CLI reports.

Usage: python bench/math_web_real.py [--repeats 3] [--folds 4] [--skip-classifier]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "realdata" / "web"
_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


def gt_spans(content: str) -> list[str]:
    spans = ("".join((m.group(1) or m.group(2) or "").split()) for m in _SPAN.finditer(content))
    return [s for s in spans if len(s) >= 3]


def math_pages() -> list[tuple[str, str, list[str]]]:
    pages = []
    for path in sorted((REAL / "llmwebkit" / "origin").glob("math_*.html")):
        row = json.loads((REAL / "llmwebkit" / "groundtruth" / f"{path.stem}.jsonl").read_text().splitlines()[0])
        pages.append((path.stem, path.read_text(encoding="utf-8", errors="replace"), gt_spans(row["content"])))
    return pages


def all_pages() -> list[tuple[str, str, bool]]:
    """(name, html, is_math) for every real HTML page."""
    pages = [
        (p.stem, p.read_text(encoding="utf-8", errors="replace"), p.stem.startswith("math_"))
        for p in sorted((REAL / "llmwebkit" / "origin").glob("*.html"))
    ]
    for p in sorted((REAL / "news").glob("*.html.gz")):
        pages.append((p.name[:12], gzip.decompress(p.read_bytes()).decode("utf-8", errors="replace"), False))
    return pages


def retention(extract, pages) -> tuple[float, float, dict]:
    kept = total = 0
    per_page = {}
    for name, html, spans in pages:
        flat = "".join(extract(html).split())
        k = sum(1 for s in spans if s in flat)
        kept, total = kept + k, total + len(spans)
        if spans:
            per_page[name] = (k, len(spans))
    return kept / total, sum(k / n for k, n in per_page.values()) / len(per_page), per_page


def best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def resiliparse_alone(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True)


def trafilatura_alone(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=True, include_tables=True, deduplicate=False) or ""


def section_retention() -> None:
    from filters.math_extract import extract_math_text

    pages = math_pages()
    print(f"\n## LaTeX spans kept ({len(pages)} math pages, {sum(len(s) for _, _, s in pages)} spans)")
    rows = [
        ("resiliparse alone", resiliparse_alone),
        ("trafilatura alone", trafilatura_alone),
        ("ours, engine resiliparse (default)", extract_math_text),
        ("ours, engine trafilatura", lambda h: extract_math_text(h, engine="trafilatura")),
    ]
    details = {}
    for label, fn in rows:
        overall, mean, details[label] = retention(fn, pages)
        print(f"{label:36s} overall {overall:.3f}  mean per page {mean:.3f}")
    print("per page (ours, resiliparse):", " ".join(f"{n}={k}/{t}" for n, (k, t) in details[rows[2][0]].items()))


def section_speed(pages: list[str], repeats: int) -> float:
    from datatrove.data import Document

    from filters.math_extract import MathHtmlExtractor, extract_math_text

    n, size = len(pages), sum(len(p) for p in pages) / len(pages) / 1000
    print(f"\n## Extraction speed, one core ({n} real pages, mean {size:.0f} K characters)")
    step = MathHtmlExtractor(timeout=60)

    def run_step():
        for _ in step.run(Document(text=html, id=str(i)) for i, html in enumerate(pages)):
            pass

    timings = {
        "resiliparse alone (main content)": best_of(lambda: [resiliparse_alone(p) for p in pages], repeats),
        "trafilatura alone": best_of(lambda: [trafilatura_alone(p) for p in pages], max(1, repeats - 2)),
        "ours in process (pre-pass + resiliparse)": best_of(lambda: [extract_math_text(p) for p in pages], repeats),
        "ours, datatrove step (sandboxed)": best_of(run_step, repeats),
    }
    base = timings["resiliparse alone (main content)"]
    for label, t in timings.items():
        print(f"{label:42s} {n / t:7.1f} pages/s  {base / t:5.2f}x resiliparse")
    return n / base


def train_rows(pages) -> list[tuple[str, bool]]:
    from filters.math_extract import extract_math_text

    return [(extract_math_text(html), is_math) for _, html, is_math in pages]


def section_classifier(rows, folds: int, workdir: Path) -> Path:
    from factory.train_classifier import TrainParams, auc, model_scores, resolve_preset, train

    print(f"\n## train-classifier on the labelled real pages ({sum(y for _, y in rows)} math, "
          f"{sum(not y for _, y in rows)} other incl. news)")  # fmt: skip
    rows = [r for r in rows if r[0].strip()]
    scores, labels = [], []
    for fold in range(folds):
        test = [r for i, r in enumerate(rows) if i % folds == fold]
        train_docs = [r for i, r in enumerate(rows) if i % folds != fold]
        path = workdir / f"fold{fold}.bin"
        train(train_docs, path, resolve_preset(TrainParams(preset="auto", held_out=0.0), len(train_docs)))
        scores += model_scores(path, [t for t, _ in test])
        labels += [y for _, y in test]
    print(f"{folds}-fold AUC on unseen pages (CLI defaults, preset small): {auc(scores, labels):.3f}")
    path = workdir / "real.bin"
    card = train(rows, path, resolve_preset(TrainParams(preset="auto", held_out=0.3), len(rows)))
    m = card["held_out"]
    print(
        f"CLI-style 30% held-out ({m['documents']} pages)              : AUC {m['auc']:.3f}, at threshold "
        f"{m['threshold']:.3f}: precision {m['precision']:.3f} recall {m['recall']:.3f} F1 {m['f1']:.3f}"
    )
    return path


def section_filter_stage(pages, model: Path, repeats: int, resiliparse_rate: float) -> None:
    from datatrove.data import Document

    from filters.language import FastTextLanguageFilter, default_lid_model_path
    from filters.math_classifier import MathClassifierFilter
    from filters.math_extract import MathHtmlExtractor

    extract = MathHtmlExtractor(timeout=60)
    language = FastTextLanguageFilter(str(default_lid_model_path()), ["en"], 0.65)
    classifier = MathClassifierFilter(str(model), 0.4)
    _ = language.model, classifier.model  # loaded once per worker, as in a build

    def run():
        docs = (Document(text=html, id=str(i)) for i, html in enumerate(pages))
        for _ in classifier.run(language.run(extract.run(docs))):
            pass

    rate = len(pages) / best_of(run, repeats)
    print("\n## Filter stage (extract -> language -> classifier), one core")
    print(f"{rate:.1f} pages/s  = {rate / resiliparse_rate:.2f}x resiliparse alone (goal >= 0.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--skip-classifier", action="store_true")
    args = parser.parse_args()
    if not REAL.is_dir():
        sys.exit(f"no real data at {REAL}")

    section_retention()
    pages = all_pages()
    resiliparse_rate = section_speed([h for _, h, _ in pages], args.repeats)
    if args.skip_classifier:
        return
    with tempfile.TemporaryDirectory() as tmp:
        model = section_classifier(train_rows(pages), args.folds, Path(tmp))
        section_filter_stage([h for _, h, _ in pages], model, args.repeats, resiliparse_rate)


if __name__ == "__main__":
    main()
