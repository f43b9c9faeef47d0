"""Hostile but real-looking traces the rules were not written from: R1 `<think>` with code, QwQ fields, CRLF,
empty and think-only responses, repeated tags. `GOOD` parse; `BAD` maps a record to its quarantine reason."""

from __future__ import annotations

R1_CODE = (
    "<think>\nOkay, so I need to write a function that retries a request. Let me think about the structure.\n\n"
    "First, the loop:\n\n```python\nimport time\n\n\ndef fetch(url, tries=3):\n    for i in range(tries):\n"
    "        try:\n            return get(url)\n        except OSError:\n"
    "            # Wait for the server. Then retry.\n"
    "            time.sleep(2 ** i)\n\n    raise RuntimeError('gave up')\n```\n\n"
    "Wait, that's not right. The backoff should start at 1 second, not 2. So `2 ** i` with i = 0 gives 1, "
    "which is fine after all.\n\n"
    "Alternatively, I could use a library like tenacity. But the question asks for plain Python.\n\n"
    "Let me verify: tries=3 gives sleeps of 1 and 2 seconds, then the error. Yes.\n</think>\n\n"
    "Use a loop with exponential backoff:\n\n```python\ndef fetch(url, tries=3): ...\n```"
)
QWQ_FIELDS = {
    "reasoning": "Alright, so I have this problem: find the remainder when 2^10 is divided by 7. Hmm.\n\n"
    "2^3 = 8 ≡ 1 mod 7, so 2^10 = 2^9 · 2 = (2^3)^3 · 2 ≡ 2 mod 7.\n\n"
    "But wait, let me double-check that. 2^10 = 1024, and 7 × 146 = 1022, so the remainder is 2.\n\n"
    "Wait, maybe I can use Fermat’s little theorem instead: 2^6 ≡ 1, so 2^10 ≡ 2^4 = 16 ≡ 2. Same answer.\n\n"
    "**Final Answer**\n\\[ \\boxed{2} \\]",
    "answer": "The remainder is \\(\\boxed{2}\\).",
}
CRLF = (
    "<think>Let me compute 12 × 13.\r\n\r\n12 × 13 = 12 × 10 + 12 × 3 = 120 + 36 = 156.\r\n\r\n"
    "Wait, that doesn't seem right. 12 × 3 is 36, so it is 156 after all.\r\n\r\n"
    "Let me check: 156 / 12 = 13. Yes.\r\n</think>\r\n\r\n156"
)
UNCLOSED_FENCE = "<think>Here is the code:\n\n```python\nx = 1\n\ny = 2\n\nWait, no. That was it.</think>\n\nx = 1"

GOOD = [
    {"id": "r1-code", "question": "Write fetch with retries.", "response": R1_CODE},
    {"id": "qwq-fields", "question": "What is 2^10 mod 7?", **QWQ_FIELDS},
    {"id": "crlf", "question": "What is 12 × 13?", "response": CRLF},
    {"id": "unclosed-fence", "question": "Assign x.", "response": UNCLOSED_FENCE},
]
BAD = {
    "empty-think": ({"response": "<think>\n\n</think>\n\nThe answer is 4."}, "no_reasoning"),
    "think-only": ({"response": "<think>2 + 2 = 4, so the answer is 4.</think>\n"}, "no_answer"),
    "cut-off-think": ({"response": "<think>2 + 2 = 4, so the answer is"}, "unclosed_reasoning"),
    "two-thinks": ({"response": "<think>first</think>\n<think>second</think>\n4"}, "repeated_reasoning_tags"),
    "nested-think": ({"response": "<think>a <think>b</think> c</think>4"}, "repeated_reasoning_tags"),
    "thought-no-output": ({"response": "<Thought>\n2 + 2 = 4.\n</Thought>\n"}, "no_answer"),
    "blank-question": ({"question": "  ", "reasoning": "r", "answer": "a"}, "no_question"),
}


def bad_rows() -> list[dict]:
    return [{"id": key, "question": "What is 2 + 2?", **record} for key, (record, _) in BAD.items()]
