"""Goals (GAS), check-ins, reflections, nudges and handoffs: the between-session work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped
from storage.models.choices import (
    GOAL_STATUSES,
    HANDOFF_KINDS,
    NUDGE_KINDS,
    NUDGE_STATUSES,
    one_of,
)
from storage.types import EncryptedJSON, EncryptedText, UTCDateTime


class Goal(Timestamped, Base):
    """A leader's goal with Goal Attainment Scaling level descriptions (confidential)."""

    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint("baseline_level BETWEEN -2 AND 2", name="baseline_range"),
        one_of("status", GOAL_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(EncryptedText())
    levels: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    baseline_level: Mapped[int] = mapped_column(default=-1)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckIn(Timestamped, Base):
    """One weekly rating of a goal on its GAS scale, with optional confidence and note."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("goal_id", "period"),
        CheckConstraint("level BETWEEN -2 AND 2", name="level_range"),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 1 AND 5", name="confidence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column()
    confidence: Mapped[int | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    t_score: Mapped[float | None] = mapped_column(default=None)
    shared_with_coach: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reflection(Timestamped, Base):
    """A leader's answer to a reflection prompt (confidential; shared only by their choice)."""

    __tablename__ = "reflections"

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), default=None
    )
    nudge_id: Mapped[int | None] = mapped_column(
        ForeignKey("nudges.id", ondelete="SET NULL"), default=None
    )
    prompt_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(EncryptedText())
    shared_with_coach: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Nudge(Timestamped, Base):
    """One nudge of a kind for a person in a period: the unique key makes a second impossible."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("person_id", "kind", "period"),
        one_of("kind", NUDGE_KINDS),
        one_of("status", NUDGE_STATUSES),
        Index("ix_nudges_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    prompt_id: Mapped[str | None] = mapped_column(String(64), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    skip_reason: Mapped[str | None] = mapped_column(String(200), default=None)


HANDOFF_STATUSES = ("offered", "agenda", "shared", "private", "withdrawn")


class Handoff(Timestamped, Base):
    """Something a leader wrote that belongs to their human coach, on the leader's terms.

    `status` is the leader's choice (offered until they make one); `shared_at` is when they
    chose to share it (now, or on a session's agenda); `delivered_at` is when the text left for
    the coach (at once when shared now; with the pre-session brief for an agenda item).
    """

    __tablename__ = "handoffs"
    __table_args__ = (one_of("kind", HANDOFF_KINDS), one_of("status", HANDOFF_STATUSES))

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    coach_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    status: Mapped[str] = mapped_column(String(16), default="offered", server_default="offered")
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
