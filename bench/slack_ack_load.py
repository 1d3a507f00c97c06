"""Signed Slack requests for bench/slack_ack.py, and the load that sends them (timed per request).

Four kinds, as Slack posts them: `/coach help` and `/coach sessions` slash commands
(form-encoded), a leader's DM (`message.im` event, JSON, unique event_id), and a block_actions
click on a "help" button (the core's command button). Each request is built and signed before
its clock starts; the time measured is from the POST to the whole response read.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

TEAM = "T0001"
KINDS = ("help", "sessions", "dm", "click")
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    """One signed request: its kind, body, headers and the DM event id (if a DM)."""

    kind: str
    body: bytes
    headers: dict[str, str]
    event_id: str = ""


def sign(body: str, secret: str) -> dict[str, str]:
    """Slack's v0 signature headers for `body`, stamped now."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def _signed(kind: str, body: str, content_type: str, secret: str, event_id: str = "") -> Request:
    headers = {"Content-Type": content_type, **sign(body, secret)}
    return Request(kind=kind, body=body.encode(), headers=headers, event_id=event_id)


def command(user: str, text: str, secret: str) -> Request:
    """A `/coach TEXT` slash command from `user` in their DM with the bot."""
    fields = {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "bench",
        "channel_id": f"D{user}",
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/coach",
        "text": text,
        "api_app_id": "A1",
        "response_url": "http://127.0.0.1:9/commands/1",
        "trigger_id": f"trigger-{time.monotonic_ns()}",
    }
    return _signed(text, urlencode(fields), FORM, secret)


def dm(user: str, text: str, event_id: str, secret: str, retry: int = 0) -> Request:
    """A leader's DM to the bot as an Events API callback (a Slack retry when `retry` > 0)."""
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }
    envelope = {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
    }
    request = _signed("dm", json.dumps(envelope), "application/json", secret, event_id)
    if retry:
        request.headers["X-Slack-Retry-Num"] = str(retry)
        request.headers["X-Slack-Retry-Reason"] = "http_timeout"
    return request


def click(user: str, secret: str) -> Request:
    """A block_actions click on a message's "help" command button."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "bench"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A1",
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "channel": {"id": f"D{user}"},
        "container": {"type": "message", "channel_id": f"D{user}", "message_ts": "1.000001"},
        "actions": [
            {
                "type": "button",
                "action_id": "command|0",
                "block_id": "b0",
                "value": "help",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return _signed("click", urlencode({"payload": json.dumps(payload)}), FORM, secret)


@dataclass
class Mix:
    """Requests of every kind in turn, over the users in turn, with unique DM event ids."""

    users: list[str]
    secret: str
    prefix: str
    retry_every: int = 0  # every Nth DM is followed by Slack's retry of it (same event_id)
    dm_ids: list[str] = field(default_factory=list)
    retries: int = 0
    _n: itertools.count[int] = field(default_factory=itertools.count)
    _pending_retry: str = ""

    def next(self) -> Request:
        """The next request of the mix."""
        n = next(self._n)
        user = self.users[n % len(self.users)]
        if self._pending_retry:
            event_id, self._pending_retry = self._pending_retry, ""
            self.retries += 1
            return dm(user, "help", event_id, self.secret, retry=1)
        kind = KINDS[n % len(KINDS)]
        if kind == "dm":
            event_id = f"Ev{self.prefix}{n:07d}"
            self.dm_ids.append(event_id)
            if self.retry_every and len(self.dm_ids) % self.retry_every == 0:
                self._pending_retry = event_id
            return dm(user, "help", event_id, self.secret)
        if kind == "click":
            return click(user, self.secret)
        return command(user, kind, self.secret)


@dataclass
class Timings:
    """Seconds to each response, by kind, and the statuses seen."""

    seconds: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    wall: float = 0.0

    def add(self, kind: str, seconds: float, status: int) -> None:
        """Record one response."""
        self.seconds.append(seconds)
        self.by_kind.setdefault(kind, []).append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def non_2xx(self) -> int:
        """Responses outside 200-299, plus requests that got no response."""
        return self.errors + sum(c for s, c in self.statuses.items() if not 200 <= s < 300)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) in milliseconds; max for q = 100."""
    if not values:
        return 0.0
    if q >= 100:
        return max(values) * 1000
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] * 1000


async def send(http: aiohttp.ClientSession, url: str, request: Request, into: Timings) -> None:
    """POST one request and record the time to its full response."""
    started = time.perf_counter()
    try:
        async with http.post(url, data=request.body, headers=request.headers) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        into.errors += 1
        return
    into.add(request.kind, time.perf_counter() - started, status)


def session() -> aiohttp.ClientSession:
    """A client with keep-alive and no connection cap (Slack opens as many as it needs)."""
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def steady(url: str, make: Callable[[], Request], rate: float, seconds: float) -> Timings:
    """Open loop: request i starts at i / rate seconds, whatever the earlier ones are doing."""
    timings = Timings()
    tasks: list[asyncio.Task[Any]] = []
    async with session() as http:
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            request = make()
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(http, url, request, timings)))
        await asyncio.gather(*tasks)
        timings.wall = time.perf_counter() - start
    return timings


async def burst(url: str, make: Callable[[], Request], count: int) -> Timings:
    """`count` requests released at once (each on its own connection)."""
    timings = Timings()
    requests = [make() for _ in range(count)]
    async with session() as http:
        start = time.perf_counter()
        await asyncio.gather(*(send(http, url, r, timings) for r in requests))
        timings.wall = time.perf_counter() - start
    return timings


async def sequential(url: str, requests: list[Request], concurrency: int) -> Timings:
    """Send `requests` with at most `concurrency` in flight (warm-up)."""
    timings = Timings()
    gate = asyncio.Semaphore(concurrency)

    async def one(http: aiohttp.ClientSession, request: Request) -> None:
        async with gate:
            await send(http, url, request, timings)

    async with session() as http:
        start = time.perf_counter()
        await asyncio.gather(*(one(http, r) for r in requests))
        timings.wall = time.perf_counter() - start
    return timings
