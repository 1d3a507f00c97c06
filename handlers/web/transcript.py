"""A person's playground transcript: their delivered web-channel outbox rows, as HTML entries.

The page asks for rows after the newest id it has (`after`). A row can be sent after rows with
higher ids (a coach's welcome held until their working hours), so every answer also lists the
ids at or below its cursor that are not sent yet (`waiting`); the page sends them back and
gets each one once it is sent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui import Message
from handlers.web.parse import MAX_WAITING
from handlers.web.render import render_message
from prompts import copy_for
from storage.models import OutboxMessage, Person

WEB = "web"
PAGE = 200
UNSENT = ("pending", "sending")


@dataclass(frozen=True)
class Page:
    """Entries for the page, where to resume (`cursor`), and the ids still to come below it."""

    entries: list[dict[str, object]]
    cursor: int
    waiting: list[int]
    more: bool

    def to_json(self) -> dict[str, object]:
        """This page as a JSON-ready dict."""
        return {
            "entries": self.entries,
            "cursor": self.cursor,
            "waiting": self.waiting,
            "more": self.more,
        }


async def last_id(*, db: AsyncSession, person: Person) -> int:
    """The newest outbox row id of this person (0 when none): new replies come after it."""
    newest = await db.scalar(
        select(func.max(OutboxMessage.id)).where(OutboxMessage.person_id == person.id)
    )
    return int(newest or 0)


def _mine(person: Person) -> tuple[ColumnElement[bool], ...]:
    return (OutboxMessage.person_id == person.id, OutboxMessage.channel == WEB)


async def delivered(
    *,
    db: AsyncSession,
    person: Person,
    after: int,
    waiting: Collection[int] = (),
    limit: int = PAGE,
) -> Page:
    """Sent web messages of `person` with id > `after`, and those of `waiting` sent since."""
    sent = (*_mine(person), OutboxMessage.status == "sent")
    page = (
        await db.scalars(
            select(OutboxMessage)
            .where(*sent, OutboxMessage.id > after)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    cursor = max([after, *(row.id for row in page)])
    rows = list(page)
    late_ids = sorted({i for i in waiting if i <= after})[:MAX_WAITING]
    if late_ids:
        late = select(OutboxMessage).where(*sent, OutboxMessage.id.in_(late_ids))
        rows += (await db.scalars(late)).all()
    still = (
        await db.scalars(
            select(OutboxMessage.id)
            .where(*_mine(person), OutboxMessage.status.in_(UNSENT), OutboxMessage.id <= cursor)
            .order_by(OutboxMessage.id)
            .limit(MAX_WAITING)
        )
    ).all()
    rows.sort(key=lambda row: (row.sent_at or row.created_at, row.id))
    return Page(
        entries=[_entry(row, person) for row in rows],
        cursor=cursor,
        waiting=list(still),
        more=len(page) >= limit,
    )


def _entry(row: OutboxMessage, person: Person) -> dict[str, object]:
    message = Message.from_payload(row.payload)
    sent_at = row.sent_at or row.created_at
    return {
        "id": row.id,
        "kind": row.kind,
        "dedupe_key": row.dedupe_key,
        "replaces": message.replaces or None,
        "sent_at": sent_at.isoformat(),
        "html": render_message(
            message,
            sent_at=sent_at,
            zone=person.timezone,
            dom_id=f"m{row.id}",
            copy=copy_for(person.locale),
        ),
    }
