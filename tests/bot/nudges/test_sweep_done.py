"""The programme's reflection cadence, and weeks the leader already did without a nudge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.nudges.context import HISTORY
from bot.nudges.schedule import period_of
from storage.db import Database
from storage.models import CheckIn, Goal, Programme, Reflection
from tests.bot.nudges.test_sweep_kit import nudge_world, nudges, sweep
from tests.factories import World

NY = "America/New_York"
DUE = datetime(2026, 11, 30, 14, tzinfo=UTC)  # Monday 09:00 EST: reflection and check-in
SETUP = datetime(2026, 11, 26, 12, tzinfo=UTC)
WEEK = timedelta(days=7)


async def world(db: Database, *, cadence_days: int = 7) -> tuple[World, int]:
    """The nudge world with one active goal (so check-ins are due); (world, goal id)."""
    w = await nudge_world(db, now=SETUP)
    async with db.transaction() as s:
        programme = await s.get(Programme, w.engagement.programme_id)
        assert programme is not None
        programme.nudge_cadence_days = cadence_days
        programme.max_nudges_per_week = 5
        goal = Goal(
            engagement_id=w.engagement.id,
            leader_id=w.leader.id,
            title="Delegate more",
            levels={"-1": "a", "0": "b", "1": "c"},
            themes=["delegation"],
            created_at=SETUP,
            updated_at=SETUP,
        )
        s.add(goal)
        await s.flush()
        goal_id = goal.id
    await sweep(db, SETUP)
    return w, goal_id


async def sent_periods(db: Database, kind: str) -> list[str]:
    return [n.period for n in await nudges(db, kind) if n.sent_at is not None]


async def test_a_fortnightly_programme_sends_reflections_every_other_week(db: Database) -> None:
    await world(db, cadence_days=14)
    for week in range(5):
        await sweep(db, DUE + week * WEEK)
    assert await sent_periods(db, "reflection") == ["2026-W49", "2026-W51", "2026-W53"]
    # The goal check-in stays weekly (until three ignored in a row back it off, after W52).
    assert await sent_periods(db, "checkin") == ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]


async def test_a_check_in_made_unprompted_this_week_skips_the_nudge(db: Database) -> None:
    w, goal_id = await world(db)
    monday = DUE - timedelta(hours=2)  # 07:00 local, before the nudge
    async with db.transaction() as s:
        s.add(
            CheckIn(
                goal_id=goal_id,
                leader_id=w.leader.id,
                period=period_of(monday, NY),
                level=0,
                answered_at=monday,
                created_at=monday,
            )
        )
    await sweep(db, DUE)
    assert [(n.status, n.skip_reason) for n in await nudges(db, "checkin")] == [
        ("skipped", "done_this_week")
    ]
    await sweep(db, DUE + WEEK)
    assert await sent_periods(db, "checkin") == ["2026-W50"]


async def test_an_unprompted_reflection_counts_for_the_week_and_its_prompt_rests(
    db: Database,
) -> None:
    w, _ = await world(db)
    sunday = DUE - timedelta(days=1)  # the week before: does not count for W49
    monday = DUE - timedelta(hours=3)
    async with db.transaction() as s:
        for at, prompt in ((sunday, "cbt-01"), (monday, "cbt-02")):
            s.add(
                Reflection(
                    leader_id=w.leader.id,
                    engagement_id=w.engagement.id,
                    prompt_id=prompt,
                    answer="private words",
                    shared_with_coach=False,
                    answered_at=at,
                    created_at=at,
                )
            )
    await sweep(db, DUE)
    assert [(n.status, n.skip_reason) for n in await nudges(db)] == [("skipped", "done_this_week")]
    weeks = int(HISTORY / WEEK) - 1
    for week in range(1, weeks):
        await sweep(db, DUE + week * WEEK)
    prompts = [n.prompt_id for n in await nudges(db) if n.sent_at is not None]
    assert len(prompts) >= 4  # weekly, then fortnightly once three go unanswered
    assert not {"cbt-01", "cbt-02"} & set(prompts)
