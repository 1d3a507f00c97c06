"""What a booking conversation carries in its button values, and how times are labelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.booking.model import CHEMISTRY_MINUTES, Slot
from bot.timefmt import abbreviation, local
from storage.models import Programme

KINDS = ("session", "chemistry")
_SEP = "|"


@dataclass(frozen=True)
class Pick:
    """A booking in progress: its kind, the coach, and the session being moved (if any)."""

    kind: str
    coach_id: int
    move_id: int | None = None

    def encode(self, *extra: str) -> str:
        """This pick plus extra fields as one button value, e.g. 'session|4||2026-12-01'."""
        return _SEP.join((self.kind, str(self.coach_id), str(self.move_id or ""), *extra))

    @classmethod
    def decode(cls, value: str, extras: int) -> tuple[Pick, list[str]] | None:
        """The pick and its `extras` extra fields from a button value; None if malformed."""
        parts = value.split(_SEP)
        if len(parts) != 3 + extras or parts[0] not in KINDS:
            return None
        kind, coach, move, *rest = parts
        if not coach.isdigit() or (move and not move.isdigit()):
            return None
        return cls(kind, int(coach), int(move) if move else None), rest

    def length(self, programme: Programme) -> timedelta:
        """How long the session being booked is."""
        minutes = CHEMISTRY_MINUTES if self.kind == "chemistry" else programme.session_minutes
        return timedelta(minutes=minutes)


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD day from a button value; None if malformed."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_slot(key: str, length: timedelta) -> Slot | None:
    """A slot from its key and length; None if malformed."""
    try:
        return Slot.from_key(key, length)
    except ValueError:
        return None


def day_label(day: date) -> str:
    """E.g. 'Tue 1 Dec'."""
    return f"{day:%a} {day.day} {day:%b}"


def slot_label(slot: Slot, zone: str) -> str:
    """E.g. '09:00–10:00 EST', with '(+1)' when the slot ends the next day there."""
    start, end = local(slot.starts_at, zone), local(slot.ends_at, zone)
    next_day = " (+1)" if end.date() > start.date() else ""
    return f"{start:%H:%M}–{end:%H:%M}{next_day} {abbreviation(start)}"
