"""Math classifier docs/s: our datatrove filter vs raw fastText predict on the same documents (goal >= 0.9x).

Usage: python bench/classifier_throughput.py MODEL.bin [--copies 200]
"""

from __future__ import annotations

import argparse

from _common import best_of, sample_pages
from datatrove.data import Document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--copies", type=int, default=200)
    args = parser.parse_args()

    import fasttext

    from factory.text import megamath_preprocess
    from filters.web.math_classifier import MathClassifierFilter
    from filters.web.math_extract import extract_math_text

    texts = [t for t in (extract_math_text(p) for p in sample_pages()) if t] * args.copies
    model = fasttext.load_model(args.model)
    one_line = [" ".join(t.split()) for t in texts]

    def raw_predict():
        model.predict(one_line, k=2)

    def raw_preprocess_and_predict():
        model.predict([megamath_preprocess(t) for t in texts], k=2)

    step = MathClassifierFilter(args.model, threshold=0.4)
    _ = step.model  # load outside the timing, as raw fastText is

    def ours():
        docs = (Document(text=t, id=str(i)) for i, t in enumerate(texts))
        for _ in step.run(docs):
            pass

    n = len(texts)
    t_raw, t_pre, t_ours = best_of(raw_predict), best_of(raw_preprocess_and_predict), best_of(ours)
    print(f"documents: {n}")
    print(f"raw fasttext.predict (text as is)        : {n / t_raw:10.0f} docs/s")
    print(f"raw MegaMath preprocessing + predict     : {n / t_pre:10.0f} docs/s")
    print(f"MathClassifierFilter (datatrove step)    : {n / t_ours:10.0f} docs/s")
    print(f"ratio vs raw predict                     : {t_raw / t_ours:.2f}x")
    print(f"ratio vs raw preprocessing + predict     : {t_pre / t_ours:.2f}x  (goal >= 0.9x)")


if __name__ == "__main__":
    main()
