"""The sweep's writes per batch: this period's nudges, ignored ones, and the pause question."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.claims import Claimed
from bot.nudges.context import Batch
from bot.nudges.messages import ask_pause_message
from bot.outbox import enqueue
from storage.models import Nudge, NudgeSettings, Person, Programme


@dataclass
class Row:
    """This period's Nudge of a claimed plan, to be inserted with the batch."""

    plan: Claimed
    person: Person
    settings: NudgeSettings | None
    programme: Programme
    period: str
    slot: datetime
    status: str
    reason: str | None = None
    prompt_id: str | None = None
    prompt_text: str | None = None
    nudge_id: int | None = None


def _insert(db: AsyncSession) -> type[postgresql.Insert] | type[sqlite.Insert]:
    return postgresql.Insert if db.get_bind().dialect.name == "postgresql" else sqlite.Insert


async def record_nudges(db: AsyncSession, rows: list[Row], now: datetime) -> None:
    """INSERT the rows' Nudges in one statement unless they exist; sets the inserted ids."""
    if not rows:
        return
    table = cast(Table, Nudge.__table__)
    stmt = (  # executemany with RETURNING: "insertmanyvalues", compiled once and cached
        _insert(db)(table)
        .on_conflict_do_nothing(index_elements=["person_id", "kind", "period"])
        .returning(table.c.id, table.c.person_id, table.c.kind, table.c.period)
    )
    params = [
        {
            "person_id": row.plan.person_id,
            "kind": row.plan.kind,
            "period": row.period,
            "due_at": row.slot,
            "status": row.status,
            "prompt_id": row.prompt_id,
            "sent_at": now if row.status == "sent" else None,
            "skip_reason": row.reason,
            "created_at": now,
        }
        for row in rows
    ]
    found = await db.execute(stmt, params)
    inserted = {(pid, kind, period): nid for nid, pid, kind, period in found}
    for row in rows:  # matched by key: rows not returned existed already
        row.nudge_id = inserted.get((row.plan.person_id, row.plan.kind, row.period))


async def ignore_previous(db: AsyncSession, rows: list[Row]) -> Counter[tuple[int, str]]:
    """Earlier unanswered nudges of the rows' (person, kind) become 'ignored'; counts per key."""
    if not rows:
        return Counter()
    found = await db.execute(
        update(Nudge)
        .where(
            tuple_(Nudge.person_id, Nudge.kind).in_(
                [(r.plan.person_id, r.plan.kind) for r in rows]
            ),
            Nudge.status == "sent",
            Nudge.id.not_in([r.nudge_id for r in rows]),
        )
        .values(status="ignored")
        .returning(Nudge.person_id, Nudge.kind)
    )
    return Counter((person_id, kind) for person_id, kind in found)


async def ask_to_pause(db: AsyncSession, *, person: Person, batch: Batch, now: datetime) -> bool:
    """Ask once whether to pause (after three ignored in a row); True when asked now."""
    await db.execute(
        _insert(db)(NudgeSettings)
        .values(
            person_id=person.id, quiet_hours_ok=False, paused_indefinitely=False, updated_at=now
        )
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    asked = await db.scalar(  # atomic: of two sweepers (one per kind) only one asks
        update(NudgeSettings)
        .where(NudgeSettings.person_id == person.id, NudgeSettings.asked_to_pause_at.is_(None))
        .values(asked_to_pause_at=now, updated_at=now)
        .returning(NudgeSettings.person_id)
    )
    if asked is None:
        return False
    channel, bucket = await batch.route(db, person)
    await enqueue(
        db=db,
        person=person,
        channel=channel,
        bucket=bucket,
        message=ask_pause_message(person=person),
        now=now,
        kind="nudge_ask",
        dedupe_key=f"nudge:ask_pause:{person.id}",
    )
    return True
