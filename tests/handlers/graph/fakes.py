"""Wire-level fakes: an HTTPS token authority (OIDC discovery + token) and a Graph calendar API.

Both are real aiohttp servers on 127.0.0.1 ephemeral ports, so the real msal (over requests)
and the real aiohttp client talk to them. The fake Graph keeps events per mailbox, honours
`transactionId` like Graph (a repeated create returns the first event), and can be scripted to
answer 429 / 503 (with Retry-After) or to drop the connection after doing the work.
"""

from __future__ import annotations

import itertools
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

from handlers.graph.auth import GraphAuth
from handlers.graph.client import GraphClient

TENANT = "tenant-1"
CLIENT_ID = "client-1"
SECRET = "s3cret-graph-value"


@dataclass
class Tls:
    """A throwaway CA: the server's SSL context and the CA file clients trust."""

    server: ssl.SSLContext
    ca_file: Path


def make_tls(tmp: Path) -> Tls:
    """A trustme CA and a certificate for 127.0.0.1 / localhost."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(server=context, ca_file=ca_file)


@asynccontextmanager
async def running(app: web.Application, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1:<ephemeral>; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"{'https' if tls else 'http'}://{host}:{port}"
    finally:
        await runner.cleanup()


@dataclass
class Authority:
    """The token authority: counts discovery and token requests, issues tok-1, tok-2, ..."""

    base: str = ""
    discoveries: int = 0
    token_requests: int = 0
    scopes: list[str] = field(default_factory=list)
    issued: set[str] = field(default_factory=set)
    refuse: bool = False
    _next: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        """The authority URL to give msal."""
        return f"{self.base}/{TENANT}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{TENANT}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post(f"/{TENANT}/oauth2/v2.0/token", self._token)
        return app

    async def _discovery(self, request: web.Request) -> web.Response:
        self.discoveries += 1
        return web.json_response(
            {
                "issuer": f"{self.base}/{TENANT}/v2.0",
                "authorization_endpoint": f"{self.base}/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base}/{TENANT}/oauth2/v2.0/token",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        self.scopes.append(str(form.get("scope", "")))
        ok = (
            form.get("grant_type") == "client_credentials"
            and form.get("client_id") == CLIENT_ID
            and form.get("client_secret") == SECRET
            and not self.refuse
        )
        if not ok:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"},
                status=401,
            )
        token = f"tok-{next(self._next)}"
        self.issued.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": token}
        )


CODES = {403: "ErrorAccessDenied", 429: "TooManyRequests", 503: "ServiceUnavailable"}


@dataclass
class Scripted:
    """One scripted answer for a route: a status (with Retry-After), or do it then drop."""

    status: int = 503
    retry_after: str | None = None
    drop_after_work: bool = False


@dataclass
class Graph:
    """The fake Graph: events per mailbox, busy items per mailbox, a request log, scripts."""

    authority: Authority
    base: str = ""
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    by_transaction: dict[tuple[str, str], str] = field(default_factory=dict)
    schedules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    log: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    scripts: dict[str, list[Scripted]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        """GRAPH_BASE_URL for the client."""
        return f"{self.base}/v1.0"

    def script(self, route: str, *answers: Scripted) -> None:
        """Answer the next requests of `route` (getSchedule, create, update, delete) so."""
        self.scripts.setdefault(route, []).extend(answers)

    def calls(self, route: str) -> int:
        """How many requests `route` received (scripted ones included)."""
        return sum(1 for r, _ in self.log if r == route)

    def all_events(self) -> list[dict[str, Any]]:
        """Every event in every mailbox."""
        return [e for box in self.events.values() for e in box.values()]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1.0/users/{user}/calendar/getSchedule", self._schedule)
        app.router.add_post("/v1.0/users/{user}/calendar/events", self._create)
        app.router.add_patch("/v1.0/users/{user}/events/{id}", self._update)
        app.router.add_delete("/v1.0/users/{user}/events/{id}", self._delete)
        return app

    async def _gate(self, route: str, request: web.Request) -> web.Response | Scripted | None:
        """Log the call, check the token; a scripted answer, a scripted drop, or None."""
        self.log.append((route, request.match_info["user"]))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.authority.issued:
            return _error(401, "InvalidAuthenticationToken")
        queue = self.scripts.get(route)
        if queue:
            answer = queue.pop(0)
            if answer.drop_after_work:
                return answer
            headers = {"Retry-After": answer.retry_after} if answer.retry_after else {}
            return _error(answer.status, CODES.get(answer.status, "generalException"), headers)
        return None

    async def _schedule(self, request: web.Request) -> web.Response:
        gate = await self._gate("getSchedule", request)
        if isinstance(gate, web.Response):
            return gate
        body = await request.json()
        self.bodies.append(body)
        value = []
        for mailbox in body["schedules"]:
            if mailbox.lower() in self.unreadable:
                error = {"message": "not found", "responseCode": "ErrorMailboxNotFound"}
                value.append({"scheduleId": mailbox, "error": error})
                continue
            items = self.schedules.get(mailbox.lower(), [])
            value.append({"scheduleId": mailbox, "availabilityView": "", "scheduleItems": items})
        return web.json_response({"value": value})

    async def _create(self, request: web.Request) -> web.StreamResponse:
        gate = await self._gate("create", request)
        if isinstance(gate, web.Response):
            return gate
        user = request.match_info["user"].lower()
        body = await request.json()
        self.bodies.append(body)
        key = (user, str(body.get("transactionId", "")))
        box = self.events.setdefault(user, {})
        existing = self.by_transaction.get(key)
        if existing is not None and existing in box:
            event = box[existing]
        else:
            n = next(self._ids)
            event = {k: v for k, v in body.items() if k != "transactionId"}
            event["id"] = f"AAMkAG-event-{n}"
            if body.get("isOnlineMeeting"):
                event["onlineMeeting"] = {"joinUrl": f"https://teams.example/l/meetup-join/{n}"}
            box[event["id"]] = event
            if body.get("transactionId"):
                self.by_transaction[key] = event["id"]
        if isinstance(gate, Scripted):
            return _drop(request)
        return web.json_response(event, status=201)

    async def _update(self, request: web.Request) -> web.StreamResponse:
        gate = await self._gate("update", request)
        if isinstance(gate, web.Response):
            return gate
        box = self.events.get(request.match_info["user"].lower(), {})
        event = box.get(request.match_info["id"])
        if event is None:
            return _error(404, "ErrorItemNotFound")
        body = await request.json()
        self.bodies.append(body)
        event.update(body)
        if isinstance(gate, Scripted):
            return _drop(request)
        return web.json_response(event)

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        gate = await self._gate("delete", request)
        if isinstance(gate, web.Response):
            return gate
        box = self.events.get(request.match_info["user"].lower(), {})
        if box.pop(request.match_info["id"], None) is None:
            return _error(404, "ErrorItemNotFound")
        if isinstance(gate, Scripted):
            return _drop(request)
        return web.Response(status=204)


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": "scripted"}}
    return web.json_response(body, status=status, headers=headers)


def _drop(request: web.Request) -> web.StreamResponse:
    """The work is done but the answer is lost: close the connection without a response."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=503)  # never reaches the client


