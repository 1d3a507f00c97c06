"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, and no network but loopback."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from sqlalchemy import text

from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import Store, upgrade_sync
from storage.models import Base

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_SECRET = "test-secret-not-for-production"


def _loopback(host: object) -> bool:
    return isinstance(host, str) and (
        host in ("localhost", "::1", "") or host.startswith("127.") or host.startswith("/")
    )


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a host other than loopback fails the test."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(host):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and not _loopback(host):
            raise AssertionError(f"test tried to resolve {host!r}: only loopback is allowed")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture
def keyring() -> Keyring:
    """A keyring with a fixed test secret."""
    return Keyring([TEST_SECRET])


def _pg_admin() -> psycopg.Connection[tuple[object, ...]] | None:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable in CI: {exc}")
        return None


def scratch_pg(prefix: str, store: Store = "operational") -> Iterator[str | None]:
    """A PostgreSQL database of this test run for `store`, migrated to head; dropped at the end
    (None when PostgreSQL is unreachable outside CI)."""
    admin = _pg_admin()
    if admin is None:
        yield None
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    upgrade_sync(url, store=store)
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin2:
            admin2.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """A PostgreSQL database of this test run, migrated to head; dropped at the end."""
    yield from scratch_pg("cc_test")


@pytest.fixture(scope="session")
def reporting_pg_url() -> Iterator[str | None]:
    """A PostgreSQL reporting store of this test run, migrated to head; dropped at the end."""
    yield from scratch_pg("cc_report", "reporting")


async def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path: object, keyring: Keyring
) -> AsyncIterator[Database]:
    """A fresh, migrated operational database: SQLite file, or PostgreSQL (truncated)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/test.db"
        database = Database(url, keyring)
        async with database.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
    else:
        pg = request.getfixturevalue("pg_url")
        if pg is None:
            pytest.skip("PostgreSQL is not reachable (set CI=true to make this a failure)")
        database = Database(pg, keyring)
        await _truncate_all(database)
    try:
        yield database
    finally:
        await database.dispose()
