"""Coaching sessions booked between a leader and a coach."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped
from storage.models.choices import BOOKING_KINDS, BOOKING_STATUSES, one_of
from storage.types import UTCDateTime


class Booking(Timestamped, Base):
    """A session in UTC; the booking issue adds overlap constraints per coach and leader."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        one_of("status", BOOKING_STATUSES),
        one_of("kind", BOOKING_KINDS),
        Index("ix_bookings_coach_time", "coach_id", "starts_at"),
        Index("ix_bookings_leader_time", "leader_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), default=None
    )
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="session")
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ics_uid: Mapped[str] = mapped_column(String(128), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    calendar_event_id: Mapped[str | None] = mapped_column(String(256), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
