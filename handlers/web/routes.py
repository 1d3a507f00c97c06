"""Mounting the web edge on the one aiohttp app: /healthz always, the playground in local mode."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import func, select

from handlers.web.api import Playground
from handlers.web.deps import NO_STORE, STATIC_DIR, WebDeps
from handlers.web.errors import guarded
from handlers.web.reports import ReportSource, add_report_routes
from storage.db import Database
from storage.models import OutboxMessage

__all__ = ["ReportSource", "WebDeps", "add_web_routes"]


def add_web_routes(
    app: web.Application, *, deps: WebDeps, reports: ReportSource | None = None
) -> None:
    """Add GET /healthz, the HR report (admin token), and in local mode only the playground."""
    app.router.add_get("/healthz", _healthz(deps))
    if reports is not None:  # in every mode: it answers 403 until ADMIN_TOKEN is set
        add_report_routes(app, reports)
    if not deps.local_mode:
        return
    playground = Playground(deps)
    app.router.add_get("/", playground.page)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    app.router.add_get("/api/people", guarded(playground.people))
    app.router.add_post("/api/interact", guarded(playground.interact))
    app.router.add_get("/api/transcript", guarded(playground.transcript))
    app.router.add_get("/api/clock", guarded(playground.clock))
    app.router.add_post("/api/clock", guarded(playground.advance))


def _healthz(deps: WebDeps) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(_request: web.Request) -> web.Response:
        """Liveness and readiness: database, scheduler, outbox backlog, clock; no personal data."""
        ok = await deps.database.ping()
        outbox: dict[str, int] | None = None
        if ok:
            try:
                outbox = await _outbox_counts(deps.database)
            except Exception:
                ok = False
        try:
            scheduler = deps.scheduler_state()
        except Exception as exc:
            scheduler = {"error": type(exc).__name__}
        body = {
            "status": "ok" if ok else "degraded",
            "database": {"ok": ok, "dialect": deps.database.engine.dialect.name},
            "scheduler": scheduler,
            "outbox": outbox,
            "clock": deps.clock.now().isoformat(),
        }
        return web.json_response(body, status=200 if ok else 503, headers=NO_STORE)

    return healthz


async def _outbox_counts(database: Database) -> dict[str, int]:
    async with database.reading() as s:
        rows = (
            await s.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_(("pending", "dead")))
                .group_by(OutboxMessage.status)
            )
        ).all()
    counts = {str(status): int(n) for status, n in rows}
    return {"pending": counts.get("pending", 0), "dead": counts.get("dead", 0)}
