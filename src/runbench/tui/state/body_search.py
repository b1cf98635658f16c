"""Find text in the viewer's lines, fast enough to search a 50 MiB body as the user types.

The formatted body already lives in this process as one text (a str, or the memory-mapped
UTF-8 bytes the formatter's child wrote: see ``body_lines``), so searching it where it is
costs no copy. A regex over 100 MB holds the GIL for a long time, so the scan goes
``SLICE`` units at a time from a worker thread, checking between slices whether a newer
query made it moot, and reporting the first match at once (the viewer jumps there) and
the count as it grows. Matches are kept as offsets in an ``array`` (8 bytes each, at most
``MAX_KEPT``; all are counted); an offset becomes (line, column) only when shown, by
bisecting the line starts.

Case: smart, as in less and vim: a query without capitals ignores case. On UTF-8 bytes
that is ASCII case only (``É`` still matches only ``É``).

A big body's text is a memory-mapped file (``Lines.fd``): that one is searched by a child
process that maps the same file (``search_child``), at a lower priority, and sends the
matches back. A thread scanning it held the GIL a slice at a time, and every key press
waited for it at each switch (n/N and down took 100+ ms while a count ran); the child
holds nothing of this process. Smaller texts (a str) are searched in the thread.

The find bar's count ("3 of 41", ``count_status``) is made here too: it is text about
``Matches``, no widget in it (rich is imported when it is asked for, not by the child).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the search child imports this module: nothing heavy at run time
    from rich.text import Text as RichText

    from runbench.tui.state.body_lines import Lines, Text

LONG_LINE = 4000
"""Lines longer than this are shown plain and sliced by units (see ``LineView``)."""
SLICE = 1024 * 1024
"""Units scanned between two checks for cancellation (about a millisecond of regex)."""
MAX_KEPT = 1_000_000
"""Match offsets kept (n/N walk these); more are counted, not kept."""
REPORT_EVERY = 16
"""Slices between two progress reports after the first match."""


def smart_case(query: str) -> bool:
    """Ignore case? Yes unless the query has a capital letter."""
    return query == query.lower()


def compile_query(query: str, *, for_bytes: bool) -> re.Pattern[str] | re.Pattern[bytes]:
    flags = re.IGNORECASE if smart_case(query) else 0
    if for_bytes:
        return re.compile(re.escape(query.encode("utf-8")), flags)
    return re.compile(re.escape(query), flags)


def line_pattern(query: str) -> re.Pattern[str] | None:
    """The query as a pattern over one decoded line (for highlighting what is on screen)."""
    return compile_query(query, for_bytes=False) if query else None  # type: ignore[return-value]


@dataclass
class Matches:
    """The matches of ``query`` in ``lines`` found so far (offsets in ``lines.data``'s units)."""

    query: str
    lines: Lines
    offsets: array[int] = field(default_factory=lambda: array("q"))
    count: int = 0
    done: bool = False
    length: int = 0  # of one match, in the data's units
    stopped: bool = False
    """The search ended before its count did (its child died): ``count`` is short."""

    def position(self, index: int) -> tuple[int, int]:
        """(line, column) of match ``index``: the column in characters, or in the data's
        units on a line longer than ``LONG_LINE`` (which the view slices by units, and
        which would take long to decode up to a match far into it)."""
        offset = self.offsets[index]
        line = bisect_right(self.lines.starts, offset) - 1
        start, end = self.lines.bounds(line)
        prefix = self.lines.data[start:offset]
        if isinstance(prefix, str) or end - start > LONG_LINE:
            return line, offset - start
        return line, len(bytes(prefix).decode("utf-8", "replace"))

    def nearest(self, line: int) -> int:
        """The index of the first kept match on or after ``line`` (0 when none is)."""
        if not self.offsets:
            return 0
        if line >= self.lines.count:
            return 0
        start = self.lines.starts[line]
        index = bisect_right(self.offsets, start - 1)
        return index if index < len(self.offsets) else 0


Report = Callable[[int, "array[int]", bool], None]
"""``report(count, offsets kept since the last report, done)``."""


def scan(data: Text, query: str, *, cancelled: Callable[[], bool], report: Report) -> None:
    """Count the matches of ``query`` in ``data`` a slice at a time, keeping the first
    ``MAX_KEPT`` offsets. ``report`` is called after the first match, every
    ``REPORT_EVERY`` slices after it and once at the end (``done``); never once
    ``cancelled()`` turns True (checked before each slice)."""
    for_bytes = not isinstance(data, str)
    pattern = compile_query(query, for_bytes=for_bytes)
    overlap = max(len(query.encode("utf-8") if for_bytes else query) - 1, 0)
    size = len(data)
    count, kept, room, reported = 0, array("q"), MAX_KEPT, False
    for number, begin in enumerate(range(0, size, SLICE)):
        if cancelled():
            return
        end = min(begin + SLICE, size)
        found = [m.start() for m in pattern.finditer(data, begin, min(end + overlap, size))]  # type: ignore[arg-type]
        while found and found[-1] >= end:  # starts in the next slice: counted there
            found.pop()
        count += len(found)
        kept.extend(found[:room])
        room = max(room - len(found), 0)
        if count and (not reported or number % REPORT_EVERY == 0):
            reported = True
            report(count, kept, False)
            kept = array("q")
    if not cancelled():
        report(count, kept, True)


def search(
    lines: Lines,
    query: str,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[Matches], None] = lambda _matches: None,
) -> Matches:
    """Every match of ``query`` in ``lines``; ``progress`` is called after the first match
    and every ``REPORT_EVERY`` slices after it; returns early (``done`` False) when
    ``cancelled()`` turns True, or with ``stopped`` when the child searching it ended
    early. Runs in a worker thread; a memory-mapped text is searched by a child process
    (see the module docstring), in this thread when none starts."""
    for_bytes = not isinstance(lines.data, str)
    matches = Matches(query, lines, length=len(query.encode("utf-8") if for_bytes else query))
    if not query:
        matches.done = True
        return matches

    def report(count: int, kept: array[int], done: bool) -> None:
        matches.count = count
        matches.offsets.extend(kept[: MAX_KEPT - len(matches.offsets)])
        matches.done = done
        if not done:
            progress(matches)

    if lines.fd is not None:
        from runbench.tui.state.search_child import search_in_child

        outcome = search_in_child(
            lines.fd, len(lines.data), query, cancelled=cancelled, report=report
        )
        if outcome != "unanswered":
            matches.stopped = outcome == "stopped"
            return matches
    scan(lines.data, query, cancelled=cancelled, report=report)
    return matches


