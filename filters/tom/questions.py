"""DynToM's five question types, made by rule from a sketch's trajectory, without its generator's bugs.

Per context with S scenarios: `type_a_what` 4S, `type_c_how` 3S, `type_d_how` 4, `type_d_whether` 4(S-1),
`type_d_why` 4(S-1) = 15S - 4 questions, with DynToM's option counts (what S+3, influence S+1 and S+2 in
scenario S, across-all 8, whether S, why 4S-4), capped at `max_options` (26 letters at most).

Unlike DynToM's script: every option differs from every other after `normalise`; whether-changed is
decided per state and per transition from the values; the reverse distractor is the true order reversed;
every scenario (the last one too) can give influence distractors; reasons are parsed by their `k->k+1:`
labels; shuffles are seeded per question and answer letters rotate; option reasons move with their options.
When a context has too few distinct distractors, the fallback pool (values from other contexts) fills up.
"""

from __future__ import annotations

import random
import string
from dataclasses import asdict, dataclass

from filters.tom.sketch import INFLUENCES, STATES, Trajectory, normalise

LETTERS = string.ascii_lowercase
FINE_TYPES = ("type_d_how", "type_d_why", "type_d_whether", "type_c_how", "type_a_what")


@dataclass
class Question:
    question_id: str
    question_type: str
    state: str
    scenario: int | None
    question: str
    options: list[str]
    answer: str
    option_reasons: list[dict]

    def as_dict(self) -> dict:
        return asdict(self)


def expected_counts(scenarios: int) -> dict[str, int]:
    s = scenarios
    return {"type_d_how": 4, "type_d_why": 4 * (s - 1), "type_d_whether": 4 * (s - 1), "type_c_how": 3 * s,
            "type_a_what": 4 * s}  # fmt: skip


def option_count(fine_type: str, scenarios: int, scenario: int | None, max_options: int) -> int:
    """DynToM's number of options for a question (at S=5: 8, 6 or 7, 8, 5, 16), capped at `max_options`."""
    s = scenarios
    count = {
        "type_a_what": s + 3,
        "type_c_how": s + 2 if scenario == s else s + 1,
        "type_d_how": 8,
        "type_d_whether": s,
        "type_d_why": 4 * s - 4,
    }[fine_type]
    return min(count, max_options, len(LETTERS))


def _pick(true: str, groups: list, count: int, rng: random.Random, fallback: list[str], slot: int):
    """The true answer and `count - 1` distractors, group by group (each group in seeded order), no two equal.

    The distractors are shuffled; the true answer goes to `slot` modulo the number of options, so letters are
    balanced by construction, not only in expectation."""
    chosen = [(true, "true_answer", "true answer")]
    seen = {normalise(true)}
    for group in groups:
        group = list(group)
        rng.shuffle(group)
        for text, short, explain in group:
            if len(chosen) >= count:
                break
            key = normalise(text)
            if key and key not in seen:
                seen.add(key)
                chosen.append((text, short, explain))
    if len(chosen) < count:
        pool = sorted(set(fallback))
        rng.shuffle(pool)
        for text in pool:
            if len(chosen) >= count:
                break
            key = normalise(text)
            if key and key not in seen:
                seen.add(key)
                chosen.append((text, "other_context", "value from another context"))
    distractors = chosen[1:]
    rng.shuffle(distractors)
    chosen = distractors
    chosen.insert(slot % (len(distractors) + 1), (true, "true_answer", "true answer"))
    options = [c[0] for c in chosen]
    reasons = [{"option": c[0], "short": c[1], "explain": c[2]} for c in chosen]
    answer = LETTERS[next(i for i, c in enumerate(chosen) if c[1] == "true_answer")]
    return options, answer, reasons


def _sequence_variants(values: list[str], others: dict[str, list[str]], rng: random.Random) -> list[list[tuple]]:
    """Across-all distractors: a shuffle, a swap of two, the reverse, one removed, one replaced by another state."""
    n, arrow = len(values), " -> ".join
    true = arrow(values)
    order = []
    for _ in range(20):
        shuffled = rng.sample(values, n)
        if arrow(shuffled) != true:
            order.append((arrow(shuffled), "type_d_how_time_order", "scenarios shuffled"))
            break
    swaps = [(i, j) for i in range(n) for j in range(i + 1, n) if normalise(values[i]) != normalise(values[j])]
    if swaps:
        i, j = rng.choice(swaps)
        swapped = list(values)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        order.append((arrow(swapped), "type_d_how_time_order", f"scenarios {i + 1} and {j + 1} swapped"))
    order.append((arrow(values[::-1]), "type_d_how_time_order", "order reversed"))
    k = rng.randrange(n)
    removed = [(arrow(values[:k] + values[k + 1 :]), "type_d_how_completeness", f"scenario {k + 1} left out")]
    replaced = []
    for other, other_values in others.items():
        k = rng.randrange(n)
        variant = list(values)
        variant[k] = other_values[k]
        replaced.append((arrow(variant), "type_d_how_state_confusion", f"scenario {k + 1} holds the {other}"))
    spare = [  # only used when the variants above collide
        (arrow(values[:k] + values[k + 1 :]), "type_d_how_completeness", f"scenario {k + 1} left out")
        for k in range(n)
    ]
    for other, other_values in others.items():
        for k in range(n):
            variant = list(values)
            variant[k] = other_values[k]
            spare.append((arrow(variant), "type_d_how_state_confusion", f"scenario {k + 1} holds the {other}"))
    return [order + removed + replaced, spare]


