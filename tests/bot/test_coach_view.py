"""`privacy` shows a leader exactly what their coach's next brief holds; items can be withdrawn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import bot.flows  # noqa: F401  (registers every flow)
from bot.booking.model import Slot
from bot.booking.service import cancel, reschedule
from bot.brief_sweep import Due, brief_sweep, send_brief
from bot.briefs import build_brief
from bot.ui import Message, literal, plain
from storage.db import Database
from storage.models import (
    Booking,
    Engagement,
    Handoff,
    OutboxMessage,
    Person,
    Programme,
    Reflection,
)
from tests.bot.test_booking_flow import turn
from tests.bot.test_briefs import PRIVATE, SESSION, _briefs, _seed, ctx_for
from tests.factories import T0, World, add_booking

LEADER = "leader@example.com"
TUESDAY_10_MADRID = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # inside the coach's availability


async def privacy(db: Database, now: object = T0) -> Message:
    """The leader's `privacy` reply: its second message, what the coach sees."""
    kept, view = await turn(db, LEADER, text="privacy", now=now)  # type: ignore[arg-type]
    assert kept.title == "What Coach Companion keeps"
    return view


async def early_briefs(db: Database, w: World) -> datetime:
    """Briefs 48 h ahead (outside the 24 h late-move window); the session's brief instant."""
    async with db.transaction() as s:
        programme = await s.get(Programme, w.programme.id)
        assert programme is not None
        programme.brief_offset_minutes = 48 * 60
    return SESSION - timedelta(hours=48)


async def by_text(s: AsyncSession) -> dict[str, Reflection]:
    """Every reflection by its (decrypted) words."""
    return {r.answer: r for r in (await s.scalars(select(Reflection))).all()}


def withdraw_value(view: Message, words: str) -> str:
    """The Withdraw button's value for the numbered line holding these words."""
    for line in plain(view.text).splitlines():
        if words in line and line[:1].isdigit():
            n = line.split(".", 1)[0]
            [found] = [b for b in view.buttons if b.label == f"Withdraw {n}"]
            return found.value
    raise AssertionError(f"no pending line with {words!r}")


async def test_privacy_shows_exactly_the_brief_the_coach_would_get(db: Database) -> None:
    w, booking_id = await _seed(db)
    view = await privacy(db)
    async with db.reading() as s:
        booking, leader, coach = (
            await s.get(Booking, booking_id),
            await s.get(Person, w.leader.id),
            await s.get(Person, w.coach.id),
        )
        assert booking is not None and leader is not None and coach is not None
        brief = await build_brief(db=s, booking=booking, leader=leader, coach=coach, now=T0)
    assert view.title == "What Ana Ruiz sees"
    assert f"{brief.title}\n{brief.text}" in view.text
    assert "gets a brief at Wed 25 Nov 2026, 10:00 EST" in view.text  # 24 h before, leader's zone
    assert "machine-written" in view.text
    for secret in PRIVATE:
        assert secret not in plain(view.text)
    pending = plain(view.text).split("Not sent yet")[1]
    assert "I said no to a meeting and it felt _good_" in pending
    assert "Agenda item" in pending and "Agenda: conflict with Jo" in pending
    assert "Old shared words" not in pending  # before the previous session: not in this brief
    assert "Shared now: my boss" not in pending  # went to the coach at once
    assert {b.action_id for b in view.buttons} == {"privacy.withdraw"}


async def test_withdrawing_a_reflection_and_an_agenda_item_removes_them(db: Database) -> None:
    await _seed(db)
    view = await privacy(db)
    for words in ("I said no to a meeting", "Agenda: conflict with Jo", "Team took over"):
        value = withdraw_value(view, words)
        done, view = await turn(db, LEADER, action_id="privacy.withdraw", value=value)
        assert done.text.startswith("Withdrawn: your ")
        assert words not in plain(view.text)
    async with db.reading() as s:
        words = await by_text(s)
        assert not words["I said no to a meeting\nand it felt _good_"].shared_with_coach  # kept
        handoff = await s.scalar(select(Handoff).where(Handoff.text.is_not(None)).limit(1))
        assert handoff is not None
        statuses = {h.text: h.status for h in (await s.scalars(select(Handoff))).all()}
        assert statuses["Agenda: conflict with Jo"] == "withdrawn"
    await brief_sweep(ctx_for(db), SESSION - timedelta(hours=24))
    [row] = await _briefs(db)
    sent = plain(Message.from_payload(row.payload).text)
    for gone in ("I said no to a meeting", "Agenda: conflict with Jo", "Team took over"):
        assert gone not in sent
    assert "Shared now: my boss" in sent


