"""Pre-session briefs on both databases: only shared words, verbatim, once per booking version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import handoffs
from bot.brief_sweep import brief_sweep, brief_times
from bot.briefs import build_brief
from bot.jobs import JOBS, JobContext, run_due_through
from bot.llm import LLM
from bot.settings import Settings
from bot.ui import Message, literal, plain
from storage.db import Database
from storage.models import Booking, CheckIn, Handoff, OutboxMessage, Person, Reflection
from tests.bot.test_dispatcher import make_dispatcher
from tests.factories import T0, World, add_booking, add_goal, make_world
from tests.llm_stub import LlmStub, Reply, llm_stub

__all__ = ["llm_stub"]

SESSION = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Thu 16:00 in Madrid (the coach)
PREVIOUS = datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
LATE_FRIDAY_NY = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # Sat 21 Nov in Madrid
PRIVATE = ("PRIVATE-REFLECTION", "PRIVATE-NOTE", "PRIVATE-HANDOFF", "WITHDRAWN-ITEM", "SECRET")


def _reflection(w: World, answer: str, at: datetime, shared: bool) -> Reflection:
    return Reflection(
        leader_id=w.leader.id,
        engagement_id=w.engagement.id,
        prompt_id="p1",
        answer=answer,
        shared_with_coach=shared,
        answered_at=at,
        created_at=at,
    )


def _checkin(
    w: World, goal_id: int, period: str, level: int, at: datetime, *, shared: bool, note: str = ""
) -> CheckIn:
    return CheckIn(
        goal_id=goal_id,
        leader_id=w.leader.id,
        period=period,
        level=level,
        confidence=4,
        note=note or None,
        shared_with_coach=shared,
        answered_at=at,
        created_at=at,
    )


async def _handoff(
    s: AsyncSession, w: World, text: str, status: str, booking_id: int | None = None
) -> None:
    """A handoff as the leader's choices leave it (withdrawn: first on the agenda, then off)."""
    item = await handoffs.create(db=s, leader=w.leader, coach_id=w.coach.id, text=text, now=T0)
    earlier = T0 - timedelta(days=1)
    if status == handoffs.WITHDRAWN:
        handoffs.set_status(item, handoffs.AGENDA, now=earlier, booking_id=booking_id)
    handoffs.set_status(item, status, now=earlier, booking_id=booking_id)


async def _seed(db: Database) -> tuple[World, int]:
    """A leader with shared and private material, a past session and the next one."""
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, PREVIOUS, uid="prev@x")
        booking = add_booking(s, w, SESSION, uid="next@x")
        goal = add_goal(s, w, "Delegate *more*", {"-1": "I do it all", "0": "I delegate two tasks"})
        secret = add_goal(s, w, "SECRET goal", {"0": "SECRET level"})
        await s.flush()
        s.add_all(
            [
                _reflection(w, "Old shared words", PREVIOUS - timedelta(days=2), True),
                _reflection(w, "I said no to a meeting\nand it felt _good_", LATE_FRIDAY_NY, True),
                _reflection(w, "PRIVATE-REFLECTION", LATE_FRIDAY_NY, False),
                _checkin(w, goal.id, "2026-W46", -1, PREVIOUS - timedelta(days=3), shared=True),
                _checkin(w, goal.id, "2026-W48", 0, T0, shared=True, note="Team took over <b>"),
                _checkin(w, secret.id, "2026-W48", 1, T0, shared=False, note="PRIVATE-NOTE"),
            ]
        )
        await _handoff(s, w, "Shared now: my boss", handoffs.SHARED)
        await _handoff(s, w, "PRIVATE-HANDOFF", handoffs.PRIVATE)
        await _handoff(s, w, "Agenda: conflict with Jo", handoffs.AGENDA, booking.id)
        await _handoff(s, w, "WITHDRAWN-ITEM", handoffs.WITHDRAWN, booking.id)
        await s.flush()
        return w, booking.id


def ctx_for(db: Database) -> JobContext:
    """A job context on `db` (the dispatcher is never run here)."""
    return JobContext(database=db, dispatcher=make_dispatcher(db))


async def _briefs(db: Database) -> list[OutboxMessage]:
    async with db.reading() as s:
        rows = await s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "brief").order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def test_brief_has_shared_words_verbatim_dated_in_the_coach_zone(db: Database) -> None:
    w, booking_id = await _seed(db)
    async with db.reading() as s:
        booking = await s.get(Booking, booking_id)
        leader, coach = await s.get(Person, w.leader.id), await s.get(Person, w.coach.id)
        assert booking is not None and leader is not None and coach is not None
        brief = await build_brief(db=s, booking=booking, leader=leader, coach=coach, now=T0)
    assert brief.title == "Brief: Sam Lee — Thu 26 Nov 2026, 16:00 CET"
    text = brief.text
    assert f"Reflection, Sat 21 Nov 2026: {literal('I said no to a meeting')}" in text
    assert literal("and it felt _good_") in text
    assert f"Check-in note, Tue 24 Nov 2026: {literal('Team took over <b>')}" in text
    assert literal("Shared now: my boss") in text and literal("Agenda: conflict with Jo") in text
    assert f"{literal('Delegate *more*')}: level 0 — {literal('I delegate two tasks')}" in text
    assert "Trend: Mon 9 Nov: \u22121 \u2192 Mon 23 Nov: 0" in text
    assert "Confidence: 4/5" in text and "Sessions: 2 used, 4 left of 6." in text
    assert "Old shared words" not in text  # shared before the previous session
    assert "rescheduled" not in text and "Machine-written" not in text
    for secret in PRIVATE:
        assert secret not in plain(text) and secret not in brief.model_dump_json()


