"""Alembic migrations run from code: `db upgrade`, local-mode auto-upgrade, and tests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
REPORTING_MIGRATIONS_DIR = Path(__file__).parent / "reporting" / "migrations"
Store = Literal["operational", "reporting"]
"""Which database: the bot's own, or the reporting store (its own schema and migrations)."""
_DIRS: dict[Store, Path] = {"operational": MIGRATIONS_DIR, "reporting": REPORTING_MIGRATIONS_DIR}
VERSION_TABLES: dict[Store, str] = {
    "operational": "alembic_version",
    "reporting": "reporting_alembic_version",
}


def alembic_config(url: str, store: Store = "operational") -> Config:
    """An Alembic config for one store's migrations against `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_DIRS[store]))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)


def _upgrade(url: str, revision: str, store: Store = "operational") -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url, store), revision)


def upgrade_sync(url: str, revision: str = "head", store: Store = "operational") -> None:
    """Upgrade the database at `url`, blocking (in a thread when an event loop is running)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _upgrade(url, revision, store)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_upgrade, url, revision, store).result()


async def upgrade(url: str, revision: str = "head", store: Store = "operational") -> None:
    """Upgrade the database at `url` from async code (in a worker thread)."""
    await asyncio.to_thread(_upgrade, url, revision, store)


def _current_heads(url: str, store: Store = "operational") -> set[str]:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    sync_url = make_url(url)
    driver = {"sqlite+aiosqlite": "sqlite", "postgresql+psycopg": "postgresql+psycopg"}.get(
        sync_url.drivername, sync_url.drivername
    )
    if driver == "postgresql":
        driver = "postgresql+psycopg"
    engine = create_engine(sync_url.set(drivername=driver))
    try:
        with engine.connect() as conn:
            options = {"version_table": VERSION_TABLES[store]}
            return set(MigrationContext.configure(conn, opts=options).get_current_heads())
    finally:
        engine.dispose()


def is_up_to_date(url: str, store: Store = "operational") -> bool:
    """True when the database at `url` is migrated to the newest revision (False if unreadable)."""
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import OperationalError

    heads = set(ScriptDirectory.from_config(alembic_config(url, store)).get_heads())
    try:
        return _current_heads(url, store) == heads
    except OperationalError:  # e.g. a SQLite file whose folder does not exist yet
        return False


def new_revision(message: str, store: Store = "operational") -> None:
    """Autogenerate a revision for model changes, against a scratch SQLite database at head."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        _upgrade(url, "head", store)
        command.revision(alembic_config(url, store), message=message, autogenerate=True)
