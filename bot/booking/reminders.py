"""Session reminders: each party is reminded once per offset (e.g. 24 h and 1 h) before it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.ics import safe_zone
from bot.booking.notices import seats_line, what
from bot.outbox import enqueue
from bot.timefmt import local, show
from bot.ui import Message
from prompts import Copy, copy_for
from storage.models import Booking, BookingSeat, Person, Programme

log = logging.getLogger(__name__)

DEFAULT_OFFSETS: tuple[int, ...] = (1440, 60)
"""Minutes before the start, for bookings outside a programme (and a programme's default)."""
CHUNK = 500
"""Ids per IN (...) list, well under SQLite's and PostgreSQL's bound-parameter limits."""


def offsets_of(configured: Sequence[object] | None) -> tuple[int, ...]:
    """A programme's reminder offsets in minutes, largest first ([] means no reminders)."""
    if configured is None:
        return DEFAULT_OFFSETS
    valid = {o for o in configured if isinstance(o, int) and not isinstance(o, bool) and o > 0}
    return tuple(sorted(valid, reverse=True))


def due_offset(*, offsets: Iterable[int], booking: Booking, now: datetime) -> int | None:
    """The offset whose reminder is due now, or None.

    Due: its instant (start - offset) has come, the session hasn't started, and the booking was
    already in its current form at that instant (formed_at: a session booked 3 hours ahead gets
    the 1-hour reminder, not the 24-hour one). When a sweep was down and several have come, only the
    latest (smallest) is sent: the earlier ones would say the wrong thing ("tomorrow").
    """
    if not booking.starts_at > now:
        return None
    passed = [o for o in offsets if booking.starts_at - timedelta(minutes=o) <= now]
    if not passed:
        return None
    offset = min(passed)
    if formed_at(booking) > booking.starts_at - timedelta(minutes=offset):
        return None
    return offset


def formed_at(booking: Booking) -> datetime:
    """Since when the booking has had its current time: its creation until it is first moved.

    Only a move (or a cancel) raises the sequence; joining or leaving a group session touches
    `updated_at` too, and must not cost everyone else their reminder.
    """
    return booking.created_at if booking.sequence == 0 else booking.updated_at


def when_words(copy: Copy, *, starts_at: datetime, now: datetime, zone: str) -> str:
    """'in 20 minutes', 'in 1 hour', 'today', 'tomorrow', 'in 3 days': from now, in `zone`."""
    left = round((starts_at - now).total_seconds() / 60)
    if left < 45:
        minutes = max(left, 1)
        return (
            copy("notices.when_minute") if minutes == 1 else copy("notices.when_minutes", n=minutes)
        )
    if left < 6 * 60:
        hours = round(left / 60)
        return copy("notices.when_hour") if hours == 1 else copy("notices.when_hours", n=hours)
    days = (local(starts_at, zone).date() - local(now, zone).date()).days
    if days <= 0:
        return copy("notices.when_today")
    return copy("notices.when_tomorrow") if days == 1 else copy("notices.when_days", n=days)


def reminder(
    *, booking: Booking, person: Person, coach: Person, leaders: Sequence[Person], now: datetime
) -> Message:
    """The reminder for one party, in their zone and locale (no invite: they have it)."""
    copy = copy_for(person.locale)
    zone = safe_zone(person.timezone)
    is_coach = person.id == coach.id
    values = {
        "what": what(copy, booking),
        "time": show(booking.starts_at, zone),
        "when": when_words(copy, starts_at=booking.starts_at, now=now, zone=zone),
        "other": ", ".join(p.name for p in leaders) if is_coach else coach.name,
        "seats": seats_line(copy, booking),
    }
    group_coach = is_coach and booking.kind == "group"
    lines = [copy("notices.reminder_group_coach" if group_coach else "notices.reminder", **values)]
    if booking.join_url:
        lines.append(copy("notices.join_link", url=booking.join_url))
    return Message(title=copy("notices.title_reminder"), text="\n".join(lines))


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


async def _people(db: AsyncSession, ids: set[int]) -> dict[int, Person]:
    found: dict[int, Person] = {}
    for chunk in _chunks(sorted(ids)):
        found.update(
            (p.id, p) for p in await db.scalars(select(Person).where(Person.id.in_(chunk)))
        )
    return found


async def _seats(db: AsyncSession, booking_ids: list[int]) -> dict[int, list[BookingSeat]]:
    by_booking: dict[int, list[BookingSeat]] = {}
    for chunk in _chunks(booking_ids):
        rows = await db.scalars(
            select(BookingSeat)
            .where(BookingSeat.booking_id.in_(chunk), BookingSeat.status == "confirmed")
            .order_by(BookingSeat.booking_id, BookingSeat.id)
        )
        for seat in rows:
            by_booking.setdefault(seat.booking_id, []).append(seat)
    return by_booking


async def remind_due(*, db: AsyncSession, now: datetime) -> int:
    """Queue the reminders due at `now`; returns how many were queued (repeats are deduped)."""
    programmes = {
        pid: offsets_of(offsets)
        for pid, offsets in (
            await db.execute(select(Programme.id, Programme.reminder_offsets_minutes))
        ).all()
    }
    horizon = max((o for offsets in programmes.values() for o in offsets), default=0)
    horizon = max(horizon, *DEFAULT_OFFSETS)
    bookings = list(
        await db.scalars(
            select(Booking)
            .where(
                Booking.status == "confirmed",
                Booking.starts_at > now,
                Booking.starts_at <= now + timedelta(minutes=horizon),
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    )
    due: list[tuple[Booking, int]] = []
    for booking in bookings:
        offsets = programmes.get(booking.programme_id or -1, DEFAULT_OFFSETS)
        offset = due_offset(offsets=offsets, booking=booking, now=now)
        if offset is not None:
            due.append((booking, offset))
    if not due:
        return 0
    seats = await _seats(db, [b.id for b, _ in due])
    wanted = {b.coach_id for b, _ in due} | {s.leader_id for ss in seats.values() for s in ss}
    wanted |= {b.leader_id for b, _ in due if b.leader_id is not None and b.id not in seats}
    people = await _people(db, wanted)
    queued = 0
    for booking, offset in due:
        coach = people.get(booking.coach_id)
        if coach is None:
            continue
        instant = booking.starts_at - timedelta(minutes=offset)
        if booking.id in seats:  # a leader who took a seat after the instant gets the next one
            leader_ids = [s.leader_id for s in seats[booking.id] if s.created_at <= instant]
        else:  # a one-to-one written without seat rows
            leader_ids = [booking.leader_id] if booking.leader_id is not None else []
        leaders = [people[i] for i in dict.fromkeys(leader_ids) if i in people]
        for person in (coach, *leaders):
            row = await enqueue(
                db=db,
                person=person,
                message=reminder(
                    booking=booking, person=person, coach=coach, leaders=leaders, now=now
                ),
                now=now,
                kind="reminder",
                dedupe_key=f"reminder:{booking.id}:{booking.sequence}:{offset}:{person.id}",
            )
            queued += row is not None
    if queued:
        log.info("queued %d session reminders", queued)
    return queued
