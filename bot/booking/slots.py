"""Open slots: a coach's weekly windows (local wall time) minus busy time, in aware UTC.

Each date is turned into UTC on its own, through the UTC offsets in force that day, so a
window keeps its local hours across DST and means exactly the instants whose wall time lies
inside it: a window in the spring-forward gap offers nothing, and one with an edge in the
repeated fall-back hour does not swallow the other pass of that hour. Slot starts follow the
window's wall clock (window start, then every `step`); a start that does not exist that day
is skipped, and one that happens twice is offered once (its first pass that fits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise

from bot.booking.intervals import clip, covers, merge, subtract, widen
from bot.booking.model import SLOT_STEP, Interval, Slot
from bot.timefmt import zone_info

Window = tuple[int, time, time]
"""(weekday 0=Monday, start, end) in the coach's local wall time."""


@dataclass(frozen=True)
class SlotRules:
    """What a coach offers: weekly windows in their zone, session length and booking rules."""

    zone: str
    windows: tuple[Window, ...]
    length: timedelta
    buffer: timedelta
    min_notice: timedelta
    horizon: timedelta
    step: timedelta = SLOT_STEP

    def __post_init__(self) -> None:
        if self.length <= timedelta(0) or self.step <= timedelta(0):
            raise ValueError("slot length and step must be positive")
        if self.buffer < timedelta(0) or self.min_notice < timedelta(0):
            raise ValueError("buffer and minimum notice cannot be negative")


def open_slots(
    *,
    rules: SlotRules,
    now: datetime,
    coach_busy: Sequence[Interval],
    leader_busy: Sequence[Interval] = (),
    not_after: datetime | None = None,
) -> list[Slot]:
    """List the bookable slots, sorted; coach_busy gets the buffer, leader_busy does not."""
    return slots_between(
        rules=rules,
        now=now,
        coach_busy=coach_busy,
        leader_busy=leader_busy,
        not_after=not_after,
    )


def slots_between(
    *,
    rules: SlotRules,
    now: datetime,
    coach_busy: Sequence[Interval],
    leader_busy: Sequence[Interval] = (),
    not_after: datetime | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> list[Slot]:
    """Like open_slots, limited to windows on coach-local dates first_day..last_day."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    earliest = now + rules.min_notice
    latest = now + rules.horizon
    if not_after is not None:
        latest = min(latest, not_after)
    if latest <= earliest:
        return []
    zone = zone_info(rules.zone)
    blocked = merge([*widen(coach_busy, rules.buffer), *leader_busy])
    weekly = _weekly(rules.windows)
    day = now.astimezone(zone).date()
    last = latest.astimezone(zone).date()
    if first_day is not None:
        day = max(day, first_day)
    if last_day is not None:
        last = min(last, last_day)
    found: list[Slot] = []
    while day <= last:
        spans = _offsets(day, zone)
        for starts, ends in weekly[day.weekday()]:
            wall_start, wall_end = datetime.combine(day, starts), datetime.combine(day, ends)
            window = _window(spans, wall_start, wall_end)
            free = subtract(clip(window, (earliest, latest)), blocked)
            if free:
                found.extend(_grid(free, spans, wall_start, wall_end, rules))
        day += timedelta(days=1)
    return sorted(set(found))


def by_day(slots: Sequence[Slot], zone: str) -> list[tuple[date, list[Slot]]]:
    """Group slots by their start's date in `zone` (the leader's), days and slots in order."""
    here = zone_info(zone)
    days: list[tuple[date, list[Slot]]] = []
    for slot in sorted(slots):
        local_day = slot.starts_at.astimezone(here).date()
        if days and days[-1][0] == local_day:
            days[-1][1].append(slot)
        else:
            days.append((local_day, [slot]))
    return days


Offsets = tuple[tuple[datetime, datetime, timedelta], ...]
"""UTC spans [start, end), each with the one UTC offset in force throughout it."""


def _grid(
    free: list[Interval],
    spans: Offsets,
    wall_start: datetime,
    wall_end: datetime,
    rules: SlotRules,
) -> list[Slot]:
    """Slots on the window's wall-clock grid inside one free span, once per wall time."""
    found = []
    wall = wall_start
    while wall < wall_end:
        for start in _instants(spans, wall):
            if covers(free, (start, start + rules.length)):
                found.append(Slot(start, start + rules.length))
                break
        wall += rules.step
    return found


def _instants(spans: Offsets, wall: datetime) -> list[datetime]:
    """Every instant showing `wall` on the clock, in order: none in a gap, two when repeated."""
    naive_utc = wall.replace(tzinfo=UTC)
    return [naive_utc - off for lo, hi, off in spans if lo <= naive_utc - off < hi]


def _window(spans: Offsets, wall_start: datetime, wall_end: datetime) -> list[Interval]:
    """The instants whose wall time is in [wall_start, wall_end), as merged UTC spans."""
    start, end = wall_start.replace(tzinfo=UTC), wall_end.replace(tzinfo=UTC)
    return merge((max(lo, start - off), min(hi, end - off)) for lo, hi, off in spans)


@lru_cache(maxsize=8192)
def _offsets(day: date, zone: tzinfo) -> Offsets:
    """The UTC offsets of `zone` over every instant that can show a wall time on `day`."""
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    edges = [midnight + timedelta(hours=h) for h in range(-15, 41, 11)]  # offsets lie in ±15 h
    spans: list[tuple[datetime, datetime, timedelta]] = []
    for lo, hi in pairwise(edges):
        before, after = _offset(lo, zone), _offset(hi, zone)
        if before == after:  # no change inside 11 hours: one change at most is assumed
            spans.append((lo, hi, before))
            continue
        change = _change(lo, hi, zone, after)
        spans += [(lo, change, before), (change, hi, after)]
    joined: list[tuple[datetime, datetime, timedelta]] = []
    for lo, hi, off in spans:
        if joined and joined[-1][2] == off:
            joined[-1] = (joined[-1][0], hi, off)
        else:
            joined.append((lo, hi, off))
    return tuple(joined)


def _offset(instant: datetime, zone: tzinfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    return offset if offset is not None else timedelta(0)


def _change(lo: datetime, hi: datetime, zone: tzinfo, after: timedelta) -> datetime:
    """The first whole second in (lo, hi] whose offset is `after` (the clock change)."""
    second = timedelta(seconds=1)
    while hi - lo > second:
        mid = lo + ((hi - lo) // 2 // second) * second
        if _offset(mid, zone) == after:
            hi = mid
        else:
            lo = mid
    return hi


@lru_cache(maxsize=4096)
def _weekly(windows: tuple[Window, ...]) -> tuple[tuple[tuple[time, time], ...], ...]:
    """Per weekday (0..6), that day's windows sorted, touching or overlapping ones joined."""
    days: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for weekday, starts, ends in sorted(windows):
        if ends <= starts:
            continue
        spans = days[weekday]
        if spans and starts <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(ends, spans[-1][1]))
        else:
            spans.append((starts, ends))
    return tuple(tuple(spans) for spans in days)
