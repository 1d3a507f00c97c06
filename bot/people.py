"""Looking people up: by id or email, and a leader's current engagement and coach."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Engagement, Person


async def by_email(*, db: AsyncSession, organisation_id: int, email: str) -> Person | None:
    """The person with this email (case-insensitive) in an organisation."""
    return await db.scalar(
        select(Person).where(
            Person.organisation_id == organisation_id, Person.email == email.strip().lower()
        )
    )


async def current_engagement(*, db: AsyncSession, leader: Person) -> Engagement | None:
    """The leader's active engagement (the most recent), with its coach and programme loaded."""
    return await db.scalar(
        select(Engagement)
        .where(Engagement.leader_id == leader.id, Engagement.status.in_(("active", "paused")))
        .options(selectinload(Engagement.coach), selectinload(Engagement.programme))
        .order_by(Engagement.started_on.desc(), Engagement.id.desc())
        .limit(1)
    )
