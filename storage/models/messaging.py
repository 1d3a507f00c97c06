"""The inbox (inbound events, durable before ack) and the outbox (every outbound message)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped
from storage.models.choices import INBOX_STATUSES, OUTBOX_STATUSES, PLATFORMS, one_of
from storage.types import EncryptedJSON, UTCDateTime


class InboundEvent(Base):
    """A platform event recorded before it is acknowledged; unique per platform event id."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        one_of("platform", PLATFORMS),
        one_of("status", INBOX_STATUSES),
        Index("ix_inbox_events_status", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class OutboxMessage(Timestamped, Base):
    """One message to one person, written with the state change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("status", OUTBOX_STATUSES),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_person", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    bucket: Mapped[str] = mapped_column(String(96))
    kind: Mapped[str] = mapped_column(String(32), default="reply")
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    platform_ref: Mapped[str | None] = mapped_column(String(200), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DeliveryHold(Base):
    """A workspace or tenant told us to wait (429 Retry-After): nothing goes to it until then."""

    __tablename__ = "delivery_holds"

    bucket: Mapped[str] = mapped_column(String(96), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
