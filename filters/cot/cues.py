"""Step types by cue phrase (PIR's categories): progressive, verification, multi-method, error correction.

The cue must open the step (its first sentence, after fillers like "Hmm," or "But"): a "wait" deep inside a
progressive step does not make it a verification. The paper's cues plus the ones real traces use (Sky-T1, QwQ,
Marco-o1: "I made a mistake", "that's not right", "no, that's incorrect"; "this is wrong" hardly ever occurs).
When several types match, the more specific wins: error correction, then multi-method, then verification.
"""

from __future__ import annotations

import re

PROGRESSIVE, VERIFICATION, MULTI_METHOD, ERROR_CORRECTION = (
    "progressive",
    "verification",
    "multi_method",
    "error_correction",
)
FUNCTIONAL = (VERIFICATION, MULTI_METHOD, ERROR_CORRECTION)
STEP_TYPES = (PROGRESSIVE, *FUNCTIONAL)

CUES = {
    ERROR_CORRECTION: [
        "this is wrong",
        "that is wrong",
        "that's wrong",
        "the mistake was",
        "i made a mistake",
        "i made an error",
        "that's not right",
        "that is not right",
        "this contradicts",
        "that contradicts",
        "that's incorrect",
        "that is incorrect",
        "this is incorrect",
        "no, that's",
        "that can't be right",
        "that cannot be right",
        "i must have made",
        "i think i messed up",
        "oops",
        "my mistake",
        "i was wrong",
        "that doesn't make sense",
        "wait, no",
        "wait, that's not",
        "no, wait",
    ],
    MULTI_METHOD: [
        "alternatively",
        "another way",
        "another approach",
        "another method",
        "using another method",
        "a different approach",
        "a different method",
        "another angle",
        "let me try another",
        "let me try a different",
        "maybe i should look for a different",
        "i could also",
        "let me think differently",
        "on the other hand",
    ],
    VERIFICATION: [
        "wait",
        "let me check",
        "let me double-check",
        "double-check",
        "double check",
        "going back to",
        "let me verify",
        "to verify",
        "let me confirm",
        "to confirm",
        "just to be sure",
        "just to be thorough",
        "let me make sure",
        "let me recheck",
        "checking",
        "verify",
        "verifying",
        "hold on",
        "hmm, let me see if",
        "is that correct",
        "is this correct",
        "does that make sense",
        "let me see if this",
        "yes, that seems",
        "that seems correct",
        "that checks out",
        "sanity check",
    ],
}
FILLER = r"(?:(?:but|so|and|oh|hmm+|ok(?:ay)?|well|now|no|yes|ah|actually)[,.!]?\s+)*"
# a verification-style opening ("Wait, ...") that goes on to state a mistake or a new method is that instead
CONTAINED = {
    ERROR_CORRECTION: [
        "made a mistake",
        "made an error",
        "my mistake",
        "not right",
        "incorrect",
        "is wrong",
        "'s wrong",
        "was wrong",
        "contradict",
        "can't be right",
        "miscalculat",
        "different from what i got",
        "messed up",
    ],
    MULTI_METHOD: [
        "alternatively",
        "another way",
        "another approach",
        "another method",
        "different approach",
        "different method",
        "another idea",
        "another strategy",
    ],
}
_PATTERNS = {
    kind: re.compile(
        r"^\W*" + FILLER + r"(" + "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)) + r")\b", re.I
    )
    for kind, cues in CUES.items()
}
_OPENING = re.compile(r"^.{0,240}?(?:[.!?:](?=\s)|\n|$)", re.S)


def opening(text: str) -> str:
    """The step's first sentence (at most ~240 characters), where its cue must be."""
    stripped = text.lstrip()
    match = _OPENING.match(stripped)
    return match.group(0) if match else stripped[:240]


def classify(text: str) -> tuple[str, str | None]:
    """(type, cue) by the cue phrase that opens the step; (progressive, None) when no cue does."""
    head = opening(text)
    for kind in (ERROR_CORRECTION, MULTI_METHOD, VERIFICATION):
        if match := _PATTERNS[kind].match(head):
            cue = match.group(1).lower()
            if kind == VERIFICATION:
                lowered = head.lower()
                for other in (ERROR_CORRECTION, MULTI_METHOD):
                    if found := next((c for c in CONTAINED[other] if c in lowered), None):
                        return other, f"{cue} … {found}"
            return kind, cue
    return PROGRESSIVE, None


def starts_with_cue(text: str) -> bool:
    return classify(text)[0] != PROGRESSIVE