def make_questions(
    t: Trajectory, context_id: str, seed: int, fallback: dict[str, list[str]], max_options: int = 26
) -> list[Question]:
    """Every question of a context, in DynToM's order (how, why, whether, influence, what)."""
    s, main, questions = t.scenarios, t.main, []
    numbers, offsets = dict.fromkeys(FINE_TYPES, 0), {}

    def add(fine, state, scenario, text, true, groups, pool):
        numbers[fine] += 1
        qid = f"{fine}_{numbers[fine]}"
        rng = random.Random(f"{seed}:{context_id}:{qid}")
        count = option_count(fine, s, scenario, max_options)
        slot = offsets.setdefault(fine, random.Random(f"{seed}:{context_id}:{fine}").randrange(26)) + numbers[fine]
        options, answer, reasons = _pick(true, groups, count, rng, pool, slot)
        questions.append(Question(qid, fine, state, scenario, text, options, answer, reasons))

    for state in STATES:
        values = t.values[state]
        others = {o: t.values[o] for o in STATES if o != state}
        rng = random.Random(f"{seed}:{context_id}:variants:{state}")
        fills = [" -> ".join(values[:k] + [v] + values[k + 1 :]) for k in range(s) for v in fallback.get(state, [])]
        add("type_d_how", state, None, f"How does the {state} of {main} change across the {s} scenarios?",
            " -> ".join(values), _sequence_variants(values, others, rng), fills)  # fmt: skip

    for state in STATES:
        reasons = t.reasons[state]
        for k in range(1, s):
            own = [(r, "type_d_why_time_stage", f"{state} change reason at {i + 1}->{i + 2}")
                   for i, r in enumerate(reasons) if i != k - 1]  # fmt: skip
            cross = [(r, "type_d_why_state_confusion", f"{o} change reason at {i + 1}->{i + 2}")
                     for o in STATES if o != state for i, r in enumerate(t.reasons[o])]  # fmt: skip
            add("type_d_why", state, k,
                f"Why does the {state} of {main} change from scenario {k} to scenario {k + 1}?",
                reasons[k - 1], [own, cross], fallback.get("reasons", []))  # fmt: skip

    for state in STATES:
        values = t.values[state]
        for k in range(1, s):
            text = (f"Whether the {state} of {main} change from scenario {k} to scenario {k + 1}? "
                    "if yes, from what to what?")  # fmt: skip
            other_changes = [(f"Yes, from {values[i - 1]} to {values[i]}", "type_d_whether_time_stage",
                              f"the {state} change at {i}->{i + 1}")
                             for i in range(1, s) if i != k and t.changed(state, i)]  # fmt: skip
            invented = [(f"Yes, from {values[k - 1]} to {v}", "type_d_whether_wrong_target",
                         "a value of another scenario")
                        for i, v in enumerate(values) if i not in (k - 1, k)]  # fmt: skip
            cross = [(f"Yes, from {t.values[o][k - 1]} to {t.values[o][k]}", "type_d_whether_state_confusion",
                      f"the {o} change at {k}->{k + 1}") for o in STATES if o != state]  # fmt: skip
            if t.changed(state, k):
                true = f"Yes, from {values[k - 1]} to {values[k]}"
                no = [("No", "type_d_whether_recognize_if_change", "no change")]
                reverse = [(f"Yes, from {values[k]} to {values[k - 1]}", "type_d_whether_direction", "reversed")]
                groups = [no, other_changes, reverse + invented, cross]
            else:
                true = "No"
                groups = [other_changes, invented, cross]
            pool = [f"Yes, from {values[k - 1]} to {v}" for v in fallback.get(state, [])]
            add("type_d_whether", state, k, text, true, groups, pool)

    for key, (start, target) in zip(INFLUENCES, [("belief", "emotion"), ("belief&emotion", "intention"),
                                                 ("intention", "action")]):  # fmt: skip
        for k in range(1, s + 1):
            same = [(t.influences[k - 1][o], "type_c_how_influence_confusion", f"{o} in scenario {k}")
                    for o in INFLUENCES if o != key]  # fmt: skip
            other = [(t.influences[i][key], "type_c_how_time_stage", f"{key} in scenario {i + 1}")
                     for i in range(s) if i != k - 1]  # fmt: skip
            add("type_c_how", key, k,
                f"In scenario {k}, how does the {start} of {main} influence the {target} of {main}?",
                t.influences[k - 1][key], [same, other], fallback.get("influences", []))  # fmt: skip

    for state in STATES:
        values = t.values[state]
        for k in range(1, s + 1):
            other_time = [(v, "type_a_what_time_stage", f"{state} in scenario {i + 1}")
                          for i, v in enumerate(values) if i != k - 1]  # fmt: skip
            other_state = [(t.values[o][k - 1], "type_a_what_state_confusion", f"{o} in scenario {k}")
                           for o in STATES if o != state]  # fmt: skip
            add("type_a_what", state, k, f"What is the {state} of {main} in scenario {k}?", values[k - 1],
                [other_time, other_state], fallback.get(state, []))  # fmt: skip
    return questions
