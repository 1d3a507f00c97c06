"""Migrations: upgrade an empty database to head; autogenerate then finds nothing to do."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from storage.db import async_url
from storage.migrate import upgrade_sync
from storage.models import Base


def _sync_url(url: str) -> str:
    return async_url(url).replace("+aiosqlite", "").replace("+psycopg", "+psycopg")


def _diff(url: str) -> list[Any]:
    engine = create_engine(_sync_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def test_sqlite_empty_database_upgrades_and_matches_models(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/migrated.db"
    upgrade_sync(url)
    upgrade_sync(url)  # a second upgrade is a no-op
    assert _diff(url) == []
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }
    finally:
        engine.dispose()


def test_postgresql_migrated_database_matches_models(pg_url: str | None) -> None:
    if pg_url is None:
        pytest.skip("PostgreSQL is not reachable (set CI=true to make this a failure)")
    assert _diff(pg_url) == []
