"""The playground's page and JSON API (local mode only: no authentication, never real data)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.conversation import respond
from bot.interaction import Interaction
from bot.timefmt import show
from handlers.web import parse
from handlers.web.deps import NO_STORE, STATIC_DIR, WebDeps
from handlers.web.identity import playground_person, roster
from handlers.web.parse import BadRequest
from handlers.web.transcript import delivered, last_id

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _json(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=NO_STORE)


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status=status)


def refusing(handler: Handler) -> Handler:
    """Turn a BadRequest raised by `handler` into a 400 with a JSON error."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return _error(400, str(exc))

    return wrapped


async def _body(request: web.Request) -> object:
    if request.content_type != "application/json":
        raise BadRequest("send JSON with Content-Type: application/json")
    try:
        return json.loads(await request.text())
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None


def clock_json(now: datetime, zone: str) -> dict[str, str]:
    """The virtual time as ISO UTC and as shown in `zone`."""
    return {"now": now.isoformat(), "shown": show(now, zone), "zone": zone}


class Playground:
    """Request handlers of the playground, bound to the app's dependencies."""

    def __init__(self, deps: WebDeps) -> None:
        self.deps = deps

    async def page(self, _request: web.Request) -> web.StreamResponse:
        """The playground page."""
        return web.FileResponse(STATIC_DIR / "playground.html", headers=PAGE_HEADERS)

    async def people(self, _request: web.Request) -> web.Response:
        """Leaders and coaches to talk as: id, name, role, time zone, programme."""
        async with self.deps.database.reading() as s:
            entries = await roster(db=s)
        return _json({"people": [e.to_json() for e in entries]})

    async def interact(self, request: web.Request) -> web.StreamResponse:
        """Run one interaction as the chosen person; return their new transcript entries."""
        req = parse.interact(await _body(request))
        async with self.deps.database.transaction() as s:
            person = await playground_person(db=s, person_id=req.person_id)
            if person is None:
                raise BadRequest(f"no leader or coach with id {req.person_id}")
            after = req.after if req.after is not None else await last_id(db=s, person=person)
            interaction = Interaction(
                who=person,
                channel="web",
                kind=req.kind,
                now=self.deps.clock.now(),
                text=req.text,
                action_id=req.action_id,
                value=req.value,
                form_id=req.form_id,
                form=dict(req.values),
            )
            await respond(db=s, interaction=interaction)
        await self._wake()
        async with self.deps.database.reading() as s:
            entries = await delivered(db=s, person=person, after=after)
        return _json(
            {"entries": entries, "clock": clock_json(self.deps.clock.now(), person.timezone)}
        )

    async def transcript(self, request: web.Request) -> web.StreamResponse:
        """Delivered web messages of one person after a given id, oldest first, as HTML."""
        person_id = parse.query_int(request.query, "person_id")
        after = parse.query_int(request.query, "after", default=0)
        async with self.deps.database.reading() as s:
            person = await playground_person(db=s, person_id=person_id)
            if person is None:
                raise BadRequest(f"no leader or coach with id {person_id}")
            entries = await delivered(db=s, person=person, after=after)
        return _json(
            {"entries": entries, "clock": clock_json(self.deps.clock.now(), person.timezone)}
        )

    async def clock(self, request: web.Request) -> web.StreamResponse:
        """The virtual time, shown in the chosen person's zone (UTC when none is given)."""
        zone = await self._zone(parse.query_int(request.query, "person_id", default=0))
        return _json(clock_json(self.deps.clock.now(), zone))

    async def advance(self, request: web.Request) -> web.StreamResponse:
        """Move the virtual clock forward, run every sweep once at the new time, then deliver."""
        req = parse.advance(await _body(request))
        zone = await self._zone(req.person_id)
        now = self.deps.clock.advance(req.delta)
        jobs = await self.deps.run_due(now)
        await self._wake()
        return _json(
            {
                **clock_json(now, zone),
                "jobs": [{"job": name, "summary": summary} for name, summary in jobs],
            }
        )

    async def _zone(self, person_id: int) -> str:
        if not person_id:
            return "UTC"
        async with self.deps.database.reading() as s:
            person = await playground_person(db=s, person_id=person_id)
        if person is None:
            raise BadRequest(f"no leader or coach with id {person_id}")
        return person.timezone

    async def _wake(self) -> None:
        try:
            await self.deps.dispatcher.wake()
        except Exception as exc:  # the rows are committed; the periodic sweep delivers them
            log.warning("dispatcher wake failed after a playground commit: %s", type(exc).__name__)
