"""Reporting tables: facts (scores, counts, statuses) and dimensions, never a person's words.

Every person, session, goal or message is known here only by a pseudonymous key: a keyed HMAC
of its operational id (`Keyring.pseudonym`), whose key lives in the operational settings and
never in this database. There is no free-text column: strings are short categories from the
roster or the programme file (bounded lengths, checked by tests), numbers, dates and flags.
Weeks are the Monday (a date) of the UTC ISO week; no exact instants are kept.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.models.base import NAMING_CONVENTION
from storage.types import UTCDateTime

KEY = 32
"""Length of a pseudonymous key (hex of a keyed HMAC-SHA256, truncated)."""
CATEGORY = 64
"""Longest category value (cohort, level, function, region, programme label)."""
STATUS = 16


def key_column(*, primary: bool = False, index: bool = False) -> Mapped[str]:
    """A pseudonymous key column."""
    return mapped_column(String(KEY), primary_key=primary, index=index)


class ReportingBase(DeclarativeBase):
    """Base of every reporting table (a metadata of its own: another database)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyncState(ReportingBase):
    """The one row saying how far the sync has copied, and under which pseudonym key."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    key_check: Mapped[str] = mapped_column(String(KEY))
    """A pseudonym of a constant: tells a changed key (then everything is re-keyed)."""
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_full_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DimProgramme(ReportingBase):
    """A programme: its admin-given label, modality and session allowance."""

    __tablename__ = "dim_programme"

    programme_key: Mapped[str] = key_column(primary=True)
    label: Mapped[str] = mapped_column(String(CATEGORY))
    modality: Mapped[str] = mapped_column(String(STATUS))
    sessions_per_leader: Mapped[int] = mapped_column(default=0)


class DimLeader(ReportingBase):
    """A leader as the roster describes them (categories only) and their employment status."""

    __tablename__ = "dim_leader"

    leader_key: Mapped[str] = key_column(primary=True)
    programme_key: Mapped[str | None] = mapped_column(String(KEY), default=None, index=True)
    """The programme of their latest engagement (None: not enrolled)."""
    cohort: Mapped[str | None] = mapped_column(String(CATEGORY), default=None)
    level: Mapped[str | None] = mapped_column(String(CATEGORY), default=None)
    function: Mapped[str | None] = mapped_column(String(CATEGORY), default=None)
    region: Mapped[str | None] = mapped_column(String(CATEGORY), default=None)
    employment_status: Mapped[str] = mapped_column(String(STATUS))


class DimCoach(ReportingBase):
    """A coach: how many clients they can take."""

    __tablename__ = "dim_coach"

    coach_key: Mapped[str] = key_column(primary=True)
    capacity: Mapped[int] = mapped_column(default=0)


class FactEngagement(ReportingBase):
    """A leader's engagement in a programme with a coach: status, start and end weeks."""

    __tablename__ = "fact_engagement"

    engagement_key: Mapped[str] = key_column(primary=True)
    leader_key: Mapped[str] = key_column(index=True)
    coach_key: Mapped[str | None] = mapped_column(String(KEY), default=None, index=True)
    programme_key: Mapped[str] = key_column(index=True)
    status: Mapped[str] = mapped_column(String(STATUS))
    started_week: Mapped[date] = mapped_column(Date())
    ended_week: Mapped[date | None] = mapped_column(Date(), default=None)


class FactSession(ReportingBase):
    """One leader's seat in a session: kind, status, modality of its programme, week, length."""

    __tablename__ = "fact_session"
    __table_args__ = (Index("ix_fact_session_week_status", "week", "status"),)

    session_key: Mapped[str] = key_column(primary=True)
    leader_key: Mapped[str] = key_column(index=True)
    coach_key: Mapped[str] = key_column(index=True)
    programme_key: Mapped[str | None] = mapped_column(String(KEY), default=None)
    kind: Mapped[str] = mapped_column(String(STATUS))
    status: Mapped[str] = mapped_column(String(STATUS))
    """booked (confirmed, ahead), held, cancelled, late_cancelled, no_show."""
    week: Mapped[date] = mapped_column(Date())
    minutes: Mapped[int] = mapped_column(default=0)


class FactGoal(ReportingBase):
    """A goal: its baseline level and status (never its title or level descriptions)."""

    __tablename__ = "fact_goal"

    goal_key: Mapped[str] = key_column(primary=True)
    leader_key: Mapped[str] = key_column(index=True)
    baseline_level: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(STATUS))
    created_week: Mapped[date] = mapped_column(Date())


class FactCheckIn(ReportingBase):
    """A check-in on a goal: GAS level (-2..2), T-score, confidence, week."""

    __tablename__ = "fact_checkin"
    __table_args__ = (Index("ix_fact_checkin_leader_week", "leader_key", "week"),)

    checkin_key: Mapped[str] = key_column(primary=True)
    leader_key: Mapped[str] = key_column()
    goal_key: Mapped[str] = key_column(index=True)
    week: Mapped[date] = mapped_column(Date())
    level: Mapped[int] = mapped_column()
    t_score: Mapped[float | None] = mapped_column(default=None)
    confidence: Mapped[int | None] = mapped_column(default=None)


class FactNudge(ReportingBase):
    """A nudge: kind, status (sent, answered, ignored, skipped...), week, response delay."""

    __tablename__ = "fact_nudge"
    __table_args__ = (Index("ix_fact_nudge_leader_week", "leader_key", "week"),)

    nudge_key: Mapped[str] = key_column(primary=True)
    leader_key: Mapped[str] = key_column()
    kind: Mapped[str] = mapped_column(String(STATUS))
    status: Mapped[str] = mapped_column(String(STATUS))
    week: Mapped[date] = mapped_column(Date())
    response_seconds: Mapped[int | None] = mapped_column(default=None)


class FactHandoff(ReportingBase):
    """A developmental handoff by the leader's choice (agenda, shared, private...), by week."""

    __tablename__ = "fact_handoff"

    handoff_key: Mapped[str] = key_column(primary=True)
    leader_key: Mapped[str] = key_column(index=True)
    status: Mapped[str] = mapped_column(String(STATUS))
    week: Mapped[date] = mapped_column(Date())
