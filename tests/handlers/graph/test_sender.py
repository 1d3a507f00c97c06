"""The calendar outbox sender through the real dispatcher, msal and aiohttp, on both databases."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.booking import calendar, notices
from bot.dispatcher import Dispatcher
from bot.ports import Delivery, Failed, Recipient
from bot.ui import Message
from handlers.graph.sender import CREATING, GraphCalendarSender
from storage.db import Database
from storage.models import Booking, CoachProfile, DeliveryHold, OutboxMessage
from tests.factories import T0, World, add_booking, make_world
from tests.handlers.graph.fakes import GraphEnv, Scripted, graph_env

MAILBOX = "ana.ruiz@acme.example"
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@dataclass
class Setup:
    """A world whose coach has a connected calendar, one booking, the fakes and a dispatcher."""

    db: Database
    world: World
    booking_id: int
    env: GraphEnv
    dispatcher: Dispatcher
    join_links: list[tuple[int, str | None]]

    async def sync(self, now: datetime = T0) -> None:
        """Queue a sync of the booking as it is now, then run one dispatcher pass."""
        async with self.db.transaction() as s:
            booking = await s.get(Booking, self.booking_id)
            assert booking is not None
            await calendar.queue_sync(db=s, booking=booking, now=now)
        await self.dispatcher.dispatch_due(now=now)

    async def change(self, **values: Any) -> None:
        """Change the booking as the service would (new sequence)."""
        async with self.db.transaction() as s:
            booking = await s.get(Booking, self.booking_id)
            assert booking is not None
            for key, value in values.items():
                setattr(booking, key, value)
            booking.sequence += 1

    async def booking(self) -> Booking:
        async with self.db.reading() as s:
            booking = await s.get(Booking, self.booking_id)
            assert booking is not None
            return booking

    async def rows(self) -> list[OutboxMessage]:
        async with self.db.reading() as s:
            query = select(OutboxMessage).where(OutboxMessage.channel == "calendar")
            return list((await s.scalars(query.order_by(OutboxMessage.id))).all())


@asynccontextmanager
async def setup(
    db: Database,
    tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    max_attempts: int = 4,
    real_notices: bool = False,
) -> AsyncIterator[Setup]:
    join_links: list[tuple[int, str | None]] = []

    async def record(*, db: Any, booking: Booking, now: datetime) -> None:
        join_links.append((booking.id, booking.join_url))

    if not real_notices:
        monkeypatch.setattr(notices, "join_link_ready", record)
    async with db.transaction() as s:
        world = await make_world(s)
        profile = await s.get(CoachProfile, world.coach.id)
        assert profile is not None
        profile.calendar_user_id = MAILBOX
        booking = add_booking(s, world, START, uid="uid-booking-1@coach-companion")
        await s.flush()
        booking_id = booking.id
    async with graph_env(tmp, max_attempts=max_attempts) as env:
        sender = GraphCalendarSender(database=db, client=env.client, clock=lambda: T0)
        dispatcher = Dispatcher(
            database=db, senders={"calendar": sender}, clock=lambda: T0, rng=random.Random(3)
        )
        yield Setup(db, world, booking_id, env, dispatcher, join_links)


async def test_a_booking_creates_its_event_once(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch) as t:
        await t.sync()
        (event,) = t.env.graph.all_events()
        assert event["subject"] == "Coaching session with Sam Lee"
        assert event["start"] == {"dateTime": "2026-12-01T14:00:00", "timeZone": "UTC"}
        assert event["end"] == {"dateTime": "2026-12-01T15:00:00", "timeZone": "UTC"}
        assert "attendees" not in event  # leaders get the bot's ICS invite instead
        assert t.env.graph.bodies[0]["transactionId"] == "uid-booking-1@coach-companion"
        booking = await t.booking()
        assert booking.calendar_event_id == event["id"]
        assert booking.join_url == event["onlineMeeting"]["joinUrl"]
        assert t.join_links == [(booking.id, booking.join_url)]
        (row,) = await t.rows()
        assert (row.status, row.bucket, row.kind) == ("sent", f"calendar:{MAILBOX}", "calendar")
        assert row.payload == {"task": {"booking_id": booking.id}}
        await t.sync()  # the same (booking, sequence) again: no new row, nothing sent
        assert len(await t.rows()) == 1 and t.env.graph.calls("create") == 1


async def test_the_join_link_is_announced_to_both_parties(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch, real_notices=True) as t:
        await t.sync()
        booking = await t.booking()
        async with db.reading() as s:
            keys = (
                await s.scalars(
                    select(OutboxMessage.dedupe_key)
                    .where(OutboxMessage.dedupe_key.like("joinlink:%"))
                    .order_by(OutboxMessage.person_id)
                )
            ).all()
        coach, leader = t.world.coach.id, t.world.leader.id
        assert sorted(k or "" for k in keys) == sorted(
            f"joinlink:{booking.id}:0:{p}" for p in (coach, leader)
        )


async def test_a_lost_answer_is_retried_from_the_outbox_without_a_duplicate(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch, max_attempts=1) as t:
        t.env.graph.script("create", Scripted(drop_after_work=True))
        await t.sync()
        (row,) = await t.rows()
        assert row.status == "pending" and row.attempts == 1 and row.last_error
        assert len(t.env.graph.all_events()) == 1  # Graph made it; we never heard
        assert (await t.booking()).calendar_event_id == CREATING
        await t.dispatcher.dispatch_due(now=T0 + timedelta(hours=1))
        (event,) = t.env.graph.all_events()
        assert t.env.graph.calls("create") == 2
        assert (await t.booking()).calendar_event_id == event["id"]
        assert [r.status for r in await t.rows()] == ["sent"]


async def test_a_503_once_then_success_makes_one_event(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch) as t:
        t.env.graph.script("create", Scripted(503, retry_after="1"))
        await t.sync()
        assert len(t.env.graph.all_events()) == 1 and t.env.sleeps == [1.0]
        assert [r.status for r in await t.rows()] == ["sent"]


async def test_reschedule_patches_and_cancel_deletes(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch) as t:
        await t.sync()
        moved = START + timedelta(days=1, hours=2)
        await t.change(starts_at=moved, ends_at=moved + timedelta(hours=1))
        await t.sync()
        (event,) = t.env.graph.all_events()
        assert t.env.graph.calls("update") == 1 and t.env.graph.calls("create") == 1
        assert event["start"] == {"dateTime": "2026-12-02T16:00:00", "timeZone": "UTC"}
        assert set(t.env.graph.bodies[-1]) == {"subject", "start", "end"}
        assert len(t.join_links) == 1  # the link did not change
        await t.change(status="cancelled", cancelled_at=T0)
        await t.sync()
        assert t.env.graph.all_events() == [] and t.env.graph.calls("delete") == 1
        assert (await t.booking()).calendar_event_id is None
        assert [r.status for r in await t.rows()] == ["sent", "sent", "sent"]
        assert t.env.authority.token_requests == 1


async def test_cancelled_before_any_event_calls_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch) as t:
        await t.change(status="cancelled", cancelled_at=T0)
        await t.sync()
        assert t.env.graph.log == [] and [r.status for r in await t.rows()] == ["sent"]


async def test_cancel_after_a_lost_create_still_removes_the_event(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch, max_attempts=1) as t:
        t.env.graph.script("create", Scripted(drop_after_work=True))
        await t.sync()
        assert len(t.env.graph.all_events()) == 1
        await t.change(status="cancelled", cancelled_at=T0)
        await t.sync(T0 + timedelta(hours=1))  # both rows run: the create retry and the cancel
        assert t.env.graph.all_events() == []
        assert (await t.booking()).calendar_event_id is None
        assert {r.status for r in await t.rows()} == {"sent"}


async def test_throttling_after_retries_holds_the_mailbox_bucket(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch) as t:
        t.env.graph.script("create", *[Scripted(429, retry_after="120")] * 4)
        await t.sync()
        (row,) = await t.rows()
        assert row.status == "pending" and row.attempts == 0
        async with db.reading() as s:
            hold = await s.get(DeliveryHold, f"calendar:{MAILBOX}")
        assert hold is not None and hold.until == T0 + timedelta(seconds=120)
        await t.dispatcher.dispatch_due(now=T0 + timedelta(minutes=3))
        assert len(t.env.graph.all_events()) == 1


async def test_a_refusal_is_dead_lettered_without_retrying(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with setup(db, tmp_path, monkeypatch) as t:
        t.env.graph.script("create", Scripted(403))
        await t.sync()
        (row,) = await t.rows()
        assert row.status == "dead" and row.last_error == (
            "Graph create event answered 403 (ErrorAccessDenied)"
        )
        assert "tok-" not in (row.last_error or "")


async def test_a_task_without_a_booking_id_is_refused(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        sender = GraphCalendarSender(database=None, client=env.client, clock=lambda: T0)  # type: ignore[arg-type]
        recipient = Recipient(person_id=1, name="A", email="a@x", timezone="UTC", locale="en")
        delivery = Delivery(1, "calendar", "calendar:x", "calendar", recipient, Message(text=""), 1)
        result = await sender.send(delivery)
        assert isinstance(result, Failed) and not result.retryable
