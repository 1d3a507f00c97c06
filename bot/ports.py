"""Ports: what the core needs from the outside world, as Protocols (no platform types)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.ui import Message


@dataclass(frozen=True)
class Recipient:
    """Who a delivery is for, and how their platform reaches them (ids, DM channel, ref)."""

    person_id: int
    name: str
    email: str
    timezone: str
    locale: str
    external_id: str | None = None
    tenant_key: str | None = None
    dm_channel_id: str | None = None
    conversation_ref: dict[str, Any] | None = None
    unreachable_reason: str | None = None
    unreachable_since: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One outbox row handed to a sender (`data` carries a task's fields, e.g. a calendar sync)."""

    outbox_id: int
    channel: str
    bucket: str
    kind: str
    recipient: Recipient
    message: Message
    attempt: int
    platform_ref: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tenant(self) -> str | None:
        """The workspace or tenant: the recipient's, else the bucket's ("slack:T1", "teams:t")."""
        if self.recipient.tenant_key:
            return self.recipient.tenant_key
        channel, _, tenant = self.bucket.partition(":")
        return tenant if channel == self.channel and tenant else None


@dataclass(frozen=True)
class Sent:
    """Delivered; `ref` is the platform's id for the message (for later updates)."""

    ref: str | None = None
    learned: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RateLimited:
    """The platform said wait (429): hold this workspace or tenant for `retry_after` seconds."""

    retry_after: float


@dataclass(frozen=True)
class Failed:
    """Not delivered: retry later when `retryable`, else dead-letter with `reason`.

    `unreachable`: the platform has no way to reach this person (no member with that email,
    user gone): the outcome also marks their identity unreachable, so later rows fail at once.
    """

    reason: str
    retryable: bool
    unreachable: bool = False


SendResult = Sent | RateLimited | Failed


class Sender(Protocol):
    """Delivers outbox rows of one channel ('slack', 'teams', 'web') to people."""

    channel: str

    async def send(self, delivery: Delivery) -> SendResult:
        """Deliver one message; never raise for platform errors, return Failed instead."""
        ...


class CalendarError(Exception):
    """A calendar service could not answer (after its own retries); nothing was changed."""


class CalendarPort(Protocol):
    """Reads coaches' busy time from their connected calendars (e.g. Microsoft Graph)."""

    async def busy(
        self, *, mailboxes: Sequence[str], start: datetime, end: datetime
    ) -> Mapping[str, list[tuple[datetime, datetime]]]:
        """Busy spans (aware UTC, half-open) per mailbox in [start, end); raise CalendarError."""
        ...
