"""The inbox records each platform event once, whatever the retries."""

from __future__ import annotations

from sqlalchemy import func, select, text

from bot.inbox import mark_processed, record_event
from storage.db import Database
from storage.models import InboundEvent
from tests.factories import T0


async def test_event_recorded_once_and_payload_encrypted(db: Database) -> None:
    payload = {"event": {"type": "message", "text": "my team is struggling"}}
    async with db.transaction() as s:
        first = await record_event(db=s, platform="slack", event_id="Ev1", payload=payload, now=T0)
    async with db.transaction() as s:
        again = await record_event(db=s, platform="slack", event_id="Ev1", payload=payload, now=T0)
        other = await record_event(db=s, platform="teams", event_id="Ev1", payload=payload, now=T0)
    assert first is not None and again is None and other is not None
    async with db.transaction() as s:
        await mark_processed(db=s, event_row_id=first, now=T0)
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(InboundEvent)) == 2
        raw = await s.scalar(text("SELECT payload FROM inbox_events WHERE id = :i"), {"i": first})
        row = await s.get(InboundEvent, first)
    assert raw is not None and "struggling" not in raw
    assert row is not None and row.status == "processed" and row.payload == payload
