"""Half-open [start, end) interval arithmetic over aware datetimes: merge, widen, subtract."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import timedelta

from bot.booking.model import Interval


def merge(spans: Iterable[Interval]) -> list[Interval]:
    """Sort spans and join those that overlap or touch; empty spans are dropped."""
    merged: list[Interval] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def widen(spans: Iterable[Interval], by: timedelta) -> list[Interval]:
    """Each span grown by `by` on both sides (a buffer), merged."""
    return merge((start - by, end + by) for start, end in spans)


def subtract(free: Sequence[Interval], busy: Sequence[Interval]) -> list[Interval]:
    """The parts of `free` not covered by `busy`; both must be merged (sorted, disjoint)."""
    result: list[Interval] = []
    i = 0
    for start, end in free:
        while i < len(busy) and busy[i][1] <= start:
            i += 1
        cursor = start
        j = i
        while j < len(busy) and busy[j][0] < end:
            if busy[j][0] > cursor:
                result.append((cursor, busy[j][0]))
            cursor = max(cursor, busy[j][1])
            j += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(spans: Sequence[Interval], lo: Interval) -> list[Interval]:
    """The parts of merged `spans` inside the single span `lo`."""
    start, end = lo
    return [(max(s, start), min(e, end)) for s, e in spans if s < end and e > start]


def covers(spans: Sequence[Interval], span: Interval) -> bool:
    """True when one of the merged, sorted `spans` contains all of `span`."""
    starts = [s for s, _ in spans]
    i = bisect_right(starts, span[0]) - 1
    return i >= 0 and spans[i][0] <= span[0] and span[1] <= spans[i][1]
