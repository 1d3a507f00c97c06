"""A person's playground transcript: their delivered web-channel outbox rows, as HTML entries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui import Message
from handlers.web.render import render_message
from prompts import copy_for
from storage.models import OutboxMessage, Person

WEB = "web"
PAGE = 200


async def last_id(*, db: AsyncSession, person: Person) -> int:
    """The newest outbox row id of this person (0 when none): new replies come after it."""
    newest = await db.scalar(
        select(func.max(OutboxMessage.id)).where(OutboxMessage.person_id == person.id)
    )
    return int(newest or 0)


async def delivered(
    *, db: AsyncSession, person: Person, after: int, limit: int = PAGE
) -> list[dict[str, object]]:
    """Sent web messages of `person` with id > `after`, oldest first, rendered in their zone."""
    rows = (
        await db.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.person_id == person.id,
                OutboxMessage.channel == WEB,
                OutboxMessage.status == "sent",
                OutboxMessage.id > after,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    copy = copy_for(person.locale)
    entries: list[dict[str, object]] = []
    for row in rows:
        message = Message.from_payload(row.payload)
        sent_at = row.sent_at or row.created_at
        entries.append(
            {
                "id": row.id,
                "kind": row.kind,
                "dedupe_key": row.dedupe_key,
                "replaces": message.replaces or None,
                "sent_at": sent_at.isoformat(),
                "html": render_message(
                    message, sent_at=sent_at, zone=person.timezone, dom_id=f"m{row.id}", copy=copy
                ),
            }
        )
    return entries
