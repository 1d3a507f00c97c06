"""The playground's virtual clock: moves sweep the skipped time, say what happened, refuse junk."""

from __future__ import annotations

import itertools
from datetime import timedelta

from bot.outbox import enqueue
from bot.ui import Message
from storage.db import Database
from storage.models import Person
from tests.factories import T0
from tests.handlers.web_env import Env, build, outbox_rows, post, serve

NUDGE_AT = T0 + timedelta(hours=20)  # Wed 25 Nov 01:00 EST


async def _queue_nudge(env: Env) -> None:
    async with env.database.transaction() as s:
        leader = await s.get(Person, env.world.leader.id)
        assert leader is not None
        await enqueue(
            db=s,
            person=leader,
            message=Message(text="Time for your *weekly reflection*"),
            now=NUDGE_AT,
            kind="nudge",
            channel="web",
            bucket="web",
        )


async def test_a_day_forward_sweeps_the_working_hours_it_skips(env: Env) -> None:
    # T0 is Tue 05:00 in New York: before the leader's working hours, and so is T0 + 1 day.
    await _queue_nudge(env)
    who = env.world.leader.id
    status, body = await post(env, "/api/clock", {"advance": "1d", "person_id": who})
    assert status == 200, body
    assert body["now"] == (T0 + timedelta(days=1)).isoformat()
    assert body["shown"] == "Wed 25 Nov 2026, 05:00 EST"
    assert env.jobs.calls == [(T0, T0 + timedelta(days=1))]
    assert env.jobs.clock_during == [T0]  # the clock moves after the sweeps
    assert env.clock.now() == T0 + timedelta(days=1)
    # Welcomed at 09:00 EST, in the middle of the jump; leader's welcome, coach's, the nudge.
    assert body["summary"] == (
        "Ran the sweeps 96 times up to Wed 25 Nov 2026, 05:00 EST: 1 welcome, 3 messages delivered."
    )
    jobs = {job["job"]: job["summary"] for job in body["jobs"]}  # raw, for debugging
    assert jobs["welcome"] == "1 welcomed (96 runs)"
    assert jobs["outbox"].startswith("claimed 3, sent 3, retrying 0,")

    poll = await env.client.get(f"/api/transcript?person_id={who}")
    entries = (await poll.json())["entries"]
    # Each row carries the instant of the sweep that sent it, in the order they were sent
    # (the nudge was queued first but went out later).
    assert [(e["kind"], e["sent_at"]) for e in entries] == [
        ("welcome", "2026-11-24T14:00:00+00:00"),
        ("nudge", NUDGE_AT.isoformat()),
    ]
    assert "Tue 24 Nov 2026, 09:00 EST</time>" in entries[0]["html"]
    assert "<strong>weekly reflection</strong>" in entries[1]["html"]
    assert "Wed 25 Nov 2026, 01:00 EST</time>" in entries[1]["html"]
    coach = await env.client.get(f"/api/transcript?person_id={env.world.coach.id}")
    [welcome] = (await coach.json())["entries"]
    assert "Tue 24 Nov 2026, 15:00 CET</time>" in welcome["html"]


async def test_a_clock_move_shows_in_utc_without_a_person_and_nothing_due(env: Env) -> None:
    status, body = await post(env, "/api/clock", {"advance": 3600})
    assert status == 200, body
    assert body["shown"] == "Tue 24 Nov 2026, 11:00 UTC"
    assert body["summary"] == (
        "Ran the sweeps 4 times up to Tue 24 Nov 2026, 11:00 UTC: nothing was due."
    )
    status, body = await post(env, "/api/clock", {"advance": "0s"})
    assert status == 200 and body["summary"].startswith("Ran the sweeps at Tue 24 Nov")
    clock = await env.client.get(f"/api/clock?person_id={env.world.coach.id}")
    assert (await clock.json())["shown"] == "Tue 24 Nov 2026, 12:00 CET"


async def test_a_message_sent_after_newer_ones_still_reaches_the_page(env: Env) -> None:
    await _queue_nudge(env)  # due later than the reply below, but an older row
    who = env.world.leader.id
    status, body = await post(env, "/api/interact", {"person_id": who, "text": "help"})
    assert status == 200, body
    [reply] = body["entries"]
    [nudge] = [r for r in await outbox_rows(env.database) if r.kind == "nudge"]
    assert nudge.id < reply["id"]
    assert body["cursor"] == reply["id"] and body["waiting"] == [nudge.id]
    await post(env, "/api/clock", {"advance": "1d"})
    later = await env.client.get(
        f"/api/transcript?person_id={who}&after={body['cursor']}&waiting={nudge.id}"
    )
    page = await later.json()
    assert [e["kind"] for e in page["entries"]] == ["welcome", "nudge"]
    assert page["waiting"] == [] and page["more"] is False
    # Without the waiting list only rows newer than the cursor come back.
    newer = await env.client.get(f"/api/transcript?person_id={who}&after={body['cursor']}")
    assert [e["kind"] for e in (await newer.json())["entries"]] == ["welcome"]


async def test_a_day_is_swept_in_quarter_hours_while_real_time_runs(db: Database) -> None:
    ticks = itertools.count()
    app, clock, jobs = build(db, source=lambda: T0 + timedelta(milliseconds=next(ticks)))
    client = await serve(app)
    try:
        response = await client.post("/api/clock", json={"advance": "1d"})
        body = await response.json()
    finally:
        await client.close()
    assert response.status == 200, body
    [(start, end)] = jobs.calls
    assert end - start == timedelta(days=1)  # the move, not the milliseconds it took
    assert body["summary"].startswith("Ran the sweeps 96 times")
    assert clock.now() > end


BAD_MOVES: list[tuple[object, str]] = [
    ({"advance": -60}, "must not be negative"),
    ({"advance": "-1h"}, "must not be negative"),
    ({"advance": "1 fortnight"}, 'one of "1h", "1d", "1w"'),
    ({"advance": True}, "true and false are not durations"),
    ({"advance": float("nan")}, "NaN and infinity are not durations"),
    ({"advance": float("inf")}, "NaN and infinity are not durations"),
    ({"advance": None}, "advance is required"),
    ({}, "advance is required"),
    ({"advance": ["1h"]}, "a number of seconds or one of"),
    ({"advance": "1h", "speed": 2}, "unknown field(s): speed"),
    ({"advance": "1h", "person_id": 999_999}, "no leader or coach with id 999999"),
    ({"advance": 10**9}, "limited to 366 days"),
    ({"advance": 10**400}, "limited to 366 days"),
]


async def test_bad_clock_moves_are_refused_and_change_nothing(env: Env) -> None:
    for body, message in BAD_MOVES:
        status, answer = await post(env, "/api/clock", body)
        assert status == 400 and message in answer["error"], (body, answer)
    assert env.clock.now() == T0 and env.jobs.calls == []
