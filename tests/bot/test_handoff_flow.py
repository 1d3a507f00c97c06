"""The developmental handoff: offer, agenda, share now, keep private, withdraw, book."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

import bot.flows  # noqa: F401  (registers the booking flow the book button starts)
from bot import handoffs
from bot.conversation import respond
from bot.interaction import Interaction
from bot.ui import Message, literal
from prompts import _catalogue, copy_for
from storage.db import Database
from storage.models import Engagement, Handoff, OutboxMessage, Person
from tests.bot.test_booking_flow import COACH, DEC_1_0900_MADRID, LEADER, button, turn
from tests.factories import T0, add_booking, add_person, make_world

OTHER = "kim@example.com"
WORDS = "My team keeps missing deadlines and I think I am the bottleneck here"
ANA = "Ana Ruiz"


async def world(db: Database, *sessions: datetime) -> None:
    """Sam (New York) coached by Ana (Madrid), with these sessions, and Kim, another leader."""
    async with db.transaction() as s:
        w = await make_world(s)
        for n, at in enumerate(sessions):
            add_booking(s, w, at, uid=f"uid-{n}")
        kim = await add_person(
            s, w, email=OTHER, name="Kim Park", role="leader", timezone="Europe/London"
        )
        s.add(
            Engagement(
                leader_id=kim.id,
                coach_id=w.coach.id,
                programme_id=w.programme.id,
                started_on=w.engagement.started_on,
                created_at=T0,
            )
        )


async def say(db: Database, email: str, words: str = WORDS, now: datetime = T0) -> Message:
    """A person's words through the router (developmental: an offer); the offer as queued."""
    async with db.transaction() as s:
        who = await s.scalar(select(Person).where(Person.email == email))
        assert who is not None
        said = Interaction(who=who, channel="web", kind="text", now=now, text=words)
        await respond(db=s, interaction=said)
        handoff = await s.scalar(select(Handoff).order_by(Handoff.id.desc()).limit(1))
        assert handoff is not None
        row = await s.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == handoffs.offer_key(handoff.id))
        )
        assert row is not None and row.person_id == who.id
        return Message.from_payload(row.payload)


async def the_handoff(db: Database) -> Handoff:
    async with db.reading() as s:
        found = await s.scalar(select(Handoff).order_by(Handoff.id.desc()).limit(1))
        assert found is not None
        return found


async def to(db: Database, email: str) -> list[OutboxMessage]:
    async with db.reading() as s:
        who = await s.scalar(select(Person).where(Person.email == email))
        assert who is not None
        rows = await s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == who.id))
        return list(rows.all())


def labels(message: Message) -> list[str]:
    return [b.label for b in message.buttons]


AGENDA_DEC_1 = "Add to the agenda for Tue 1 Dec 2026, 03:00 EST with Ana Ruiz"


async def test_offer_with_a_session_soon_keeps_the_words_private(db: Database) -> None:
    await world(db, DEC_1_0900_MADRID)
    message = await say(db, LEADER)
    assert message.text.startswith("That sounds like a good thing to take to Ana Ruiz")
    assert labels(message) == [AGENDA_DEC_1, "Share it with Ana Ruiz now", "Keep it private"]
    handoff = await the_handoff(db)
    assert (handoff.status, handoff.kind, handoff.text) == ("offered", "private", WORDS)
    assert all(b.value.split(":")[0] == str(handoff.id) for b in message.buttons)
    async with db.reading() as s:
        stored = await s.scalar(text("SELECT text FROM handoffs"))
    assert "bottleneck" not in str(stored)  # encrypted at rest
    assert await to(db, COACH) == []


async def test_offer_without_a_session_offers_booking(db: Database) -> None:
    await world(db, T0 + timedelta(days=10))
    message = await say(db, LEADER)
    assert labels(message) == [
        "Add to the agenda for Fri 4 Dec 2026, 05:00 EST with Ana Ruiz",
        "Share it with Ana Ruiz now",
        "Book a session",
        "Keep it private",
    ]
    kims = await say(db, OTHER)  # Kim has no session at all
    assert labels(kims) == ["Share it with Ana Ruiz now", "Book a session", "Keep it private"]


