"""Each leader's nudge preferences and, per kind, the row that says when the next one is due."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped
from storage.models.choices import NUDGE_KINDS, one_of
from storage.types import UTCDateTime


class NudgeSettings(Base):
    """A leader's choices: nudge days and times (None = the programme's), sharing, quiet, pause."""

    __tablename__ = "nudge_settings"
    __table_args__ = (
        CheckConstraint(
            "reflection_weekday IS NULL OR reflection_weekday BETWEEN 0 AND 6",
            name="reflection_weekday_range",
        ),
        CheckConstraint(
            "checkin_weekday IS NULL OR checkin_weekday BETWEEN 0 AND 6",
            name="checkin_weekday_range",
        ),
        CheckConstraint(
            "share_default IS NULL OR share_default IN ('private', 'coach')",
            name="share_default_valid",
        ),
    )

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    reflection_weekday: Mapped[int | None] = mapped_column(default=None)
    reflection_time: Mapped[time | None] = mapped_column(Time(), default=None)
    checkin_weekday: Mapped[int | None] = mapped_column(default=None)
    checkin_time: Mapped[time | None] = mapped_column(Time(), default=None)
    share_default: Mapped[str | None] = mapped_column(String(8), default=None)
    quiet_hours_ok: Mapped[bool] = mapped_column(default=False)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paused_indefinitely: Mapped[bool] = mapped_column(default=False)
    asked_to_pause_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NudgePlan(Timestamped, Base):
    """When a leader's next nudge of one kind is due (UTC), recomputed in their zone after each."""

    __tablename__ = "nudge_plans"
    __table_args__ = (
        UniqueConstraint("person_id", "kind"),
        one_of("kind", NUDGE_KINDS),
        CheckConstraint("cadence_weeks BETWEEN 1 AND 4", name="cadence_range"),
        CheckConstraint("ignored_streak >= 0", name="streak_non_negative"),
        Index("ix_nudge_plans_due", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    anchor_period: Mapped[str | None] = mapped_column(String(16), default=None)
    cadence_weeks: Mapped[int] = mapped_column(default=1)
    ignored_streak: Mapped[int] = mapped_column(default=0)
    skip_period: Mapped[str | None] = mapped_column(String(16), default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
