"""Builders for the matching tests: an organisation of coaches and leaders (no tests here)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, time

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AvailabilityWindow,
    CoachProfile,
    Engagement,
    Organisation,
    Person,
    Programme,
)
from tests.factories import T0

WEEKDAYS = (0, 1, 2, 3, 4)
_SERIAL = itertools.count(1)


async def org(s: AsyncSession, slug: str = "mad", modality: str = "leadership") -> Programme:
    """An organisation with one programme of `modality`; returns the programme."""
    organisation = Organisation(slug=slug, name=slug.title(), created_at=T0)
    s.add(organisation)
    await s.flush()
    programme = Programme(
        organisation_id=organisation.id,
        slug=f"{slug}-{modality}",
        name=f"{modality.title()} programme",
        modality=modality,
        created_at=T0,
    )
    s.add(programme)
    await s.flush()
    return programme


async def person(
    s: AsyncSession,
    programme: Programme,
    name: str,
    zone: str,
    *,
    role: str = "leader",
    locale: str = "en",
    org_id: int | None = None,
) -> Person:
    """A person of the programme's organisation (or of `org_id`)."""
    p = Person(
        organisation_id=org_id or programme.organisation_id,
        email=f"{name.lower().replace(' ', '.')}@example.com",
        name=name,
        role=role,
        timezone=zone,
        locale=locale,
        created_at=T0,
        updated_at=T0,
    )
    s.add(p)
    await s.flush()
    return p


async def coach(
    s: AsyncSession,
    programme: Programme,
    name: str,
    zone: str,
    *,
    languages: Sequence[str] = ("en",),
    body: str = "ICF",
    level: str = "PCC",
    capacity: int = 8,
    hours: tuple[time, time] | None = (time(9), time(13)),
    days: Sequence[int] = WEEKDAYS,
    modalities: Sequence[str] = ("leadership",),
    org_id: int | None = None,
) -> Person:
    """A coach with a profile and the same window on each of `days` (local to `zone`)."""
    p = await person(s, programme, name, zone, role="coach", org_id=org_id)
    windows = (
        []
        if hours is None
        else [AvailabilityWindow(weekday=d, starts=hours[0], ends=hours[1]) for d in days]
    )
    s.add(
        CoachProfile(
            person_id=p.id,
            accreditation_body=body,
            accreditation_level=level,
            modalities=list(modalities),
            languages=list(languages),
            capacity=capacity,
            availability=windows,
        )
    )
    await s.flush()
    return p


async def enrol(
    s: AsyncSession,
    programme: Programme,
    leader: Person,
    coach: Person | None = None,
    status: str = "active",
) -> Engagement:
    """An engagement of `leader` in the programme, with `coach` if given."""
    e = Engagement(
        leader_id=leader.id,
        coach_id=coach.id if coach else None,
        programme_id=programme.id,
        status=status,
        started_on=date(2026, 11, 2),
        created_at=T0,
    )
    s.add(e)
    await s.flush()
    return e


async def clients(
    s: AsyncSession, programme: Programme, coach: Person, *statuses: str
) -> list[Engagement]:
    """Other leaders of the organisation engaged with `coach`, one per status given."""
    out = []
    for status in statuses:
        n = next(_SERIAL)
        leader = await person(s, programme, f"Client {coach.id}-{n} {status}", "Europe/Madrid")
        out.append(await enrol(s, programme, leader, coach, status))
    return out
