"""Regenerate DynToM's questions from its released sketches and compare them with the released question.json.

    .venv/bin/python bench/tom_released.py [DYNTOM_DIR]   (default: ../shared/realdata/dyntom)

Prints, per context and fine type, our count against the released count, then the generator bugs listed in
DESIGN.md §4 counted in the released questions and in ours (ours must all be 0).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from filters.tom.dyntom_reader import load_context  # noqa: E402
from filters.tom.pools import load_pools  # noqa: E402
from filters.tom.questions import FINE_TYPES, LETTERS, expected_counts, make_questions  # noqa: E402
from filters.tom.sketch import normalise, structure_problems, to_trajectory  # noqa: E402

TRANSITION_PREFIX = ("rio ", "1->", "o 1->")


def released_bugs(questions: dict, trajectory) -> Counter:
    """The bugs of DynToM's generator, counted in its released question.json (true answer listed first)."""
    bugs = Counter()
    for key, q in questions.items():
        fine = key.rsplit("_", 1)[0]
        options = q["options"]
        norm = [normalise(o) for o in options]
        bugs["duplicate options"] += len(norm) != len(set(norm))
        bugs["true answer listed twice"] += norm.count(norm[0]) > 1
        bugs["answer starts with a transition label"] += options[0].lower().startswith(TRANSITION_PREFIX)
        bugs["more than 26 options"] += len(options) > 26
        bugs["option reasons not aligned"] += [r.get("option") for r in q.get("option reasons", [])] != options
        if fine == "type_d_how":
            values = options[0].split(" -> ")
            reverse = next((r["option"] for r in q["option reasons"] if "reverse" in r.get("explain", "")), None)
            bugs["'reverse' distractor not the reverse"] += reverse is not None and reverse != " -> ".join(
                values[::-1]
            )
        if fine == "type_d_whether":
            state = q["question"].split("the ", 1)[1].split(" of ", 1)[0]
            k = int(q["question"].split("from scenario ", 1)[1].split(" ", 1)[0])
            bugs["whether-changed wrong for the transition"] += (options[0] == "No") == trajectory.changed(state, k)
    return bugs


def our_bugs(questions, trajectory) -> Counter:
    bugs = Counter()
    for q in questions:
        norm = [normalise(o) for o in q.options]
        true = q.options[LETTERS.index(q.answer)]
        bugs["duplicate options"] += len(norm) != len(set(norm))
        bugs["true answer listed twice"] += norm.count(normalise(true)) > 1
        bugs["answer starts with a transition label"] += true.lower().startswith(TRANSITION_PREFIX)
        bugs["more than 26 options"] += len(q.options) > 26 or LETTERS.index(q.answer) >= len(q.options)
        bugs["option reasons not aligned"] += [r["option"] for r in q.option_reasons] != q.options
        if q.question_type == "type_d_how":
            reverse = [r["option"] for r in q.option_reasons if r["explain"] == "order reversed"]
            bugs["'reverse' distractor not the reverse"] += bool(reverse) and reverse[0] != " -> ".join(
                trajectory.values[q.state][::-1]
            )
        if q.question_type == "type_d_whether":
            bugs["whether-changed wrong for the transition"] += (true == "No") == trajectory.changed(
                q.state, q.scenario
            )
        if q.question_type == "type_a_what":
            bugs["what-is answer not the sketch value"] += true != trajectory.values[q.state][q.scenario - 1]
    return bugs


def main(folder: Path) -> int:
    fallback = load_pools().fallback()
    trials = sorted(p.parent for p in folder.glob("*/story.json"))
    print(f"{len(trials)} released contexts under {folder}\n")
    header = f"{'context':<12}{'S':>3}  " + "  ".join(f"{t:>16}" for t in FINE_TYPES) + f"  {'total':>11}"
    print(header)
    released_total, ours_total, mismatches = Counter(), Counter(), 0
    option_counts = Counter()
    for trial in trials:
        context, problem = load_context(trial / "story.json")
        if problem:
            print(f"{trial.name:<12} unreadable: {problem}")
            mismatches += 1
            continue
        problems = structure_problems(context["sketch"], context.get("scenario numbers"))
        if problems:
            print(f"{trial.name:<12} fails the structure check: {'; '.join(problems)}")
            mismatches += 1
            continue
        trajectory = to_trajectory(context)
        ours = make_questions(trajectory, trial.name, seed=0, fallback=fallback)
        again = make_questions(trajectory, trial.name, seed=0, fallback=fallback)
        assert [q.as_dict() for q in ours] == [q.as_dict() for q in again], "not deterministic"
        released = json.loads((trial / "question.json").read_text()) if (trial / "question.json").exists() else {}
        ours_by = Counter(q.question_type for q in ours)
        rel_by = Counter(k.rsplit("_", 1)[0] for k in released)
        cells = []
        for fine in FINE_TYPES:
            same = ours_by[fine] == rel_by[fine] == expected_counts(trajectory.scenarios)[fine]
            mismatches += not same and bool(released)
            cells.append(f"{ours_by[fine]:>5} vs {rel_by[fine]:>3} {'ok' if same else '!!'}")
        print(f"{trial.name:<12}{trajectory.scenarios:>3}  " + "  ".join(f"{c:>16}" for c in cells)
              + f"  {len(ours):>4} vs {len(released):>3}")  # fmt: skip
        released_total += released_bugs(released, trajectory)
        ours_total += our_bugs(ours, trajectory)
        for q in ours:
            rel = released.get(q.question_id)
            option_counts[
                (q.question_type, trajectory.scenarios, len(q.options), len(rel["options"]) if rel else None)
            ] += 1
    print("\nbug (questions affected)                 released   ours")
    for bug in sorted(set(released_total) | set(ours_total)):
        print(f"  {bug:<40}{released_total[bug]:>8}{ours_total[bug]:>7}")
    print("\noptions per question (type, S, ours, released): questions")
    for key in sorted(option_counts, key=str):
        print(f"  {key}: {option_counts[key]}")
    bad = sum(ours_total.values())
    print(f"\ncount mismatches: {mismatches}; bugs in ours: {bad}")
    return 1 if mismatches or bad else 0


if __name__ == "__main__":
    default = ROOT.parent / "shared" / "realdata" / "dyntom"
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else default))
