"""Recording inbound platform events durably before they are acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEvent


async def record_event(
    *, db: AsyncSession, platform: str, event_id: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """Store an inbound event once; returns its id, or None when it was already recorded."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(InboundEvent)
        .values(
            platform=platform,
            event_id=event_id,
            received_at=now,
            payload=payload,
            status="received",
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        .returning(InboundEvent.id)
    )
    return await db.scalar(stmt)


async def mark_processed(*, db: AsyncSession, event_row_id: int, now: datetime) -> None:
    """Mark a recorded event handled."""
    await db.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_row_id)
        .values(status="processed", processed_at=now, attempts=InboundEvent.attempts + 1)
    )


async def mark_failed(*, db: AsyncSession, event_row_id: int, reason: str) -> None:
    """Mark a recorded event failed with a short reason (never its text)."""
    await db.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_row_id)
        .values(status="failed", error=reason[:500], attempts=InboundEvent.attempts + 1)
    )
