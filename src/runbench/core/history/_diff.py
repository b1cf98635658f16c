"""Compare two response bodies line by line (what changed between two tests of a method).

JSON is compared pretty-printed with sorted keys, so a reordered object or different
whitespace is no difference; anything else is compared as text. Capped: bodies past
``DIFF_CAP`` characters are compared on their first part (said in the result).
"""

from __future__ import annotations

import difflib
import json

from runbench.core.files import load_json_text

DIFF_CAP = 2 * 1024 * 1024


def _lines(body: str) -> list[str]:
    try:
        return json.dumps(load_json_text(body), indent=2, sort_keys=True, ensure_ascii=False).split(
            "\n"
        )
    except ValueError:
        return body.split("\n")


def body_diff(old: str, new: str, *, old_name: str = "old", new_name: str = "new") -> str:
    """A unified diff of two bodies ("(no difference)" when they are the same)."""
    note = ""
    if len(old) > DIFF_CAP or len(new) > DIFF_CAP:
        note = f"(compared the first {DIFF_CAP} characters of each body)\n"
        old, new = old[:DIFF_CAP], new[:DIFF_CAP]
    lines = list(
        difflib.unified_diff(_lines(old), _lines(new), old_name, new_name, n=3, lineterm="")
    )
    return note + ("\n".join(lines) if lines else "(no difference)")


__all__ = ["DIFF_CAP", "body_diff"]
