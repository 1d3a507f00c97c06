"""Builders for the booking service tests: a coach open all week and many leaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.model import Slot
from storage.db import Database
from storage.models import (
    AvailabilityWindow,
    Booking,
    BookingSeat,
    CoachBusy,
    CoachProfile,
    Engagement,
    Organisation,
    OutboxMessage,
    Person,
    Programme,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday
DAY = datetime(2026, 12, 1, tzinfo=UTC)  # the next Tuesday (London is on UTC in December)


def at(hour: int, minute: int = 0, *, minutes: int = 60, day: datetime = DAY) -> Slot:
    """The slot starting at hour:minute UTC on `day` (default 1 Dec 2026)."""
    start = day + timedelta(hours=hour, minutes=minute)
    return Slot(start, start + timedelta(minutes=minutes))


@dataclass
class Ids:
    """Ids of the world: reload them in each transaction."""

    org: int
    programme: int
    coach: int
    coaches: list[int]
    leaders: list[int]
    engagements: list[int]


async def build(
    database: Database,
    *,
    leaders: int = 1,
    coaches: int = 1,
    cohort: str | None = None,
    sessions: int = 6,
) -> Ids:
    """An org, a programme, coaches open Mon-Fri 08:00-18:00 London, leaders engaged to coach 1."""
    async with database.transaction() as s:
        org = Organisation(slug="acme", name="Acme", created_at=NOW)
        s.add(org)
        await s.flush()
        programme = Programme(
            organisation_id=org.id,
            slug="lead",
            name="Leadership",
            modality="leadership",
            sessions_per_leader=sessions,
            created_at=NOW,
        )
        s.add(programme)
        coach_ids = []
        for n in range(coaches):
            coach = _person(org.id, f"coach{n}", "coach", "Europe/London")
            s.add(coach)
            await s.flush()
            s.add(
                CoachProfile(
                    person_id=coach.id,
                    accreditation_body="ICF",
                    accreditation_level="PCC",
                    modalities=["leadership"],
                    languages=["en"],
                    capacity=100,
                    buffer_minutes=15,
                    min_notice_hours=24,
                    availability=[
                        AvailabilityWindow(weekday=d, starts=time(8), ends=time(18))
                        for d in range(5)
                    ],
                )
            )
            coach_ids.append(coach.id)
        people = [
            _person(org.id, f"leader{n}", "leader", "America/New_York", cohort=cohort)
            for n in range(leaders)
        ]
        s.add_all(people)
        await s.flush()
        engagements = [
            Engagement(
                leader_id=p.id,
                coach_id=coach_ids[0],
                programme_id=programme.id,
                started_on=date(2026, 11, 2),
                created_at=NOW,
            )
            for p in people
        ]
        s.add_all(engagements)
        await s.flush()
        return Ids(
            org=org.id,
            programme=programme.id,
            coach=coach_ids[0],
            coaches=coach_ids,
            leaders=[p.id for p in people],
            engagements=[e.id for e in engagements],
        )


def _person(org_id: int, handle: str, role: str, zone: str, cohort: str | None = None) -> Person:
    return Person(
        organisation_id=org_id,
        email=f"{handle}@example.com",
        name=handle.title(),
        role=role,
        timezone=zone,
        cohort=cohort,
        created_at=NOW,
        updated_at=NOW,
    )


async def counts(database: Database) -> dict[str, int]:
    """How many rows each booking table (and the outbox) holds."""
    result = {}
    async with database.reading() as s:
        for model in (Booking, BookingSeat, OutboxMessage, CoachBusy):
            n = await s.scalar(select(func.count()).select_from(model))
            result[model.__tablename__] = int(n or 0)
    return result


async def engagement(s: AsyncSession, engagement_id: int) -> Engagement:
    """The engagement, loaded in this session."""
    found = await s.get(Engagement, engagement_id)
    assert found is not None
    return found


async def person(s: AsyncSession, person_id: int) -> Person:
    """The person, loaded in this session."""
    found = await s.get(Person, person_id)
    assert found is not None
    return found


async def booking(s: AsyncSession, booking_id: int) -> Booking:
    """The booking, loaded in this session."""
    found = await s.get(Booking, booking_id)
    assert found is not None
    return found
