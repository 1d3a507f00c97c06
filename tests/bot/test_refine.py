"""The model's hint on a leader's typed words: asked only when it can help, merged the safe way."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.conversation import respond
from bot.interaction import Interaction
from bot.llm import LLM, LlmVerdict
from bot.llm_prompts import template
from bot.refine import CONFIDENT, LLM_RULE, asks_model, from_llm, llm_hint, merge
from bot.safety.classify import DEVELOPMENTAL, Verdict, classify
from bot.settings import Settings
from bot.ui import Message
from prompts import copy_for
from storage.db import Database
from storage.models import AuditEntry, Person
from tests.factories import T0, add_booking, make_world
from tests.llm_stub import LlmStub, Reply, llm_stub

__all__ = ["llm_stub"]  # the fixture, used by the tests below

TIMEOUT = 1.0
MARGIN = 8.0  # a generous upper bound (shared, noisy machines); the stub waits 20 s
LEADER, COACH = "leader@example.com", "coach@example.com"
MISSED = "Things at home got really bad again last night"
"""Words no risk rule matches (the model may still see risk in them)."""
LOGISTICS = "I need to cancel my session on Tuesday"
DEVELOPMENTAL_TEXT = "My team keeps missing deadlines and I don't know what to say"
COPY = copy_for("en")


def answer(
    kind: str,
    command: str | None = None,
    confidence: float = 1.0,
    *,
    category: str | None = None,
    delay: float = 0.0,
) -> Reply:
    """The stub's structured answer (after `delay` seconds)."""
    body = {"kind": kind, "command": command, "confidence": confidence, "category": category}
    return Reply.json(body, delay=delay)


@pytest.fixture
async def llm(llm_stub: LlmStub) -> AsyncIterator[LLM]:
    """The real client on the stub, a short deadline and a roomy daily cap."""
    settings = Settings(
        _env_file=None,
        openai_base_url=llm_stub.base_url,
        openai_model="test-model",
        openai_timeout_seconds=TIMEOUT,
        openai_daily_cap_per_person=100,
    )
    model = LLM.from_settings(settings)
    assert model is not None
    yield model
    await model.aclose()


async def person(db: Database, email: str = LEADER) -> Person:
    async with db.reading() as s:
        found = await s.scalar(select(Person).where(Person.email == email))
    assert found is not None
    return found


async def world(db: Database) -> None:
    """A leader with a coach and an upcoming session."""
    async with db.transaction() as s:
        add_booking(s, await make_world(s), T0 + timedelta(days=2))


async def turn(
    db: Database, text: str, *, llm: LLM | None = None, hint: Verdict | None = None
) -> list[Message]:
    """As an edge does it: the hint first (no transaction open), then the turn."""
    who = await person(db)
    if hint is None:
        hint = await llm_hint(database=db, llm=llm, who=who, text=text, now=T0)
    async with db.transaction() as s:
        interaction = Interaction(who=who, channel="web", kind="text", now=T0, text=text, hint=hint)
        return await respond(db=s, interaction=interaction)


def is_risk_reply(replies: list[Message]) -> bool:
    """The resources reply of bot/flows/safety.py, by its copy keys."""
    return (
        len(replies) == 2
        and replies[0].title == COPY("safety.title")
        and replies[0].text == COPY("safety.intro")
        and replies[1].text.startswith(COPY("safety.not_emergency"))
    )


def is_offer(replies: list[Message]) -> bool:
    """The handoff offer (keep it private or share it with the coach)."""
    return len(replies) == 1 and replies[0].key.startswith("handoff:")


def is_sessions(replies: list[Message]) -> bool:
    """The sessions flow's list."""
    return bool(replies) and replies[0].title == COPY("sessions.title")


# --- mapping and merging (no database) ---