async def test_a_leader_without_a_coach_is_told_it_is_saved_privately(db: Database) -> None:
    await world(db)
    async with db.transaction() as s:
        await s.execute(delete(Engagement))
    message = await say(db, LEADER)
    assert message.text == copy_for("en")("handoff.offer_no_coach")
    handoff = await the_handoff(db)
    assert (handoff.status, handoff.coach_id) == ("private", None)


async def test_agenda_puts_it_on_the_session_and_nothing_reaches_the_coach(db: Database) -> None:
    await world(db, DEC_1_0900_MADRID)
    offered = await say(db, LEADER)
    for _ in range(2):  # a second click is harmless
        [done] = await turn(db, LEADER, **button(offered, AGENDA_DEC_1))
        assert done.text.startswith("Added to the agenda for your session on Tue 1 Dec 2026")
        assert labels(done) == ["Withdraw it"]
    handoff = await the_handoff(db)
    assert done.replaces == handoffs.offer_key(handoff.id)
    assert (handoff.status, handoff.kind, handoff.shared_at) == ("agenda", "agenda", T0)
    async with db.reading() as s:
        assert handoff.booking_id is not None
        assert [h.id for h in await handoffs.agenda_items(s, handoff.booking_id)] == [handoff.id]
        assert await handoffs.shared_items(s, handoff.leader_id, T0 - timedelta(days=1)) == []
    assert await to(db, COACH) == []


async def test_share_now_sends_the_words_verbatim_once(db: Database) -> None:
    await world(db, DEC_1_0900_MADRID)
    offered = await say(db, LEADER, "First line *not bold*\n\n<@U123> second line")
    for _ in range(2):
        [done] = await turn(db, LEADER, **button(offered, "Share it with Ana Ruiz now"))
        assert (
            done.text == "Shared with Ana Ruiz. They'll see your words exactly as you wrote them."
        )
    [row] = await to(db, COACH)
    assert (row.kind, row.dedupe_key) == ("handoff", handoffs.coach_key((await the_handoff(db)).id))
    sent = Message.from_payload(row.payload)
    assert sent.text == (
        "Sam Lee shared this with you:\n\n"
        f"{literal('First line *not bold*')}\n\n{literal('<@U123> second line')}\n\n"
        "You can reply to Sam Lee directly in a DM, or raise it in your next session on "
        "Tue 1 Dec 2026, 09:00 CET."
    )
    handoff = await the_handoff(db)
    assert (handoff.status, handoff.delivered_at) == ("shared", T0)
    async with db.reading() as s:
        assert [h.id for h in await handoffs.shared_items(s, handoff.leader_id, T0)] == [handoff.id]
        assert await handoffs.shared_items(s, handoff.leader_id, T0 + timedelta(seconds=1)) == []
    [again] = await turn(db, LEADER, **button(offered, "Keep it private"))
    assert again.text.startswith("You've already shared that with Ana Ruiz")
    assert (await the_handoff(db)).status == "shared"


async def test_keep_private_sends_nothing_and_can_be_changed(db: Database) -> None:
    await world(db)
    offered = await say(db, LEADER)
    [done] = await turn(db, LEADER, **button(offered, "Keep it private"))
    assert done.text.startswith("Kept private")
    assert labels(done) == ["Share it with Ana Ruiz now", "Book a session"]
    assert (await the_handoff(db)).status == "private"
    assert await to(db, COACH) == []
    await turn(db, LEADER, **button(done, "Share it with Ana Ruiz now"))
    assert len(await to(db, COACH)) == 1


