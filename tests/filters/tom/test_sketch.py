import copy

import pytest
from tom_helpers import context, released_style

from filters.tom.sketch import parse_reasons, structure_problems, to_trajectory
from filters.tom.story import dialogue_lines, render_story

ACROSS = "analysis of mental states across scenarios"
PER = "mental states analysis in every scenario"


@pytest.mark.parametrize("scenarios", [2, 4, 5, 7, 8])
def test_rules_sketches_pass(scenarios):
    for index in range(20):
        c = context(scenarios, index)
        assert structure_problems(c["sketch"], scenarios) == []


def _planted(fault):
    c = copy.deepcopy(context(5, 9))
    sketch, across = c["sketch"], c["sketch"][ACROSS]
    if fault == "missing_value":
        del across["Emotion"]["3"]
    elif fault == "extra_key":
        across["Belief"]["6"] = "one scenario too many"
    elif fault == "empty_value":
        across["Intention"]["2"] = "  "
    elif fault == "reasons_count":
        across["Action"]["Reasons"] = "1->2: a; 2->3: b; 3->4: c"
    elif fault == "reasons_labels":
        across["Action"]["Reasons"] = "1->2: a; 3->4: b; 2->3: c; 4->5: d"
    elif fault == "no_change":
        for state in ("Belief", "Emotion", "Intention"):
            across[state]["4"] = across[state]["3"]
    elif fault == "influence":
        del sketch[PER]["scenario 2"]["influence"]["intention->action"]
    elif fault == "missing_scenario":
        del sketch[PER]["scenario 5"]
    elif fault == "missing_state":
        del across["Action"]
    return sketch


@pytest.mark.parametrize(
    "fault,words",
    [
        ("missing_value", "emotion: 6 keys"),
        ("extra_key", "belief: 8 keys"),
        ("empty_value", "intention: empty"),
        ("reasons_count", "expected 1->2 ... 4->5"),
        ("reasons_labels", "reasons label transitions"),
        ("no_change", "nothing changes from scenario 3 to 4"),
        ("influence", "scenario 2: influence"),
        ("missing_scenario", "per-scenario analysis"),
        ("missing_state", "action: missing"),
    ],
)
def test_structure_check_rejects_planted_faults(fault, words):
    problems = structure_problems(_planted(fault), 5)
    assert problems and any(words in p for p in problems), problems


def test_reasons_parsed_by_label_not_by_a_fixed_prefix():
    raw = "Scenario 1->2: She hears the news; 2 -> 3: A call; with a semicolon; 3->4: Done."
    assert parse_reasons(raw, 3) == (["She hears the news", "A call; with a semicolon", "Done."], None)
    assert parse_reasons({"1->2": "x", "2->3": "y"}, 2) == (["x", "y"], None)
    assert parse_reasons("a; b", 2) == (["a", "b"], None)
    assert parse_reasons("a; b; c", 2)[0] is None


@pytest.mark.parametrize("shape", ["pairs", "speaker_line", "mapping", "single", "text"])
def test_every_dialogue_shape_reads(shape):
    c = released_style(4, 2, shape, with_setting=False)
    main = c["main character"].split()[0]
    for k in range(1, 5):
        lines = dialogue_lines(c["story"][f"scenario {k}"]["dialogue"])
        assert lines and all(s and t for s, t in lines) and lines[0][0] == main
    text = render_story(c["story"], 4)
    assert text.count("Scenario ") == 4 and f"{main}: " in text
    assert (
        to_trajectory(c).reasons["belief"][0]
        == c["sketch"][ACROSS]["Belief"]["Reasons"].split(": ", 1)[1].split(";")[0]
    )
