"""Fixtures of the web edge tests: the app on an ephemeral 127.0.0.1 port over a world."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.db import Database
from tests.factories import make_world
from tests.handlers.web_env import Env, build, serve


@pytest.fixture
async def env(db: Database) -> AsyncIterator[Env]:
    """The web app in local mode over a fresh world, on SQLite and on PostgreSQL."""
    async with db.transaction() as s:
        world = await make_world(s)
    app, clock, jobs = build(db)
    client = await serve(app)
    try:
        yield Env(client, world, clock, jobs, db)
    finally:
        await client.close()
