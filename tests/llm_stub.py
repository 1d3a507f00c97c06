"""A stand-in OpenAI-compatible server: real aiohttp on 127.0.0.1, recording every request.

Point the real `openai.AsyncOpenAI(base_url=stub.base_url)` (or OPENAI_BASE_URL) at it. Each
POST /v1/chat/completions is recorded (`stub.requests`: the JSON bodies, `stub.headers`) and
answered with the next scripted `Reply` (`stub.script(...)`), else `stub.default`:
  Reply.json({...})                   structured output: the object as the message content
  Reply.text("...")                   plain text content
  Reply.error(429, retry_after=1)     an OpenAI-shaped error, with Retry-After if given
  Reply(delay=5.0)                    answer only after a delay (client timeouts)
  Reply(echo=True)                    the last user message back as content (injection tests)
Use the `llm_stub` fixture (import it into a test module or conftest) or `running_stub()`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

MODEL = "stub-model"


@dataclass
class Reply:
    """One scripted answer to a chat completion request."""

    content: str | None = ""
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0
    echo: bool = False
    refusal: str | None = None
    finish_reason: str = "stop"
    raw: str | None = None  # a body sent as-is (malformed responses)

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        """Structured output: `obj` serialised as the message content."""
        return cls(content=json.dumps(obj), **kwargs)

    @classmethod
    def text(cls, text: str, **kwargs: Any) -> Reply:
        """Plain text content."""
        return cls(content=text, **kwargs)

    @classmethod
    def error(cls, status: int, *, retry_after: float | None = None, **kwargs: Any) -> Reply:
        """An error status with an OpenAI-shaped error body."""
        return cls(content=None, status=status, retry_after=retry_after, **kwargs)


@dataclass
class LlmStub:
    """Recorded requests, the scripted replies, and the default reply."""

    base: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Reply.text("A neutral summary."))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        """The `/v1` base URL for AsyncOpenAI(base_url=...) or OPENAI_BASE_URL."""
        return f"{self.base}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        self.replies.extend(replies)

    def user_texts(self) -> list[str]:
        """Every message content of every recorded request, one string per request."""
        return [
            "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
            for body in self.requests
        ]

    def reset(self) -> None:
        """Forget the recorded requests and scripted replies."""
        self.requests.clear()
        self.headers.clear()
        self.replies.clear()

    def _completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = reply.content
        if reply.echo:
            users = [m for m in body.get("messages", []) if m.get("role") == "user"]
            content = str(users[-1].get("content", "")) if users else ""
        message = {"role": "assistant", "content": content, "refusal": reply.refusal}
        return {
            "id": f"chatcmpl-stub-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_764_000_000,
            "model": body.get("model", MODEL),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        reply = self.replies.pop(0) if self.replies else self.default
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.raw is not None:
            return web.Response(
                status=reply.status, text=reply.raw, content_type="application/json"
            )
        if reply.status != 200:
            headers = {"x-should-retry": "true"} if reply.status >= 429 else {}
            if reply.retry_after is not None:
                headers["Retry-After"] = str(reply.retry_after)
            error = {"error": {"message": "stub error", "type": "stub", "code": reply.status}}
            return web.json_response(error, status=reply.status, headers=headers)
        return web.json_response(self._completion(body, reply))

    async def _models(self, _request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        return app


@asynccontextmanager
async def running_stub() -> AsyncIterator[LlmStub]:
    """Serve a fresh stub on an ephemeral 127.0.0.1 port for the duration of the block."""
    stub = LlmStub()
    runner = web.AppRunner(stub.app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stub.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield stub
    finally:
        await runner.cleanup()


@pytest.fixture
async def llm_stub() -> AsyncIterator[LlmStub]:
    """A running OpenAI-compatible stub for one test."""
    async with running_stub() as stub:
        yield stub
