"""Writing outbound messages: one outbox row per person, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ui import Message
from storage.models import Organisation, OutboxMessage, Person, PlatformIdentity

WEB = "web"
PLATFORM_PREFERENCE = ("slack", "teams")
TASK = "task"  # a task row's payload is {TASK: data}; the claim hands `data` to the sender


def bucket_for(channel: str, tenant_key: str) -> str:
    """The rate-limit bucket of a channel: one per Slack workspace or Teams tenant."""
    return f"{channel}:{tenant_key}" if tenant_key else channel


async def route(*, db: AsyncSession, person: Person) -> tuple[str, str]:
    """Where a person is reached: their chat identity, else their organisation's platform."""
    identities = (
        await db.scalars(select(PlatformIdentity).where(PlatformIdentity.person_id == person.id))
    ).all()
    by_platform = {i.platform: i for i in identities}
    for platform in PLATFORM_PREFERENCE:
        if platform in by_platform:
            return platform, bucket_for(platform, by_platform[platform].tenant_key)
    org = await db.get(Organisation, person.organisation_id)
    if org is not None:
        await db.refresh(org, ["slack_workspaces", "teams_tenants"])
        if org.slack_workspaces:
            return "slack", bucket_for("slack", org.slack_workspaces[0].team_id)
        if org.teams_tenants:
            return "teams", bucket_for("teams", org.teams_tenants[0].tenant_id)
    return WEB, WEB


async def enqueue(
    *,
    db: AsyncSession,
    person: Person,
    message: Message,
    now: datetime,
    kind: str = "reply",
    dedupe_key: str | None = None,
    channel: str | None = None,
    bucket: str | None = None,
) -> int | None:
    """Queue `message` for `person`; returns the row id, or None if `dedupe_key` was queued."""
    if channel is None:
        channel, bucket = await route(db=db, person=person)
    values = {
        "person_id": person.id,
        "channel": channel,
        "bucket": bucket or bucket_for(channel, ""),
        "kind": kind,
        "payload": message.to_payload(),
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(OutboxMessage).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    row_id = await db.scalar(stmt.returning(OutboxMessage.id))
    return row_id


async def enqueue_task(
    *,
    db: AsyncSession,
    person_id: int,
    channel: str,
    bucket: str,
    kind: str,
    data: Mapping[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a non-message task (e.g. a calendar sync) for `channel`'s sender, as `data`."""
    values = {
        "person_id": person_id,
        "channel": channel,
        "bucket": bucket,
        "kind": kind,
        "payload": {TASK: dict(data)},
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(OutboxMessage).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    row_id = await db.scalar(stmt.returning(OutboxMessage.id))
    return row_id


@dataclass(frozen=True)
class Outgoing:
    """One message for `enqueue_many`: the same fields as `enqueue`'s keywords."""

    person: Person
    message: Message
    kind: str = "reply"
    dedupe_key: str | None = None
    channel: str | None = None
    bucket: str | None = None


async def enqueue_many(*, db: AsyncSession, rows: Sequence[Outgoing], now: datetime) -> int:
    """Queue many messages in one executemany INSERT (routed as `enqueue` does); how many queued."""
    if not rows:
        return 0
    values: list[dict[str, Any]] = []
    for row in rows:
        channel, bucket = row.channel, row.bucket
        if channel is None:
            channel, bucket = await route(db=db, person=row.person)
        values.append(
            {
                "person_id": row.person.id,
                "channel": channel,
                "bucket": bucket or bucket_for(channel, ""),
                "kind": row.kind,
                "payload": row.message.to_payload(),
                "dedupe_key": row.dedupe_key,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = cast(Table, OutboxMessage.__table__)
    stmt = (  # executemany with RETURNING: "insertmanyvalues", compiled once and cached
        insert(table)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])  # NULL keys never conflict
        .returning(table.c.id)
    )
    return len((await db.execute(stmt, values)).all())
