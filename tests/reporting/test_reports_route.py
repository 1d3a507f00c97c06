"""GET /reports and /reports/<table>.csv: refused without the admin token, served with it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from handlers.web.reports import ReportSource, add_report_routes
from storage.migrate import upgrade_sync
from tests.reporting.report_world import Org, week
from tests.reporting.test_metrics import NOW

TOKEN = "admin-token-for-tests-0123456789"


async def client_for(tmp_path: Path, token: str | None) -> TestClient[web.Request, web.Application]:
    """A test client of an app with only the report routes, over a small SQLite store."""
    url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade_sync(url, store="reporting")
    source = ReportSource(url, SecretStr(token) if token else None, lambda: NOW, min_group=3)
    org = Org()
    rise = org.programme("Rise")
    for _ in range(4):
        leader = org.leader(rise, cohort="A")
        org.nudge(leader, week(0), "answered", 3600)
    await org.write(source.engine())
    app = web.Application()
    add_report_routes(app, source)
    client = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    return client


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    c = await client_for(tmp_path, TOKEN)
    try:
        yield c
    finally:
        await c.close()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},  # not base64
        {"Authorization": "Basic " + base64.b64encode(b"hr:wrong").decode()},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
async def test_refused_without_the_right_token(
    client: TestClient[web.Request, web.Application], headers: dict[str, str]
) -> None:
    for path in ("/reports", "/reports/utilisation.csv"):
        response = await client.get(path, headers=headers)
        assert response.status == 401 and response.headers["WWW-Authenticate"].startswith("Basic")
        body = await response.text()
        assert "admin token" in body and "Rise" not in body


async def test_a_browser_login_with_the_token_as_password(
    client: TestClient[web.Request, web.Application],
) -> None:
    login = base64.b64encode(f"hr lead:{TOKEN}".encode()).decode()
    page = await client.get("/reports", headers={"Authorization": f"Basic {login}"})
    assert page.status == 200 and page.content_type == "text/html"


async def test_served_with_the_token(client: TestClient[web.Request, web.Application]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    page = await client.get("/reports", headers=auth)
    assert page.status == 200 and page.content_type == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    html = await page.text()
    assert "Minimum group size: 3." in html and "<svg" in html
    assert 'href="reports/engagement.csv"' in html
    sheet = await client.get("/reports/engagement.csv", headers=auth)
    assert sheet.status == 200 and sheet.content_type == "text/csv"
    assert (await sheet.text()).startswith("breakdown,group,nudge_response_rate")
    missing = await client.get("/reports/nothing.csv", headers=auth)
    assert missing.status == 404
    bad = await client.get("/reports?from=yesterday", headers=auth)
    assert bad.status == 400


async def test_off_without_a_configured_token(tmp_path: Path) -> None:
    c = await client_for(tmp_path, None)
    try:
        response = await c.get("/reports", headers={"Authorization": "Bearer "})
        assert response.status == 403
        assert "set ADMIN_TOKEN" in await response.text()
    finally:
        await c.close()
