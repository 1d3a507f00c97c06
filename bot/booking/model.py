"""Small shared shapes of the booking core: intervals and slots in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

Interval = tuple[datetime, datetime]
"""A half-open [start, end) span of aware UTC datetimes."""

SLOT_STEP = timedelta(minutes=30)
"""Slots start on the availability window's start and every SLOT_STEP after it."""
CHEMISTRY_MINUTES = 20
"""A chemistry call (meeting a coach before committing) is this long."""
_KEY_FORMAT = "%Y%m%dT%H%MZ"


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable span of a coach's time, in aware UTC, half-open."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("Slot times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("a slot must end after it starts")

    @property
    def length(self) -> timedelta:
        """How long the slot is."""
        return self.ends_at - self.starts_at

    def key(self) -> str:
        """The slot's start as a compact UTC token for button values, e.g. 20261201T1400Z."""
        return self.starts_at.astimezone(UTC).strftime(_KEY_FORMAT)

    @classmethod
    def from_key(cls, key: str, length: timedelta) -> Slot:
        """The slot of `length` starting at a `key()` token; ValueError if the token is bad."""
        start = datetime.strptime(key, _KEY_FORMAT).replace(tzinfo=UTC)
        return cls(start, start + length)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """True when this slot shares any instant with [start, end)."""
        return self.starts_at < end and start < self.ends_at
