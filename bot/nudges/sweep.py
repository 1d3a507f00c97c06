"""The nudge sweep: claim due plans, send or skip this period's nudge once, advance the plan."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.answers import mark_answered, open_nudge
from bot.nudges.context import Batch, capped_this_period, load_batch, paused
from bot.nudges.messages import ask_pause_message, nudge_message
from bot.nudges.nonresponders import remind_nonresponders
from bot.nudges.plans import plan_due, slot_of, zone_of
from bot.nudges.prompt_bank import choose, load_bank, stage_for
from bot.nudges.quiet import QuietHours, defer_out_of_quiet
from bot.nudges.schedule import (
    cadence_after,
    in_blackout,
    late_decision,
    over_cap,
    period_of,
    should_ask_to_pause,
)
from bot.outbox import enqueue
from bot.timefmt import zone_info
from storage.models import Nudge, NudgePlan, NudgeSettings, Person, Programme

__all__ = [
    "SweepResult",
    "due_instants",
    "mark_answered",
    "nudge_due",
    "open_nudge",
    "remind_nonresponders",
]

log = logging.getLogger(__name__)

QUIET = QuietHours()
BLACKOUT = timedelta(hours=24)


@dataclass
class SweepResult:
    """What one sweep did: nudges sent, skipped (with a reason), deferred, pause questions."""

    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    asked_to_pause: int = 0
    claimed: int = 0

    def add(self, other: SweepResult) -> None:
        """Add another batch's counts to these."""
        self.sent += other.sent
        self.skipped += other.skipped
        self.deferred += other.deferred
        self.asked_to_pause += other.asked_to_pause
        self.claimed += other.claimed


def skip_reason(
    *, plan: NudgePlan, batch: Batch, programme: Programme, period: str, zone: str, now: datetime
) -> str | None:
    """Why this period's nudge is not sent, or None when nothing stands in the way."""
    person_id = plan.person_id
    if paused(batch.settings.get(person_id), now):
        return "paused"
    if plan.skip_period == period:
        return "not_this_week"
    if plan.kind == "checkin" and person_id not in batch.goal_themes:
        return "no_active_goals"
    if in_blackout(instant=now, sessions=batch.sessions.get(person_id, []), before=BLACKOUT):
        return "session_within_24h"
    sent = capped_this_period(batch, person_id, period, zone)
    if over_cap(sent_this_week=sent, cap=programme.max_nudges_per_week):
        return "weekly_cap"
    return None


async def record_nudge(
    db: AsyncSession,
    *,
    plan: NudgePlan,
    period: str,
    due_at: datetime,
    now: datetime,
    status: str,
    prompt_id: str | None = None,
    reason: str | None = None,
) -> int | None:
    """INSERT this period's Nudge unless one exists (the unique key); its id if inserted."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(Nudge)
        .values(
            person_id=plan.person_id,
            kind=plan.kind,
            period=period,
            due_at=due_at,
            status=status,
            prompt_id=prompt_id,
            sent_at=now if status == "sent" else None,
            skip_reason=reason,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["person_id", "kind", "period"])
        .returning(Nudge.id)
    )
    nudge_id: int | None = await db.scalar(stmt)
    return nudge_id


def pick_prompt(*, batch: Batch, person: Person, zone: str, now: datetime) -> tuple[str, str]:
    """This week's reflection prompt for the leader: (id, text), chosen by the prompt bank."""
    engagement, programme = batch.engagements[person.id]
    here = now.astimezone(zone_info(zone))
    stage = stage_for(
        started_on=engagement.started_on,
        ends_on=engagement.ended_on or programme.ends_on,
        last_session_end=batch.last_session_end.get(person.id),
        now=here,
    )
    prompt = choose(
        bank=load_bank(),
        history=batch.history.get(person.id, []),
        goal_themes=batch.goal_themes.get(person.id, set()),
        stage=stage,
        now=now,
        seed=person.id,
    )
    return prompt.id, prompt.text


async def _ignore_previous(db: AsyncSession, plan: NudgePlan, nudge_id: int) -> int:
    """Earlier unanswered nudges of the plan's kind become 'ignored'; returns how many."""
    rows = await db.execute(
        update(Nudge)
        .where(
            Nudge.person_id == plan.person_id,
            Nudge.kind == plan.kind,
            Nudge.status == "sent",
            Nudge.id != nudge_id,
        )
        .values(status="ignored")
        .returning(Nudge.id)
    )
    return len(rows.all())


