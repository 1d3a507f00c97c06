"""LLM plumbing: one leader's data per call, store=false, no tools, bounded, capped, never raises.

Nothing a model writes is shown to a leader: a verdict only routes a message, a synthesis only
goes (cleaned and labelled) to the leader's coach. Logs carry model, status, latency and person
id, never a prompt or an answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    BadRequestError,
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    RateLimitError,
    UnprocessableEntityError,
)
from openai.types.chat import ChatCompletionMessageParam
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.llm_clean import clean_model_text
from bot.llm_prompts import (
    LlmVerdict,
    SharedItem,
    classify_messages,
    synthesis_messages,
    template,
    verdict_from_text,
)
from bot.llm_usage import take_call
from bot.settings import Settings
from storage.db import Database

__all__ = ["LLM", "LlmVerdict", "SharedItem"]

log = logging.getLogger(__name__)
T = TypeVar("T")
OPENAI_URL = "https://api.openai.com/v1"
LOCAL_KEY = "no-key-needed"


class Unusable(Exception):
    """The server answered, but not with something usable (refusal, empty, malformed)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _status(exc: BaseException) -> str:
    """A short, text-free name for a failure (never the message: it may quote the answer)."""
    if isinstance(exc, Unusable):
        return exc.status
    if isinstance(exc, TimeoutError | APITimeoutError):
        return "timeout"
    if isinstance(exc, RateLimitError):
        return "rate_limited"
    if isinstance(exc, APIStatusError):
        return f"http_{exc.status_code}"
    if isinstance(exc, APIConnectionError):
        return "unreachable"
    if isinstance(exc, LengthFinishReasonError):
        return "too_long"
    if isinstance(exc, ContentFilterFinishReasonError):
        return "filtered"
    if isinstance(exc, ValidationError | ValueError):
        return "invalid"
    return f"error_{type(exc).__name__}"


class LLM:
    """An OpenAI-compatible chat model behind a deadline, a daily per-person cap and no logs."""

    def __init__(
        self,
        *,
        client: AsyncOpenAI,
        model: str,
        timeout: float,
        daily_cap: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.model = model
        self.timeout = timeout
        self.daily_cap = daily_cap
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> LLM | None:
        """The model of the settings, or None when neither a key nor a base URL is set."""
        if not settings.openai_enabled:
            return None
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        retries = settings.openai_max_retries
        client = AsyncOpenAI(
            api_key=key.strip() or LOCAL_KEY,
            base_url=settings.openai_base_url or OPENAI_URL,
            timeout=settings.openai_timeout_seconds / (retries + 1),  # each try; all in budget
            max_retries=retries,
        )
        return cls(
            client=client,
            model=settings.openai_model,
            timeout=settings.openai_timeout_seconds,
            daily_cap=settings.openai_daily_cap_per_person,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.close()

    async def classify(
        self,
        *,
        database: Database,
        person_id: int,
        text: str,
        locale: str,
        now: datetime | None = None,
    ) -> LlmVerdict | None:
        """Label one message of one leader (structured output); None on any failure or the cap."""
        if not text.strip():
            return None
        tpl = template("classify")
        messages = classify_messages(tpl, text=text, locale=locale)
        return await self._guarded(
            "classify", database, person_id, now, lambda: self._verdict(messages, tpl.max_tokens)
        )

    async def synthesize(
        self,
        *,
        database: Database,
        person_id: int,
        items: list[SharedItem],
        first_name: str = "",
        now: datetime | None = None,
    ) -> str | None:
        """A short cleaned paragraph from one leader's shared items; None on any failure."""
        if not any(item.text.strip() for item in items):
            return None
        tpl = template("synthesis")
        messages = synthesis_messages(tpl, items=items, first_name=first_name)
        return await self._guarded(
            "synthesis", database, person_id, now, lambda: self._paragraph(messages, tpl.max_tokens)
        )

    async def _guarded(
        self,
        purpose: str,
        database: Database,
        person_id: int,
        now: datetime | None,
        call: Callable[[], Awaitable[T]],
    ) -> T | None:
        """Count the call against the cap, run it under the deadline, log it, never raise.

        The cap is taken in its own short transaction; the call itself holds no session, so a
        slow model never holds a database lock (SQLite's single writer above all).
        """
        day = (now or self._clock()).astimezone(UTC).date()
        try:
            async with database.transaction() as db:
                allowed = await take_call(db=db, person_id=person_id, day=day, cap=self.daily_cap)
        except SQLAlchemyError:
            self._log(purpose, person_id, "db_error", 0.0)
            return None
        if not allowed:
            self._log(purpose, person_id, "capped", 0.0)
            return None
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                result = await call()
        except Exception as exc:  # never raise to the caller; the reason is logged, not the text
            self._log(purpose, person_id, _status(exc), time.monotonic() - started)
            return None
        self._log(purpose, person_id, "ok", time.monotonic() - started)
        return result

    def _log(self, purpose: str, person_id: int, status: str, seconds: float) -> None:
        """One line per call: purpose, model, status, latency, person id; no prompt, no answer."""
        level = logging.INFO if status == "ok" else logging.WARNING
        log.log(
            level,
            "llm %s model=%s status=%s latency_ms=%d person=%s",
            purpose,
            self.model,
            status,
            round(seconds * 1000),
            person_id,
        )

    async def _verdict(
        self, messages: list[ChatCompletionMessageParam], max_tokens: int
    ) -> LlmVerdict:
        """Structured output via parse(); JSON mode and our own validation if it is refused."""
        try:
            completion = await self.client.chat.completions.parse(
                model=self.model,
                messages=messages,
                response_format=LlmVerdict,
                store=False,
                max_tokens=max_tokens,
                temperature=0,
            )
        except (BadRequestError, UnprocessableEntityError):  # no json_schema on this server
            return await self._verdict_json_mode(messages, max_tokens)
        message = completion.choices[0].message
        if message.refusal:
            raise Unusable("refusal")
        if message.parsed is None:
            raise Unusable("empty")
        return message.parsed

    async def _verdict_json_mode(
        self, messages: list[ChatCompletionMessageParam], max_tokens: int
    ) -> LlmVerdict:
        """The fallback: response_format json_object, the answer validated by LlmVerdict."""
        completion = await self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            response_format={"type": "json_object"},
            store=False,
            max_tokens=max_tokens,
            temperature=0,
        )
        message = completion.choices[0].message
        if message.refusal or not message.content:
            raise Unusable("refusal" if message.refusal else "empty")
        return verdict_from_text(message.content)

    async def _paragraph(self, messages: list[ChatCompletionMessageParam], max_tokens: int) -> str:
        """Plain text, cleaned of links, mentions and markup, capped."""
        completion = await self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            store=False,
            max_tokens=max_tokens,
            temperature=0.2,
        )
        choice = completion.choices[0]
        if choice.message.refusal:
            raise Unusable("refusal")
        if choice.finish_reason != "stop":
            raise Unusable(f"finish_{choice.finish_reason}")
        cleaned = clean_model_text(choice.message.content or "")
        if cleaned is None:
            raise Unusable("empty")
        return cleaned
