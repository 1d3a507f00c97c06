"""Working hours and days in a person's own zone: when the bot may speak to them."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.timefmt import zone_info
from storage.models import Person

log = logging.getLogger(__name__)
DEFAULT_WORKING_DAYS = (0, 1, 2, 3, 4)


def zone_of(person: Person) -> ZoneInfo:
    """The person's IANA zone (UTC if the stored name is unknown to this machine)."""
    try:
        return zone_info(person.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        log.warning("person %d has an unknown time zone; using UTC", person.id)
        return ZoneInfo("UTC")


def _days(person: Person) -> tuple[int, ...]:
    return tuple(person.working_days or DEFAULT_WORKING_DAYS)


def _inside(t: time, starts: time, ends: time) -> bool:
    if starts <= ends:
        return starts <= t < ends
    return t >= starts or t < ends  # a working day that runs past midnight


def at_work(person: Person, now: datetime) -> bool:
    """True when `now` is on one of the person's working days, within their hours, locally."""
    here = now.astimezone(zone_of(person))
    t = here.time().replace(tzinfo=None)
    starts, ends = person.workday_starts, person.workday_ends
    day = here.weekday()
    if starts > ends and t < ends:
        day = (day - 1) % 7  # the small hours belong to the day the shift began
    return day in _days(person) and _inside(t, starts, ends)


def next_work_start(person: Person, now: datetime) -> datetime:
    """`now` if the person is at work, else the start of their next working hours (in UTC)."""
    if at_work(person, now):
        return now
    zone = zone_of(person)
    here = now.astimezone(zone)
    for ahead in range(8):
        day = here.date() + timedelta(days=ahead)
        if day.weekday() not in _days(person):
            continue
        start = datetime.combine(day, person.workday_starts, tzinfo=zone)
        if start > here:
            return start.astimezone(now.tzinfo)
    return now  # no working day configured at all: do not hold messages forever
