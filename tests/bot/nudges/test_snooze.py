"""Snooze 3 h: the nudge comes back once at the stated time, apart from the day-later reminder."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import update

from bot.nudges.nonresponders import reminder_instants
from bot.ui import Message
from storage.db import Database
from storage.models import Nudge, NudgePlan, NudgeSettings
from tests.bot.nudges.test_sweep_kit import nudge_world, nudges, outbox, plan, sweep
from tests.bot.test_booking_flow import LEADER, turn

DUE = datetime(2026, 11, 30, 14, tzinfo=UTC)  # Monday 09:00 EST
SETUP = datetime(2026, 11, 26, 12, tzinfo=UTC)
H = timedelta(hours=1)


async def sent_nudge(db: Database) -> tuple[int, int]:
    """The world, Monday's reflection sent at DUE: (leader id, nudge id)."""
    w = await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    await sweep(db, DUE)
    (nudge,) = await nudges(db)
    return w.leader.id, nudge.id


async def press(db: Database, nudge_id: int, now: datetime) -> str:
    """The leader presses Snooze 3 h on the nudge at `now`; the reply's text."""
    [reply] = await turn(db, LEADER, now=now, action_id="nudge.snooze", value=str(nudge_id))
    return reply.text


def key(nudge_id: int, at: datetime) -> str:
    return f"nudge:{nudge_id}:snooze:{int(at.timestamp())}"


async def test_snooze_before_the_reminder_comes_back_and_the_reminder_still_does(
    db: Database,
) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    said = await press(db, nudge_id, DUE + H)
    assert said == "Snoozed: I'll bring it back at 13:00 today (Mon 30 Nov, 13:00 EST)."
    assert (await plan(db, leader_id)).snoozed_until == DUE + 4 * H
    await sweep(db, DUE + 4 * H - timedelta(minutes=1))
    assert await outbox(db, "nudge_snooze") == []
    await sweep(db, DUE + 4 * H)
    await sweep(db, DUE + 5 * H)
    [back] = await outbox(db, "nudge_snooze")
    assert back.created_at == DUE + 4 * H and back.dedupe_key == key(nudge_id, DUE + 4 * H)
    message = Message.from_payload(back.payload)
    assert message.title == "Here is the reflection you snoozed"
    assert [b.action_id for b in message.buttons] == [
        "reflect.open",
        "nudge.skip",
        "nudge.snooze",
        "command",
    ]
    assert message.buttons[2].value == str(nudge_id)
    (nudge,) = await nudges(db)
    assert nudge.reminded_at is None and nudge.status == "sent"
    assert (await plan(db, leader_id)).snoozed_until is None
    # The day-later reminder is separate: still once, a day after the nudge.
    await sweep(db, DUE + 24 * H)
    await sweep(db, DUE + 25 * H)
    [reminder] = await outbox(db, "nudge_reminder")
    assert reminder.created_at == DUE + 24 * H
    assert reminder.dedupe_key == f"nudge:{nudge_id}:reminder"
    assert len(await outbox(db, "nudge_snooze")) == 1


async def test_snooze_after_the_reminder_still_comes_back_and_again_when_snoozed_again(
    db: Database,
) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    await sweep(db, DUE + 24 * H)  # Tue 09:00 EST: the day-later reminder
    assert len(await outbox(db, "nudge_reminder")) == 1
    said = await press(db, nudge_id, DUE + 25 * H)
    assert said.endswith("13:00 today (Tue 1 Dec, 13:00 EST).")  # pressed at 10:00
    await sweep(db, DUE + 28 * H)
    [first] = await outbox(db, "nudge_snooze")
    assert first.dedupe_key == key(nudge_id, DUE + 28 * H)
    # Snoozed again from the returned message: it comes back again, under a new key.
    await press(db, nudge_id, DUE + 29 * H)
    await sweep(db, DUE + 32 * H)
    rows = await outbox(db, "nudge_snooze")
    assert [r.dedupe_key for r in rows] == [
        key(nudge_id, DUE + 28 * H),
        key(nudge_id, DUE + 32 * H),
    ]
    assert len(await outbox(db, "nudge_reminder")) == 1
    assert (await plan(db, leader_id)).snoozed_until is None


