"""A coach with two leaders, both with sessions due for a brief, with shared and private words.

Every text of a leader carries that leader's tag (ALPHA, BRAVO) and a word of their own, so a test
can tell whose words reached a brief or a model request. No session before these two: the brief
window starts at the engagement (whatever rule picks it after a previous session).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import handoffs
from bot.jobs import JobContext
from bot.llm import LLM
from bot.settings import Settings
from bot.ui import Message
from storage.db import Database
from storage.models import CheckIn, Engagement, OutboxMessage, Person, Reflection
from tests.bot.test_dispatcher import make_dispatcher
from tests.factories import T0, World, add_booking, add_goal, add_person, make_world
from tests.llm_stub import LlmStub

SESSION_A = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Sam's session (Thu)
SESSION_B = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # Kim's, same coach, two hours later
DUE_A = SESSION_A - timedelta(hours=24)  # the default brief offset
BOTH_DUE = SESSION_A - timedelta(hours=2)  # both briefs due at this one sweep
SHARED_AT = T0 - timedelta(hours=20)  # after both engagements started, before any sweep
TIMEOUT = 1.0  # OPENAI_TIMEOUT_SECONDS in these tests
MARGIN = 5.0  # a generous upper bound on top of the deadline (shared, noisy machines)

KIM_NAME, KIM_EMAIL = "Kim Orwell", "kim.orwell@example.com"


@dataclass(frozen=True)
class Leader:
    """One leader's world (for add_booking and friends), booking id and words by visibility."""

    world: World
    booking_id: int
    shared: tuple[str, ...]  # what the coach may see (and the model may read)
    private: tuple[str, ...]  # what neither may ever see
    identity: tuple[str, ...]  # full name, e-mail, a word only this leader uses


def words(tag: str, word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Shared and private texts of one leader, each tagged and holding the leader's own word."""
    shared = (
        f"{tag}-REFLECTION: the {word} meeting went better",
        f"{tag}-NOTE: my team took over the {word} report",
        f"{tag}-HANDOFF: talking to my boss about {word}",
        f"{tag}-AGENDA: conflict over the {word} budget",
    )
    private = (
        f"{tag}-PRIVATE-REFLECTION {word}",
        f"{tag}-PRIVATE-NOTE {word}",
        f"{tag}-PRIVATE-HANDOFF {word}",
        f"{tag}-OFFERED-HANDOFF {word}",
        f"{tag}-WITHDRAWN-AGENDA {word}",
        f"{tag}-SECRET-GOAL {word}",
        f"{tag}-SECRET-LEVEL {word}",
    )
    return shared, private


async def add_handoff(
    s: AsyncSession, w: World, text: str, status: str, booking_id: int | None = None
) -> None:
    """A handoff as the leader's choices leave it (withdrawn: first on the agenda, then off)."""
    written = SHARED_AT - timedelta(hours=1)
    item = await handoffs.create(db=s, leader=w.leader, coach_id=w.coach.id, text=text, now=written)
    if status == handoffs.WITHDRAWN:
        handoffs.set_status(item, handoffs.AGENDA, now=SHARED_AT, booking_id=booking_id)
    if status != handoffs.OFFERED:
        handoffs.set_status(item, status, now=SHARED_AT, booking_id=booking_id)


async def seed_leader(
    s: AsyncSession,
    w: World,
    session: datetime,
    *,
    tag: str,
    word: str,
    texts: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> Leader:
    """Give `w.leader` a session and, unless `texts` says otherwise, the tagged words."""
    shared, private = texts or words(tag, word)
    booking = add_booking(s, w, session, uid=f"{tag.lower()}@x")
    goal = add_goal(s, w, f"{tag} goal {word}", {"0": f"{tag} level {word}"})
    secret = add_goal(s, w, private[5], {"0": private[6]})
    await s.flush()
    reflection, note, handoff, agenda = shared
    s.add_all(
        [
            _reflection(w, reflection, shared=True),
            _reflection(w, private[0], shared=False),
            _checkin(w, goal.id, note, shared=True),
            _checkin(w, secret.id, private[1], shared=False),
        ]
    )
    await add_handoff(s, w, handoff, handoffs.SHARED)
    await add_handoff(s, w, private[2], handoffs.PRIVATE)
    await add_handoff(s, w, private[3], handoffs.OFFERED)
    await add_handoff(s, w, agenda, handoffs.AGENDA, booking.id)
    await add_handoff(s, w, private[4], handoffs.WITHDRAWN, booking.id)
    await s.flush()
    identity = (w.leader.name, w.leader.email, word)
    return Leader(world=w, booking_id=booking.id, shared=shared, private=private, identity=identity)


def _reflection(w: World, answer: str, *, shared: bool) -> Reflection:
    return Reflection(
        leader_id=w.leader.id,
        engagement_id=w.engagement.id,
        prompt_id="p1",
        answer=answer,
        shared_with_coach=shared,
        answered_at=SHARED_AT,
        created_at=SHARED_AT,
    )


def _checkin(w: World, goal_id: int, note: str, *, shared: bool) -> CheckIn:
    return CheckIn(
        goal_id=goal_id,
        leader_id=w.leader.id,
        period="2026-W48",
        level=0,
        confidence=4,
        note=note,
        shared_with_coach=shared,
        answered_at=SHARED_AT,
        created_at=SHARED_AT,
    )


async def second_leader(s: AsyncSession, w: World) -> World:
    """Kim, another leader of the same coach in the same programme (a world of their own)."""
    kim = await add_person(s, w, email=KIM_EMAIL, name=KIM_NAME, role="leader", timezone="UTC")
    engagement = Engagement(
        leader_id=kim.id,
        coach_id=w.coach.id,
        programme_id=w.programme.id,
        started_on=date(2026, 11, 2),
        created_at=T0,
    )
    s.add(engagement)
    await s.flush()
    return dataclasses.replace(w, leader=kim, engagement=engagement)


async def two_leaders(
    db: Database,
    sam_texts: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> tuple[Leader, Leader]:
    """Sam (session A) and Kim (session B), one coach; `sam_texts` replaces Sam's words."""
    async with db.transaction() as s:
        w = await make_world(s)
        sam = await seed_leader(s, w, SESSION_A, tag="ALPHA", word="marmalade", texts=sam_texts)
        kim = await seed_leader(
            s, await second_leader(s, w), SESSION_B, tag="BRAVO", word="zeppelin"
        )
        return sam, kim


def ctx_for(db: Database) -> JobContext:
    """A job context on `db` (the dispatcher is never run here)."""
    return JobContext(database=db, dispatcher=make_dispatcher(db))


async def briefs(db: Database) -> dict[int, tuple[OutboxMessage, Message]]:
    """The queued briefs by booking id (from their dedupe keys), with their messages."""
    async with db.reading() as s:
        rows = await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "brief"))
        found = list(rows.all())
    return {
        int(str(r.dedupe_key).split(":")[1]): (r, Message.from_payload(r.payload)) for r in found
    }


async def coach_of(db: Database, leader: Leader) -> Person:
    """The coach as stored."""
    async with db.reading() as s:
        coach = await s.get(Person, leader.world.coach.id)
    assert coach is not None
    return coach


@pytest.fixture
async def llm(llm_stub: LlmStub, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LLM]:
    """The real openai client on the local stub, with a short deadline; closed after the test."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_ORG_ID"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        _env_file=None,
        openai_base_url=llm_stub.base_url,
        openai_model="test-model",
        openai_timeout_seconds=TIMEOUT,
    )
    found = LLM.from_settings(settings)
    assert found is not None
    yield found
    await found.aclose()
