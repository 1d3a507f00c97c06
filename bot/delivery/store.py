"""Outbox row claims and outcome marks, each over the caller's short transaction.

A claim sets status 'sending', `claimed_until` (the lease) and counts the attempt. Every mark
is fenced on (status 'sending', the same `claimed_until`): if our lease expired and another
pass re-claimed the row, our late mark changes nothing and reports False.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.identities import known_id, learn_identity, short
from bot.outbox import TASK
from bot.ports import Delivery, Recipient
from bot.ui import Message
from storage.models import DeliveryHold, OutboxMessage, Person, PlatformIdentity

LEARNABLE = ("dm_channel_id", "conversation_ref", "external_id", "tenant_key")


@dataclass(frozen=True)
class Claim:
    """One claimed row, ready to send, with the lease end that fences its marks."""

    delivery: Delivery
    claimed_until: datetime

    @property
    def id(self) -> int:
        """The outbox row id."""
        return self.delivery.outbox_id


@dataclass(frozen=True)
class ClaimBatch:
    """Rows claimed for sending, and how many were dead-lettered instead of claimed."""

    claims: list[Claim]
    dead: int


OUTBOX = cast(Table, OutboxMessage.__table__)


def _param(name: str, column: str) -> Any:
    return bindparam(name, type_=OUTBOX.c[column].type)


# Prebuilt, fenced single-row updates (Core statements: compiled once, cached).
_FENCED = update(OUTBOX).where(
    OUTBOX.c.id == bindparam("row_id"),
    OUTBOX.c.status == "sending",
    OUTBOX.c.claimed_until == _param("fence", "claimed_until"),
)
_SENT = _FENCED.values(
    status="sent",
    sent_at=_param("at", "sent_at"),
    platform_ref=bindparam("ref"),
    claimed_until=None,
    last_error=None,
).returning(OUTBOX.c.id)
_RETRY = _FENCED.values(
    status="pending",
    next_attempt_at=_param("next_at", "next_attempt_at"),
    claimed_until=None,
    last_error=bindparam("error"),
).returning(OUTBOX.c.id)
_DEAD = _FENCED.values(status="dead", claimed_until=None, last_error=bindparam("error")).returning(
    OUTBOX.c.id
)
_RELEASE = _FENCED.values(
    status="pending",
    next_attempt_at=_param("next_at", "next_attempt_at"),
    claimed_until=None,
    attempts=OUTBOX.c.attempts - 1,
)


def _fence(claim: Claim) -> dict[str, Any]:
    return {"row_id": claim.id, "fence": claim.claimed_until}


_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.person_id,
    OutboxMessage.channel,
    OutboxMessage.bucket,
    OutboxMessage.kind,
    OutboxMessage.payload,
    OutboxMessage.attempts,
)


async def claim_due(
    *,
    db: AsyncSession,
    now: datetime,
    until: datetime,
    channels: Collection[str],
    limit: int,
    max_attempts: int,
) -> ClaimBatch:
    """Claim up to `limit` due rows of `channels` outside held buckets, oldest due first."""
    held = select(DeliveryHold.bucket).where(DeliveryHold.until > now)
    sendable = (OutboxMessage.channel.in_(list(channels)), OutboxMessage.bucket.not_in(held))
    expired = (
        await db.execute(
            select(*_COLUMNS)
            .where(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now, *sendable)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
    ).all()
    rows = list(expired)
    if len(rows) < limit:
        pending = await db.execute(
            select(*_COLUMNS)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
                *sendable,
            )
            .order_by(OutboxMessage.id)  # oldest queued first: a person's replies stay in order
            .limit(limit - len(rows))
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        rows.extend(pending.all())
    dead: dict[int, str] = {}
    for row in expired:
        if row.attempts >= max_attempts:
            dead[row.id] = f"lease expired mid-send; gave up after {row.attempts} attempts"
    messages: dict[int, Message] = {}
    tasks: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row.id in dead:
            continue
        if isinstance(row.payload, dict) and isinstance(row.payload.get(TASK), dict):
            tasks[row.id] = row.payload[TASK]  # a task row: no message, its fields as `data`
            messages[row.id] = Message(text="")
            continue
        try:
            messages[row.id] = Message.from_payload(row.payload)
        except ValidationError:
            dead[row.id] = "stored payload is not a valid message"
    live = [row for row in rows if row.id not in dead]
    recipients = await _recipients(db=db, rows=live)
    for row in live:
        if (row.person_id, row.channel) not in recipients:
            dead[row.id] = "recipient no longer exists"
    for row_id, reason in dead.items():
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status="dead", claimed_until=None, last_error=short(reason))
        )
    live = [row for row in live if row.id not in dead]
    if not live:
        return ClaimBatch(claims=[], dead=len(dead))
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in live]))
        .values(status="sending", claimed_until=until, attempts=OutboxMessage.attempts + 1)
    )
    refs = await _replaced_refs(db=db, messages=messages.values())
    claims = [
        Claim(
            delivery=Delivery(
                outbox_id=row.id,
                channel=row.channel,
                bucket=row.bucket,
                kind=row.kind,
                recipient=recipients[(row.person_id, row.channel)],
                message=messages[row.id],
                attempt=row.attempts + 1,
                platform_ref=refs.get(messages[row.id].replaces),
                data=tasks.get(row.id, {}),
            ),
            claimed_until=until,
        )
        for row in live
    ]
    return ClaimBatch(claims=claims, dead=len(dead))


async def _recipients(*, db: AsyncSession, rows: Sequence[Any]) -> dict[tuple[int, str], Recipient]:
    person_ids = {row.person_id for row in rows}
    if not person_ids:
        return {}
    people = {
        p.id: p
        for p in (await db.execute(select(Person).where(Person.id.in_(person_ids)))).scalars()
    }
    identities = {
        (i.person_id, i.platform): i
        for i in (
            await db.execute(
                select(PlatformIdentity).where(PlatformIdentity.person_id.in_(person_ids))
            )
        ).scalars()
    }
    out: dict[tuple[int, str], Recipient] = {}
    for row in rows:
        person = people.get(row.person_id)
        if person is None:
            continue
        ident = identities.get((row.person_id, row.channel))
        out[(row.person_id, row.channel)] = Recipient(
            person_id=person.id,
            name=person.name,
            email=person.email,
            timezone=person.timezone,
            locale=person.locale,
            external_id=ident.external_id if ident and known_id(ident.external_id) else None,
            tenant_key=ident.tenant_key if ident else None,
            dm_channel_id=ident.dm_channel_id if ident else None,
            conversation_ref=ident.conversation_ref if ident else None,
            unreachable_reason=ident.unreachable_reason if ident else None,
            unreachable_since=ident.unreachable_since if ident else None,
        )
    return out


async def _replaced_refs(*, db: AsyncSession, messages: Collection[Message]) -> dict[str, str]:
    keys = {m.replaces for m in messages if m.replaces}
    if not keys:
        return {}
    rows = await db.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.platform_ref).where(
            OutboxMessage.dedupe_key.in_(keys),
            OutboxMessage.status == "sent",
            OutboxMessage.platform_ref.is_not(None),
        )
    )
    return {key: ref for key, ref in rows if key and ref}


async def mark_sent(
    *, db: AsyncSession, claim: Claim, at: datetime, ref: str | None, learned: Mapping[str, Any]
) -> bool:
    """Record a delivery (and what the platform taught us about the recipient)."""
    done = await db.scalar(_SENT, {**_fence(claim), "at": at, "ref": ref})
    recipient, platform = claim.delivery.recipient, claim.delivery.channel
    external_id = learned.get("external_id")
    if isinstance(external_id, str) and known_id(external_id):
        tenant_key = str(learned.get("tenant_key") or recipient.tenant_key or "")
        await learn_identity(db, recipient.person_id, platform, tenant_key, external_id, at)
    values: dict[str, Any] = {}
    if isinstance(learned.get("dm_channel_id"), str):
        values["dm_channel_id"] = learned["dm_channel_id"]
    if isinstance(learned.get("conversation_ref"), dict):
        values["conversation_ref"] = learned["conversation_ref"]
    if recipient.unreachable_reason is not None:
        values.update(unreachable_reason=None, unreachable_since=None)
    if values:
        await db.execute(
            update(PlatformIdentity)
            .where(
                PlatformIdentity.person_id == recipient.person_id,
                PlatformIdentity.platform == platform,
            )
            .values(**values)
        )
    return done is not None


async def mark_retry(*, db: AsyncSession, claim: Claim, next_at: datetime, error: str) -> bool:
    """Put a failed row back to pending until `next_at`, keeping why it failed."""
    done = await db.scalar(_RETRY, {**_fence(claim), "next_at": next_at, "error": short(error)})
    return done is not None


async def mark_dead(*, db: AsyncSession, claim: Claim, error: str) -> bool:
    """Dead-letter a row with the reason; it is never tried again."""
    done = await db.scalar(_DEAD, {**_fence(claim), "error": short(error)})
    return done is not None


async def release(
    *, db: AsyncSession, claims: Sequence[tuple[Claim, datetime]], error: str | None = None
) -> None:
    """Hand unsent claims back (pending from the given time); the claim's attempt is undone."""
    if not claims:
        return
    stmt = _RELEASE if error is None else _RELEASE.values(last_error=short(error))
    await db.execute(stmt, [{**_fence(c), "next_at": at} for c, at in claims])