async def test_after_the_brief_is_sent_nothing_of_it_can_be_withdrawn(db: Database) -> None:
    await _seed(db)
    before = await privacy(db)
    value = withdraw_value(before, "I said no to a meeting")
    due_at = SESSION - timedelta(hours=24)
    await brief_sweep(ctx_for(db), due_at)
    later = due_at + timedelta(hours=1)
    [done, after] = await turn(db, LEADER, action_id="privacy.withdraw", value=value, now=later)
    assert "already went to Ana Ruiz" in done.text
    assert "got the brief for your session on Thu 26 Nov 2026, 10:00 EST" in after.text
    assert "Nothing is waiting for the next brief" in after.text and not after.buttons
    async with db.reading() as s:
        assert (await by_text(s))["I said no to a meeting\nand it felt _good_"].shared_with_coach


async def test_someone_elses_item_or_a_forged_value_changes_nothing(db: Database) -> None:
    await _seed(db)
    async with db.reading() as s:
        private = await s.scalar(select(Reflection).where(Reflection.shared_with_coach.is_(False)))
        assert private is not None
    for value in (f"reflection:{private.id}", "reflection:999999", "nonsense", "agenda:x"):
        [done, _view] = await turn(db, LEADER, action_id="privacy.withdraw", value=value)
        assert "There is nothing to withdraw" in done.text
    async with db.reading() as s:
        assert await s.scalar(select(Reflection).where(Reflection.id == private.id)) is not None
    replies = await turn(db, "coach@example.com", action_id="privacy.withdraw", value="agenda:1")
    assert "Withdrawn" not in replies[0].text


async def test_moving_a_session_cancels_its_unsent_brief_and_reopens_the_agenda(
    db: Database,
) -> None:
    w, booking_id = await _seed(db)
    due_at = await early_briefs(db, w)
    async with db.transaction() as s:  # queued, not yet delivered by the dispatcher
        assert await send_brief(db=s, due=Due(booking_id, 0), now=due_at)
    async with db.transaction() as s:
        booking = await s.get(Booking, booking_id)
        leader = await s.get(Person, w.leader.id)
        assert booking is not None and leader is not None
        moved = Slot(TUESDAY_10_MADRID, TUESDAY_10_MADRID + timedelta(hours=1))
        await reschedule(
            db=s, booking=booking, by=leader, slot=moved, now=due_at + timedelta(minutes=1)
        )
    assert await _briefs(db) == []  # the old version's brief never goes out
    async with db.reading() as s:
        booking = await s.get(Booking, booking_id)
        agenda = await s.scalar(select(Handoff).where(Handoff.status == "agenda"))
        assert booking is not None and booking.brief_sent_at is None
        assert agenda is not None and agenda.delivered_at is None  # can be withdrawn again
    view = await privacy(db, now=due_at + timedelta(minutes=2))
    assert withdraw_value(view, "Agenda: conflict with Jo")


async def test_cancelling_a_session_cancels_its_unsent_brief(db: Database) -> None:
    w, booking_id = await _seed(db)
    due_at = SESSION - timedelta(hours=24)
    async with db.transaction() as s:
        assert await send_brief(db=s, due=Due(booking_id, 0), now=due_at)
    assert len(await _briefs(db)) == 1
    async with db.transaction() as s:
        booking = await s.get(Booking, booking_id)
        coach = await s.get(Person, w.coach.id)
        assert booking is not None and coach is not None
        await cancel(db=s, booking=booking, by=coach, now=due_at + timedelta(minutes=1))
    assert await _briefs(db) == []  # (SQLite may reuse its row id for the cancellation notice)


