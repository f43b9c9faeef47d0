"""Answer extraction as MegaScience's evaluation (lm-open-science-evaluation) does it.

Multiple choice: the prompt asks for a last line `Answer: $LETTER`; the last line is tried first, then the
whole text, with phrase patterns in order, then `\\boxed{X}`, then the option texts. Math: a JSON `answer`
field, "final answer is $...$", the last brace-balanced `\\boxed{}`, the text after the last "answer is",
then the last number. Nothing here raises on odd input: an answer that cannot be found is `None`.
"""

from __future__ import annotations

import re

LETTERS = "ABCDEFGHIJ"
_L = rf"\(?\**([{LETTERS}])\**\)?"  # a letter, optionally "(C)" or "**C**"
_END = r"(?![A-Za-z0-9])"  # "A" in "Answer" or "At" is not an option letter
# MegaScience's order: the more explicit the phrasing, the earlier it is tried
MC_PATTERNS = [
    re.compile(rf"(?i:the\s+correct\s+(?:answer|option|choice)\s+(?:is|would\s+be|should\s+be))\s*:?\s*{_L}{_END}"),
    re.compile(rf"(?i:answer)\s*\**\s*[:：]\s*\**\s*(?i:option\s+)?{_L}{_END}"),
    re.compile(rf"(?i:should|must)\s+be\s+(?i:option\s+)?{_L}{_END}"),
    re.compile(rf"(?<![A-Za-z]){_L}{_END}\s+(?i:is\s+(?:the\s+)?correct)"),
    re.compile(rf"(?i:answer\s+is)\s*:?\s*(?i:option\s+)?{_L}{_END}"),
    re.compile(rf"\\boxed\{{\s*(?:\\text\{{)?\(?([{LETTERS}])\)?(?:\}})?\s*\}}"),
    re.compile(rf"答案\s*(?:是|为|應為|应为)?\s*[:：]?\s*(?:选项\s*)?{_L}{_END}"),  # OpenCompass's Chinese prompts
    re.compile(rf"(?i:\b(?:choose|select|pick)\s+(?:option\s+)?){_L}{_END}"),
]
_LONE_LETTER = re.compile(rf"^\W*{_L}\W*$")

_JSON_ANSWER = re.compile(r'"answer"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?[\d.]+(?:[eE][-+]?\d+)?))', re.S)
_FINAL_ANSWER = re.compile(r"final\s+answer\s+is\s*:?\s*\$+(.+?)\$+", re.I | re.S)
_ANSWER_IS = re.compile(r"answer\s+is\s*:?\s*", re.I)
_ANSWER_LINE = re.compile(
    r"^[ \t*#>]*answer[ \t*]*[:：][ \t*]*(.+?)[ \t*]*$", re.I | re.M
)  # simple-evals: "Answer: X"
_DELIMITERS = re.compile(r"^\s*(?:\$+|\\\(|\\\[)\s*(.*?)\s*(?:\$+|\\\)|\\\])\s*$", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")


def boxed_all(text: str) -> list[str]:
    """Contents of every `\\boxed{...}` / `\\fbox{...}` with balanced braces (nested ones included)."""
    found, start = [], 0
    while (i := _next_box(text, start)) != -1:
        brace = text.find("{", i)
        depth, j = 0, brace
        while j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:  # unclosed: the text was cut off
            break
        found.append(text[brace + 1 : j].strip())
        start = j + 1
    return found


def _next_box(text: str, start: int) -> int:
    hits = [i for i in (text.find("\\boxed{", start), text.find("\\fbox{", start)) if i != -1]
    return min(hits) if hits else -1


def last_boxed(text: str) -> str | None:
    boxes = boxed_all(text)
    return boxes[-1] if boxes else None


def json_answer(text: str) -> str | None:
    """The `answer` field of a JSON reply (also fenced, truncated after the field, or with raw LaTeX)."""
    matches = _JSON_ANSWER.findall(text)
    if not matches:
        return None
    quoted, number = matches[-1]
    if number:
        return number
    # unescape by hand: json.loads turns "\frac" into a form feed and rejects "\sqrt"
    value = quoted.replace("\\\\", "\x00").replace('\\"', '"').replace("\\n", " ").replace("\x00", "\\")
    return value.strip() or None


def extract_choice(text: str, options: list[str] | None = None) -> str | None:
    """The option letter a multiple-choice reply settles on, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    if (answer := json_answer(text)) is not None:
        text = answer
    lines = [line for line in text.strip().splitlines() if line.strip()]
    for scope in (lines[-1], text):
        for pattern in MC_PATTERNS:
            hits = pattern.findall(scope)
            if hits:
                return hits[-1]
    if match := _LONE_LETTER.match(lines[-1]):
        return match.group(1)
    if options:
        return _option_by_text(text, options)
    return None


def _option_by_text(text: str, options: list[str]) -> str | None:
    """The option whose text the reply states last (longest option first, so "10" does not match "100")."""
    lowered, best = text.lower(), (-1, None)
    for index in sorted(range(len(options)), key=lambda i: -len(str(options[i]))):
        option = str(options[index]).strip().lower()
        if not option or index >= len(LETTERS):
            continue
        position = lowered.rfind(option)
        if position > best[0]:
            best = (position, LETTERS[index])
            lowered = lowered.replace(option, " " * len(option))
    return best[1]


def extract_math(text: str) -> str | None:
    """The final answer of a math reply as a string (LaTeX kept), or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    if (answer := json_answer(text)) is not None:
        return last_boxed(answer) or answer
    if matches := _FINAL_ANSWER.findall(text):
        final = matches[-1].strip()
        return last_boxed(final) or final
    if (boxed := last_boxed(text)) is not None:
        return boxed
    if lines := _ANSWER_LINE.findall(text):
        if line := _unwrap(lines[-1]):
            return line
    if hits := list(_ANSWER_IS.finditer(text)):
        tail = text[hits[-1].end() :].strip()
        tail = re.split(r"\n|(?<=[^\d])\.(?:\s|$)|\.$", tail, maxsplit=1)[0]
        if tail := _unwrap(tail):
            return tail
    numbers = _NUMBER.findall(text)
    return numbers[-1].replace(",", "") if numbers else None


def _unwrap(answer: str) -> str:
    """An answer without its trailing full stop and its math delimiters: `$x$`, `\\(x\\)`, `\\[x\\]`."""
    answer = answer.strip().rstrip(".").strip()
    if match := _DELIMITERS.match(answer):
        answer = match.group(1)
    return answer.strip("$ ")


def gold_choice(gold) -> str | None:
    """A gold letter as "C", "(C)", "C." or "Answer: C"; None if the gold is not a letter."""
    if not isinstance(gold, str):
        return None
    match = re.fullmatch(rf"\s*(?:(?i:answer)\s*:\s*)?\(?([{LETTERS}])\)?\.?\s*", gold)
    return match.group(1) if match else None


def looks_like_choice(gold) -> bool:
    return gold_choice(gold) is not None