@pytest.mark.parametrize(
    ("llm_answer", "verdict"),
    [
        (
            LlmVerdict(kind="risk", command=None, confidence=0.1, category="abuse"),
            Verdict(kind="risk", category="abuse", rule_id=LLM_RULE, source="llm"),
        ),
        (
            LlmVerdict(kind="risk", command="book", confidence=0.9, category="nonsense"),
            Verdict(kind="risk", category="crisis", rule_id=LLM_RULE, source="llm"),
        ),
        (
            LlmVerdict(kind="logistics", command="book", confidence=CONFIDENT),
            Verdict(kind="logistics", command="book", source="llm"),
        ),
        (
            LlmVerdict(kind="logistics", command="cancel", confidence=0.95),
            Verdict(kind="logistics", command="sessions", source="llm"),
        ),
        (
            LlmVerdict(kind="logistics", command="book", confidence=CONFIDENT - 0.01),
            Verdict(kind="developmental", source="llm"),
        ),
        (
            LlmVerdict(kind="logistics", command="dance", confidence=1.0),
            Verdict(kind="developmental", source="llm"),
        ),
        (
            LlmVerdict(kind="unsure", command=None, confidence=1.0),
            Verdict(kind="developmental", source="llm"),
        ),
        (
            LlmVerdict(kind="developmental", command="book", confidence=1.0),
            Verdict(kind="developmental", source="llm"),
        ),
    ],
    ids=[
        "risk",
        "risk-unknown-category",
        "logistics",
        "alias",
        "unsure-logistics",
        "no-command",
        "unsure",
        "developmental",
    ],
)
def test_the_models_answer_as_a_verdict(llm_answer: LlmVerdict, verdict: Verdict) -> None:
    assert from_llm(llm_answer) == verdict


RULES_RISK = Verdict(kind="risk", category="self_harm", rule_id="en.self_harm.x")
LLM_RISK = Verdict(kind="risk", category="crisis", rule_id=LLM_RULE, source="llm")
LLM_DEV = Verdict(kind="developmental", source="llm")
RULES_BOOK = Verdict(kind="logistics", command="book", rule_id="en.book.x")
LLM_BOOK = Verdict(kind="logistics", command="book", source="llm")
LLM_SESSIONS = Verdict(kind="logistics", command="sessions", source="llm")


@pytest.mark.parametrize(
    ("rules", "hint", "merged"),
    [
        (RULES_RISK, LLM_DEV, RULES_RISK),  # a risk rule is never overruled
        (RULES_RISK, LLM_BOOK, RULES_RISK),
        (RULES_RISK, None, RULES_RISK),
        (DEVELOPMENTAL, LLM_RISK, LLM_RISK),  # the model may add risk
        (RULES_BOOK, LLM_RISK, LLM_RISK),
        (RULES_BOOK, LLM_DEV, LLM_DEV),  # ... or say "not logistics" (the safe direction)
        (RULES_BOOK, LLM_SESSIONS, RULES_BOOK),  # rules first
        (DEVELOPMENTAL, LLM_BOOK, DEVELOPMENTAL),  # never developmental -> logistics
        (DEVELOPMENTAL, None, DEVELOPMENTAL),
        (RULES_BOOK, None, RULES_BOOK),
    ],
)
def test_merge_moves_only_the_safe_way(
    rules: Verdict, hint: Verdict | None, merged: Verdict
) -> None:
    assert merge(rules, hint) == merged


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("", False),
        ("   ", False),
        ("hi there", False),
        ("help", False),
        ("pause 2026-12-01", False),  # a command as typed
        ("I want to kill myself", False),  # the rules decide risk, with no network
        ("cancel my session, I want to die", False),
        (MISSED, True),
        (LOGISTICS, True),
        (DEVELOPMENTAL_TEXT, True),
        ("help me think through a hard choice about my team", True),
    ],
)
def test_the_model_is_asked_only_when_it_could_change_the_route(text: str, asked: bool) -> None:
    assert asks_model(text, locale="en") is asked


# --- through the router, the real client against the stub ---


