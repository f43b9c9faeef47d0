"""JSON Lines read one way everywhere: blank lines skipped, each bad line named by its number, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator


def json_objects(lines: Iterable[str]) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, the object or None, the problem or None) for every non-blank line."""
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield line_no, None, f"line {line_no}: invalid JSON ({e.msg})"
            continue
        if not isinstance(row, dict):
            yield line_no, None, f"line {line_no}: expected a JSON object"
            continue
        yield line_no, row, None
