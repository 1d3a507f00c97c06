"""Building the web edge for tests: real routes, the real dispatcher, a recording run_due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.clock import VirtualClock
from bot.dispatcher import Dispatcher
from handlers.web import WebDeps, WebSender, add_web_routes
from storage.db import Database
from storage.models import OutboxMessage
from tests.factories import T0, World

Client = TestClient[web.Request, web.Application]


@dataclass
class Jobs:
    """A stand-in for bot.jobs.run_due that records its instants and delivers what is due."""

    dispatcher: Dispatcher
    calls: list[datetime] = field(default_factory=list)

    async def __call__(self, now: datetime) -> list[tuple[str, str]]:
        self.calls.append(now)
        report = await self.dispatcher.dispatch_due(now=now)
        return [("outbox", f"{report.sent} sent")]


@dataclass
class Env:
    """A running web app over a world, with its clock, recorded sweeps and database."""

    client: Client
    world: World
    clock: VirtualClock
    jobs: Jobs
    database: Database


def build(
    database: Database, *, local_mode: bool = True
) -> tuple[web.Application, VirtualClock, Jobs]:
    """The web routes over `database`, a virtual clock frozen at T0 and the real dispatcher."""
    clock = VirtualClock(source=lambda: T0)
    dispatcher = Dispatcher(database=database, senders={"web": WebSender()}, clock=clock.now)
    jobs = Jobs(dispatcher)
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
