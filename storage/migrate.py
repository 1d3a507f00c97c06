"""Alembic migrations run from code: `db upgrade`, local-mode auto-upgrade, and tests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for this project's migrations against `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)


def _upgrade(url: str, revision: str) -> None:
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url`, blocking (in a thread when an event loop is running)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _upgrade(url, revision)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_upgrade, url, revision).result()


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` from async code (in a worker thread)."""
    await asyncio.to_thread(_upgrade, url, revision)


def _current_heads(url: str) -> set[str]:
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
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def is_up_to_date(url: str) -> bool:
    """True when the database at `url` is migrated to the newest revision (False if unreadable)."""
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import OperationalError

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    try:
        return _current_heads(url) == heads
    except OperationalError:  # e.g. a SQLite file whose folder does not exist yet
        return False


def new_revision(message: str) -> None:
    """Autogenerate a revision for model changes, against a scratch SQLite database at head."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        _upgrade(url, "head")
        command.revision(alembic_config(url), message=message, autogenerate=True)
