"""Small builders for test data: an organisation with a programme, coach and leader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AvailabilityWindow,
    Booking,
    BookingSeat,
    CoachProfile,
    Engagement,
    Goal,
    Organisation,
    Person,
    Programme,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class World:
    """The ids of a minimal organisation."""

    org: Organisation
    programme: Programme
    coach: Person
    leader: Person
    engagement: Engagement


async def make_world(db: AsyncSession, now: datetime = T0) -> World:
    """Create an organisation, one programme, one coach with availability, one leader."""
    org = Organisation(slug="acme", name="Acme", created_at=now)
    db.add(org)
    await db.flush()
    programme = Programme(
        organisation_id=org.id,
        slug="lead",
        name="Leadership Programme",
        modality="leadership",
        created_at=now,
    )
    coach = Person(
        organisation_id=org.id,
        email="coach@example.com",
        name="Ana Ruiz",
        role="coach",
        timezone="Europe/Madrid",
        created_at=now,
        updated_at=now,
    )
    leader = Person(
        organisation_id=org.id,
        email="leader@example.com",
        name="Sam Lee",
        role="leader",
        timezone="America/New_York",
        created_at=now,
        updated_at=now,
    )
    db.add_all([programme, coach, leader])
    await db.flush()
    db.add(
        CoachProfile(
            person_id=coach.id,
            accreditation_body="ICF",
            accreditation_level="PCC",
            modalities=["leadership"],
            languages=["en", "es"],
            availability=[AvailabilityWindow(weekday=1, starts=time(9), ends=time(12))],
        )
    )
    engagement = Engagement(
        leader_id=leader.id,
        coach_id=coach.id,
        programme_id=programme.id,
        started_on=date(2026, 11, 2),
        created_at=now,
    )
    db.add(engagement)
    await db.flush()
    return World(org=org, programme=programme, coach=coach, leader=leader, engagement=engagement)


def add_booking(db: AsyncSession, w: World, starts_at: datetime, *, uid: str = "uid-1") -> Booking:
    """A confirmed one-hour session between the world's leader and coach, with its seat."""
    ends_at = starts_at + timedelta(hours=1)
    booking = Booking(
        engagement_id=w.engagement.id,
        leader_id=w.leader.id,
        coach_id=w.coach.id,
        programme_id=w.programme.id,
        starts_at=starts_at,
        ends_at=ends_at,
        seats_taken=1,
        ics_uid=uid,
        created_at=T0,
        updated_at=T0,
    )
    booking.seats.append(
        BookingSeat(
            leader_id=w.leader.id,
            engagement_id=w.engagement.id,
            starts_at=starts_at,
            ends_at=ends_at,
            created_at=T0,
            updated_at=T0,
        )
    )
    db.add(booking)
    return booking


def add_goal(db: AsyncSession, w: World, title: str, levels: dict[str, str]) -> Goal:
    """A goal of the world's leader with the given GAS level descriptions."""
    goal = Goal(
        engagement_id=w.engagement.id,
        leader_id=w.leader.id,
        title=title,
        levels=levels,
        created_at=T0,
        updated_at=T0,
    )
    db.add(goal)
    return goal


async def add_person(
    db: AsyncSession, w: World, *, email: str, name: str, role: str, timezone: str
) -> Person:
    """Another person of the world's organisation, flushed so it has an id."""
    person = Person(
        organisation_id=w.org.id,
        email=email,
        name=name,
        role=role,
        timezone=timezone,
        created_at=T0,
        updated_at=T0,
    )
    db.add(person)
    await db.flush()
    return person
