"""Writing the reporting store: batched upserts by key that skip unchanged rows, deletes by key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 5_000
"""Rows per statement: one executemany (multi-row VALUES) and one key look-up per batch."""

Row = dict[str, Any]


@dataclass
class Counts:
    """What a sync did to one table."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        """Rows inserted, updated or deleted."""
        return self.inserted + self.updated + self.deleted


def _upsert(db: AsyncSession, table: Table, key: Column[Any]) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE of every other column, on SQLite or PostgreSQL."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # a warehouse without ON CONFLICT: add its upsert here
        raise NotImplementedError(f"the reporting sync writes SQLite or PostgreSQL, not {dialect}")
    others = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key.name}
    # No RETURNING: psycopg's pipelined executemany is about twice as fast as the multi-row
    # VALUES ("insertmanyvalues") that RETURNING would switch to; SQLite is as fast either way.
    return stmt.on_conflict_do_update(index_elements=[key.name], set_=others)


class TableWriter:
    """Upserts one table's rows by key in batches; a row equal to the stored one is not written.

    `empty`: the table was empty when the sync began, so no look-up is needed (a full sync).
    `track`: remember every key written, so that `sweep_unseen` can delete the others.
    """

    def __init__(self, db: AsyncSession, table: Table, *, empty: bool, track: bool) -> None:
        self.db = db
        self.table = table
        [self.key] = list(table.primary_key.columns)
        self.columns = [c.name for c in table.columns]
        self._key_at = self.columns.index(self.key.name)
        self.empty = empty
        self.seen: set[str] | None = set() if track else None
        self.counts = Counts()
        self._pending: dict[str, Row] = {}
        self._stmt = _upsert(db, table, self.key)

    async def add(self, row: Row) -> None:
        """Queue a row (a later row with the same key replaces it); writes a full batch."""
        self._pending[row[self.key.name]] = row
        if len(self._pending) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Write the queued rows that are new or differ from the stored ones."""
        rows, self._pending = self._pending, {}
        if not rows:
            return
        if self.seen is not None:
            self.seen.update(rows)
        stored: dict[str, tuple[Any, ...]] = {}
        if not self.empty:
            found = await self.db.execute(select(self.table).where(self.key.in_(list(rows))))
            stored = {r[self._key_at]: tuple(r) for r in found}
        changed: list[Row] = []
        for key, row in rows.items():
            old = stored.get(key)
            if old is None:
                self.counts.inserted += 1
            elif old != tuple(row[c] for c in self.columns):
                self.counts.updated += 1
            else:
                continue
            changed.append(row)
        if changed:
            await self.db.execute(self._stmt, changed)


async def delete_where(db: AsyncSession, column: Column[Any], values: Iterable[str]) -> int:
    """Delete the rows whose `column` is one of `values`, in batches; returns how many."""
    items = list(values)
    done = 0
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        result: Any = await db.execute(delete(column.table).where(column.in_(chunk)))
        done += int(result.rowcount or 0)
    return done


async def sweep_unseen(db: AsyncSession, table: Table, seen: set[str]) -> list[str]:
    """Delete every row of `table` whose key is not in `seen`; returns their keys."""
    [key] = list(table.primary_key.columns)
    stored = (await db.scalars(select(key))).all()
    gone = [k for k in stored if k not in seen]
    await delete_where(db, key, gone)
    return gone


async def wipe(db: AsyncSession, tables: Iterable[Table]) -> int:
    """Delete every row of these tables (a re-key); returns how many."""
    done = 0
    for table in tables:
        result: Any = await db.execute(delete(table))
        done += int(result.rowcount or 0)
    return done
