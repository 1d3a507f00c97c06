"""Second chances for a sent nudge: its one reminder a day later, and its return after a snooze.

The day-later reminder goes once (`reminded_at`), only while the nudge is unanswered and within
the programme's grace. "Snooze 3 h" is separate: the plan's `snoozed_until` (already moved out
of quiet hours when the leader pressed it) brings the nudge back once, under its own dedupe key,
and is cleared once queued; it never uses up the day-later reminder.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.context import capped_this_period, load_batch, paused
from bot.nudges.messages import reminder_message, snoozed_message
from bot.nudges.plans import zone_of
from bot.nudges.prompt_bank import load_bank
from bot.nudges.quiet import QuietHours, defer_out_of_quiet
from bot.nudges.schedule import over_cap, period_of, reminder_due
from bot.outbox import enqueue
from bot.timefmt import is_valid_zone, local
from storage.models import Nudge, NudgePlan, NudgeSettings, Person

log = logging.getLogger(__name__)

DELAY = timedelta(hours=24)
MAX_GRACE = timedelta(hours=72)
QUIET = QuietHours()
LONGEST_QUIET = timedelta(hours=12)
"""The longest a message can wait for quiet hours to end (20:00 to 08:00)."""
SNOOZE_KIND = "nudge_snooze"
"""Outbox kind of a snoozed nudge's return: asked for by the leader, so not a capped kind."""


def snooze_key(nudge_id: int, snoozed_until: datetime) -> str:
    """The outbox dedupe key of one snooze's return: a later snooze gets a new one."""
    return f"nudge:{nudge_id}:snooze:{int(snoozed_until.timestamp())}"


async def remind_nonresponders(*, db: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Queue due day-later reminders and snoozed nudges' returns; returns how many."""
    reminded = await remind_day_later(db=db, now=now, limit=limit)
    returned = await return_snoozed(db=db, now=now, limit=limit)
    return reminded + returned


async def remind_day_later(*, db: AsyncSession, now: datetime, limit: int = 500) -> int:
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
        if not reminder_due(sent_at=nudge.sent_at, answered_at=None, now=now, grace=grace):
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


_SNOOZE_ON = and_(NudgePlan.person_id == Nudge.person_id, NudgePlan.kind == Nudge.kind)
_SNOOZE_OPEN: tuple[ColumnElement[bool], ...] = (
    Nudge.status == "sent",  # a plan's snooze over its kind's sent, unanswered nudge before it
    Nudge.answered_at.is_(None),
    NudgePlan.snoozed_until.is_not(None),
    NudgePlan.snoozed_until > Nudge.sent_at,
)


async def return_snoozed(*, db: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Bring back each snoozed, still unanswered nudge whose snooze is over; returns how many."""
    rows = (
        await db.execute(
            select(Nudge, NudgePlan)
            .join(NudgePlan, _SNOOZE_ON)
            .where(
                *_SNOOZE_OPEN,
                NudgePlan.snoozed_until <= now,
                NudgePlan.snoozed_until > now - MAX_GRACE,
            )
            .order_by(Nudge.person_id, Nudge.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=(Nudge, NudgePlan))
        )
    ).all()
    if not rows:
        return 0
    batch = await load_batch(db, [nudge.person_id for nudge, _ in rows], now)
    bank = {p.id: p.text for p in load_bank()}
    queued = 0
    for nudge, plan in rows:
        person = batch.people.get(nudge.person_id)
        found = batch.engagements.get(nudge.person_id)
        at = plan.snoozed_until
        if person is None or found is None or at is None or nudge.sent_at is None:
            continue
        zone, settings = zone_of(person), batch.settings.get(person.id)
        if now - at > timedelta(hours=found[1].nudge_grace_hours) or paused(settings, now):
            plan.snoozed_until, plan.updated_at = None, now  # stale, or paused since: dropped
            log.info("nudge %d: snoozed return dropped (late or paused)", nudge.id)
            continue
        later = defer_out_of_quiet(now, zone, QUIET, bool(settings and settings.quiet_hours_ok))
        if later > now:  # quiet hours (e.g. the leader changed zone or settings since)
            plan.snoozed_until, plan.updated_at = later, now
            continue
        channel, bucket = await batch.route(db, person)
        row = await enqueue(
            db=db,
            person=person,
            channel=channel,
            bucket=bucket,
            message=snoozed_message(
                person=person,
                kind=nudge.kind,
                nudge_id=nudge.id,
                prompt=bank.get(nudge.prompt_id or ""),
            ),
            now=now,
            kind=SNOOZE_KIND,
            dedupe_key=snooze_key(nudge.id, at),
        )
        plan.snoozed_until, plan.updated_at = None, now  # the row is ours: locked above
        if row is not None:
            queued += 1
    if queued:
        log.info("queued %d snoozed nudges", queued)
    return queued


def _zone(name: str) -> str:
    return name if is_valid_zone(name) else "UTC"


async def reminder_instants(*, db: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """The instants in (start, end] when a day-later reminder or a snoozed nudge falls due."""
    rows = await db.execute(
        select(Nudge.sent_at, Person.timezone, NudgeSettings.quiet_hours_ok)
        .join(Person, Person.id == Nudge.person_id)
        .outerjoin(NudgeSettings, NudgeSettings.person_id == Nudge.person_id)
        .where(
            Nudge.status == "sent",
            Nudge.reminded_at.is_(None),
            Nudge.answered_at.is_(None),
            Nudge.sent_at > start - DELAY - LONGEST_QUIET,
            Nudge.sent_at <= end - DELAY,
        )
    )
    instants = {
        defer_out_of_quiet(at + DELAY, _zone(zone), QUIET, bool(ok))
        for at, zone, ok in rows
        if at is not None
    }
    snoozes = await db.scalars(
        select(NudgePlan.snoozed_until)
        .join(Nudge, _SNOOZE_ON)
        .where(
            *_SNOOZE_OPEN,
            NudgePlan.snoozed_until > start,
            NudgePlan.snoozed_until <= end,
        )
    )
    instants.update(at for at in snoozes if at is not None)
    return sorted(at for at in instants if start < at <= end)
