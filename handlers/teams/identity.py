"""Who is talking in Teams: the AAD object id, else the member's email from the roster."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import by_chat_id, by_email, only_organisation
from storage.models import OutboxMessage, Person, PlatformIdentity, TeamsTenant

NOT_ENROLLED_FOR = 600.0
"""Seconds to remember that a Teams user is on no roster (their email is not asked again)."""
MEMORY = 10_000
NOT_INSTALLED = "not installed"
"""How the sender's dead-letter reason for "app not installed for them" begins."""


async def linked(db: AsyncSession, tenant_id: str, aad_id: str) -> Person | None:
    """The person whose Teams identity is this AAD object id, if linked already."""
    return await by_chat_id(db=db, platform="teams", tenant=tenant_id, external_id=aad_id)


async def organisation_of(db: AsyncSession, tenant_id: str) -> int | None:
    """The organisation of this tenant; the only one when there is just one."""
    found = await db.scalar(
        select(TeamsTenant.organisation_id).where(TeamsTenant.tenant_id == tenant_id)
    )
    if found is not None:
        return found
    return await only_organisation(db)


@dataclass
class TeamsIdentities:
    """Links Teams users to roster people; remembers misses for a while, stores nothing."""

    _misses: dict[tuple[str, str], float] = field(default_factory=dict)

    def missed(self, tenant_id: str, aad_id: str) -> bool:
        """True when this user was on no roster a short while ago."""
        return self._misses.get((tenant_id, aad_id), 0.0) > time.monotonic()

    async def resolve(
        self,
        db: AsyncSession,
        *,
        tenant_id: str,
        aad_id: str,
        email: str,
        reference: dict[str, Any],
        now: datetime,
    ) -> Person | None:
        """The roster person (linking them by email the first time), with the fresh reference."""
        person = await linked(db, tenant_id, aad_id) if aad_id else None
        if person is None and aad_id and email and not self.missed(tenant_id, aad_id):
            organisation_id = await organisation_of(db, tenant_id)
            if organisation_id is not None:
                person = await by_email(db=db, organisation_id=organisation_id, email=email)
        if person is None:
            if aad_id:
                if len(self._misses) > MEMORY:
                    self._misses.clear()
                self._misses[(tenant_id, aad_id)] = time.monotonic() + NOT_ENROLLED_FOR
            return None
        await _keep(db, person, tenant_id=tenant_id, aad_id=aad_id, reference=reference, now=now)
        return person


async def _keep(
    db: AsyncSession,
    person: Person,
    *,
    tenant_id: str,
    aad_id: str,
    reference: dict[str, Any],
    now: datetime,
) -> None:
    """Store (or refresh) the person's Teams identity and conversation reference."""
    ident = await db.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.person_id == person.id, PlatformIdentity.platform == "teams"
        )
    )
    if ident is None:
        db.add(
            PlatformIdentity(
                person_id=person.id,
                platform="teams",
                tenant_key=tenant_id,
                external_id=aad_id,
                conversation_ref=reference,
                created_at=now,
            )
        )
    else:
        ident.external_id, ident.tenant_key = aad_id, tenant_id
        if ident.conversation_ref != reference:
            ident.conversation_ref = reference
        if ident.unreachable_reason is not None:  # they can be reached now: resend what waited
            ident.unreachable_reason, ident.unreachable_since = None, None
            await resend_waiting(db, person.id, now)
    await db.flush()


async def resend_waiting(db: AsyncSession, person_id: int, now: datetime) -> None:
    """Queue again the person's Teams messages that died because the app was not installed."""
    await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.person_id == person_id,
            OutboxMessage.channel == "teams",
            OutboxMessage.status == "dead",
            OutboxMessage.last_error.startswith(NOT_INSTALLED),
        )
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
