"""Session reminders (being built)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


async def remind_due(*, db: AsyncSession, now: datetime) -> int:
    """Queue the reminders due at `now`; returns how many were queued."""
    return 0
