"""The booking service end to end with a connected calendar: book, move, cancel -> one event."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.booking import notices, service
from bot.booking.model import Slot
from bot.dispatcher import Dispatcher
from handlers.graph.sender import GraphCalendarSender
from storage.db import Database
from storage.models import Booking, CoachProfile, Engagement, Person
from tests.factories import T0, make_world
from tests.handlers.graph.fakes import graph_env

MAILBOX = "ana.ruiz@acme.example"
DEC1 = datetime(2026, 12, 1, tzinfo=UTC)


async def test_book_move_cancel_keep_exactly_one_event_in_step(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def quiet(**_: Any) -> None:
        return None

    monkeypatch.setattr(notices, "join_link_ready", quiet)
    async with db.transaction() as s:
        world = await make_world(s)
        profile = await s.get(CoachProfile, world.coach.id)
        assert profile is not None
        profile.calendar_user_id = MAILBOX
    first = Slot(DEC1 + timedelta(hours=8), DEC1 + timedelta(hours=9))
    async with db.transaction() as s:
        engagement = await s.get(Engagement, world.engagement.id)
        assert engagement is not None
        booking_id = (
            await service.book(db=s, engagement=engagement, slot=first, now=T0)
        ).booking.id
    async with graph_env(tmp_path) as env:
        sender = GraphCalendarSender(database=db, client=env.client, clock=lambda: T0)
        dispatcher = Dispatcher(
            database=db, senders={"calendar": sender}, clock=lambda: T0, rng=random.Random(1)
        )
        await dispatcher.dispatch_due(now=T0)
        (event,) = env.graph.all_events()
        assert event["start"]["dateTime"] == "2026-12-01T08:00:00"

        later = T0 + timedelta(minutes=5)
        moved = Slot(DEC1 + timedelta(hours=9), DEC1 + timedelta(hours=10))
        async with db.transaction() as s:
            booking = await s.get(Booking, booking_id)
            leader = await s.get(Person, world.leader.id)
            assert booking is not None and leader is not None
            await service.reschedule(db=s, booking=booking, by=leader, slot=moved, now=later)
        await dispatcher.dispatch_due(now=later)
        (event,) = env.graph.all_events()
        assert event["start"]["dateTime"] == "2026-12-01T09:00:00"

        async with db.transaction() as s:
            booking = await s.get(Booking, booking_id)
            leader = await s.get(Person, world.leader.id)
            assert booking is not None and leader is not None
            await service.cancel(db=s, booking=booking, by=leader, now=later)
        await dispatcher.dispatch_due(now=later)
        assert env.graph.all_events() == []
        assert [env.graph.calls(r) for r in ("create", "update", "delete")] == [1, 1, 1]
