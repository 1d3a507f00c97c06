"""The nudge sweep: claim due plans, send or skip this period's nudge once, advance the plan."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.answers import mark_answered, open_nudge
from bot.nudges.claims import Claimed, claim_due, write_plans
from bot.nudges.context import Batch, capped_this_period, done_this_period, load_batch, paused
from bot.nudges.messages import nudge_message
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
from bot.nudges.writes import Row, ask_to_pause, ignore_previous, record_nudges
from bot.outbox import Outgoing, enqueue_many
from bot.timefmt import zone_info
from storage.models import NudgePlan, Person, Programme

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
    *, plan: Claimed, batch: Batch, programme: Programme, period: str, zone: str, now: datetime
) -> str | None:
    """Why this period's nudge is not sent, or None when nothing stands in the way."""
    person_id = plan.person_id
    if paused(batch.settings.get(person_id), now):
        return "paused"
    if plan.skip_period == period:
        return "not_this_week"
    if plan.kind == "checkin" and person_id not in batch.goal_themes:
        return "no_active_goals"
    if done_this_period(batch, person_id, plan.kind, period, zone):
        return "done_this_week"
    if in_blackout(instant=now, sessions=batch.sessions.get(person_id, []), before=BLACKOUT):
        return "session_within_24h"
    sent = capped_this_period(batch, person_id, period, zone)
    if over_cap(sent_this_week=sent, cap=programme.max_nudges_per_week):
        return "weekly_cap"
    return None


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


def _set(plan: Claimed, **values: object) -> None:
    """Change the claimed plan in memory; `write_plans` stores it."""
    for key, value in values.items():
        setattr(plan, key, value)


def _decide(*, plan: Claimed, batch: Batch, now: datetime, result: SweepResult) -> Row | None:
    """Defer or advance the plan now, or return this period's Nudge to record (sent/skipped)."""
    person = batch.people.get(plan.person_id)
    found = batch.engagements.get(plan.person_id)
    settings = batch.settings.get(plan.person_id)
    if person is None or found is None or person.employment_status == "left":
        _set(plan, next_due_at=max(now, plan.next_due_at) + timedelta(days=7), updated_at=now)
        return None
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
                _set(plan, next_due_at=later, updated_at=now)
                result.deferred += 1
                return None
            reason = "snoozed"
    row = Row(plan, person, settings, programme, period, slot, "sent", reason=reason)
    if reason is not None:
        row.status = "skipped"
    elif plan.kind == "reflection":
        row.prompt_id, row.prompt_text = pick_prompt(batch=batch, person=person, zone=zone, now=now)
    return row


def _finish(row: Row, *, batch: Batch, ignored: int, now: datetime, result: SweepResult) -> bool:
    """After the batch's inserts: count, streak and next due instant; True to ask to pause."""
    plan, person = row.plan, row.person
    ask = False
    if row.status == "skipped" and row.nudge_id is not None:
        result.skipped += 1
    elif row.status == "sent" and row.nudge_id is not None:
        result.sent += 1
        batch.capped_sent.setdefault(person.id, []).append(now)
        if row.prompt_id is not None:
            batch.history.setdefault(person.id, []).append((row.prompt_id, now))
        _set(plan, anchor_period=row.period)
        batch.unanswered.add((person.id, plan.kind))
        if ignored:
            streak = plan.ignored_streak + ignored
            _set(plan, ignored_streak=streak, cadence_weeks=cadence_after(streak))
            asked = row.settings is not None and row.settings.asked_to_pause_at is not None
            ask = should_ask_to_pause(streak, asked)
    after = max(now, plan.next_due_at)
    due = plan_due(
        plan=plan, person=person, settings=row.settings, programme=row.programme, after=after
    )
    _set(plan, snoozed_until=None, next_due_at=due, updated_at=now)
    return ask


async def _run_round(
    db: AsyncSession, plans: list[Claimed], *, batch: Batch, now: datetime, result: SweepResult
) -> list[Person]:
    """Decide the plans, then write their nudges and messages per batch; whom to ask to pause."""
    rows = [
        row
        for plan in plans
        if (row := _decide(plan=plan, batch=batch, now=now, result=result)) is not None
    ]
    await record_nudges(db, rows, now)
    sent = [row for row in rows if row.status == "sent" and row.nudge_id is not None]
    outgoing: list[Outgoing] = []
    for row in sent:
        channel, bucket = await batch.route(db, row.person)
        message = nudge_message(
            person=row.person,
            kind=row.plan.kind,
            nudge_id=row.nudge_id or 0,
            prompt=row.prompt_text,
        )
        outgoing.append(
            Outgoing(
                person=row.person,
                message=message,
                kind="nudge",
                dedupe_key=f"nudge:{row.nudge_id}",
                channel=channel,
                bucket=bucket,
            )
        )
    await enqueue_many(db=db, rows=outgoing, now=now)
    # Only where an earlier nudge may be unanswered is there anything to mark ignored.
    ignored = await ignore_previous(
        db, [row for row in sent if (row.person.id, row.plan.kind) in batch.unanswered]
    )
    asks: list[Person] = []
    for row in rows:
        key = (row.person.id, row.plan.kind)
        if _finish(row, batch=batch, ignored=ignored[key], now=now, result=result):
            asks.append(row.person)
    return asks


async def nudge_due(*, db: AsyncSession, now: datetime, limit: int = 500) -> SweepResult:
    """Claim up to `limit` due plans (FOR UPDATE SKIP LOCKED); process them in this transaction."""
    plans = await claim_due(db, now=now, limit=limit)
    result = SweepResult(claimed=len(plans))
    if not plans:
        return result
    batch = await load_batch(db, [p.person_id for p in plans], now)
    # One lock order for every sweeper (person, kind). A leader's second plan in the batch goes
    # in a second round, so that it sees the first one's nudge (weekly cap, prompt history).
    rounds: list[list[Claimed]] = [[], []]
    seen: set[int] = set()
    for plan in sorted(plans, key=lambda p: (p.person_id, p.kind)):
        rounds[plan.person_id in seen].append(plan)
        seen.add(plan.person_id)
    asks: dict[int, Person] = {}
    with db.no_autoflush:
        for group in rounds:
            for person in await _run_round(db, group, batch=batch, now=now, result=result):
                asks[person.id] = person
        for person_id in sorted(asks):
            result.asked_to_pause += await ask_to_pause(
                db, person=asks[person_id], batch=batch, now=now
            )
        await write_plans(db, plans)
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
