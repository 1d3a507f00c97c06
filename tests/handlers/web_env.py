"""Building the web edge for tests: real routes, dispatcher and sweeps, recording clock moves."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.clock import Now, VirtualClock
from bot.dispatcher import Dispatcher
from bot.jobs import JobContext, run_due_through, sweep_step
from handlers.web import WebDeps, WebSender, add_web_routes
from storage.crypto import Keyring
from storage.db import Database
from storage.models import OutboxMessage
from tests.factories import T0, World

Client = TestClient[web.Request, web.Application]


@dataclass
class Jobs:
    """The real sweeps through each clock move (as app.py wires them), recording the moves."""

    ctx: JobContext
    calls: list[tuple[datetime, datetime]] = field(default_factory=list)
    clock_during: list[datetime] = field(default_factory=list)

    async def __call__(self, start: datetime, end: datetime) -> list[tuple[str, str]]:
        self.calls.append((start, end))
        self.clock_during.append(self.ctx.dispatcher.clock())
        return await run_due_through(self.ctx, start=start, end=end, step=sweep_step(end - start))


@dataclass
class Env:
    """A running web app over a world, with its clock, recorded sweeps and database."""

    client: Client
    world: World
    clock: VirtualClock
    jobs: Jobs
    database: Database


def build(
    database: Database, *, local_mode: bool = True, source: Now = lambda: T0
) -> tuple[web.Application, VirtualClock, Jobs]:
    """The web routes over `database`, a virtual clock (frozen at T0) and the real dispatcher."""
    clock = VirtualClock(source=source)
    dispatcher = Dispatcher(database=database, senders={"web": WebSender()}, clock=clock.now)
    jobs = Jobs(JobContext(database, dispatcher))
    app = web.Application()
    add_web_routes(
        app,
        deps=WebDeps(
            database=database,
            clock=clock,
            dispatcher=dispatcher,
            run_due=jobs,
            scheduler_state=lambda: {"running": False, "jobs": []},
            local_mode=local_mode,
        ),
    )
    return app, clock, jobs


async def serve(app: web.Application) -> Client:
    """Serve `app` on an ephemeral 127.0.0.1 port and return a client for it."""
    client: Client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    return client


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    async with db.reading() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def post(env: Env, path: str, body: Any) -> tuple[int, Any]:
    """POST `body` as JSON; the status and the decoded answer."""
    response = await env.client.post(path, json=body)
    return response.status, await response.json()


SQLITE_WORKER = "(_connection_worker_thread)"  # how aiosqlite names its threads


@asynccontextmanager
async def unreachable(url: str, keyring: Keyring) -> AsyncIterator[Database]:
    """A Database at `url` that cannot connect; on exit its driver threads have all finished.

    aiosqlite answers a failed connect by queueing a stop whose result nobody awaits: the worker
    thread posts that result to the event loop a moment later, and if the test's loop has closed
    by then the post raises in the thread ("Event loop is closed"). Joining the thread first
    makes the post land while the loop is alive.
    """
    before = set(threading.enumerate())
    database = Database(url, keyring)
    try:
        yield database
    finally:
        await database.dispose()
        for thread in set(threading.enumerate()) - before:
            if thread.name.endswith(SQLITE_WORKER):
                await asyncio.to_thread(thread.join, 10)
