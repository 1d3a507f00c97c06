"""People, their chat identities, and coach profiles with weekly availability."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.models.choices import EMPLOYMENT_STATUSES, PLATFORMS, ROLES, one_of
from storage.types import UTCDateTime


class Person(Timestamped, Base):
    """A leader, coach or admin of one organisation, with an IANA time zone and locale."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("organisation_id", "email"),
        one_of("role", ROLES),
        one_of("employment_status", EMPLOYMENT_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    level: Mapped[str | None] = mapped_column(String(64), default=None)
    function: Mapped[str | None] = mapped_column(String(64), default=None)
    region: Mapped[str | None] = mapped_column(String(64), default=None)
    cohort: Mapped[str | None] = mapped_column(String(64), default=None)
    employment_status: Mapped[str] = mapped_column(String(16), default="employed")
    workday_starts: Mapped[time] = mapped_column(Time(), default=time(9, 0))
    workday_ends: Mapped[time] = mapped_column(Time(), default=time(17, 30))
    working_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    identities: Mapped[list[PlatformIdentity]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    coach_profile: Mapped[CoachProfile | None] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class PlatformIdentity(Timestamped, Base):
    """How one person is reached on one chat platform (ids, DM channel, conversation ref)."""

    __tablename__ = "platform_identities"
    __table_args__ = (
        UniqueConstraint("platform", "tenant_key", "external_id"),
        UniqueConstraint("person_id", "platform"),
        one_of("platform", PLATFORMS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    tenant_key: Mapped[str] = mapped_column(String(64), default="")
    external_id: Mapped[str] = mapped_column(String(128))
    dm_channel_id: Mapped[str | None] = mapped_column(String(64), default=None)
    conversation_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    unreachable_reason: Mapped[str | None] = mapped_column(Text, default=None)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    person: Mapped[Person] = relationship(back_populates="identities")


class CoachProfile(Base):
    """A coach's accreditation, modalities, languages, capacity and calendar link."""

    __tablename__ = "coach_profiles"
    __table_args__ = (
        one_of("accreditation_body", ("ICF", "EMCC")),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
    )

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    accreditation_body: Mapped[str] = mapped_column(String(8))
    accreditation_level: Mapped[str] = mapped_column(String(32))
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=8)
    bio: Mapped[str] = mapped_column(Text, default="")
    calendar_user_id: Mapped[str | None] = mapped_column(String(320), default=None)
    buffer_minutes: Mapped[int] = mapped_column(default=15)
    min_notice_hours: Mapped[int] = mapped_column(default=24)
    calendar_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    calendar_error: Mapped[str | None] = mapped_column(Text, default=None)

    person: Mapped[Person] = relationship(back_populates="coach_profile")
    availability: Mapped[list[AvailabilityWindow]] = relationship(
        back_populates="coach",
        cascade="all, delete-orphan",
        order_by="(AvailabilityWindow.weekday, AvailabilityWindow.starts)",
    )


class AvailabilityWindow(Base):
    """A weekly window (weekday 0=Monday, local times in the coach's zone) open for sessions."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends > starts", name="ends_after_starts"),
        UniqueConstraint("coach_id", "weekday", "starts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("coach_profiles.person_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column()
    starts: Mapped[time] = mapped_column(Time())
    ends: Mapped[time] = mapped_column(Time())

    coach: Mapped[CoachProfile] = relationship(back_populates="availability")
