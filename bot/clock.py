"""Clocks passed into the core: the real one, and a virtual one the playground and demo move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Now = Callable[[], datetime]


def system_now() -> datetime:
    """The real time, aware UTC (the one place the bot reads the wall clock)."""
    return datetime.now(UTC)


class VirtualClock:
    """Real time plus an offset that only moves forward; `now()` is aware UTC."""

    def __init__(self, source: Now = system_now, offset: timedelta = timedelta(0)) -> None:
        self._source = source
        self.offset = offset

    def now(self) -> datetime:
        """The virtual time now."""
        return self._source() + self.offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` (never backward); returns the new time."""
        if delta < timedelta(0):
            raise ValueError("the virtual clock only moves forward")
        self.offset += delta
        return self.now()
