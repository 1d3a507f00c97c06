"""The non-responder reminder: once, a day later, only if unanswered, with the nudge's buttons."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import update

from bot.nudges.nonresponders import reminder_instants
from bot.nudges.sweep import mark_answered
from bot.ui import Message
from storage.db import Database
from storage.models import Nudge, NudgePlan, NudgeSettings
from tests.bot.nudges.test_sweep_kit import nudge_world, nudges, outbox, sweep

DUE = datetime(2026, 11, 30, 14, tzinfo=UTC)  # Monday 09:00 EST
SETUP = datetime(2026, 11, 26, 12, tzinfo=UTC)


async def test_one_reminder_a_day_later_when_unanswered(db: Database) -> None:
    await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    await sweep(db, DUE)
    await sweep(db, DUE + timedelta(hours=23, minutes=59))
    assert await outbox(db, "nudge_reminder") == []
    for later in (timedelta(hours=24), timedelta(hours=24, minutes=5), timedelta(hours=30)):
        await sweep(db, DUE + later)
    rows = await outbox(db, "nudge_reminder")
    assert len(rows) == 1 and rows[0].created_at == DUE + timedelta(hours=24)
    (nudge,) = await nudges(db)
    assert nudge.reminded_at == DUE + timedelta(hours=24) and nudge.status == "sent"
    assert rows[0].dedupe_key == f"nudge:{nudge.id}:reminder"
    message = Message.from_payload(rows[0].payload)
    assert "Mon 30 Nov 2026, 09:00 EST" in message.text
    assert [b.action_id for b in message.buttons] == [
        "reflect.open",
        "nudge.skip",
        "nudge.snooze",
        "command",
    ]
    assert message.buttons[0].value == str(nudge.id)


async def test_no_reminder_once_answered(db: Database) -> None:
    await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    await sweep(db, DUE)
    async with db.transaction() as s:
        (nudge,) = await nudges(db)
        row = await s.get(Nudge, nudge.id)
        assert row is not None
        await mark_answered(db=s, nudge=row, now=DUE + timedelta(hours=2))
    await sweep(db, DUE + timedelta(hours=24))
    assert await outbox(db, "nudge_reminder") == []
    (nudge,) = await nudges(db)
    assert nudge.status == "answered" and nudge.answered_at == DUE + timedelta(hours=2)


async def test_a_reminder_is_not_sent_stale_beyond_the_grace(db: Database) -> None:
    await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    await sweep(db, DUE)
    await sweep(db, DUE + timedelta(hours=24 + 13))  # down a whole day: too late to remind
    assert await outbox(db, "nudge_reminder") == []


async def test_a_snooze_does_not_use_up_the_day_later_reminder(db: Database) -> None:
    w = await nudge_world(db, now=SETUP)
    await sweep(db, SETUP)
    await sweep(db, DUE)
    async with db.transaction() as s:
        await s.execute(
            update(NudgePlan)
            .where(NudgePlan.person_id == w.leader.id, NudgePlan.kind == "reflection")
            .values(snoozed_until=DUE + timedelta(hours=3))
        )
    await sweep(db, DUE + timedelta(hours=2, minutes=59))
    assert await outbox(db, "nudge_snooze") == []
    await sweep(db, DUE + timedelta(hours=3))
    await sweep(db, DUE + timedelta(hours=24))
    [back] = await outbox(db, "nudge_snooze")
    assert back.created_at == DUE + timedelta(hours=3)
    [reminder] = await outbox(db, "nudge_reminder")
    assert reminder.created_at == DUE + timedelta(hours=24)
    (nudge,) = await nudges(db)
    assert nudge.reminded_at == DUE + timedelta(hours=24)


async def test_the_day_later_reminder_waits_out_quiet_hours_and_the_clock_stops_there(
    db: Database,
) -> None:
    # Friday 21:00 local is allowed for this leader... until they turn quiet hours back on.
    w = await nudge_world(db, now=SETUP, reflection=(4, time(21)), quiet_ok=True)
    friday = datetime(2026, 11, 28, 2, tzinfo=UTC)  # Fri 27 Nov 21:00 EST
    await sweep(db, SETUP)
    await sweep(db, friday)
    async with db.transaction() as s:
        settings = await s.get(NudgeSettings, w.leader.id)
        assert settings is not None
        settings.quiet_hours_ok = False
    morning = datetime(2026, 11, 29, 13, tzinfo=UTC)  # Sun 08:00 EST, not Sat 21:00
    async with db.reading() as s:
        found = await reminder_instants(db=s, start=friday, end=friday + timedelta(days=2))
    assert found == [morning]
    await sweep(db, friday + timedelta(hours=24))
    assert await outbox(db, "nudge_reminder") == []
    await sweep(db, morning)
    [reminder] = await outbox(db, "nudge_reminder")
    assert reminder.created_at == morning