async def test_sweep_sends_the_coach_one_brief_and_delivers_the_agenda(db: Database) -> None:
    w, booking_id = await _seed(db)
    ctx = ctx_for(db)
    assert await brief_sweep(ctx, SESSION - timedelta(hours=24, minutes=1)) == "0 briefs"
    due = SESSION - timedelta(hours=24)
    assert await brief_sweep(ctx, due) == "1 briefs"
    assert await brief_sweep(ctx, due + timedelta(minutes=5)) == "0 briefs"
    [row] = await _briefs(db)
    assert row.person_id == w.coach.id and row.dedupe_key == f"brief:{booking_id}:0"
    assert row.created_at == due
    message = Message.from_payload(row.payload)
    for secret in PRIVATE:
        assert secret not in message.model_dump_json()
    async with db.reading() as s:
        items = {h.text: h.delivered_at for h in (await s.scalars(select(Handoff))).all()}
    assert items["Agenda: conflict with Jo"] == due
    assert items["WITHDRAWN-ITEM"] is None and items["PRIVATE-HANDOFF"] is None


async def test_a_rescheduled_session_gets_its_brief_at_the_new_time_once(db: Database) -> None:
    _, booking_id = await _seed(db)
    ctx = ctx_for(db)
    moved = SESSION + timedelta(days=2)
    async with db.transaction() as s:  # moved before its first brief was due
        booking = await s.get(Booking, booking_id)
        assert booking is not None
        booking.starts_at, booking.ends_at = moved, moved + timedelta(hours=1)
        booking.sequence = 1
    assert await brief_times(ctx, T0, moved) == [moved - timedelta(hours=24)]
    assert await brief_sweep(ctx, SESSION - timedelta(hours=1)) == "0 briefs"  # the old time
    await run_due_through(ctx, start=T0, end=moved, step=timedelta(hours=1))
    [row] = await _briefs(db)
    assert row.dedupe_key == f"brief:{booking_id}:1"
    assert row.created_at == moved - timedelta(hours=24)  # the exact instant, not a step
    assert "This session was rescheduled" in Message.from_payload(row.payload).text


async def test_a_session_moved_after_its_brief_gets_a_new_one(db: Database) -> None:
    _, booking_id = await _seed(db)
    ctx = ctx_for(db)
    assert await brief_sweep(ctx, SESSION - timedelta(hours=2)) == "1 briefs"
    async with db.transaction() as s:
        booking = await s.get(Booking, booking_id)
        assert booking is not None
        booking.starts_at += timedelta(hours=3)
        booking.ends_at += timedelta(hours=3)
        booking.sequence += 1
    assert await brief_sweep(ctx, SESSION - timedelta(hours=1)) == "1 briefs"
    assert await brief_sweep(ctx, SESSION) == "0 briefs"
    keys = [r.dedupe_key for r in await _briefs(db)]
    assert keys == [f"brief:{booking_id}:0", f"brief:{booking_id}:1"]


def test_briefs_job_is_registered_with_exact_instants() -> None:
    [job] = [j for j in JOBS if j.id == "briefs"]
    assert job.every == timedelta(minutes=5) and job.due is brief_times


@pytest.fixture
async def llm(llm_stub: LlmStub) -> AsyncIterator[LLM]:
    """An LLM on the local stub server."""
    settings = Settings(
        _env_file=None, openai_base_url=llm_stub.base_url, openai_model="test-model"
    )
    found = LLM.from_settings(settings)
    assert found is not None
    yield found
    await found.aclose()


async def test_synthesis_goes_above_the_verbatim_material(
    db: Database, llm_stub: LlmStub, llm: LLM
) -> None:
    await _seed(db)
    llm_stub.script(Reply.text("Sam is practising delegation."))
    assert await brief_sweep(ctx_for(db), SESSION - timedelta(hours=2), llm=llm) == "1 briefs"
    [body] = llm_stub.requests
    sent = str(body)
    assert "I said no to a meeting" in sent and "Agenda: conflict with Jo" in sent
    for secret in PRIVATE:
        assert secret not in sent
    text = Message.from_payload((await _briefs(db))[0].payload).text
    label = text.index("Machine-written summary")
    assert label < text.index("Sam is practising delegation.") < text.index("Shared with you:")


async def test_a_failing_model_does_not_stop_the_brief(
    db: Database, llm_stub: LlmStub, llm: LLM
) -> None:
    await _seed(db)
    llm_stub.script(Reply.error(500), Reply.error(500), Reply.error(500), Reply.error(500))
    assert await brief_sweep(ctx_for(db), SESSION - timedelta(hours=2), llm=llm) == "1 briefs"
    text = Message.from_payload((await _briefs(db))[0].payload).text
    assert "Machine-written" not in text and literal("Shared now: my boss") in text
