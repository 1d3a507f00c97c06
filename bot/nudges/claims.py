"""Claiming due nudge plans as plain rows, and writing their new state back in one statement."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NudgePlan

_TABLE = cast(Table, NudgePlan.__table__)


@dataclass
class Claimed:
    """A claimed plan's columns: the sweep changes them in memory, `write_plans` stores them."""

    id: int
    person_id: int
    kind: str
    next_due_at: datetime
    anchor_period: str | None
    cadence_weeks: int
    ignored_streak: int
    skip_period: str | None
    snoozed_until: datetime | None
    updated_at: datetime


_COLUMNS = [_TABLE.c[f.name] for f in fields(Claimed)]
_WRITTEN = ("next_due_at", "anchor_period", "cadence_weeks", "ignored_streak", "snoozed_until")


async def claim_due(db: AsyncSession, *, now: datetime, limit: int) -> list[Claimed]:
    """Up to `limit` plans due at `now`, oldest first, locked (FOR UPDATE SKIP LOCKED)."""
    rows = await db.execute(
        select(*_COLUMNS)
        .where(_TABLE.c.next_due_at <= now)
        .order_by(_TABLE.c.next_due_at, _TABLE.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Claimed(*row) for row in rows]


async def write_plans(db: AsyncSession, plans: list[Claimed]) -> None:
    """Store the claimed plans' new state in one executemany UPDATE."""
    if not plans:
        return
    stmt = (
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in (*_WRITTEN, "updated_at")})
    )
    params = [
        {"b_id": p.id, **{f"b_{name}": getattr(p, name) for name in (*_WRITTEN, "updated_at")}}
        for p in plans
    ]
    await db.execute(stmt, params)
