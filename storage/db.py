"""Async engines and transactions for SQLite and PostgreSQL; nothing connects at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.crypto import Keyring
from storage.types import attach_keyring

SQLITE_BUSY_TIMEOUT_MS = 10_000


def async_url(url: str) -> str:
    """Map a plain database URL to its async driver (aiosqlite, psycopg 3)."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+psycopg",
        "postgres": "postgresql+psycopg",
        "postgresql+psycopg2": "postgresql+psycopg",
    }.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """Foreign keys, WAL and a busy timeout on every SQLite connection; BEGIN IMMEDIATE writes."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        deferred = conn.get_execution_options().get("sqlite_deferred", False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


class Database:
    """One operational database: an engine, a session factory and transaction scopes."""

    def __init__(self, url: str, keyring: Keyring, *, echo: bool = False) -> None:
        self.url = async_url(url)
        self.keyring = keyring
        # hide_parameters: bound values (emails, ciphertext) stay out of errors and logs.
        self.engine = create_async_engine(
            self.url, echo=echo, pool_pre_ping=True, hide_parameters=True
        )
        attach_keyring(self.engine.sync_engine, keyring)
        if self.is_sqlite:
            _sqlite_pragmas(self.engine)
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reader = async_sessionmaker(
            self.engine.execution_options(sqlite_deferred=True), expire_on_commit=False
        )
        # SQLite has one writer: writers of this process queue here, first come first served,
        # instead of polling the file lock (busy_timeout sleeps up to 100 ms between tries).
        self._sqlite_writers = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        """True when this database is SQLite."""
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        """True when this database is PostgreSQL."""
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction (BEGIN IMMEDIATE on SQLite): commit on success, else roll back."""
        if self._sqlite_writers is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        async with self._sqlite_writers, self._writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only scope that takes no write lock; closing it discards any change."""
        async with self._reader() as session:
            yield session

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.execution_options(sqlite_deferred=True).connect() as conn:
                await conn.execute(text("SELECT 1"))
                await conn.rollback()
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
