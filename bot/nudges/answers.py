"""A leader answered a nudge: the streak resets and the cadence is weekly again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.plans import active_engagement, plan_due
from storage.models import Nudge, NudgePlan, NudgeSettings, Person

OPEN_FOR = timedelta(days=7)


async def mark_answered(*, db: AsyncSession, nudge: Nudge, now: datetime) -> None:
    """Record the answer; the leader's ignored streak goes to 0 and the cadence back to weekly."""
    if nudge.answered_at is None:
        nudge.answered_at = now
    nudge.status = "answered"
    plan = await db.scalar(
        select(NudgePlan)
        .where(NudgePlan.person_id == nudge.person_id, NudgePlan.kind == nudge.kind)
        .with_for_update()
    )
    if plan is not None:
        was_backed_off = plan.cadence_weeks > 1
        plan.ignored_streak = 0
        plan.cadence_weeks = 1
        plan.updated_at = now
        person = await db.get(Person, nudge.person_id)
        found = await active_engagement(db, nudge.person_id)
        if was_backed_off and person is not None and found is not None:
            settings = await db.get(NudgeSettings, nudge.person_id)
            weekly = plan_due(
                plan=plan, person=person, settings=settings, programme=found[1], after=now
            )
            plan.next_due_at = min(plan.next_due_at, weekly)
    await db.flush()


async def open_nudge(*, db: AsyncSession, person: Person, kind: str, now: datetime) -> Nudge | None:
    """The person's latest unanswered nudge of `kind` sent in the last 7 days, if any."""
    nudge: Nudge | None = await db.scalar(
        select(Nudge)
        .where(
            Nudge.person_id == person.id,
            Nudge.kind == kind,
            Nudge.status == "sent",
            Nudge.sent_at > now - OPEN_FOR,
            Nudge.sent_at <= now,
        )
        .order_by(Nudge.sent_at.desc(), Nudge.id.desc())
        .limit(1)
    )
    return nudge
