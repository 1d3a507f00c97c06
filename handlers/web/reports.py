"""The HR report on the web: GET /reports (HTML) and /reports/<table>.csv behind the admin token.

The token travels as `Authorization: Bearer <ADMIN_TOKEN>`, or as the password of a browser's
Basic login (any user name), and is compared in constant time. Without it the routes answer 401
(a browser then asks for it); without a configured token, 403 with a plain explanation. The
report is built from the reporting store on each request; nothing is cached, so an erasure
shows at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.reporting.metrics_scope import ReportFilter
from bot.reporting.report import Report, build_report
from bot.reporting.report_csv import table_csv
from bot.reporting.report_html import render_html
from bot.reporting.suppress import MIN_GROUP_DEFAULT, check_min_group
from prompts import Copy
from storage.db import async_url
from storage.migrate import is_up_to_date

HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
TABLE_NAME = re.compile(r"[a-z_]{1,40}")


@dataclass
class ReportSource:
    """Where the report comes from: the reporting store, the admin token, the minimum group."""

    url: str
    admin_token: SecretStr | None
    now: Callable[[], datetime]
    min_group: int = MIN_GROUP_DEFAULT
    _engine: AsyncEngine | None = field(default=None, repr=False)

    def engine(self) -> AsyncEngine:
        """The reporting store's engine, made on first use."""
        if self._engine is None:
            self._engine = create_async_engine(async_url(self.url), pool_pre_ping=True)
        return self._engine

    async def close(self, _app: web.Application | None = None) -> None:
        """Dispose of the engine (on application cleanup)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def add_report_routes(app: web.Application, source: ReportSource) -> None:
    """Add GET /reports and GET /reports/{name}.csv."""
    check_min_group(source.min_group)
    app.router.add_get("/reports", _page(source))
    app.router.add_get("/reports/{name}.csv", _csv(source))
    app.on_cleanup.append(source.close)


def _given_token(request: web.Request) -> str:
    """The token a request carries: `Bearer <token>`, or a browser's Basic login (any user name,
    the token as password)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def _refusal(source: ReportSource, request: web.Request, copy: Copy) -> web.Response | None:
    """A 403 when no token is configured; a 401 (a browser asks for it) unless it is given."""
    token = source.admin_token.get_secret_value() if source.admin_token else ""
    if not token:
        return web.Response(status=403, text=copy("report.web.off"), headers=HEADERS)
    given = _given_token(request)
    if not given or not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        headers = {**HEADERS, "WWW-Authenticate": 'Basic realm="HR report", charset="UTF-8"'}
        return web.Response(status=401, text=copy("report.web.denied"), headers=headers)
    return None


def _filters(request: web.Request) -> ReportFilter:
    query = request.query
    programme = query.get("programme") or None
    start = date.fromisoformat(query["from"]) if query.get("from") else None
    end = date.fromisoformat(query["to"]) if query.get("to") else None
    return ReportFilter(programme=programme, start=start, end=end)


Handler = Callable[[web.Request], Awaitable[web.Response]]


async def _report(source: ReportSource, request: web.Request, copy: Copy) -> Report | web.Response:
    refused = _refusal(source, request, copy)
    if refused is not None:
        return refused
    try:
        filters = _filters(request)
    except ValueError as exc:
        return web.Response(
            status=400, text=copy("report.web.bad_filter", reason=exc), headers=HEADERS
        )
    if not await asyncio.to_thread(is_up_to_date, source.url, store="reporting"):
        return web.Response(status=503, text=copy("report.web.not_ready"), headers=HEADERS)
    return await build_report(
        source.engine(), min_group=source.min_group, now=source.now(), filters=filters
    )


def _page(source: ReportSource) -> Handler:
    async def page(request: web.Request) -> web.Response:
        """The report as HTML."""
        copy = Copy()
        report = await _report(source, request, copy)
        if isinstance(report, web.Response):
            return report
        return web.Response(
            text=render_html(report, copy, csv_prefix="reports/"),
            content_type="text/html",
            headers=HEADERS,
        )

    return page


def _csv(source: ReportSource) -> Handler:
    async def csv(request: web.Request) -> web.Response:
        """One table of the report as CSV."""
        copy = Copy()
        name = request.match_info["name"]
        report = await _report(source, request, copy)
        if isinstance(report, web.Response):
            return report
        table = report.table(name) if TABLE_NAME.fullmatch(name) else None
        if table is None:
            return web.Response(status=404, text=copy("report.web.no_table"), headers=HEADERS)
        return web.Response(
            body=table_csv(table).encode("utf-8"),
            content_type="text/csv",
            charset="utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    return csv