async def test_a_sent_brief_is_not_taken_back_by_a_move(db: Database) -> None:
    w, booking_id = await _seed(db)
    due_at = await early_briefs(db, w)
    async with db.transaction() as s:
        assert await send_brief(db=s, due=Due(booking_id, 0), now=due_at)
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "brief"))
        assert row is not None
        row.status = "sent"
    async with db.transaction() as s:
        booking = await s.get(Booking, booking_id)
        leader = await s.get(Person, w.leader.id)
        assert booking is not None and leader is not None
        moved = Slot(TUESDAY_10_MADRID, TUESDAY_10_MADRID + timedelta(hours=1))
        await reschedule(
            db=s, booking=booking, by=leader, slot=moved, now=due_at + timedelta(minutes=1)
        )
    [kept] = await _briefs(db)
    assert kept.status == "sent"


async def test_a_leader_without_a_coach_or_session_is_told_plainly(db: Database) -> None:
    w, _ = await _seed(db)
    async with db.transaction() as s:
        for booking in (await s.scalars(select(Booking))).all():
            booking.status = "cancelled"
    view = await privacy(db)
    assert "no session booked with Ana Ruiz" in view.text
    assert "Agenda item" in plain(view.text)  # waits for the next session with Ana
    async with db.transaction() as s:
        booking = add_booking(s, w, SESSION + timedelta(days=7), uid="later@x")
        await s.flush()
        later = booking.id
    await brief_sweep(ctx_for(db), SESSION + timedelta(days=6))
    [row] = await _briefs(db)
    assert row.dedupe_key == f"brief:{later}:0"
    assert literal("Agenda: conflict with Jo") in Message.from_payload(row.payload).text
    async with db.transaction() as s:
        engagement = await s.scalar(select(Engagement))
        assert engagement is not None
        engagement.status = "completed"
    view = await privacy(db)
    assert view.text == "You have no coach yet, so nobody sees anything you write here."


async def test_an_agenda_item_added_after_the_brief_goes_to_the_coach_at_once(db: Database) -> None:
    w, _ = await _seed(db)
    due_at = SESSION - timedelta(hours=24)
    await brief_sweep(ctx_for(db), due_at)
    later = due_at + timedelta(hours=2)
    words = "My deputy and I disagree on the reorg and I avoid the topic"
    [offer] = await turn(db, LEADER, text=words, now=later)
    [agenda] = [b for b in offer.buttons if b.action_id == "handoff.agenda"]
    [done] = await turn(db, LEADER, action_id=agenda.action_id, value=agenda.value, now=later)
    assert "already had the brief for it, so this went to Ana Ruiz now" in done.text
    async with db.reading() as s:
        rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "handoff"))).all()
        [to_coach] = [r for r in rows if r.person_id == w.coach.id]
        handoff = await s.scalar(select(Handoff).order_by(Handoff.id.desc()).limit(1))
    text = Message.from_payload(to_coach.payload).text
    assert "after the brief went out" in text and literal(words) in text
    assert handoff is not None and handoff.delivered_at == later
    view = await privacy(db, now=later)
    assert words not in plain(view.text)  # nothing pending: it went


async def test_an_undelivered_agenda_item_of_a_past_session_carries_over(db: Database) -> None:
    w, booking_id = await _seed(db)
    async with db.transaction() as s:  # the session happened without its brief (e.g. an outage)
        booking = await s.get(Booking, booking_id)
        assert booking is not None
        booking.status = "held"
        following = add_booking(s, w, SESSION + timedelta(days=14), uid="following@x")
        await s.flush()
        following_id = following.id
    await brief_sweep(ctx_for(db), SESSION + timedelta(days=13))
    [row] = await _briefs(db)
    assert row.dedupe_key == f"brief:{following_id}:0"
    assert literal("Agenda: conflict with Jo") in Message.from_payload(row.payload).text
