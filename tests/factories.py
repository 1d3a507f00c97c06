"""Small builders for test data: an organisation with a programme, coach and leader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AvailabilityWindow,
    CoachProfile,
    Engagement,
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
