"""The Alembic environment both stores share: each env.py names its metadata and version table."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import async_url


def run_migrations(target_metadata: MetaData, version_table: str) -> None:
    """Run this Alembic invocation's migrations (online on the async engine, or offline)."""
    config = context.config

    def configure(connection: Connection) -> None:
        context.configure(
            connection=connection,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            user_module_prefix="storage.types.",
            target_metadata=target_metadata,
            version_table=version_table,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_online() -> None:
        connection = config.attributes.get("connection")
        if connection is not None:
            configure(connection)
            return
        engine = create_async_engine(async_url(config.get_main_option("sqlalchemy.url") or ""))
        async with engine.connect() as conn:
            await conn.run_sync(configure)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            literal_binds=True,
            render_as_batch=True,
            target_metadata=target_metadata,
            version_table=version_table,
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_online())
