"""A local mock chat API for benchmarks, in its own process, and a Sender that POSTs to it.

The mock answers `POST /chat.postMessage` ({"id": outbox id, "team": bucket}) at once with
{"ok": true}, or, when started with a rate R, enforces R per second per team with a token
bucket (burst = R, i.e. one second's worth) and answers 429 with an integer `Retry-After`
(seconds, rounded up, as Slack does) once the team's tokens are spent. `GET /received` returns
the ids it accepted (in order, duplicates kept) and the count of 429s; `POST /reset` clears
them and sets the rate ({"rate": R or null}).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
from aiohttp import web

from bot.ports import Delivery, Failed, RateLimited, SendResult, Sent


class _Limiter:
    """Per-team token buckets of `rate` per second, burst `rate`."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.teams: dict[str, tuple[float, float]] = {}  # team -> (tokens, stamp)

    def take(self, team: str) -> float:
        """0.0 when a request may pass, else seconds until one may."""
        if self.rate is None:
            return 0.0
        now = time.monotonic()
        tokens, stamp = self.teams.get(team, (self.rate, now))
        tokens = min(self.rate, tokens + (now - stamp) * self.rate)
        if tokens >= 1.0:
            self.teams[team] = (tokens - 1.0, now)
            return 0.0
        self.teams[team] = (tokens, now)
        return (1.0 - tokens) / self.rate


def _app(rate: float | None) -> web.Application:
    state: dict[str, Any] = {"ids": [], "limited": 0, "limiter": _Limiter(rate)}

    async def post(request: web.Request) -> web.Response:
        body = await request.json()
        wait = state["limiter"].take(str(body.get("team", "")))
        if wait > 0:
            state["limited"] += 1
            headers = {"Retry-After": str(max(1, math.ceil(wait)))}
            answer = {"ok": False, "error": "ratelimited"}
            return web.json_response(answer, status=429, headers=headers)
        state["ids"].append(int(body["id"]))
        return web.json_response({"ok": True, "ts": str(body["id"])})

    async def received(request: web.Request) -> web.Response:
        return web.json_response({"ids": state["ids"], "limited": state["limited"]})

    async def reset(request: web.Request) -> web.Response:
        body = await request.json()
        state.update(ids=[], limited=0, limiter=_Limiter(body.get("rate")))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/chat.postMessage", post)
    app.router.add_get("/received", received)
    app.router.add_post("/reset", reset)
    return app


def _serve(sock: socket.socket) -> None:
    async def run() -> None:
        runner = web.AppRunner(_app(None), access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        await asyncio.Event().wait()

    asyncio.run(run())


@contextmanager
def mock_chat_server() -> Iterator[str]:
    """Run the mock in a child process on an ephemeral 127.0.0.1 port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    child = multiprocessing.get_context("fork").Process(target=_serve, args=(sock,), daemon=True)
    child.start()
    sock.close()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.join(5)


async def reset_mock(base: str, rate: float | None) -> None:
    """Clear what the mock received and set its rate limit (None: unlimited)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/reset", json={"rate": rate}) as response,
    ):
        response.raise_for_status()


async def received_by_mock(base: str) -> tuple[list[int], int]:
    """The outbox ids the mock accepted (duplicates kept) and how many 429s it answered."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/received") as response:
        body = await response.json()
    return [int(i) for i in body["ids"]], int(body["limited"])


class MockChatSender:
    """POSTs each delivery to the mock chat API: Sent, RateLimited on 429, else Failed."""

    def __init__(self, base: str, channel: str = "slack") -> None:
        self.channel = channel
        self.url = f"{base}/chat.postMessage"
        self._http: aiohttp.ClientSession | None = None
        self.rate_limited = 0

    async def send(self, delivery: Delivery) -> SendResult:
        if self._http is None:
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        body = {
            "id": delivery.outbox_id,
            "team": delivery.bucket,
            "channel": delivery.recipient.external_id,
            "text": delivery.message.text,
        }
        try:
            async with self._http.post(self.url, json=body) as response:
                if response.status == 429:
                    self.rate_limited += 1
                    return RateLimited(retry_after=float(response.headers.get("Retry-After", 1)))
                if response.status != 200:
                    return Failed(reason=f"HTTP {response.status}", retryable=True)
                answer = await response.json()
                return Sent(ref=str(answer.get("ts")))
        except aiohttp.ClientError as error:
            return Failed(reason=repr(error), retryable=True)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._http is not None:
            await self._http.close()
            self._http = None