async def test_another_person_cannot_act_on_it(db: Database) -> None:
    await world(db, DEC_1_0900_MADRID)
    offered = await say(db, LEADER)
    for label in (AGENDA_DEC_1, "Share it with Ana Ruiz now", "Keep it private"):
        for who in (OTHER, COACH):
            [refused] = await turn(db, who, **button(offered, label))
            assert refused.text == "That note isn't yours, so nothing was changed."
            assert refused.replaces == ""
    handoff = await the_handoff(db)
    assert (handoff.status, handoff.booking_id) == ("offered", None)
    assert not any("bottleneck" in str(r.payload) for r in await to(db, COACH))


async def test_withdraw_until_the_brief_is_sent(db: Database) -> None:
    await world(db, DEC_1_0900_MADRID)
    offered = await say(db, LEADER)
    [added] = await turn(db, LEADER, **button(offered, AGENDA_DEC_1))
    [gone] = await turn(db, LEADER, **button(added, "Withdraw it"))
    assert gone.text.startswith("Withdrawn")
    handoff = await the_handoff(db)
    assert handoff.status == "withdrawn" and handoff.booking_id is not None
    async with db.reading() as s:
        assert await handoffs.agenda_items(s, handoff.booking_id) == []
    [added] = await turn(db, LEADER, **button(gone, AGENDA_DEC_1))
    async with db.transaction() as s:  # the brief went out
        row = await s.get(Handoff, handoff.id)
        assert row is not None and row.status == "agenda"
        row.delivered_at = T0 + timedelta(hours=1)
    [late] = await turn(db, LEADER, **button(added, "Withdraw it"))
    assert late.text.startswith("That item already went to Ana Ruiz with the brief")
    assert (await the_handoff(db)).status == "agenda"
    assert await to(db, COACH) == []


async def test_book_starts_the_booking_flow(db: Database) -> None:
    await world(db)
    offered = await say(db, LEADER)
    replies = await turn(db, LEADER, **button(offered, "Book a session"))
    assert replies == await turn(db, LEADER, text="book")
    assert (await the_handoff(db)).status == "offered"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z']+", text))


async def test_the_offer_has_only_catalogue_words(db: Database) -> None:
    await world(db, T0 + timedelta(days=10))
    message = await say(db, LEADER)
    allowed = set().union(*(_words(v) for v in _catalogue("en").values()))
    allowed |= _words(ANA) | _words("Fri 4 Dec 2026, 05:00 EST")
    shown = " ".join([message.text, *labels(message)])
    assert _words(shown) <= allowed, _words(shown) - allowed
    assert not _words(shown) & {"bottleneck", "deadlines", "missing"}


async def test_times_in_the_leaders_zone_across_the_dst_change(db: Database) -> None:
    # New York leaves summer time on Sun 1 Nov 2026; Madrid did on Sun 25 Oct.
    before, after = datetime(2026, 10, 30, 13, tzinfo=UTC), datetime(2026, 11, 3, 14, tzinfo=UTC)
    await world(db, before, after)
    now = datetime(2026, 10, 29, 12, tzinfo=UTC)
    first = await say(db, LEADER, now=now)
    assert labels(first)[0] == "Add to the agenda for Fri 30 Oct 2026, 09:00 EDT with Ana Ruiz"
    second = await say(db, LEADER, now=now + timedelta(days=2))
    assert labels(second)[0] == "Add to the agenda for Tue 3 Nov 2026, 09:00 EST with Ana Ruiz"
    await turn(db, LEADER, now=now, **button(first, "Share it with Ana Ruiz now"))
    [row] = await to(db, COACH)
    assert "Fri 30 Oct 2026, 14:00 CET." in Message.from_payload(row.payload).text


async def test_the_words_never_reach_the_logs(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await world(db, DEC_1_0900_MADRID)
    offered = await say(db, LEADER)
    await turn(db, LEADER, **button(offered, AGENDA_DEC_1))
    await turn(db, LEADER, **button(offered, "Share it with Ana Ruiz now"))
    assert len(await to(db, COACH)) == 1
    assert "bottleneck" not in caplog.text
