"""Looking people up: by id or email, and a leader's current engagement and coach."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Engagement, Organisation, Person, PlatformIdentity


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


def _chat_identity(platform: str, tenant: str, external_id: str) -> tuple[Any, ...]:
    """Conditions for a chat user's identity (a roster imported without the tenant matches)."""
    return (
        PlatformIdentity.platform == platform,
        PlatformIdentity.external_id == external_id,
        or_(PlatformIdentity.tenant_key == tenant, PlatformIdentity.tenant_key == ""),
    )


async def has_chat_identity(
    *, db: AsyncSession, platform: str, tenant: str, external_id: str
) -> bool:
    """True when this chat user is linked to a person already."""
    conditions = _chat_identity(platform, tenant, external_id)
    return await db.scalar(select(PlatformIdentity.id).where(*conditions)) is not None


async def by_chat_id(
    *, db: AsyncSession, platform: str, tenant: str, external_id: str
) -> Person | None:
    """The person linked to this chat user (their tenant is filled in if the roster lacked it)."""
    conditions = _chat_identity(platform, tenant, external_id)
    ident = await db.scalar(select(PlatformIdentity).where(*conditions))
    if ident is None:
        return None
    if ident.tenant_key != tenant:
        ident.tenant_key = tenant  # imported without the workspace or tenant: now we know it
    return await db.get(Person, ident.person_id)


async def only_organisation(db: AsyncSession) -> int | None:
    """The organisation's id when there is exactly one."""
    orgs = list(await db.scalars(select(Organisation.id).limit(2)))
    return orgs[0] if len(orgs) == 1 else None
