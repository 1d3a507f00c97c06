"""The daily per-person cap on LLM calls: one atomic counter row per person and UTC day."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LlmUsage


async def take_call(*, db: AsyncSession, person_id: int, day: date, cap: int) -> bool:
    """Count one call for the person's day and return True, or False (no count) at the cap."""
    if cap <= 0:
        return False
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(LlmUsage)
        .values(person_id=person_id, day=day, calls=1)
        .on_conflict_do_update(
            index_elements=[LlmUsage.person_id, LlmUsage.day],
            set_={"calls": LlmUsage.calls + 1},
            where=LlmUsage.calls < cap,
        )
        .returning(LlmUsage.calls)
    )
    return (await db.execute(stmt)).scalar_one_or_none() is not None


async def calls_on(*, db: AsyncSession, person_id: int, day: date) -> int:
    """How many calls were counted for the person on that UTC day."""
    row = await db.get(LlmUsage, (person_id, day), populate_existing=True)
    return row.calls if row is not None else 0