async def test_no_model_is_asked_when_the_rules_say_risk(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    await world(db)
    llm_stub.default = answer("developmental")
    replies = await turn(db, "pause my reminders, I want to die", llm=llm)
    assert is_risk_reply(replies) and llm_stub.requests == []


async def test_a_models_developmental_cannot_stop_a_rules_risk(db: Database) -> None:
    await world(db)
    for hint in (LLM_DEV, LLM_BOOK):
        assert is_risk_reply(await turn(db, "I'm thinking about ending my life", hint=hint))


async def test_a_models_risk_on_words_the_rules_missed_gets_the_resources(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    await world(db)
    assert classify(MISSED, locale="en").kind == "developmental"
    llm_stub.script(answer("risk", category="abuse", confidence=0.4))
    replies = await turn(db, MISSED, llm=llm)
    assert is_risk_reply(replies) and len(llm_stub.requests) == 1
    async with db.reading() as s:
        [entry] = (await s.scalars(select(AuditEntry))).all()
    assert entry.action == "safety.risk"
    assert entry.detail["rule_id"] == LLM_RULE and entry.detail["category"] == "abuse"
    assert "home" not in str(entry.detail)  # the category and rule, never the words


async def test_rules_logistics_the_model_calls_developmental_gets_the_offer(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    await world(db)
    assert is_sessions(await turn(db, LOGISTICS))  # the rules alone: the sessions flow
    for reply in (answer("developmental"), answer("unsure"), answer("logistics", "sessions", 0.5)):
        llm_stub.script(reply)
        assert is_offer(await turn(db, LOGISTICS, llm=llm))
    llm_stub.script(answer("logistics", "sessions", 0.9))
    assert is_sessions(await turn(db, LOGISTICS, llm=llm))


async def test_a_confident_logistics_answer_never_answers_developmental_words(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    await world(db)
    llm_stub.default = answer("logistics", "book", 1.0)
    for text in (DEVELOPMENTAL_TEXT, "I think I need to book more time for deep work"):
        assert is_offer(await turn(db, text, llm=llm))
    assert len(llm_stub.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [Reply.error(429, retry_after=30), Reply.error(500), answer("risk", delay=20)],
    ids=["429", "500", "timeout"],
)
async def test_a_failing_model_leaves_the_rules_route_in_bounded_time(
    db: Database, llm: LLM, llm_stub: LlmStub, reply: Reply
) -> None:
    await world(db)
    llm_stub.default = reply
    for text, expected in ((LOGISTICS, is_sessions), (DEVELOPMENTAL_TEXT, is_offer)):
        started = time.monotonic()
        replies = await turn(db, text, llm=llm)
        assert time.monotonic() - started < TIMEOUT + MARGIN
        assert expected(replies)
    assert llm_stub.requests


async def test_an_edges_deadline_bounds_the_wait(db: Database, llm: LLM, llm_stub: LlmStub) -> None:
    await world(db)
    llm_stub.default = answer("risk", delay=20)
    who, started = await person(db), time.monotonic()
    hint = await llm_hint(database=db, llm=llm, who=who, text=MISSED, now=T0, deadline=0.2)
    assert hint is None and time.monotonic() - started < 0.2 + MARGIN


async def test_the_request_carries_this_message_only(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    await world(db)
    llm_stub.script(answer("developmental"))
    await turn(db, DEVELOPMENTAL_TEXT, llm=llm)
    [body] = llm_stub.requests
    assert body["model"] == "test-model" and body["store"] is False and "tools" not in body
    system, user = body["messages"]
    assert system == {"role": "system", "content": template("classify").system}
    assert user["content"].count(DEVELOPMENTAL_TEXT) == 1
    for absent in ("Sam", "Lee", LEADER, "Ana", COACH, "Acme"):
        assert absent not in user["content"]


async def test_no_model_for_coaches_or_without_one(
    db: Database, llm: LLM, llm_stub: LlmStub
) -> None:
    await world(db)
    coach = await person(db, COACH)
    assert await llm_hint(database=db, llm=llm, who=coach, text=MISSED, now=T0) is None
    leader = await person(db)
    assert await llm_hint(database=db, llm=None, who=leader, text=MISSED, now=T0) is None
    assert llm_stub.requests == []
