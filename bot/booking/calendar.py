"""Calendar integration of the core: queue event syncs, and refresh coaches' busy time.

Both are optional per coach: only coaches whose profile names a `calendar_user_id` (their
mailbox) take part. Without a calendar service in this process, `calendar` outbox rows stay
pending (the dispatcher notes "no sender"), and slots come from availability rules and bookings.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.model import Interval
from bot.outbox import enqueue_task
from bot.ports import CalendarError, CalendarPort
from storage.db import Database
from storage.models import Booking, CoachBusy, CoachProfile, Engagement, Programme

log = logging.getLogger(__name__)

CHANNEL = "calendar"
BATCH = 20
DEFAULT_HORIZON_DAYS = 28
MAX_BUCKET = 96  # outbox.bucket is VARCHAR(96)
MAX_REASON = 200


def bucket_for_mailbox(mailbox: str) -> str:
    """The outbox bucket of a mailbox: one per mailbox, so its changes go out in order."""
    bucket = f"{CHANNEL}:{mailbox.lower()}"
    if len(bucket) <= MAX_BUCKET:
        return bucket
    return f"{CHANNEL}:#{hashlib.sha256(mailbox.lower().encode()).hexdigest()[:40]}"


async def queue_sync(*, db: AsyncSession, booking: Booking, now: datetime) -> None:
    """Queue a calendar sync of `booking` (create, move or delete its event) if the coach has one.

    The row carries only the booking id: the sender reads the booking's state when it runs, so
    several queued changes converge on the latest one. Once per (booking, sequence).
    """
    mailbox = await db.scalar(
        select(CoachProfile.calendar_user_id).where(CoachProfile.person_id == booking.coach_id)
    )
    if not mailbox:
        return
    await enqueue_task(
        db=db,
        person_id=booking.coach_id,
        channel=CHANNEL,
        bucket=bucket_for_mailbox(mailbox),
        kind=CHANNEL,
        data={"booking_id": booking.id},
        now=now,
        dedupe_key=f"{CHANNEL}:{booking.id}:{booking.sequence}",
    )


@dataclass(frozen=True)
class _Coach:
    person_id: int
    mailbox: str
    horizon_days: int


async def _connected(database: Database) -> list[_Coach]:
    """Coaches with a mailbox, each with the longest booking horizon of their programmes."""
    horizon = (
        select(func.max(Programme.booking_horizon_days))
        .join(Engagement, Engagement.programme_id == Programme.id)
        .where(Engagement.coach_id == CoachProfile.person_id)
        .scalar_subquery()
    )
    async with database.reading() as db:
        rows = (
            await db.execute(
                select(CoachProfile.person_id, CoachProfile.calendar_user_id, horizon)
                .where(CoachProfile.calendar_user_id.is_not(None))
                .where(CoachProfile.calendar_user_id != "")
                .order_by(CoachProfile.person_id)
            )
        ).all()
    return [_Coach(r[0], r[1], r[2] or DEFAULT_HORIZON_DAYS) for r in rows]


async def sync_busy(*, database: Database, calendar: CalendarPort, now: datetime) -> int:
    """Refresh connected coaches' busy time; returns how many calendars were read.

    Mailboxes go to the calendar 20 at a time, over [now, now + the longest horizon of the
    batch). Each batch is written in one short transaction: a coach's 'calendar' busy rows are
    replaced, `calendar_synced_at` set and `calendar_error` cleared. When the calendar fails
    (for the batch or for one mailbox) the old rows stay and `calendar_error` says why.
    """
    coaches = await _connected(database)
    synced = 0
    for first in range(0, len(coaches), BATCH):
        batch = coaches[first : first + BATCH]
        end = now + timedelta(days=max(c.horizon_days for c in batch))
        mailboxes = list(dict.fromkeys(c.mailbox for c in batch))
        try:
            spans = await calendar.busy(mailboxes=mailboxes, start=now, end=end)
        except CalendarError as exc:
            log.warning("calendar: busy time of %d mailboxes not read: %s", len(batch), exc)
            async with database.transaction() as db:
                for coach in batch:
                    await _note_error(db, coach.person_id, _reason(exc))
            continue
        found = {mailbox.lower(): busy for mailbox, busy in spans.items()}
        async with database.transaction() as db:
            for coach in batch:
                busy = found.get(coach.mailbox.lower())
                if busy is None:
                    await _note_error(db, coach.person_id, "the calendar returned no schedule")
                    continue
                await _replace(db, coach.person_id, busy, now)
                synced += 1
    return synced


async def _replace(
    db: AsyncSession, coach_id: int, busy: Sequence[Interval], now: datetime
) -> None:
    """Swap the coach's calendar busy rows for `busy`, minus the coach's own booked sessions."""
    rows = await db.execute(
        select(Booking.starts_at, Booking.ends_at).where(
            Booking.coach_id == coach_id, Booking.status == "confirmed", Booking.ends_at > now
        )
    )
    booked = {(start, end) for start, end in rows.all()}
    await db.execute(
        delete(CoachBusy).where(CoachBusy.coach_id == coach_id, CoachBusy.source == CHANNEL)
    )
    # A span equal to a booking is that booking's own event: the booking already blocks it, and
    # keeping it would stop the session from moving by less than its length.
    spans = sorted({(s, e) for s, e in busy if e > s and e > now and (s, e) not in booked})
    db.add_all(
        CoachBusy(coach_id=coach_id, source=CHANNEL, starts_at=s, ends_at=e, created_at=now)
        for s, e in spans
    )
    await db.execute(
        update(CoachProfile)
        .where(CoachProfile.person_id == coach_id)
        .values(calendar_synced_at=now, calendar_error=None)
    )


async def _note_error(db: AsyncSession, coach_id: int, reason: str) -> None:
    await db.execute(
        update(CoachProfile)
        .where(CoachProfile.person_id == coach_id)
        .values(calendar_error=reason[:MAX_REASON])
    )


def _reason(exc: CalendarError) -> str:
    return str(exc) or type(exc).__name__
