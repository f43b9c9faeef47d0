"""Which request failures are the document's (quarantined) and which are the infrastructure's (fail the task).

A failure outside the document must never become data: a server that does not start, a refused key or a
provider that keeps answering 429 would otherwise quarantine every document and the build would exit 0.
Those fail the task, datatrove marks the rank incomplete, and rerunning the build retries it (the request
cache keeps every completion already received). Only a prompt longer than the model's context is the
document's own problem: rerunning cannot fix it.
"""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from datatrove.pipeline.inference.types import InferenceError, ServerError

# vLLM: "maximum context length is N tokens"; OpenAI: "context_length_exceeded"; ours: "longer than the context"
_TOO_LONG = re.compile(r"context.length|maximum context|longer than the context|prompt is too long", re.I)
_HTTP_STATUS = re.compile(r"Error http status (\d{3})")
RETRYABLE_STATUS = {408, 409, 425, 429}

Kind = Literal["retry", "fatal", "too_long"]


class LLMInfrastructureError(RuntimeError):
    """The model could not answer for a reason outside the document: the task fails, a rerun retries it."""


class PromptTooLong(InferenceError):
    """The server refused one prompt as longer than its context (HTTP 400): that document is quarantined.

    The message keeps "BadRequestError", so datatrove's request cache stores it and a rerun replays it.
    """

    def __init__(self, message: str):
        super().__init__(None, f"BadRequestError (prompt too long): {message}")


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind an error from datatrove's servers or the OpenAI client, if there was one."""
    for e in (exc, exc.__cause__):
        if isinstance(getattr(e, "status_code", None), int):
            return e.status_code
    text = str(exc)
    if match := _HTTP_STATUS.search(text):
        return int(match.group(1))
    if "Got BadRequestError" in text:
        return 400
    if "Got InternalServerError" in text:
        return 500
    return None


def classify(exc: BaseException) -> Kind:
    status = status_of(exc)
    if status == 400 or "BadRequestError" in str(exc):
        return "too_long" if _TOO_LONG.search(str(exc)) else "fatal"  # any other 400 is a misconfigured request
    if status is not None:
        return "retry" if status in RETRYABLE_STATUS or status >= 500 else "fatal"  # 401/403/404: fix and rerun
    if isinstance(exc, ServerError):  # the server did not start, or died
        return "fatal"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | ConnectionError | OSError):
        return "retry"
    return "fatal"


def is_prompt_too_long(exc: BaseException) -> bool:
    """Also true for the plain InferenceError datatrove's cache raises when it replays a stored PromptTooLong."""
    return isinstance(exc, InferenceError) and "prompt too long" in str(exc)
