"""Shared builders for the nudge sweep tests (no tests here)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from bot.nudges.nonresponders import remind_nonresponders
from bot.nudges.plans import ensure_plans
from bot.nudges.sweep import SweepResult, nudge_due
from bot.timefmt import local
from storage.db import Database
from storage.models import Nudge, NudgePlan, NudgeSettings, OutboxMessage
from tests.factories import World, make_world

START = date(2026, 1, 1)


async def nudge_world(
    db: Database,
    *,
    zone: str = "America/New_York",
    now: datetime,
    reflection: tuple[int, time] = (0, time(9)),
    quiet_ok: bool = False,
) -> World:
    """The factory world with the leader in `zone`, a reflection at `reflection` local."""
    async with db.transaction() as s:
        w = await make_world(s, now)
        w.leader.timezone = zone
        w.engagement.started_on = START
        s.add(
            NudgeSettings(
                person_id=w.leader.id,
                reflection_weekday=reflection[0],
                reflection_time=reflection[1],
                quiet_hours_ok=quiet_ok,
                updated_at=now,
            )
        )
    return w


async def sweep(db: Database, now: datetime) -> SweepResult:
    """What the `nudges` job does at `now`: plan, send or skip in batches, remind."""
    async with db.transaction() as s:
        await ensure_plans(db=s, now=now)
    total = SweepResult()
    while True:
        async with db.transaction() as s:
            result = await nudge_due(db=s, now=now)
        total.add(result)
        if result.claimed < 500:
            break
    async with db.transaction() as s:
        await remind_nonresponders(db=s, now=now)
    return total


async def outbox(db: Database, kind: str = "nudge") -> list[OutboxMessage]:
    """Outbox rows of one kind, oldest first."""
    async with db.reading() as s:
        return list(
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        )


async def nudges(db: Database, kind: str = "reflection") -> list[Nudge]:
    """Nudge rows of one kind, oldest first."""
    async with db.reading() as s:
        return list(await s.scalars(select(Nudge).where(Nudge.kind == kind).order_by(Nudge.id)))


async def plan(db: Database, person_id: int, kind: str = "reflection") -> NudgePlan:
    """The person's plan of `kind`."""
    async with db.reading() as s:
        found = await s.scalar(
            select(NudgePlan).where(NudgePlan.person_id == person_id, NudgePlan.kind == kind)
        )
    assert found is not None
    return found


def wall(at: datetime, zone: str) -> tuple[int, time]:
    """(weekday, wall time) of an instant in `zone`."""
    here = local(at, zone)
    return here.weekday(), here.time()
