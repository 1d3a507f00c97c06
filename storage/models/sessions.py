"""Coaching sessions: the meeting on the coach's time (Booking) and each leader's seat in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.models.choices import (
    BOOKING_KINDS,
    BOOKING_STATUSES,
    BUSY_SOURCES,
    SEAT_STATUSES,
    one_of,
)
from storage.types import UTCDateTime

# PostgreSQL refuses overlapping live rows itself (btree_gist + tstzrange, half-open [start, end)).
# SQLite has no such constraint: there the overlap check and the insert share one
# BEGIN IMMEDIATE transaction (storage.db.Database.transaction), so writers are serialised.
TIME_RANGE = "tstzrange(starts_at, ends_at, '[)')"


def _no_overlap(name: str, who: str) -> ExcludeConstraint:
    """An exclusion constraint: one live row per person at any instant (PostgreSQL only)."""
    constraint = ExcludeConstraint(
        (text(who), "="),
        (text(TIME_RANGE), "&&"),
        name=name,
        using="gist",
        where=text("status = 'confirmed'"),
    )
    return constraint.ddl_if(dialect="postgresql")


class Booking(Timestamped, Base):
    """A confirmed block of a coach's time: a one-to-one, a chemistry call or a group session.

    One-to-one and chemistry bookings name their leader (`leader_id`); a group session has none
    and a `capacity`. Every leader taking part holds a BookingSeat, which is what keeps leaders
    from being double-booked; the booking itself keeps the coach from it.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("seats_taken BETWEEN 0 AND capacity", name="seats_within_capacity"),
        one_of("status", BOOKING_STATUSES),
        one_of("kind", BOOKING_KINDS),
        # coach + status + time: with two equality columns SQLite (no statistics) prefers it
        # over ix_bookings_status_time for a coach's live bookings; the sweeps use the latter.
        Index("ix_bookings_coach_time", "coach_id", "status", "starts_at"),
        Index("ix_bookings_leader_time", "leader_id", "starts_at"),
        Index("ix_bookings_status_time", "status", "starts_at"),
        _no_overlap("ex_bookings_coach_overlap", "coach_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), default=None
    )
    leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), default=None
    )
    coach_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16), default="session")
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(default=1)
    seats_taken: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200), default="")
    cohort: Mapped[str | None] = mapped_column(String(64), default=None)
    ics_uid: Mapped[str] = mapped_column(String(128), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    calendar_event_id: Mapped[str | None] = mapped_column(String(256), default=None)
    join_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    brief_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When the coach's pre-session brief of the current version was queued (None: not yet)."""

    seats: Mapped[list[BookingSeat]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="BookingSeat.id"
    )


class BookingSeat(Timestamped, Base):
    """One leader's place in a booking; its copy of the times lets the database refuse overlaps."""

    __tablename__ = "booking_seats"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        one_of("status", SEAT_STATUSES),
        Index("ix_booking_seats_leader_time", "leader_id", "starts_at"),
        Index("ix_booking_seats_booking", "booking_id"),
        _no_overlap("ex_booking_seats_leader_overlap", "leader_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), default=None
    )
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    booking: Mapped[Booking] = relationship(back_populates="seats")


class CoachBusy(Timestamped, Base):
    """Time a coach is not available beyond bookings: `away` they set, or calendar busy time."""

    __tablename__ = "coach_busy"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        one_of("source", BUSY_SOURCES),
        Index("ix_coach_busy_coach_time", "coach_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
