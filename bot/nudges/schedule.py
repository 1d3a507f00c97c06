"""Pure scheduling rules of weekly nudges: periods, next due instants, grace, caps, back-off.

Every instant in and out is aware UTC; wall times are computed in the person's IANA zone.
Nothing here reads the clock: the caller passes `after` / `now`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from bot.timefmt import zone_info

LateDecision = Literal["send", "skip_late", "not_yet"]

BACK_OFF_AFTER = 3  # ignored nudges in a row before the cadence becomes fortnightly
_PERIOD = re.compile(r"^(\d{4})-W(\d{2})$")


def _aware(dt: datetime, name: str) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime for {name}: times in the core are aware UTC")


def period_of(instant: datetime, zone: str) -> str:
    """The ISO week of `instant` in `zone`, e.g. '2026-W49' (the nudge's unique-key period)."""
    _aware(instant, "instant")
    year, week, _ = instant.astimezone(zone_info(zone)).isocalendar()
    return f"{year:04d}-W{week:02d}"


def period_monday(period: str) -> date:
    """The Monday that starts an ISO-week period such as '2026-W49'."""
    found = _PERIOD.match(period)
    if found is None:
        raise ValueError(f"not an ISO week period: {period!r}")
    return date.fromisocalendar(int(found[1]), int(found[2]), 1)


def weeks_between(earlier: str, later: str) -> int:
    """How many ISO weeks `later` is after `earlier` (negative when it is before)."""
    return (period_monday(later) - period_monday(earlier)).days // 7


def wall_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of the local wall time `day` `at` in `zone`, with the DST rules applied.

    A wall time inside a spring-forward gap moves forward by the gap (02:30 -> 03:30); an
    ambiguous one in a fall-back overlap is the first occurrence.
    """
    if at.tzinfo is not None:
        raise ValueError("`at` is a local wall time: it must not carry a tzinfo")
    # fold=0 means: in a gap use the offset in force before it (so the instant lands later by
    # the gap), in an overlap use the earlier offset (the first occurrence). PEP 495.
    wall = datetime.combine(day, at.replace(fold=0), tzinfo=zone_info(zone))
    return wall.astimezone(UTC)


def next_due(
    *,
    weekday: int,
    at: time,
    zone: str,
    after: datetime,
    cadence_weeks: int = 1,
    anchor_period: str | None = None,
) -> datetime:
    """The first instant strictly after `after` that is local `weekday` `at` in `zone` (UTC).

    With a cadence of n weeks only weeks a multiple of n away from `anchor_period` count
    (anchor defaults to the local week of `after`, i.e. the last send's week).
    """
    _aware(after, "after")
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
    if cadence_weeks < 1:
        raise ValueError(f"cadence_weeks must be at least 1, not {cadence_weeks}")
    anchor = period_monday(anchor_period or period_of(after, zone))
    # Start a day early: only a whole skipped day (Samoa 2011) can push a wall time that far.
    first = after.astimezone(zone_info(zone)).date() - timedelta(days=1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    for _ in range(3 * cadence_weeks + 3):
        monday = day - timedelta(days=day.weekday())
        if ((monday - anchor).days // 7) % cadence_weeks == 0:
            due = wall_instant(day, at, zone)
            if due > after:
                return due
        day += timedelta(days=7)
    raise AssertionError("unreachable: a matching week always exists within the cadence")


def late_decision(*, due: datetime, now: datetime, grace: timedelta) -> LateDecision:
    """'not_yet' before `due`, 'send' up to `due + grace` inclusive, 'skip_late' after it."""
    _aware(due, "due")
    _aware(now, "now")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    if now < due:
        return "not_yet"
    return "send" if now <= due + grace else "skip_late"


def in_blackout(
    *,
    instant: datetime,
    sessions: Sequence[tuple[datetime, datetime]],
    before: timedelta = timedelta(hours=24),
) -> bool:
    """True when `instant` falls in the `before` window ahead of a session, or during one."""
    _aware(instant, "instant")
    return any(start - before <= instant < max(start, end) for start, end in sessions)


def over_cap(*, sent_this_week: int, cap: int) -> bool:
    """True when the week's messages already reached the cap (no further message allowed)."""
    if cap < 0 or sent_this_week < 0:
        raise ValueError("cap and sent_this_week must not be negative")
    return sent_this_week >= cap


def cadence_after(ignored_streak: int) -> int:
    """Weeks between nudges: 1, or 2 once three nudges in a row were ignored."""
    return 2 if ignored_streak >= BACK_OFF_AFTER else 1


def should_ask_to_pause(ignored_streak: int, already_asked: bool) -> bool:
    """True the first time the ignored streak reaches three (asked once, never again)."""
    return ignored_streak >= BACK_OFF_AFTER and not already_asked


def reminder_due(
    *,
    sent_at: datetime,
    answered_at: datetime | None,
    now: datetime,
    delay: timedelta = timedelta(hours=24),
    grace: timedelta | None = None,
) -> bool:
    """True when an unanswered nudge is `delay` old (and, given a grace, not stale beyond it)."""
    _aware(sent_at, "sent_at")
    _aware(now, "now")
    if answered_at is not None and answered_at <= now:
        return False
    if grace is None:
        return now >= sent_at + delay
    return late_decision(due=sent_at + delay, now=now, grace=grace) == "send"