async def _ask_to_pause(db: AsyncSession, *, person: Person, batch: Batch, now: datetime) -> bool:
    """Ask once whether to pause (after three ignored in a row); True when asked now."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    await db.execute(
        insert(NudgeSettings)
        .values(
            person_id=person.id, quiet_hours_ok=False, paused_indefinitely=False, updated_at=now
        )
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    asked = await db.scalar(  # atomic: of two sweepers (one per kind) only one asks
        update(NudgeSettings)
        .where(NudgeSettings.person_id == person.id, NudgeSettings.asked_to_pause_at.is_(None))
        .values(asked_to_pause_at=now, updated_at=now)
        .returning(NudgeSettings.person_id)
    )
    if asked is None:
        return False
    channel, bucket = await batch.route(db, person)
    await enqueue(
        db=db,
        person=person,
        channel=channel,
        bucket=bucket,
        message=ask_pause_message(person=person),
        now=now,
        kind="nudge_ask",
        dedupe_key=f"nudge:ask_pause:{person.id}",
    )
    return True


async def _send(
    db: AsyncSession,
    *,
    plan: NudgePlan,
    person: Person,
    batch: Batch,
    period: str,
    slot: datetime,
    zone: str,
    now: datetime,
    result: SweepResult,
) -> None:
    prompt_id: str | None = None
    prompt_text: str | None = None
    if plan.kind == "reflection":
        prompt_id, prompt_text = pick_prompt(batch=batch, person=person, zone=zone, now=now)
    nudge_id = await record_nudge(
        db, plan=plan, period=period, due_at=slot, now=now, status="sent", prompt_id=prompt_id
    )
    if nudge_id is None:
        return  # this period's nudge exists already: never a second one
    channel, bucket = await batch.route(db, person)
    await enqueue(
        db=db,
        person=person,
        channel=channel,
        bucket=bucket,
        message=nudge_message(person=person, kind=plan.kind, nudge_id=nudge_id, prompt=prompt_text),
        now=now,
        kind="nudge",
        dedupe_key=f"nudge:{nudge_id}",
    )
    batch.capped_sent.setdefault(person.id, []).append(now)
    if prompt_id is not None:
        batch.history.setdefault(person.id, []).append((prompt_id, now))
    result.sent += 1
    plan.anchor_period = period
    ignored = 0
    if (person.id, plan.kind) in batch.unanswered:  # else there is nothing to mark ignored
        ignored = await _ignore_previous(db, plan, nudge_id)
    batch.unanswered.add((person.id, plan.kind))
    if ignored:
        plan.ignored_streak += ignored
        plan.cadence_weeks = cadence_after(plan.ignored_streak)
        settings = batch.settings.get(person.id)
        asked = settings is not None and settings.asked_to_pause_at is not None
        if should_ask_to_pause(plan.ignored_streak, asked):
            result.asked_to_pause += await _ask_to_pause(db, person=person, batch=batch, now=now)


async def _process(
    db: AsyncSession, *, plan: NudgePlan, batch: Batch, now: datetime, result: SweepResult
) -> None:
    """Send, skip or defer one claimed plan, then move its next due instant on."""
    person = batch.people.get(plan.person_id)
    found = batch.engagements.get(plan.person_id)
    settings = batch.settings.get(plan.person_id)
    if person is None or found is None or person.employment_status == "left":
        plan.next_due_at = max(now, plan.next_due_at) + timedelta(days=7)
        plan.updated_at = now
        return
    engagement, programme = found
    zone = zone_of(person)
    slot = slot_of(plan=plan, person=person, settings=settings, programme=programme)
    period = period_of(slot, zone)
    grace = timedelta(hours=programme.nudge_grace_hours)
    reason: str | None = None
    if now.astimezone(zone_info(zone)).date() < engagement.started_on:
        reason = "not_started"
    elif late_decision(due=plan.next_due_at, now=now, grace=grace) == "skip_late":
        reason = "late"
    else:
        reason = skip_reason(
            plan=plan, batch=batch, programme=programme, period=period, zone=zone, now=now
        )
    if reason is None:
        later = now
        if plan.snoozed_until is not None and plan.snoozed_until > now:
            later = plan.snoozed_until
        later = defer_out_of_quiet(later, zone, QUIET, bool(settings and settings.quiet_hours_ok))
        if later > now:
            if later - slot < timedelta(days=6):  # still this period's nudge
                plan.next_due_at = later
                plan.updated_at = now
                result.deferred += 1
                return
            reason = "snoozed"
    if reason is None:
        await _send(
            db,
            plan=plan,
            person=person,
            batch=batch,
            period=period,
            slot=slot,
            zone=zone,
            now=now,
            result=result,
        )
    elif await record_nudge(
        db, plan=plan, period=period, due_at=slot, now=now, status="skipped", reason=reason
    ):
        result.skipped += 1
    plan.snoozed_until = None
    plan.next_due_at = plan_due(
        plan=plan,
        person=person,
        settings=settings,
        programme=programme,
        after=max(now, plan.next_due_at),
    )
    plan.updated_at = now


async def nudge_due(*, db: AsyncSession, now: datetime, limit: int = 500) -> SweepResult:
    """Claim up to `limit` due plans (FOR UPDATE SKIP LOCKED); process each in this transaction."""
    plans = list(
        await db.scalars(
            select(NudgePlan)
            .where(NudgePlan.next_due_at <= now)
            .order_by(NudgePlan.next_due_at, NudgePlan.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    result = SweepResult(claimed=len(plans))
    if not plans:
        return result
    batch = await load_batch(db, [p.person_id for p in plans], now)
    # One lock order for every sweeper (person, kind): two batches never wait on each other.
    for plan in sorted(plans, key=lambda p: (p.person_id, p.kind)):
        await _process(db, plan=plan, batch=batch, now=now, result=result)
    await db.flush()
    if result.sent or result.skipped:
        log.info(
            "nudges: %d sent, %d skipped, %d deferred", result.sent, result.skipped, result.deferred
        )
    return result


async def due_instants(*, db: AsyncSession, start: datetime, end: datetime) -> list[datetime]:
    """The plans' due instants in (start, end] (for a clock jump to stop at)."""
    rows = await db.scalars(
        select(NudgePlan.next_due_at).where(
            NudgePlan.next_due_at > start, NudgePlan.next_due_at <= end
        )
    )
    return sorted(set(rows))