def count_status(matches: Matches, index: int) -> RichText:
    """The find bar's count: "3 of 120" when done, "3 of 120+" while counting, and a
    warning when the search stopped short (its child died) rather than "+" forever."""
    from rich import text as rich  # here: the search child imports this module, not rich

    if matches.stopped:  # within the find bar's 38 columns
        if not matches.count:
            return rich.Text("search stopped: no match so far", style="yellow")
        return rich.Text(f"{index + 1} of {matches.count}+, count stopped", style="yellow")
    if not matches.count:
        shown = rich.Text("no match" if matches.done else "searching…", style="yellow")
    else:
        shown = rich.Text(f"{index + 1} of {matches.count}{'' if matches.done else '+'}")
    return as_wide_as_a_count(shown, matches.lines, matches.query)


def as_wide_as_a_count(shown: RichText, lines: Lines, query: str) -> RichText:
    """``shown`` padded on the left to the widest a count of ``query`` in ``lines`` can
    be ("k of n+", n at most one match per character of the text). The status is as wide
    as its text, and a new width lays the whole screen out: without this, every key
    typed did twice ("searching…", then the count) and a big body's count once more
    each time it gained a digit. Now one query's status keeps one width, and the next
    query's is the same unless its length changes the count's digits."""
    most = len(str(max(len(lines.data) // max(len(query), 1), 1)))
    shown.pad_left(max(2 * most + len(" of +") - shown.cell_len, 0))
    return shown


__all__ = [
    "MAX_KEPT",
    "SLICE",
    "Matches",
    "as_wide_as_a_count",
    "compile_query",
    "count_status",
    "line_pattern",
    "scan",
    "search",
    "smart_case",
]
