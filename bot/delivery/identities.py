"""Chat identities the outbox learns or gives up on: learned ids, unreachable marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlatformIdentity

MAX_REASON = 200
UNKNOWN_PREFIX = "?"  # placeholder_id(): never a Slack/Teams id, unique per person


def short(reason: str) -> str:
    """A reason cut to what the column keeps."""
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def placeholder_id(person_id: int) -> str:
    """The external id of an identity that only records "unreachable" (no platform id known)."""
    return f"{UNKNOWN_PREFIX}{person_id}"


def known_id(external_id: str) -> bool:
    """False for an empty or placeholder external id (the platform id is not known)."""
    return bool(external_id) and not external_id.startswith(UNKNOWN_PREFIX)


def _insert(db: AsyncSession) -> Any:
    """The dialect's INSERT (for ON CONFLICT DO NOTHING)."""
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


async def learn_identity(
    db: AsyncSession, person_id: int, platform: str, tenant_key: str, external_id: str, at: datetime
) -> None:
    """Store a learned platform id: a new identity, or over a placeholder; never steal one."""
    taken = (
        select(PlatformIdentity.id)
        .where(
            PlatformIdentity.platform == platform,
            PlatformIdentity.tenant_key == tenant_key,
            PlatformIdentity.external_id == external_id,
        )
        .exists()
    )
    await db.execute(
        update(PlatformIdentity)
        .where(
            PlatformIdentity.person_id == person_id,
            PlatformIdentity.platform == platform,
            PlatformIdentity.external_id.startswith(UNKNOWN_PREFIX, autoescape=True),
            ~taken,
        )
        .values(external_id=external_id, tenant_key=tenant_key)
        .execution_options(synchronize_session=False)
    )
    values = {
        "person_id": person_id,
        "platform": platform,
        "tenant_key": tenant_key,
        "external_id": external_id,
        "created_at": at,
    }
    # No conflict target: skips on either unique key (this person's platform, or that id).
    await db.execute(_insert(db)(PlatformIdentity).values(**values).on_conflict_do_nothing())


async def mark_unreachable(
    db: AsyncSession,
    person_id: int,
    platform: str,
    reason: str,
    now: datetime,
    tenant_key: str = "",
) -> None:
    """Note that `platform` cannot reach the person (kept until a send or a re-link clears it)."""
    result = await db.execute(
        update(PlatformIdentity)
        .where(PlatformIdentity.person_id == person_id, PlatformIdentity.platform == platform)
        .values(
            unreachable_reason=short(reason),
            unreachable_since=func.coalesce(PlatformIdentity.unreachable_since, now),
        )
        .execution_options(synchronize_session=False)
    )
    if cast(Any, result).rowcount:
        return
    values = {
        "person_id": person_id,
        "platform": platform,
        "tenant_key": tenant_key,
        "external_id": placeholder_id(person_id),
        "unreachable_reason": short(reason),
        "unreachable_since": now,
        "created_at": now,
    }
    await db.execute(_insert(db)(PlatformIdentity).values(**values).on_conflict_do_nothing())


async def clear_unreachable(db: AsyncSession, person_id: int, platform: str | None = None) -> None:
    """Forget unreachable marks of a person (e.g. the roster changed their email)."""
    stmt = update(PlatformIdentity).where(
        PlatformIdentity.person_id == person_id, PlatformIdentity.unreachable_reason.is_not(None)
    )
    if platform is not None:
        stmt = stmt.where(PlatformIdentity.platform == platform)
    await db.execute(
        stmt.values(unreachable_reason=None, unreachable_since=None).execution_options(
            synchronize_session=False
        )
    )
