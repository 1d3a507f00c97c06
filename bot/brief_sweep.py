"""The pre-session brief sweep: one brief per booking version, to the coach, at its exact time.

`brief_sweep(ctx, now, llm=None)`: the job table calls it without an LLM (JobContext has none);
the lead wires one in (e.g. a `functools.partial` or a JobContext field) to add the synthesis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.brief_window import DEFAULT_BRIEF_MINUTES, brief_key, since_for
from bot.briefs import agenda_for, build_brief, shared_since, synthesis_items
from bot.handoffs import offer_key
from bot.llm import LLM
from bot.outbox import enqueue
from bot.timefmt import show
from bot.ui import Message
from prompts import copy_for
from storage.models import Booking, BookingSeat, Handoff, OutboxMessage, Person, Programme

if TYPE_CHECKING:  # bot.jobs imports this module for its table
    from bot.jobs import JobContext

log = logging.getLogger(__name__)

KIND = "brief"


@dataclass(frozen=True)
class Due:
    """A booking whose brief is due now (ids only: each is built in its own transaction)."""

    booking_id: int
    sequence: int


async def _offsets(db: AsyncSession) -> dict[int, int]:
    """Each programme's brief offset in minutes (positive values only)."""
    rows = await db.execute(select(Programme.id, Programme.brief_offset_minutes))
    return {pid: minutes for pid, minutes in rows.all() if minutes and minutes > 0}


def _offset(offsets: dict[int, int], booking: Booking) -> int:
    return offsets.get(booking.programme_id or -1, DEFAULT_BRIEF_MINUTES)


async def _window(db: AsyncSession, start: datetime, end: datetime) -> list[Booking]:
    """Confirmed one-to-one sessions starting in (start, end]."""
    rows = await db.scalars(
        select(Booking)
        .where(
            Booking.status == "confirmed",
            Booking.kind == "session",
            Booking.starts_at > start,
            Booking.starts_at <= end,
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return list(rows.all())


async def due_briefs(*, db: AsyncSession, now: datetime) -> list[Due]:
    """Sessions inside their brief window whose current version has no brief queued yet."""
    offsets = await _offsets(db)
    longest = max([DEFAULT_BRIEF_MINUTES, *offsets.values()])
    bookings = [
        b
        for b in await _window(db, now, now + timedelta(minutes=longest))
        if b.starts_at - timedelta(minutes=_offset(offsets, b)) <= now
    ]
    if not bookings:
        return []
    keys = [brief_key(b) for b in bookings]
    keyed = select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
    queued = set((await db.scalars(keyed)).all())
    return [Due(b.id, b.sequence) for b in bookings if brief_key(b) not in queued]


async def brief_instants(*, db: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] at which a session's brief falls due, sorted."""
    offsets = await _offsets(db)
    longest = max([DEFAULT_BRIEF_MINUTES, *offsets.values()])
    instants = {
        b.starts_at - timedelta(minutes=_offset(offsets, b))
        for b in await _window(db, start, end + timedelta(minutes=longest))
    }
    return sorted(i for i in instants if start < i <= end)


async def _parties(db: AsyncSession, booking: Booking) -> tuple[Person, Person] | None:
    """The session's leader and coach, or None if either is gone."""
    leader_id = await db.scalar(
        select(BookingSeat.leader_id)
        .where(BookingSeat.booking_id == booking.id, BookingSeat.status == "confirmed")
        .order_by(BookingSeat.id)
        .limit(1)
    )
    leader_id = leader_id or booking.leader_id
    leader = await db.get(Person, leader_id) if leader_id is not None else None
    coach = await db.get(Person, booking.coach_id)
    return (leader, coach) if leader is not None and coach is not None else None


async def _current(db: AsyncSession, due: Due, now: datetime) -> Booking | None:
    """The booking if it is still this version, confirmed and not started."""
    booking = await db.get(Booking, due.booking_id, populate_existing=True)
    if booking is None or booking.sequence != due.sequence:
        return None
    return booking if booking.status == "confirmed" and booking.starts_at > now else None


async def _synthesis(ctx: JobContext, llm: LLM, due: Due, now: datetime) -> str | None:
    """The model's paragraph from this one leader's shared items (no transaction held meanwhile)."""
    async with ctx.database.reading() as db:
        booking = await _current(db, due, now)
        parties = await _parties(db, booking) if booking is not None else None
        if booking is None or parties is None:
            return None
        leader, coach = parties
        since = await since_for(db=db, booking=booking, leader=leader)
        shared = await shared_since(db=db, leader=leader, coach=coach, since=since, until=now)
        items = synthesis_items(shared, await agenda_for(db=db, booking=booking, leader=leader))
        leader_id, first_name = leader.id, (leader.name.split() or [""])[0]
    if not items:
        return None
    return await llm.synthesize(
        database=ctx.database, person_id=leader_id, items=items, first_name=first_name, now=now
    )


async def send_brief(
    *, db: AsyncSession, due: Due, now: datetime, synthesis: str | None = None
) -> bool:
    """Queue one brief to the coach and mark its agenda items delivered; False if not queued."""
    booking = await _current(db, due, now)
    parties = await _parties(db, booking) if booking is not None else None
    if booking is None or parties is None:
        return False
    leader, coach = parties
    message = await build_brief(
        db=db, booking=booking, leader=leader, coach=coach, now=now, synthesis=synthesis
    )
    row = await enqueue(
        db=db, person=coach, message=message, now=now, kind=KIND, dedupe_key=brief_key(booking)
    )
    if row is None:
        return False
    booking.brief_sent_at = now
    for item in await agenda_for(db=db, booking=booking, leader=leader):
        if item.delivered_at is None:
            item.delivered_at = now
            await _settle_offer(
                db=db, item=item, leader=leader, coach=coach, booking=booking, now=now
            )
    return True


async def _settle_offer(
    *,
    db: AsyncSession,
    item: Handoff,
    leader: Person,
    coach: Person,
    booking: Booking,
    now: datetime,
) -> None:
    """The leader's offer message, updated in place where it was sent: no Withdraw button now."""
    offer = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == offer_key(item.id))
    )
    if offer is None:
        return
    text = copy_for(leader.locale)(
        "handoff.in_brief", when=show(booking.starts_at, leader.timezone), coach=coach.name
    )
    await enqueue(
        db=db,
        person=leader,
        message=Message(text=text, replaces=offer_key(item.id)),
        now=now,
        kind="handoff",
        channel=offer.channel,
        bucket=offer.bucket,
    )


async def brief_sweep(ctx: JobContext, now: datetime, llm: LLM | None = None) -> str:
    """Queue each due pre-session brief to its coach, once per booking version."""
    async with ctx.database.reading() as db:
        due = await due_briefs(db=db, now=now)
    queued = 0
    for item in due:
        synthesis = await _synthesis(ctx, llm, item, now) if llm is not None else None
        async with ctx.database.transaction() as db:
            queued += await send_brief(db=db, due=item, now=now, synthesis=synthesis)
    if queued:
        log.info("queued %d pre-session briefs", queued)
    return f"{queued} briefs"


async def brief_times(ctx: JobContext, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] when a brief falls due (for clock jumps)."""
    async with ctx.database.reading() as db:
        return await brief_instants(db=db, start=start, end=end)
