"""Calendar busy-time sync and calendar tasks (being built)."""

from __future__ import annotations

from datetime import datetime

from bot.ports import CalendarPort
from storage.db import Database


async def sync_busy(*, database: Database, calendar: CalendarPort, now: datetime) -> int:
    """Refresh connected coaches' busy time; returns how many calendars were read."""
    return 0
