"""A small Microsoft Graph calendar client over aiohttp: free/busy and event create/update/delete.

Every call carries a bearer token from GraphAuth. 429 and 502/503/504 (and connection errors)
are retried, honouring Retry-After (capped), up to `max_attempts` in all; then, or for any
other error status, GraphError. A 401 drops the cached token and tries once more. Tokens,
request bodies and response bodies are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from yarl import URL

from bot.ports import CalendarError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BUSY_STATUSES = frozenset({"busy", "oof", "tentative"})  # not free, not workingElsewhere
SCHEDULE_WINDOW = timedelta(days=31)  # getSchedule answers at most 62 days per request
VIEW_INTERVAL = 30

Span = tuple[datetime, datetime]


class GraphError(CalendarError):
    """Graph did not do it: `status` (None for a connection failure), `retry_after` if told."""

    def __init__(
        self, reason: str, *, status: int | None, retry_after: float | None = None, code: str = ""
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after
        self.code = code


class TokenSource(Protocol):
    """Where bearer tokens come from (handlers.graph.auth.GraphAuth)."""

    async def token(self) -> str:
        """A valid access token."""
        ...

    def invalidate(self) -> None:
        """Forget the cached token."""
        ...


class GraphClient:
    """Calls Graph for coaches' calendars with retries; raises GraphError when it cannot."""

    def __init__(
        self,
        *,
        auth: TokenSource,
        base_url: str = DEFAULT_BASE_URL,
        max_attempts: int = 4,
        max_retry_after: float = 30.0,
        backoff: float = 1.0,
        timeout: float = 20.0,
        ca_bundle: Path | str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.auth = auth
        self.base = URL(base_url.rstrip("/"))
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.backoff = backoff
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._ca_bundle = str(ca_bundle) if ca_bundle else None
        self._sleep = sleep

    def _session(self) -> aiohttp.ClientSession:
        ssl_context = (
            ssl.create_default_context(cafile=self._ca_bundle) if self._ca_bundle else None
        )
        connector = aiohttp.TCPConnector(ssl=ssl_context) if ssl_context else None
        return aiohttp.ClientSession(timeout=self.timeout, connector=connector)

    async def get_schedule(
        self, mailboxes: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[Span]]:
        """Busy spans per mailbox over [start, end); a mailbox Graph could not read is left out."""
        if not mailboxes:
            return {}
        wanted = {m.lower(): m for m in mailboxes}
        spans: dict[str, set[Span]] = {m: set() for m in mailboxes}
        failed: set[str] = set()
        path = self.base / "users" / mailboxes[0] / "calendar" / "getSchedule"
        async with self._session() as session:
            for lo, hi in _windows(start, end):
                body = {
                    "schedules": list(mailboxes),
                    "startTime": _graph_time(lo),
                    "endTime": _graph_time(hi),
                    "availabilityViewInterval": VIEW_INTERVAL,
                }
                headers = {"Prefer": 'outlook.timezone="UTC"'}
                _, data = await self._call(session, "POST", path, "getSchedule", body, headers)
                for item in _list(data.get("value")):
                    mailbox = wanted.get(str(item.get("scheduleId", "")).lower())
                    if mailbox is None:
                        continue
                    if isinstance(item.get("error"), dict):
                        code = str(item["error"].get("responseCode", ""))[:60]
                        log.warning("graph: getSchedule could not read a mailbox (%s)", code)
                        failed.add(mailbox)
                        continue
                    for entry in _list(item.get("scheduleItems")):
                        span = _busy_span(entry)
                        if span is not None:
                            spans[mailbox].add(span)
        return {m: sorted(s) for m, s in spans.items() if m not in failed}

    async def create_event(
        self, mailbox: str, body: Mapping[str, Any], *, transaction_id: str
    ) -> dict[str, Any]:
        """Create an event with a Teams meeting; the same `transaction_id` never makes two."""
        payload = {
            **body,
            "transactionId": transaction_id,
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
        }
        path = self.base / "users" / mailbox / "calendar" / "events"
        async with self._session() as session:
            _, data = await self._call(session, "POST", path, "create event", payload)
        return data

    async def update_event(
        self, mailbox: str, event_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change an event's fields (PATCH); returns the event."""
        path = self.base / "users" / mailbox / "events" / event_id
        async with self._session() as session:
            _, data = await self._call(session, "PATCH", path, "update event", dict(body))
        return data

    async def delete_event(self, mailbox: str, event_id: str) -> None:
        """Delete an event; one already gone (404) counts as deleted."""
        path = self.base / "users" / mailbox / "events" / event_id
        async with self._session() as session:
            await self._call(session, "DELETE", path, "delete event", None, missing_ok=True)

    async def _call(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        what: str,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None = None,
        *,
        missing_ok: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        refreshed = False
        attempt = 0
        failure = ""
        while True:
            attempt += 1
            token = await self.auth.token()
            sent = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                async with session.request(
                    method, url, json=body, headers={**sent, **(headers or {})}
                ) as resp:
                    status = resp.status
                    data = await _json(resp)
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, data, retry_after = None, {}, None
                failure = type(exc).__name__
            if status is not None and (status < 300 or (missing_ok and status == 404)):
                return status, data
            if status == 401 and not refreshed:
                self.auth.invalidate()
                refreshed = True
                continue
            if (status is None or status in RETRY_STATUSES) and attempt < self.max_attempts:
                wait = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
                log.info("graph: %s got %s, retry %d in %.1f s", what, status, attempt, wait)
                await self._sleep(min(max(wait, 0.0), self.max_retry_after))
                continue
            if status is None:
                raise GraphError(f"Graph {what}: no answer ({failure})", status=None)
            code = _error_code(data)
            reason = f"Graph {what} answered {status}" + (f" ({code})" if code else "")
            raise GraphError(reason, status=status, retry_after=retry_after, code=code)


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    if resp.status == 204:
        return {}
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is not used by Graph: ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None


def _error_code(data: Mapping[str, Any]) -> str:
    error = data.get("error")
    code = error.get("code", "") if isinstance(error, dict) else ""
    return str(code)[:60]


def _list(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _windows(start: datetime, end: datetime) -> list[Span]:
    out: list[Span] = []
    lo = start
    while lo < end:
        hi = min(lo + SCHEDULE_WINDOW, end)
        out.append((lo, hi))
        lo = hi
    return out


def _graph_time(at: datetime) -> dict[str, str]:
    """A Graph dateTimeTimeZone in UTC."""
    return {"dateTime": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def parse_graph_time(value: object) -> datetime | None:
    """An aware UTC datetime from a Graph dateTimeTimeZone (7-digit fractions, zone names)."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        return None
    text = value["dateTime"]
    head, _, fraction = text.partition(".")
    try:
        at = datetime.fromisoformat(head)
    except ValueError:
        return None
    if fraction:
        digits = "".join(ch for ch in fraction if ch.isdigit())[:6].ljust(6, "0")
        at = at.replace(microsecond=int(digits))
    if at.tzinfo is None:
        at = at.replace(tzinfo=_zone(str(value.get("timeZone") or "UTC")))
    return at.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    if name.upper() in ("UTC", "Z", "GMT"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("graph: unknown time zone in a schedule; read as UTC")
        return ZoneInfo("UTC")


def _busy_span(entry: Mapping[str, Any]) -> Span | None:
    if str(entry.get("status", "")).lower() not in BUSY_STATUSES:
        return None
    start, end = parse_graph_time(entry.get("start")), parse_graph_time(entry.get("end"))
    if start is None or end is None or end <= start:
        return None
    return start, end