def busy_item(start: str, end: str, status: str = "busy") -> dict[str, Any]:
    """A getSchedule scheduleItem in Graph's shape (UTC, 7-digit fractions)."""
    return {
        "status": status,
        "start": {"dateTime": f"{start}.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"{end}.0000000", "timeZone": "UTC"},
    }


@dataclass
class GraphEnv:
    """Both fakes running, and the real GraphAuth + GraphClient pointed at them."""

    authority: Authority
    graph: Graph
    auth: GraphAuth
    client: GraphClient
    sleeps: list[float]


@asynccontextmanager
async def graph_env(tmp: Path, *, max_attempts: int = 4) -> AsyncIterator[GraphEnv]:
    """Start the HTTPS authority and the Graph fake; the client records (not sleeps) waits."""
    tls = make_tls(tmp)
    authority = Authority()
    graph = Graph(authority)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with running(authority.app(), tls.server) as a_url, running(graph.app()) as g_url:
        authority.base, graph.base = a_url, g_url
        auth = GraphAuth(
            tenant_id=TENANT,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            authority=authority.url,
            ca_bundle=tls.ca_file,
        )
        client = GraphClient(
            auth=auth,
            base_url=graph.url,
            sleep=sleep,
            max_retry_after=5.0,
            max_attempts=max_attempts,
        )
        yield GraphEnv(authority, graph, auth, client, sleeps)
