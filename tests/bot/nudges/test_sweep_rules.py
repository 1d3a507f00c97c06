"""Each rule of the sweep: pause, quiet hours, back-off, cap, blackout, grace, snooze, skip."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import update

from bot.nudges.sweep import mark_answered, open_nudge
from storage.db import Database
from storage.models import Goal, NudgePlan, NudgeSettings, Person, Programme
from tests.bot.nudges.test_sweep_kit import nudge_world, nudges, outbox, plan, sweep, wall
from tests.factories import World, add_booking

NY = "America/New_York"
DUE = datetime(2026, 11, 30, 14, tzinfo=UTC)  # Monday 09:00 EST
SETUP = datetime(2026, 11, 26, 12, tzinfo=UTC)
WEEK = timedelta(days=7)


async def setup_world(db: Database, **kwargs: object) -> World:
    w = await nudge_world(db, now=SETUP, **kwargs)  # type: ignore[arg-type]
    await sweep(db, SETUP)
    return w


async def setup(db: Database, **kwargs: object) -> int:
    return (await setup_world(db, **kwargs)).leader.id


async def set_settings(db: Database, person_id: int, **values: object) -> None:
    async with db.transaction() as s:
        await s.execute(
            update(NudgeSettings).where(NudgeSettings.person_id == person_id).values(**values)
        )


async def set_plan(db: Database, person_id: int, **values: object) -> None:
    async with db.transaction() as s:
        await s.execute(
            update(NudgePlan)
            .where(NudgePlan.person_id == person_id, NudgePlan.kind == "reflection")
            .values(**values)
        )


async def test_paused_until_a_date_skips_then_resumes(db: Database) -> None:
    leader = await setup(db)
    await set_settings(db, leader, paused_until=DUE + timedelta(days=2))
    result = await sweep(db, DUE)
    assert result.sent == 0 and result.skipped >= 1
    assert [(n.status, n.skip_reason) for n in await nudges(db)] == [("skipped", "paused")]
    await sweep(db, DUE + WEEK)
    assert len(await outbox(db)) == 1


async def test_paused_indefinitely_skips_every_week(db: Database) -> None:
    leader = await setup(db)
    await set_settings(db, leader, paused_indefinitely=True)
    for week in range(3):
        await sweep(db, DUE + week * WEEK)
    assert await outbox(db) == []
    assert {n.skip_reason for n in await nudges(db)} == {"paused"}
    assert len(await nudges(db)) == 3


async def test_quiet_hours_defer_to_eight_and_allowed_quiet_hours_do_not(db: Database) -> None:
    await setup(db, reflection=(0, time(21)))
    late = DUE + timedelta(hours=12)  # Monday 21:00 EST
    result = await sweep(db, late)
    assert result.deferred == 1 and await outbox(db) == []
    await sweep(db, late + timedelta(hours=10, minutes=59))  # Tuesday 07:59
    assert await outbox(db) == []
    await sweep(db, late + timedelta(hours=11))  # Tuesday 08:00
    rows = await outbox(db)
    assert len(rows) == 1 and wall(rows[0].created_at, NY) == (1, time(8))
    assert [n.period for n in await nudges(db)] == ["2026-W49"]


async def test_quiet_hours_allowed_sends_at_the_chosen_time(db: Database) -> None:
    await setup(db, reflection=(0, time(21)), quiet_ok=True)
    await sweep(db, DUE + timedelta(hours=12))
    rows = await outbox(db)
    assert len(rows) == 1 and wall(rows[0].created_at, NY) == (0, time(21))


async def test_three_ignored_back_off_to_fortnightly_and_ask_once(db: Database) -> None:
    leader = await setup(db)
    for week in range(8):
        await sweep(db, DUE + week * WEEK)
    sent = [n.period for n in await nudges(db)]
    # weeks 1-4 weekly; after the third ignored one, every other week (2026 has a week 53)
    assert sent == ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2027-W01", "2027-W03"]
    assert len(await outbox(db, "nudge_ask")) == 1
    p = await plan(db, leader)
    assert p.cadence_weeks == 2 and p.ignored_streak == 5
    async with db.transaction() as s:
        person = await s.get(Person, leader)
        assert person is not None
        nudge = await open_nudge(db=s, person=person, kind="reflection", now=DUE + 7 * WEEK)
        assert nudge is not None and nudge.period == "2027-W03"
        await mark_answered(db=s, nudge=nudge, now=DUE + 7 * WEEK + timedelta(hours=2))
    p = await plan(db, leader)
    assert p.cadence_weeks == 1 and p.ignored_streak == 0
    assert p.next_due_at == DUE + 8 * WEEK  # weekly again from next Monday
    await sweep(db, DUE + 8 * WEEK)
    assert (await nudges(db))[-1].period == "2027-W04"
    assert len(await outbox(db, "nudge_ask")) == 1


async def test_weekly_cap_counts_this_weeks_nudges_and_reminders(db: Database) -> None:
    w = await setup_world(db)
    leader = w.leader.id
    async with db.transaction() as s:
        programme = await s.get(Programme, w.programme.id)
        assert programme is not None
        programme.max_nudges_per_week = 1
        s.add(
            Goal(
                engagement_id=w.engagement.id,
                leader_id=leader,
                title="Delegate more",
                levels={"-1": "a", "0": "b", "1": "c"},
                themes=["delegation"],
                created_at=SETUP,
                updated_at=SETUP,
            )
        )
    await sweep(db, DUE)  # the check-in and the reflection are both due Monday 09:00
    assert len(await outbox(db)) == 1
    both = [*(await nudges(db, "checkin")), *(await nudges(db, "reflection"))]
    assert sorted((n.status, n.skip_reason or "") for n in both) == [
        ("sent", ""),
        ("skipped", "weekly_cap"),
    ]
    await sweep(db, DUE + timedelta(days=1))  # the reflection's reminder is capped too
    assert await outbox(db, "nudge_reminder") == []


async def test_check_ins_need_active_goals(db: Database) -> None:
    await setup(db)
    await sweep(db, DUE)
    assert [n.skip_reason for n in await nudges(db, "checkin")] == ["no_active_goals"]


async def test_no_nudge_in_the_24_hours_before_a_session(db: Database) -> None:
    w = await setup_world(db)
    async with db.transaction() as s:
        add_booking(s, w, DUE + timedelta(hours=20))
    await sweep(db, DUE)
    assert await outbox(db) == []
    assert [n.skip_reason for n in await nudges(db)] == ["session_within_24h"]
    await sweep(db, DUE + WEEK)
    assert len(await outbox(db)) == 1


async def test_a_late_sweep_sends_within_grace_and_skips_beyond_it(db: Database) -> None:
    w = await setup_world(db)
    async with db.transaction() as s:
        await s.execute(update(Programme).values(nudge_grace_hours=3))
    await sweep(db, DUE + timedelta(hours=3))  # exactly at the end of the grace: sent
    rows = await outbox(db)
    assert len(rows) == 1 and rows[0].created_at == DUE + timedelta(hours=3)
    await sweep(db, DUE + WEEK + timedelta(hours=3, minutes=5))
    assert len(await outbox(db)) == 1
    late = (await nudges(db))[-1]
    assert (late.period, late.status, late.skip_reason) == ("2026-W50", "skipped", "late")
    await sweep(db, DUE + 2 * WEEK)
    assert len(await outbox(db)) == 2
    assert (await plan(db, w.leader.id)).next_due_at == DUE + 3 * WEEK


async def test_snooze_defers_within_the_period(db: Database) -> None:
    leader = await setup(db)
    await set_plan(db, leader, snoozed_until=DUE + timedelta(hours=3))
    result = await sweep(db, DUE)
    assert result.deferred == 1 and await outbox(db) == []
    await sweep(db, DUE + timedelta(hours=3))
    rows = await outbox(db)
    assert len(rows) == 1 and rows[0].created_at == DUE + timedelta(hours=3)
    p = await plan(db, leader)
    assert p.snoozed_until is None and p.next_due_at == DUE + WEEK


async def test_not_this_week_skips_one_period_only(db: Database) -> None:
    leader = await setup(db)
    await set_plan(db, leader, skip_period="2026-W49")
    await sweep(db, DUE)
    await sweep(db, DUE + WEEK)
    found = [(n.period, n.status, n.skip_reason) for n in await nudges(db)]
    assert found == [("2026-W49", "skipped", "not_this_week"), ("2026-W50", "sent", None)]
    assert len(await outbox(db)) == 1
