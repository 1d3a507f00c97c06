"""The risk reply: resources at once, the notice by policy, nothing of the text kept."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

import bot.flows.safety  # noqa: F401  (registers safety.notify and safety.decline)
from bot.flows.safety import DECLINE, NOTIFY, risk_reply
from bot.interaction import Interaction
from bot.routes import Turn
from bot.safety.classify import classify
from bot.safety.resources import resources_for
from bot.ui import Message
from prompts import copy_for
from storage.db import Database
from storage.models import AuditEntry, Organisation, OutboxMessage, Person
from tests.bot.test_booking_flow import button, turn
from tests.factories import T0, add_person, make_world

WORDS = "I want to kill myself tonight, zebra-quartz"
SUPPORT = [
    {"name": "Acme EAP", "kind": "eap", "contact": "0800 000", "hours": "24/7"},
    {"name": "Emergency services", "kind": "emergency", "contact": "911", "countries": ["US"]},
    {"name": "Lifeline", "kind": "helpline", "contact": "988", "countries": ["US"]},
    {"name": "Urgences", "kind": "emergency", "contact": "112", "countries": ["FR"]},
    {"name": "Ligne FR", "kind": "helpline", "contact": "3114", "locales": ["fr"]},
]
GUARD = "guard@example.com"


async def setup(db: Database, policy: str = "never", *, contact: str = GUARD) -> None:
    """The factory world; the leader in the US; a safeguarding coach; the org's support."""
    async with db.transaction() as s:
        w = await make_world(s)
        w.leader.country = "US"
        await add_person(s, w, email=GUARD, name="Ruth Mensah", role="coach", timezone="UTC")
        w.org.support_resources = SUPPORT
        w.org.safeguarding_policy = policy
        w.org.safeguarding_email = contact if policy != "never" else None


async def risk(db: Database, email: str = "leader@example.com") -> list[Message]:
    """The risk reply to WORDS, as risk_reply is called by the router."""
    async with db.transaction() as s:
        who = await s.scalar(select(Person).where(Person.email == email))
        assert who is not None
        verdict = classify(WORDS, locale="en")
        assert verdict.kind == "risk"
        interaction = Interaction(who=who, channel="web", kind="text", now=T0, text=WORDS)
        return await risk_reply(Turn(db=s, interaction=interaction, copy=copy_for("en")), verdict)


async def rows(db: Database, model: type[Any]) -> list[Any]:
    async with db.reading() as s:
        return list((await s.scalars(select(model).order_by(model.id))).all())


async def notices(db: Database) -> list[tuple[int, dict[str, Any]]]:
    return [(r.person_id, r.payload) for r in await rows(db, OutboxMessage) if r.kind == "safety"]


async def person_id(db: Database, email: str) -> int:
    async with db.reading() as s:
        found = await s.scalar(select(Person.id).where(Person.email == email))
        assert found is not None
        return found


async def test_never_gives_resources_and_the_statement_and_tells_nobody(db: Database) -> None:
    await setup(db, "never")
    help_, after = await risk(db)
    assert [f.label for f in help_.facts] == ["Emergency services", "Lifeline", "Acme EAP"]
    assert "not an emergency service" in after.text and not after.buttons
    assert await notices(db) == []
    [entry] = await rows(db, AuditEntry)
    assert entry.action == "safety.risk" and entry.actor != "" and "@" not in entry.actor
    assert entry.detail == {
        "category": "self_harm",
        "rule_id": entry.detail["rule_id"],
        "policy": "never",
        "notified": False,
    }


