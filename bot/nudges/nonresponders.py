"""One reminder, a day later, for a nudge that is still unanswered (within the grace window)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.context import capped_this_period, load_batch, paused
from bot.nudges.messages import reminder_message
from bot.nudges.plans import zone_of
from bot.nudges.prompt_bank import load_bank
from bot.nudges.quiet import QuietHours
from bot.nudges.schedule import over_cap, period_of, reminder_due
from bot.outbox import enqueue
from bot.timefmt import local
from storage.models import Nudge, NudgePlan

log = logging.getLogger(__name__)

DELAY = timedelta(hours=24)
MAX_GRACE = timedelta(hours=72)
SNOOZE_SPAN = timedelta(days=2)
QUIET = QuietHours()


async def remind_nonresponders(*, db: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Queue the one reminder of each nudge sent a day ago and not answered; returns how many."""
    nudges = list(
        await db.scalars(
            select(Nudge)
            .where(
                Nudge.status == "sent",
                Nudge.reminded_at.is_(None),
                Nudge.answered_at.is_(None),
                Nudge.sent_at <= now - DELAY,
                Nudge.sent_at > now - DELAY - MAX_GRACE,
            )
            .order_by(Nudge.person_id, Nudge.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    snoozed = list(
        await db.scalars(
            select(Nudge)
            .join(
                NudgePlan,
                and_(NudgePlan.person_id == Nudge.person_id, NudgePlan.kind == Nudge.kind),
            )
            .where(
                Nudge.status == "sent",
                Nudge.reminded_at.is_(None),
                Nudge.sent_at > now - SNOOZE_SPAN,
                NudgePlan.snoozed_until <= now,
                NudgePlan.snoozed_until > Nudge.sent_at,
            )
            .order_by(Nudge.person_id, Nudge.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Nudge)
        )
    )
    early = {n.id for n in snoozed}  # "Snooze 3 h" on a sent nudge: its one reminder, now
    nudges = [*snoozed, *(n for n in nudges if n.id not in early)]
    if not nudges:
        return 0
    batch = await load_batch(db, [n.person_id for n in nudges], now)
    bank = {p.id: p.text for p in load_bank()}
    queued = 0
    for nudge in nudges:
        person = batch.people.get(nudge.person_id)
        found = batch.engagements.get(nudge.person_id)
        if person is None or found is None or nudge.sent_at is None:
            continue
        programme = found[1]
        zone = zone_of(person)
        grace = timedelta(hours=programme.nudge_grace_hours)
        if nudge.id not in early and not reminder_due(
            sent_at=nudge.sent_at, answered_at=None, now=now, grace=grace
        ):
            continue  # too late now: a stale reminder would only add noise
        settings = batch.settings.get(person.id)
        if paused(settings, now):
            continue
        if not (settings and settings.quiet_hours_ok) and QUIET.contains(local(now, zone).time()):
            continue  # the next sweep after quiet hours sends it, if still within the grace
        sent = capped_this_period(batch, person.id, period_of(now, zone), zone)
        if over_cap(sent_this_week=sent, cap=programme.max_nudges_per_week):
            continue
        nudge.reminded_at = now  # the row is ours: claimed FOR UPDATE SKIP LOCKED above
        channel, bucket = await batch.route(db, person)
        row = await enqueue(
            db=db,
            person=person,
            channel=channel,
            bucket=bucket,
            message=reminder_message(
                person=person,
                zone=zone,
                kind=nudge.kind,
                nudge_id=nudge.id,
                sent_at=nudge.sent_at,
                prompt=bank.get(nudge.prompt_id or ""),
            ),
            now=now,
            kind="nudge_reminder",
            dedupe_key=f"nudge:{nudge.id}:reminder",
        )
        if row is not None:
            batch.capped_sent.setdefault(person.id, []).append(now)
            queued += 1
    if queued:
        log.info("queued %d nudge reminders", queued)
    return queued


async def reminder_instants(*, db: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] when an unanswered nudge's reminder falls due."""
    rows = await db.scalars(
        select(Nudge.sent_at).where(
            Nudge.status == "sent",
            Nudge.reminded_at.is_(None),
            Nudge.sent_at > start - DELAY,
            Nudge.sent_at <= end - DELAY,
        )
    )
    snoozes = await db.scalars(
        select(NudgePlan.snoozed_until).where(
            NudgePlan.snoozed_until > start, NudgePlan.snoozed_until <= end
        )
    )
    instants = {at + DELAY for at in rows if at is not None}
    return sorted(instants | {at for at in snoozes if at is not None})
