"""Quiet hours in a person's own zone: no nudge between 20:00 and 08:00 unless they chose so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.nudges.schedule import wall_instant
from bot.timefmt import zone_info


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local wall-clock quiet hours [start, end); a start after the end runs past midnight."""

    start: time = time(20)
    end: time = time(8)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local wall times: no tzinfo")

    def contains(self, wall: time) -> bool:
        """True when the local wall time `wall` is inside the quiet hours (start == end: never)."""
        wall = wall.replace(tzinfo=None, fold=0)
        if self.start <= self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


def defer_out_of_quiet(instant: datetime, zone: str, quiet: QuietHours, allowed: bool) -> datetime:
    """`instant` (UTC), or the next end of quiet hours (08:00 local) if it falls inside them."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: times in the core are aware UTC")
    here = instant.astimezone(zone_info(zone))
    if allowed or not quiet.contains(here.time()):
        return instant.astimezone(UTC)
    day = here.date()
    if quiet.start > quiet.end and here.time() >= quiet.start:
        day += timedelta(days=1)  # an evening: quiet ends tomorrow morning
    end = wall_instant(day, quiet.end, zone)
    return max(end, instant.astimezone(UTC))
