"""Writing the reporting store: batched upserts by key that skip unchanged rows, deletes by key."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Dialect, Table, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

BATCH = 5_000
"""Rows per write (an executemany, or a COPY and one INSERT … SELECT) and per key look-up."""
SQLITE_CACHE_KIB = 65_536
"""SQLite page cache of a sync's connection (default 2 MiB): keys are random, so a batch touches
index pages all over the file, and a small cache reads them again and again (halves a full sync)."""

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


def _upsert_sql(dialect: Dialect, table: Table, key: Column[Any], source: str) -> str:
    """INSERT … ON CONFLICT (key) DO UPDATE of every other column, from `source` (VALUES/SELECT).

    The SQL is written out (not built per row by SQLAlchemy): a full sync writes a million rows,
    and per-row parameter processing would cost more than the database's own work.
    """
    quote = dialect.identifier_preparer.quote
    names = [quote(c.name) for c in table.columns]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != quote(key.name))
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(names)}) {source} "
        f"ON CONFLICT ({quote(key.name)}) DO UPDATE SET {updates}"
    )


class _Sink:
    """Writes rows (tuples in column order) into one table by key, as fast as the dialect can."""

    def __init__(self, db: AsyncSession, table: Table, key: Column[Any]) -> None:
        self.db, self.table, self.key = db, table, key
        dialect = db.get_bind().dialect
        if dialect.name not in ("postgresql", "sqlite"):  # a warehouse: add its bulk upsert here
            raise NotImplementedError(
                f"the reporting sync writes SQLite or PostgreSQL, not {dialect.name}"
            )
        self.postgres = dialect.name == "postgresql"
        quote = dialect.identifier_preparer.quote
        self.names = ", ".join(quote(c.name) for c in table.columns)
        self.target = quote(table.name)
        self.stage = quote(f"sync_stage_{table.name}")
        marks = ", ".join("?" for _ in table.columns)  # sqlite3's paramstyle
        stage = f"SELECT {self.names} FROM {self.stage}"  # noqa: S608 (our own identifiers)
        source = stage if self.postgres else f"VALUES ({marks})"
        self.sql = _upsert_sql(dialect, table, key, source)
        self._staged = False
        # SQLite is handed driver values: dates become ISO text as SQLAlchemy's types make them.
        self.processors = [c.type.bind_processor(dialect) for c in table.columns]

    async def write(self, rows: list[tuple[Any, ...]], *, new: bool = False) -> None:
        """Upsert these rows (keys distinct); `new`: no row has a stored key (plain insert)."""
        if not rows:
            return
        conn = await self.db.connection()
        if not self.postgres:
            procs = self.processors
            if any(procs):
                rows = [
                    tuple(
                        v if f is None or v is None else f(v)
                        for f, v in zip(procs, row, strict=True)
                    )
                    for row in rows
                ]
            await conn.exec_driver_sql(self.sql, rows)
            return
        # PostgreSQL: COPY into a staging table (dropped at commit), then one INSERT … SELECT.
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None, "a pooled connection has its driver connection"
        async with raw.cursor() as cur:
            if new:  # nothing to update: straight into the table
                async with cur.copy(f"COPY {self.target} ({self.names}) FROM STDIN") as copy:
                    for row in rows:
                        await copy.write_row(row)
                return
            if not self._staged:
                await cur.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} (LIKE {self.target}) "
                    "ON COMMIT DROP"
                )
                self._staged = True
            async with cur.copy(f"COPY {self.stage} ({self.names}) FROM STDIN") as copy:
                for row in rows:
                    await copy.write_row(row)
            await cur.execute(self.sql)
            await cur.execute(f"TRUNCATE {self.stage}")


class TableWriter:
    """Upserts one table's rows by key in batches; a row equal to the stored one is not written.

    `empty`: the table was empty when the sync began (a full sync): rows go straight in, with
    no look-up, and only a key already written by this sync is upserted.
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
        self._written: set[str] | None = None  # keys written so far, when the table was empty
        if empty:
            self._written = self.seen if self.seen is not None else set()
        self.counts = Counts()
        self._pending: dict[str, Row] = {}
        self._behind: asyncio.Future[None] | None = None
        self._key_name = self.key.name
        self._values = operator.itemgetter(*self.columns)  # a row's values in column order
        self._sink = _Sink(db, table, self.key)

    def add(self, row: Row) -> bool:
        """Queue a row (a later row with the same key replaces it); True when a batch is full."""
        self._pending[row[self._key_name]] = row
        return len(self._pending) >= BATCH

    async def flush_behind(self) -> None:
        """Start writing the queued rows in the background (once the previous write is done).

        The caller goes on reading the next batch from the operational store meanwhile: the two
        databases work at the same time instead of taking turns.
        """
        await self.settle()
        self._behind = asyncio.ensure_future(self.flush())

    async def settle(self) -> None:
        """Wait for a background write, raising its error if it failed."""
        behind, self._behind = self._behind, None
        if behind is not None:
            await behind

    async def flush(self) -> None:
        """Write the queued rows that are new or differ from the stored ones."""
        rows, self._pending = self._pending, {}
        if not rows:
            return
        if self._written is not None:  # an empty table: only keys written before are stored
            again = [key for key in rows if key in self._written]
            self._written.update(rows)
            if self.seen is not None and self.seen is not self._written:
                self.seen.update(rows)
            await self._write_new(rows, again)
            return
        if self.seen is not None:
            self.seen.update(rows)
        found = await self.db.execute(select(self.table).where(self.key.in_(list(rows))))
        stored = {r[self._key_at]: tuple(r) for r in found}
        changed: list[tuple[Any, ...]] = []
        values_of = self._values
        for key, row in rows.items():
            values = values_of(row)
            old = stored.get(key)
            if old is None:
                self.counts.inserted += 1
            elif old != values:
                self.counts.updated += 1
            else:
                continue
            changed.append(values)
        if changed:
            await self._sink.write(changed)

    async def _write_new(self, rows: dict[str, Row], again: list[str]) -> None:
        """Write a batch into a table that was empty: new keys straight in, the rest upserted."""
        values_of = self._values
        if again:  # a key seen in an earlier batch (a seat taken again): upsert those rows
            repeated = set(again)
            await self._sink.write([values_of(rows[k]) for k in again])
            self.counts.updated += len(again)
            rows = {k: row for k, row in rows.items() if k not in repeated}
        await self._sink.write([values_of(row) for row in rows.values()], new=True)
        self.counts.inserted += len(rows)


@asynccontextmanager
async def roomy_cache(db: AsyncSession) -> AsyncIterator[None]:
    """On SQLite, a larger page cache for this connection while the block runs."""
    if db.get_bind().dialect.name != "sqlite":
        yield
        return
    before = await db.scalar(text("PRAGMA cache_size"))
    await db.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
    yield
    await db.execute(text(f"PRAGMA cache_size = {int(before or -2000)}"))


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
