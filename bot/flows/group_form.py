"""Checking the coach's group-session form: every field, before anything is created."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.groups import GROUP_CAPACITY, GROUP_MINUTES
from bot.timefmt import local, show, zone_info
from prompts import Copy
from storage.models import CoachProfile, Engagement, Person, Programme

TITLE_MAX = 200
COHORTS_SHOWN = 10
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
_NUMBER = re.compile(r"^\d{1,4}$")


@dataclass(frozen=True)
class GroupDraft:
    """A group session whose every field has been checked."""

    programme: Programme
    title: str
    cohort: str | None
    starts_at: datetime
    minutes: int
    capacity: int


async def coached_programmes(db: AsyncSession, coach: Person) -> list[Programme]:
    """The programmes of the coach's organisation in a modality the coach coaches."""
    profile = await db.get(CoachProfile, coach.id)
    modalities = list(profile.modalities) if profile is not None else []
    if not modalities:
        return []
    rows = await db.scalars(
        select(Programme)
        .where(
            Programme.organisation_id == coach.organisation_id,
            Programme.modality.in_(modalities),
        )
        .order_by(Programme.name, Programme.id)
    )
    return list(rows.all())


async def cohorts_of(db: AsyncSession, programme: Programme) -> list[str]:
    """The cohorts of the leaders with an engagement in the programme, as they are spelled."""
    rows = await db.scalars(
        select(Person.cohort)
        .join(Engagement, Engagement.leader_id == Person.id)
        .where(Engagement.programme_id == programme.id, Person.cohort.is_not(None))
        .distinct()
        .order_by(Person.cohort)
    )
    return [c for c in rows.all() if c and c.strip()]


def read_clock(text: str) -> time | None:
    """HH:MM (00:00-23:59) as a time, else None."""
    found = _CLOCK.match(text)
    if found is None:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _number(text: str, bounds: tuple[int, int]) -> int | None:
    value = int(text) if _NUMBER.match(text) else None
    return value if value is not None and bounds[0] <= value <= bounds[1] else None


def _real_instant(day: date, clock: time, zone: str) -> datetime | None:
    """The UTC instant of a local day and time, None when the clocks skip it (DST gap)."""
    instant = datetime.combine(day, clock, tzinfo=zone_info(zone)).astimezone(UTC)
    back = local(instant, zone)
    return instant if (back.date(), back.time()) == (day, clock) else None


class _Problems:
    """The wrong fields, each named by its form label, in the form's order."""

    def __init__(self, copy: Copy) -> None:
        self.copy = copy
        self.lines: list[str] = []

    def add(self, label_key: str, why_key: str, **values: object) -> None:
        label = self.copy(label_key, **values)
        why = self.copy(why_key, **values)
        self.lines.append(self.copy("coach.group_problem", field=label, why=why))


async def check_group(
    *,
    db: AsyncSession,
    copy: Copy,
    coach: Person,
    values: Mapping[str, str],
    programmes: list[Programme],
    now: datetime,
) -> GroupDraft | list[str]:
    """The checked form, or one line per wrong field (nothing is written either way)."""
    zone = coach.timezone
    problems = _Problems(copy)
    chosen = values.get("programme", "").strip()
    programme = next((p for p in programmes if str(p.id) == chosen), None)
    if programme is None:
        problems.add("coach.group_programme", "coach.group_why_programme")
    title = " ".join(values.get("title", "").split())
    if not title:
        problems.add("coach.group_name", "coach.group_why_required")
    elif len(title) > TITLE_MAX:
        problems.add("coach.group_name", "coach.group_why_title_long", max=TITLE_MAX)
    cohort = " ".join(values.get("cohort", "").split()) or None
    if cohort is not None and programme is not None:
        cohort = await _cohort(db, problems, programme, cohort)
    day_text, clock_text = values.get("date", "").strip(), values.get("time", "").strip()
    example = (local(now, zone).date() + timedelta(days=7)).isoformat()
    try:
        day: date | None = date.fromisoformat(day_text) if _is_day(day_text) else None
    except ValueError:
        day = None
    if day is None:
        why = "coach.group_why_date" if day_text else "coach.group_why_required"
        problems.add("coach.group_date", why, example=example)
    clock = read_clock(clock_text)
    if clock is None:
        why = "coach.group_why_time" if clock_text else "coach.group_why_required"
        problems.add("coach.group_time", why, zone=zone)
    starts_at = None
    if day is not None and clock is not None:
        starts_at = _real_instant(day, clock, zone)
        if starts_at is None:
            problems.add(
                "coach.group_time", "coach.group_why_no_such_time", zone=zone, time=clock_text
            )
        elif starts_at <= now:
            when = show(starts_at, zone)
            problems.add("coach.group_time", "coach.group_why_past", zone=zone, when=when)
    minutes = _number(values.get("minutes", "").strip(), GROUP_MINUTES)
    if minutes is None:
        low, high = GROUP_MINUTES
        problems.add("coach.group_minutes", "coach.group_why_range", low=low, high=high)
    capacity = _number(values.get("capacity", "").strip(), GROUP_CAPACITY)
    if capacity is None:
        low, high = GROUP_CAPACITY
        problems.add("coach.group_capacity", "coach.group_why_range", low=low, high=high)
    if problems.lines:
        return problems.lines
    assert programme is not None and starts_at is not None
    assert minutes is not None and capacity is not None
    return GroupDraft(programme, title, cohort, starts_at, minutes, capacity)


def _is_day(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


async def _cohort(
    db: AsyncSession, problems: _Problems, programme: Programme, cohort: str
) -> str | None:
    """The leaders' own spelling of the cohort; a problem line when no leader is in it."""
    known = await cohorts_of(db, programme)
    wanted = cohort.casefold()
    match = next((c for c in known if " ".join(c.split()).casefold() == wanted), None)
    if match is not None:
        return match
    if known:
        shown = ", ".join(known[:COHORTS_SHOWN])
        problems.add(
            "coach.group_cohort",
            "coach.group_why_cohort",
            programme=programme.name,
            cohort=cohort,
            cohorts=shown,
        )
    else:
        problems.add("coach.group_cohort", "coach.group_why_no_cohorts", programme=programme.name)
    return None
