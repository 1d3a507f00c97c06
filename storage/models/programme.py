"""Programmes (modality and rules) and engagements (a leader with a coach in a programme)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.models.choices import ENGAGEMENT_STATUSES, MODALITIES, one_of
from storage.models.people import Person
from storage.types import UTCDateTime


class Programme(Timestamped, Base):
    """A coaching programme: modality, sessions per leader, session length, booking rules."""

    __tablename__ = "programmes"
    __table_args__ = (
        UniqueConstraint("organisation_id", "slug"),
        one_of("modality", MODALITIES),
        CheckConstraint("sessions_per_leader > 0", name="sessions_positive"),
        CheckConstraint("session_minutes BETWEEN 15 AND 240", name="session_length_range"),
        CheckConstraint("nudge_cadence_days > 0", name="cadence_positive"),
        CheckConstraint("reflection_weekday BETWEEN 0 AND 6", name="reflection_weekday_range"),
        CheckConstraint("booking_horizon_days BETWEEN 1 AND 90", name="horizon_range"),
        CheckConstraint("checkin_weekday BETWEEN 0 AND 6", name="checkin_weekday_range"),
        CheckConstraint("max_nudges_per_week BETWEEN 1 AND 14", name="nudge_cap_range"),
        CheckConstraint("nudge_grace_hours BETWEEN 0 AND 72", name="nudge_grace_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    modality: Mapped[str] = mapped_column(String(16))
    sessions_per_leader: Mapped[int] = mapped_column(default=6)
    session_minutes: Mapped[int] = mapped_column(default=60)
    nudge_cadence_days: Mapped[int] = mapped_column(default=7)
    reflection_weekday: Mapped[int] = mapped_column(default=4)
    reflection_time: Mapped[time] = mapped_column(Time(), default=time(16, 0))
    checkin_weekday: Mapped[int] = mapped_column(default=0)
    checkin_time: Mapped[time] = mapped_column(Time(), default=time(9, 0))
    max_nudges_per_week: Mapped[int] = mapped_column(default=3)
    nudge_grace_hours: Mapped[int] = mapped_column(default=12)
    late_cancel_hours: Mapped[int] = mapped_column(default=24)
    reminder_offsets_minutes: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440, 60])
    brief_offset_minutes: Mapped[int] = mapped_column(default=1440)
    booking_horizon_days: Mapped[int] = mapped_column(default=28)
    starts_on: Mapped[date | None] = mapped_column(Date(), default=None)
    ends_on: Mapped[date | None] = mapped_column(Date(), default=None)


class Engagement(Timestamped, Base):
    """One leader's enrolment in a programme, with their coach once matched."""

    __tablename__ = "engagements"
    __table_args__ = (
        UniqueConstraint("leader_id", "programme_id"),
        one_of("status", ENGAGEMENT_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    coach_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True, default=None
    )
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="active")
    started_on: Mapped[date] = mapped_column(Date())
    ended_on: Mapped[date | None] = mapped_column(Date(), default=None)
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    leader: Mapped[Person] = relationship(foreign_keys=[leader_id])
    coach: Mapped[Person | None] = relationship(foreign_keys=[coach_id])
    programme: Mapped[Programme] = relationship()
