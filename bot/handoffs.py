"""Developmental handoffs: what a leader wrote for their coach, and the leader's choice for it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, BookingSeat, Handoff, Person

OFFERED, AGENDA, SHARED, PRIVATE, WITHDRAWN = "offered", "agenda", "shared", "private", "withdrawn"
SOON = timedelta(days=7)  # a session within this long needs no "Book a session" button
# `kind` says where the text goes (the vocabulary of storage.models.choices.HANDOFF_KINDS);
# `status` keeps the leader's whole choice, including offered and withdrawn.
_KIND_OF = {OFFERED: "private", AGENDA: "agenda", SHARED: "shared", PRIVATE: "private"}


def offer_key(handoff_id: int) -> str:
    """The outbox dedupe key of a handoff's offer message (later answers update it in place)."""
    return f"handoff:{handoff_id}:offer"


def coach_key(handoff_id: int) -> str:
    """The outbox dedupe key of the message that hands the text to the coach (sent at most once)."""
    return f"handoff:{handoff_id}:coach"


async def create(
    *, db: AsyncSession, leader: Person, coach_id: int | None, text: str, now: datetime
) -> Handoff:
    """Store a leader's words (encrypted), private to them until they choose."""
    status = OFFERED if coach_id is not None else PRIVATE
    handoff = Handoff(
        leader_id=leader.id,
        coach_id=coach_id,
        kind=_KIND_OF[status],
        status=status,
        text=text,
        created_at=now,
    )
    db.add(handoff)
    await db.flush()
    return handoff


def set_status(
    handoff: Handoff, status: str, *, now: datetime, booking_id: int | None = None
) -> None:
    """Record the leader's choice (agenda needs the session's booking id)."""
    handoff.status = status
    handoff.kind = _KIND_OF.get(status, "private")
    handoff.booking_id = booking_id if status == AGENDA else handoff.booking_id
    if status in (AGENDA, SHARED):
        handoff.shared_at = now
    elif status != WITHDRAWN:
        handoff.shared_at = None


def withdrawable(handoff: Handoff) -> bool:
    """True while an agenda item has not yet gone out with the brief."""
    return handoff.status == AGENDA and handoff.delivered_at is None


async def next_session(
    *, db: AsyncSession, leader_id: int, coach_id: int, now: datetime
) -> Booking | None:
    """The leader's next confirmed one-to-one session with this coach that has not started."""
    return await db.scalar(
        select(Booking)
        .join(BookingSeat, BookingSeat.booking_id == Booking.id)
        .where(
            BookingSeat.leader_id == leader_id,
            BookingSeat.status == "confirmed",
            Booking.status == "confirmed",
            Booking.coach_id == coach_id,
            Booking.kind == "session",
            Booking.starts_at > now,
        )
        .order_by(Booking.starts_at, Booking.id)
        .limit(1)
    )


async def agenda_items(db: AsyncSession, booking_id: int) -> list[Handoff]:
    """The items leaders put on this session's agenda (not withdrawn), oldest first."""
    rows = await db.scalars(
        select(Handoff)
        .where(Handoff.booking_id == booking_id, Handoff.status == AGENDA)
        .order_by(Handoff.shared_at, Handoff.id)
    )
    return list(rows.all())


async def shared_items(db: AsyncSession, leader_id: int, since: datetime) -> list[Handoff]:
    """What the leader shared with their coach at once, at or after `since`, oldest first."""
    rows = await db.scalars(
        select(Handoff)
        .where(
            Handoff.leader_id == leader_id,
            Handoff.status == SHARED,
            Handoff.shared_at >= since,
        )
        .order_by(Handoff.shared_at, Handoff.id)
    )
    return list(rows.all())