async def test_an_org_without_support_still_gets_the_generic_line(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    help_, after = await risk(db)
    assert [f.value for f in help_.facts] == [
        "If you are in danger now, call your local emergency number."
    ]
    assert not after.buttons


async def test_ask_offers_a_choice_and_notify_tells_the_contact_once(db: Database) -> None:
    await setup(db, "ask")
    _, after = await risk(db)
    assert "Ruth Mensah" in after.text and "will not see what you wrote" in after.text
    assert [b.action_id for b in after.buttons] == [NOTIFY, DECLINE]
    assert await notices(db) == []
    [done] = await turn(db, "leader@example.com", **button(after, "Yes, tell Ruth Mensah"))
    assert "Ruth Mensah has been told" in done.text
    [(to, payload)] = await notices(db)
    assert to == await person_id(db, GUARD)
    facts = {f["label"]: f["value"] for f in payload["facts"]}
    assert facts["Leader"] == "Sam Lee" and facts["Signal"] == "possible self-harm"
    assert facts["Email"] == "leader@example.com" and facts["When"].startswith("Tue 24 Nov 2026")
    [again] = await turn(db, "leader@example.com", **button(after, "Yes, tell Ruth Mensah"))
    assert "already been told" in again.text
    assert len(await notices(db)) == 1
    actions = [(e.action, e.detail["notified"]) for e in await rows(db, AuditEntry)]
    assert actions == [("safety.risk", False), ("safety.notify", True)]


async def test_ask_then_no_thanks_tells_nobody(db: Database) -> None:
    await setup(db, "ask")
    _, after = await risk(db)
    [done] = await turn(db, "leader@example.com", **button(after, "No, thanks"))
    assert "no one has been told" in done.text
    assert await notices(db) == []
    assert [e.action for e in await rows(db, AuditEntry)] == ["safety.risk", "safety.decline"]


async def test_always_queues_the_notice_and_says_so(db: Database) -> None:
    await setup(db, "always")
    _, after = await risk(db)
    assert "have been told" in after.text and not after.buttons
    [(to, _)] = await notices(db)
    assert to == await person_id(db, GUARD)
    [entry] = await rows(db, AuditEntry)
    assert entry.detail["policy"] == "always" and entry.detail["notified"] is True


async def test_another_leader_cannot_answer_someone_elses_event(db: Database) -> None:
    await setup(db, "ask")
    async with db.transaction() as s:
        w = await make_world_org(s)
        await add_person(s, w, email="other@example.com", name="Kim", role="leader", timezone="UTC")
    _, after = await risk(db)
    [reply] = await turn(db, "other@example.com", **button(after, "Yes, tell Ruth Mensah"))
    assert "no longer available" in reply.text
    assert await notices(db) == []


async def make_world_org(s: Any) -> Any:
    """A stand-in World holding only the existing organisation (for add_person)."""
    org = await s.scalar(select(Organisation))

    class _W:
        pass

    w = _W()
    w.org = org  # type: ignore[attr-defined]
    return w


async def test_the_contact_may_be_the_leaders_coach_but_never_a_leader(db: Database) -> None:
    await setup(db, "always", contact="coach@example.com")
    await risk(db)
    [(to, _)] = await notices(db)
    assert to == await person_id(db, "coach@example.com")  # the configured contact, by name
    async with db.transaction() as s:
        org = await s.scalar(select(Organisation))
        assert org is not None
        org.safeguarding_email = "leader@example.com"  # the leader themself: never told
    _, after = await risk(db)
    assert not after.buttons and len(await notices(db)) == 1


async def test_no_word_of_the_message_is_stored_queued_or_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await setup(db, "ask")
    _, after = await risk(db)
    await turn(db, "leader@example.com", **button(after, "Yes, tell Ruth Mensah"))
    stored = json.dumps(
        [[e.actor, e.action, e.subject_id, e.detail] for e in await rows(db, AuditEntry)]
        + [r.payload for r in await rows(db, OutboxMessage)]
    )
    for word in (WORDS, "tonight", "zebra-quartz"):  # the rule id names the rule, not the text
        assert word not in stored and word not in caplog.text


def test_resources_country_first_then_language_then_general() -> None:
    org = Organisation(slug="x", name="X", support_resources=SUPPORT)
    names = [r.name for r in resources_for(org, "fr-FR", "FR")]
    assert names == ["Urgences", "Ligne FR", "Acme EAP"]
    assert [r.name for r in resources_for(org, "en-GB", "GB")] == [
        "Acme EAP",
        "Emergency services",  # no emergency number for GB configured: the generic line
    ]
    assert [r.name for r in resources_for(org, "fr", None)][:2] == ["Ligne FR", "Acme EAP"]
    assert [r.contact for r in resources_for(None, "en", None)] == [
        "If you are in danger now, call your local emergency number."
    ]
