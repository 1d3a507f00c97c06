"""Plans as rows: the effective day and time, creating missing plans, replanning on change."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from bot.nudges.plans import effective_time, ensure_plans, replan
from storage.db import Database
from storage.models import NudgePlan, NudgeSettings, Person, Programme
from tests.bot.nudges.test_sweep_kit import nudge_world, plan, wall

SETUP = datetime(2026, 11, 26, 12, tzinfo=UTC)  # Thursday


def test_effective_time_is_the_leaders_choice_else_the_programmes() -> None:
    programme = Programme(
        reflection_weekday=4, reflection_time=time(16), checkin_weekday=0, checkin_time=time(9)
    )
    assert effective_time(kind="reflection", settings=None, programme=programme) == (4, time(16))
    assert effective_time(kind="checkin", settings=None, programme=programme) == (0, time(9))
    partial = NudgeSettings(reflection_weekday=2, checkin_time=time(7, 30))
    assert effective_time(kind="reflection", settings=partial, programme=programme) == (
        2,
        time(16),
    )
    assert effective_time(kind="checkin", settings=partial, programme=programme) == (
        0,
        time(7, 30),
    )


async def test_ensure_plans_creates_both_kinds_once(db: Database) -> None:
    w = await nudge_world(db, zone="Asia/Kolkata", now=SETUP)
    async with db.transaction() as s:
        assert await ensure_plans(db=s, now=SETUP) == 2
    async with db.transaction() as s:
        assert await ensure_plans(db=s, now=SETUP) == 0
        kinds = sorted(p.kind for p in await s.scalars(select(NudgePlan)))
    assert kinds == ["checkin", "reflection"]
    reflection = await plan(db, w.leader.id)
    assert reflection.next_due_at == datetime(2026, 11, 30, 3, 30, tzinfo=UTC)
    checkin = await plan(db, w.leader.id, "checkin")
    assert wall(checkin.next_due_at, "Asia/Kolkata") == (0, time(9))


async def test_no_plans_for_coaches_or_leaders_who_left(db: Database) -> None:
    w = await nudge_world(db, now=SETUP)
    async with db.transaction() as s:
        leader = await s.get(Person, w.leader.id)
        assert leader is not None
        leader.employment_status = "left"
    async with db.transaction() as s:
        assert await ensure_plans(db=s, now=SETUP) == 0


async def test_replan_after_a_zone_and_time_change(db: Database) -> None:
    w = await nudge_world(db, now=SETUP)
    async with db.transaction() as s:
        await ensure_plans(db=s, now=SETUP)
    async with db.transaction() as s:
        leader = await s.get(Person, w.leader.id)
        settings = await s.get(NudgeSettings, w.leader.id)
        assert leader is not None and settings is not None
        leader.timezone = "Europe/London"
        settings.reflection_weekday, settings.reflection_time = 2, time(8, 15)
        await replan(db=s, person=leader, now=SETUP)
    reflection = await plan(db, w.leader.id)
    assert reflection.next_due_at == datetime(2026, 12, 2, 8, 15, tzinfo=UTC)
    checkin = await plan(db, w.leader.id, "checkin")
    assert wall(checkin.next_due_at, "Europe/London") == (0, time(9))
