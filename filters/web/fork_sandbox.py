"""A function mapped over a batch in a forked child, so an input that crashes or hangs it costs that input only.

datatrove's `ExtractorSandbox` keeps one child and pickles every page to it and back: on real pages that round
trip costs as much as resiliparse's extraction. Here the child is forked per batch and reads the batch from the
memory it shares with its parent (copy-on-write), so only the results cross a pipe, as they are made. When the
child dies, the input it was on is reported as a crash; when it goes `timeout` seconds without a result, it is
killed and that input is reported as a timeout; either way a new child goes on with the next input.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CRASH", "ERROR", "OK", "TIMEOUT", "fork_map"]

OK, ERROR, TIMEOUT, CRASH = "ok", "error", "timeout", "crash"
_HEADER = 8  # bytes of each frame's length


def _child(fn: Callable[[Any], Any], items: Sequence, write_fd: int) -> None:
    gc.disable()  # short-lived: a collection would only copy the parent's pages, never free much
    try:
        with open("/proc/self/oom_score_adj", "w") as f:  # under memory pressure, the kernel kills this first
            f.write("1000")
    except OSError:
        pass
    for item in items:
        try:
            outcome = (OK, fn(item))
        except Exception as e:
            outcome = (ERROR, f"{type(e).__name__}: {e}")
        frame = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(frame).to_bytes(_HEADER, "little") + frame)
        while view:
            view = view[os.write(write_fd, view) :]


def _run_child(fn, items: Sequence, timeout: float) -> tuple[list[tuple[str, Any]], str | None]:
    """The outcomes a child made for a prefix of `items`, and how it ended early (TIMEOUT, CRASH) or None."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code, never runs its exit handlers
        code = 0
        try:
            os.close(read_fd)
            _child(fn, items, write_fd)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    outcomes: list[tuple[str, Any]] = []
    buffer, ended = bytearray(), None
    poller = select.poll()  # not select(): no limit on the descriptor's number
    poller.register(read_fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    try:
        while len(outcomes) < len(items):
            if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                ended = TIMEOUT
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                ended = CRASH
                break
            buffer += chunk
            while len(buffer) >= _HEADER:
                size = int.from_bytes(buffer[:_HEADER], "little")
                if len(buffer) < _HEADER + size:
                    break
                outcomes.append(pickle.loads(buffer[_HEADER : _HEADER + size]))
                del buffer[: _HEADER + size]
                deadline = time.monotonic() + timeout  # the budget is per input
    finally:
        os.close(read_fd)
        with contextlib.suppress(ChildProcessError):  # already reaped where SIGCHLD is ignored
            os.waitpid(pid, 0)
    return outcomes, ended


def fork_map(fn: Callable[[Any], Any], items: Sequence, timeout: float) -> list[tuple[str, Any]]:
    """`(OK, fn(item))`, `(ERROR, "Type: message")`, `(TIMEOUT, None)` or `(CRASH, None)` for each item, in order.

    `fn` runs in forked children (one per call, a new one after each crash or timeout) and need not pickle;
    its results must, since they come back through a pipe. The inputs are never copied.
    """
    outcomes: list[tuple[str, Any]] = []
    while len(outcomes) < len(items):
        done, ended = _run_child(fn, items[len(outcomes) :], timeout)
        outcomes += done
        if ended is not None:
            outcomes.append((ended, None))
    return outcomes