async def hold_bucket(*, db: AsyncSession, bucket: str, until: datetime, reason: str) -> None:
    """Hold a workspace or tenant until `until` (never shortening a longer hold)."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(DeliveryHold).values(bucket=bucket, until=until, reason=short(reason))
    stmt = stmt.on_conflict_do_update(
        index_elements=["bucket"],
        set_={
            "until": case(
                (stmt.excluded.until > DeliveryHold.until, stmt.excluded.until),
                else_=DeliveryHold.until,
            ),
            "reason": stmt.excluded.reason,
        },
    )
    await db.execute(stmt)


async def note_unsendable(
    *, db: AsyncSession, now: datetime, channels: Collection[str]
) -> dict[str, int]:
    """Count due rows of channels with no sender here, noting why on each (they stay pending)."""
    due = (
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.channel.not_in(list(channels)),
    )
    counts = {
        channel: n
        for channel, n in (
            await db.execute(
                select(OutboxMessage.channel, func.count())
                .where(*due)
                .group_by(OutboxMessage.channel)
            )
        )
    }
    for channel in counts:
        reason = f"no sender for channel {channel} in this process"
        await db.execute(
            update(OutboxMessage)
            .where(
                *due,
                OutboxMessage.channel == channel,
                OutboxMessage.last_error.is_distinct_from(reason),
            )
            .values(last_error=reason)
        )
    return counts
