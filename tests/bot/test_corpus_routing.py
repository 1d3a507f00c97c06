"""Every corpus message through the router, with no model and with a model that lies.

A leader with a coach and an upcoming session says each message of tests/data/
free_text_corpus.toml, in a transaction rolled back afterwards (one world per test). Risk must
always get the resources; developmental words never get a flow's answer (the handoff offer, or
the menu for a word or two); logistics reach the flow their command word alone reaches.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.conversation import handle
from bot.flows.basics import DEVELOPMENTAL_MIN_WORDS
from bot.interaction import Interaction
from bot.llm import LLM
from bot.llm_prompts import verdict_from_text
from bot.refine import from_llm, llm_hint
from bot.safety.classify import Verdict
from bot.settings import Settings
from bot.ui import Message
from storage.db import Database
from storage.models import Person
from tests.bot.safety.test_classify import CASES, Case
from tests.bot.test_refine import COPY, answer, is_offer, is_risk_reply
from tests.factories import T0, add_booking, make_world
from tests.llm_stub import LlmStub, Reply, llm_stub

__all__ = ["llm_stub"]  # the fixture, used by the tests below

Signature = tuple[tuple[str, tuple[str, ...], str, bool], ...]
ADVERSARIAL_ON_RISK = (answer("developmental"), answer("logistics", "book"))


class _Undo(Exception):
    """Carries the replies out of a transaction that is then rolled back."""

    def __init__(self, replies: list[Message]) -> None:
        super().__init__("undo")
        self.replies = replies


async def leader(db: Database) -> Person:
    """A leader with a coach and an upcoming session (kept for the whole test)."""
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, T0 + timedelta(days=2))
    return w.leader


async def say(db: Database, who: Person, text: str, hint: Verdict | None = None) -> list[Message]:
    """One typed message through bot.conversation.handle; nothing it wrote is kept."""
    try:
        async with db.transaction() as s:
            me = await s.get(Person, who.id)
            assert me is not None
            interaction = Interaction(
                who=me, channel="web", kind="text", now=T0, text=text, hint=hint
            )
            raise _Undo(await handle(db=s, interaction=interaction))
    except _Undo as undo:
        return undo.replies


def signature(replies: list[Message]) -> Signature:
    """What a flow's answer looks like: titles, button actions, forms, choices (not the words)."""
    return tuple(
        (
            m.title,
            tuple(b.action_id for b in m.buttons),
            m.form.form_id if m.form else "",
            m.choices is not None,
        )
        for m in replies
    )


def is_menu(replies: list[Message]) -> bool:
    """The "didn't recognise" reply with the menu."""
    return len(replies) == 1 and COPY("unknown.hint") in replies[0].text


def problem(case: Case, replies: list[Message], flows: dict[str, Signature]) -> str | None:
    """Why the replies are wrong for this case, or None."""
    if case.kind == "risk":
        return None if is_risk_reply(replies) else "risk without the resources"
    if is_risk_reply(replies):
        return "resources for a message that is not risk"
    if case.kind == "developmental":
        short = len(case.text.split()) < DEVELOPMENTAL_MIN_WORDS
        return None if is_offer(replies) or (short and is_menu(replies)) else "answered"
    if is_offer(replies) or is_menu(replies) or signature(replies) != flows[case.label]:
        return f"not the {case.label} flow"
    return None


async def bare_flows(db: Database, who: Person) -> dict[str, Signature]:
    """What each command word alone answers, in the same world."""
    commands = sorted({c.label for c in CASES if c.kind == "logistics"})
    return {word: signature(await say(db, who, word)) for word in commands}


def report(name: str, started: float, wrong: list[str]) -> None:
    print(f"\n{name}: {len(CASES)} messages in {time.monotonic() - started:.1f}s")
    assert not wrong, "\n".join(wrong)


async def test_the_corpus_without_a_model(db: Database) -> None:
    started, who = time.monotonic(), await leader(db)
    flows = await bare_flows(db, who)
    wrong = [
        f"{why}: {case.text!r}"
        for case in CASES
        if (why := problem(case, await say(db, who, case.text), flows)) is not None
    ]
    report("no model", started, wrong)


@pytest.fixture
async def lying_llm(llm_stub: LlmStub) -> AsyncIterator[LLM]:
    """The real client on the stub (roomy cap: one call per non-risk corpus message)."""
    settings = Settings(
        _env_file=None,
        openai_base_url=llm_stub.base_url,
        openai_timeout_seconds=2.0,
        openai_daily_cap_per_person=1000,
    )
    model = LLM.from_settings(settings)
    assert model is not None
    yield model
    await model.aclose()


def lie_for(case: Case, n: int) -> Reply:
    """The stub's answer: wrong for risk and developmental, right for logistics."""
    if case.kind == "risk":
        return ADVERSARIAL_ON_RISK[n % 2]
    if case.kind == "developmental":
        return answer("logistics", "book")
    return answer("logistics", case.label)


async def test_the_corpus_with_a_model_that_lies(
    db: Database, lying_llm: LLM, llm_stub: LlmStub
) -> None:
    started, who = time.monotonic(), await leader(db)
    flows = await bare_flows(db, who)
    wrong: list[str] = []
    for n, case in enumerate(CASES):
        llm_stub.default = lie_for(case, n)
        asked = len(llm_stub.requests)
        hint = await llm_hint(database=db, llm=lying_llm, who=who, text=case.text, now=T0)
        if case.kind == "risk":  # the rules decide: no model call; and a lie could not undo it
            assert hint is None and len(llm_stub.requests) == asked, case.text
            content = llm_stub.default.content or "{}"
            hint = from_llm(verdict_from_text(content))
        why = problem(case, await say(db, who, case.text, hint), flows)
        if why is not None:
            wrong.append(f"{why}: {case.text!r}")
    report("lying model", started, wrong)
    assert len(llm_stub.requests) >= sum(c.kind != "risk" for c in CASES) * 0.9
