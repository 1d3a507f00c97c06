"""Closed vocabularies stored as strings, each guarded by a CHECK constraint."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint

ROLES = ("leader", "coach", "admin")
PLATFORMS = ("slack", "teams", "web")
MODALITIES = ("executive", "leadership", "career", "team")
ACCREDITATION_BODIES = ("ICF", "EMCC")
ACCREDITATION_LEVELS = {
    "ICF": ("ACC", "PCC", "MCC"),
    "EMCC": ("Foundation", "Practitioner", "Senior Practitioner", "Master Practitioner"),
}
EMPLOYMENT_STATUSES = ("employed", "promoted", "moved_role", "left")
ENGAGEMENT_STATUSES = ("active", "paused", "completed", "withdrawn")
BOOKING_STATUSES = ("confirmed", "cancelled", "late_cancelled", "held", "no_show")
BOOKING_KINDS = ("session", "chemistry", "group")
SEAT_STATUSES = ("confirmed", "cancelled", "late_cancelled", "no_show")
BUSY_SOURCES = ("away", "calendar")
GOAL_STATUSES = ("active", "achieved", "dropped")
NUDGE_KINDS = ("reflection", "checkin")
NUDGE_STATUSES = ("scheduled", "sent", "answered", "ignored", "skipped")
SHARE_CHOICES = ("private", "coach")
HANDOFF_KINDS = ("agenda", "shared", "private", "risk")
INBOX_STATUSES = ("received", "processed", "failed")
OUTBOX_STATUSES = ("pending", "sending", "sent", "dead")


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that `column` holds one of `values`."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")
