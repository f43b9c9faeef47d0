"""Stories in DynToM's layout: `scenario k` -> {background, dialogue}; every dialogue shape of the release."""

from __future__ import annotations

SPEAKER_KEYS = ("speaker", "name", "character", "role")
LINE_KEYS = ("line", "text", "content", "utterance", "dialogue", "message")


def dialogue_lines(dialogue) -> list[tuple[str, str]]:
    """(speaker, line) pairs from any released shape: a list of {A: .., B: ..} turns, a list of {speaker, line},
    a {speaker: line} mapping, a list of one-speaker turns, a list of "A: line" strings, or one text."""
    if isinstance(dialogue, str):
        return [_split(line) for line in dialogue.splitlines() if line.strip()]
    if isinstance(dialogue, dict):
        return _turn(dialogue)
    lines = []
    for turn in dialogue or []:
        if isinstance(turn, dict):
            lines += _turn(turn)
        elif isinstance(turn, str) and turn.strip():
            lines.append(_split(turn))
        elif isinstance(turn, list | tuple) and len(turn) == 2:
            lines.append((str(turn[0]), str(turn[1])))
    return lines


def _turn(turn: dict) -> list[tuple[str, str]]:
    speaker = next((turn[k] for k in SPEAKER_KEYS if k in turn), None)
    line = next((turn[k] for k in LINE_KEYS if k in turn), None)
    if speaker is not None and line is not None:
        return [(str(speaker), str(line))]
    return [(str(k), str(v)) for k, v in turn.items() if isinstance(v, str)]


def _split(line: str) -> tuple[str, str]:
    speaker, sep, text = line.partition(":")
    return (speaker.strip(), text.strip()) if sep and len(speaker) < 40 else ("", line.strip())


def story_problems(story, scenarios: int) -> list[str]:
    if not isinstance(story, dict):
        return ["story is not a mapping"]
    problems = []
    for k in range(1, scenarios + 1):
        scene = story.get(f"scenario {k}")
        if not isinstance(scene, dict):
            problems.append(f"story: missing scenario {k}")
            continue
        if not str(scene.get("background", "")).strip():
            problems.append(f"story: scenario {k} has no background")
        if not dialogue_lines(scene.get("dialogue")):
            problems.append(f"story: scenario {k} has no dialogue")
    return problems


def render_story(story: dict, scenarios: int) -> str:
    """The story as plain text, scenario by scenario (what a question's prompt shows)."""
    parts = []
    for k in range(1, scenarios + 1):
        scene = story.get(f"scenario {k}") or {}
        lines = [f"Scenario {k}:", str(scene.get("background", "")).strip()]
        lines += [f"{s}: {t}" if s else t for s, t in dialogue_lines(scene.get("dialogue"))]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