async def test_a_second_press_keeps_the_first_time(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    await press(db, nudge_id, DUE + H)
    said = await press(db, nudge_id, DUE + 2 * H)
    assert (
        said == "It's already snoozed: I'll bring it back at 13:00 today (Mon 30 Nov, 13:00 EST)."
    )
    assert (await plan(db, leader_id)).snoozed_until == DUE + 4 * H


async def test_a_snooze_into_quiet_hours_says_and_keeps_the_real_time(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    evening = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # Mon 19:30 EST: +3 h is 22:30
    said = await press(db, nudge_id, evening)
    assert said == (
        "Snoozed. Three hours from now falls in your quiet hours (20:00–08:00), "
        "so I'll bring it back at 08:00 tomorrow (Tue 1 Dec, 08:00 EST)."
    )
    morning = datetime(2026, 12, 1, 13, tzinfo=UTC)  # Tue 08:00 EST
    assert (await plan(db, leader_id)).snoozed_until == morning
    await sweep(db, evening + 3 * H)
    await sweep(db, morning - timedelta(minutes=1))
    assert await outbox(db, "nudge_snooze") == []
    await sweep(db, morning)
    [back] = await outbox(db, "nudge_snooze")
    assert back.created_at == morning


async def test_quiet_hours_allowed_keep_three_hours(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    async with db.transaction() as s:
        await s.execute(
            update(NudgeSettings)
            .where(NudgeSettings.person_id == leader_id)
            .values(quiet_hours_ok=True)
        )
    evening = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    said = await press(db, nudge_id, evening)
    assert said.startswith("Snoozed: I'll bring it back at 22:30 today")
    assert (await plan(db, leader_id)).snoozed_until == evening + 3 * H


async def test_a_snooze_into_quiet_hours_across_the_spring_change(db: Database) -> None:
    # US clocks go forward on Sun 14 Mar 2027: the end of quiet hours is 08:00 EDT (12:00 UTC).
    setup = datetime(2027, 3, 10, 12, tzinfo=UTC)
    saturday = datetime(2027, 3, 13, 14, tzinfo=UTC)  # Sat 09:00 EST
    w = await nudge_world(db, now=setup, reflection=(5, time(9)))
    await sweep(db, setup)
    await sweep(db, saturday)
    (nudge,) = await nudges(db)
    assert nudge.sent_at == saturday
    said = await press(db, nudge.id, datetime(2027, 3, 14, 0, tzinfo=UTC))  # Sat 19:00 EST
    assert said.endswith("08:00 tomorrow (Sun 14 Mar, 08:00 EDT).")
    morning = datetime(2027, 3, 14, 12, tzinfo=UTC)
    assert (await plan(db, w.leader.id)).snoozed_until == morning
    await sweep(db, morning - timedelta(minutes=1))
    assert await outbox(db, "nudge_snooze") == []
    await sweep(db, morning)
    [back] = await outbox(db, "nudge_snooze")
    assert back.created_at == morning and back.dedupe_key == key(nudge.id, morning)


async def test_the_return_waits_out_quiet_hours_set_since(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    late = datetime(2026, 12, 1, 3, tzinfo=UTC)  # Mon 22:00 EST, e.g. stored before a change
    async with db.transaction() as s:
        await s.execute(
            update(NudgePlan).where(NudgePlan.person_id == leader_id).values(snoozed_until=late)
        )
    await sweep(db, late)
    assert await outbox(db, "nudge_snooze") == []
    morning = datetime(2026, 12, 1, 13, tzinfo=UTC)
    assert (await plan(db, leader_id)).snoozed_until == morning
    async with db.reading() as s:
        assert morning in await reminder_instants(db=s, start=late, end=morning)
    await sweep(db, morning)
    [back] = await outbox(db, "nudge_snooze")
    assert back.created_at == morning and back.dedupe_key == key(nudge_id, morning)


async def test_no_return_while_paused(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    await press(db, nudge_id, DUE + H)
    [paused] = await turn(db, LEADER, now=DUE + 2 * H, text="pause")
    assert paused.text.startswith("Nudges are paused")
    await sweep(db, DUE + 4 * H)
    assert await outbox(db, "nudge_snooze") == []
    assert (await plan(db, leader_id)).snoozed_until is None
    # Pressed while paused: nothing to bring back, and it says so.
    said = await press(db, nudge_id, DUE + 5 * H)
    assert said.startswith("Nudges are paused then, so I won't bring this one back.")
    assert (await plan(db, leader_id)).snoozed_until is None


async def test_no_return_once_answered_or_skipped(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    await press(db, nudge_id, DUE + H)
    [skipped] = await turn(db, LEADER, now=DUE + 2 * H, action_id="nudge.skip", value=str(nudge_id))
    assert skipped.text.startswith("OK, not this week.")
    assert (await plan(db, leader_id)).snoozed_until is None
    await sweep(db, DUE + 4 * H)
    assert await outbox(db, "nudge_snooze") == []
    said = await press(db, nudge_id, DUE + 5 * H)
    assert said == "You chose *Not this week* for this one, so there's nothing to snooze."
    async with db.transaction() as s:
        row = await s.get(Nudge, nudge_id)
        assert row is not None
        row.status, row.answered_at = "answered", DUE + 6 * H
    said = await press(db, nudge_id, DUE + 7 * H)
    assert said.startswith("You've already answered this one")


async def test_an_answer_after_a_snooze_stops_the_return(db: Database) -> None:
    _leader_id, nudge_id = await sent_nudge(db)
    await press(db, nudge_id, DUE + H)
    async with db.transaction() as s:
        row = await s.get(Nudge, nudge_id)
        assert row is not None
        row.status, row.answered_at = "answered", DUE + 2 * H
    async with db.reading() as s:
        assert await reminder_instants(db=s, start=DUE, end=DUE + 48 * H) == []
    await sweep(db, DUE + 4 * H)
    await sweep(db, DUE + 24 * H)
    assert await outbox(db, "nudge_snooze") == []
    assert await outbox(db, "nudge_reminder") == []


async def test_reminder_instants_stop_at_the_snooze_and_the_reminder(db: Database) -> None:
    _leader_id, nudge_id = await sent_nudge(db)
    await press(db, nudge_id, DUE + H)
    async with db.reading() as s:
        found = await reminder_instants(db=s, start=DUE, end=DUE + 48 * H)
    assert found == [DUE + 4 * H, DUE + 24 * H]
    await sweep(db, DUE + 4 * H)
    async with db.reading() as s:
        found = await reminder_instants(db=s, start=DUE, end=DUE + 48 * H)
    assert found == [DUE + 24 * H]


async def test_a_late_sweep_drops_a_stale_return(db: Database) -> None:
    leader_id, nudge_id = await sent_nudge(db)
    await press(db, nudge_id, DUE + H)
    await sweep(db, DUE + 4 * H + 13 * H)  # down beyond the 12 h grace
    assert await outbox(db, "nudge_snooze") == []
    assert (await plan(db, leader_id)).snoozed_until is None
