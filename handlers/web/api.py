"""The playground's page and JSON API (local mode only: no authentication, never real data)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from aiohttp import web

from bot.conversation import respond
from bot.interaction import Interaction
from bot.refine import llm_hint
from bot.safety.classify import Verdict
from bot.timefmt import show
from handlers.web import parse
from handlers.web.deps import NO_STORE, STATIC_DIR, WebDeps
from handlers.web.errors import NOT_ANSWERING, json_error
from handlers.web.identity import playground_person, roster
from handlers.web.parse import BadRequest
from handlers.web.sweeps import sweep_line
from handlers.web.transcript import delivered, last_id
from prompts import copy_for

log = logging.getLogger(__name__)
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
        # One clock move at a time, and no interaction in the middle of one: every message is
        # then made and sent in the order of the virtual time it carries.
        self._moving = asyncio.Lock()

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
        hint = await self._hint(req) if req.kind == "text" else None
        async with self._moving, self.deps.database.transaction() as s:
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
                hint=hint,
            )
            await respond(db=s, interaction=interaction)
        await self._wake()
        async with self.deps.database.reading() as s:
            page = await delivered(db=s, person=person, after=after, waiting=req.waiting)
        clock = clock_json(self.deps.clock.now(), person.timezone)
        return _json({**page.to_json(), "clock": clock})

    async def _hint(self, req: parse.InteractRequest) -> Verdict | None:
        """The model's view of typed text, asked before the write transaction (no lock held)."""
        if self.deps.llm is None:
            return None
        async with self.deps.database.reading() as s:
            person = await playground_person(db=s, person_id=req.person_id)
        if person is None:
            return None  # refused in the transaction
        return await llm_hint(
            database=self.deps.database,
            llm=self.deps.llm,
            who=person,
            text=req.text,
            now=self.deps.clock.now(),
        )

    async def transcript(self, request: web.Request) -> web.StreamResponse:
        """A person's web messages sent after `after`, and any of `waiting` now sent, as HTML."""
        person_id = parse.query_int(request.query, "person_id")
        after = parse.query_int(request.query, "after", default=0)
        waiting = parse.query_ids(request.query, "waiting")
        async with self.deps.database.reading() as s:
            person = await playground_person(db=s, person_id=person_id)
            if person is None:
                raise BadRequest(f"no leader or coach with id {person_id}")
            page = await delivered(db=s, person=person, after=after, waiting=waiting)
        clock = clock_json(self.deps.clock.now(), person.timezone)
        return _json({**page.to_json(), "clock": clock})

    async def clock(self, request: web.Request) -> web.StreamResponse:
        """The virtual time, shown in the chosen person's zone (UTC when none is given)."""
        zone = await self._zone(parse.query_int(request.query, "person_id", default=0))
        return _json(clock_json(self.deps.clock.now(), zone))

    async def advance(self, request: web.Request) -> web.StreamResponse:
        """Move the virtual clock forward, run the sweeps through the skipped time, deliver."""
        req = parse.advance(await _body(request))
        zone = await self._zone(req.person_id)
        async with self._moving:
            if not await self.deps.database.ping():
                return json_error(503, NOT_ANSWERING)  # the clock stays: no sweep is skipped
            start = self.deps.clock.now()
            end = start + req.delta  # the move itself, not the real time it takes to make
            # The clock moves once the sweeps are done: meanwhile the scheduler's own ticks run
            # at the old time and cannot deliver a row early, stamped with the new time.
            jobs = await self.deps.run_due(start, end)
            self.deps.clock.advance(req.delta)
            await self._wake()
        return _json(
            {
                **clock_json(end, zone),
                "summary": sweep_line(jobs, until=end, zone=zone, copy=copy_for(None)),
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
