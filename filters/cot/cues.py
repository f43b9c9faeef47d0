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
        "i see the mistake",
        "i think i see the mistake",
        "i see the error",
        "i think i made a mistake",
        "that doesn't seem right",
        "that does not seem right",
        "this doesn't seem right",
        "that doesn't match",
        "this doesn't match",
        "that doesn't add up",
        "that seems contradictory",
        "this seems contradictory",
        "that was a mistake",
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
        "is there another way",
        "is there any other way",
        "is there a different way",
        "is there a better way",
        "is there a simpler way",
        "is there an easier way",
        "is there a smarter way",
        "maybe there's a better",
        "maybe there's a simpler",
        "maybe there's a different way",
        "maybe there's a different approach",
        "perhaps there's a better",
        "perhaps there's a simpler",
        "perhaps there's a different way",
        "perhaps there's a different approach",
        "perhaps there is a better",
        "maybe i'm overcomplicating",
        "perhaps i'm overcomplicating",
        "let me approach this differently",
        "let's approach this differently",
        "let me think of another",
        "let me consider another",
        "let me consider a different",
        "let's try another",
        "let's try a different",
        "let's consider another",
        "let's consider a different",
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
        "let me just make sure",
        "let me just check",
        "let me just double-check",
        "let me just verify",
        "let me just confirm",
        "i should double-check",
        "i should verify",
        "i should check",
        "i should make sure",
        "let me see if i made",
    ],
}
FILLER = r"(?:(?:but|so|and|also|oh|hmm+|ok(?:ay)?|alright|well|now|no|yes|ah|actually)[,.!]?\s+)*"
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
        "doesn't seem right",
        "does not seem right",
        "doesn't make sense",
        "does not make sense",
        "doesn't match",
        "doesn't add up",
        "see the mistake",
        "see the error",
        "was a mistake",
        "contradictory",
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
        "better way",
        "simpler way",
        "easier way",
        "smarter way",
        "different way",
        "overcomplicat",
    ],
}
# "Wait, maybe I can use ..." proposes a method; "Wait, maybe I should check ..." stays a verification
_PROPOSES = re.compile(
    r"\b(?:maybe|perhaps)\s+(?:i|we)\s+(?:can|could|should|might)\s+(?:also\s+)?(?:try|use|approach|apply|"
    r"look\s+(?:for|at)|think\s+of|express|rewrite|set\s+up|parametri[sz]e|substitute|factor|instead)\b"
    r"|\b(?:maybe|perhaps)\s+(?:i|we)\s+(?:can|could)\s+consider\s+(?!if\b|whether\b)"
    r"|\b(?:maybe|perhaps)\s+it(?:'s|\s+is|\s+would\s+be|\s+might\s+be)\s+(?:easier|simpler|better)\b"
)
_PAUSES = ("wait", "hold on")
# a phrase after these is a question or a check, not a statement: "let me see if I made a mistake"
_HEDGE = re.compile(r"\b(?:if|whether|sure|ensure|didn't|did\s+not|no|any|without)\b[^.!?]{0,24}$")
# "another way to confirm this" checks the result rather than solving anew
_CHECK_BY_METHOD = re.compile(r"\b(?:way|approach|method)\s+to\s+(?:confirm|verify|check|double-check)\b")
_NOT_A_CUE = re.compile(r"^\W*wait(?:s|ed)?\s+(?:for|until|till|to)\b", re.I)  # "Wait for all tasks to finish"
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


def _contained(lowered: str, phrases: list[str]) -> str | None:
    """The first phrase stated in `lowered` (not one asked about or denied: "if I made a mistake")."""
    for phrase in phrases:
        start = lowered.find(phrase)
        while start >= 0:
            if not _HEDGE.search(lowered[:start]):
                return phrase
            start = lowered.find(phrase, start + 1)
    return None


def classify(text: str) -> tuple[str, str | None]:
    """(type, cue) by the cue phrase that opens the step; (progressive, None) when no cue does."""
    head = opening(text).replace("\u2019", "'")
    if _NOT_A_CUE.match(head):
        return PROGRESSIVE, None
    lowered = head.lower()
    for kind in (ERROR_CORRECTION, MULTI_METHOD, VERIFICATION):
        if match := _PATTERNS[kind].match(head):
            cue = match.group(1).lower()
            if kind == VERIFICATION:
                if found := _contained(lowered, CONTAINED[ERROR_CORRECTION]):
                    return ERROR_CORRECTION, f"{cue} … {found}"
                if cue in _PAUSES and (proposal := _PROPOSES.search(lowered)):
                    return MULTI_METHOD, f"{cue} … {proposal.group(0)}"
                found = next((c for c in CONTAINED[MULTI_METHOD] if c in lowered), None)  # asking for one proposes it
                if found and not _CHECK_BY_METHOD.search(lowered):
                    return MULTI_METHOD, f"{cue} … {found}"
            elif kind == MULTI_METHOD and _CHECK_BY_METHOD.search(lowered):
                return VERIFICATION, f"{cue} … to check"
            return kind, cue
    return PROGRESSIVE, None


def starts_with_cue(text: str) -> bool:
    return classify(text)[0] != PROGRESSIVE
