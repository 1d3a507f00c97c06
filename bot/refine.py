"""The model's second opinion on a leader's typed words: asked before the turn, merged by rules.

The rules decide risk first and alone: when they find it, the model is not asked (the resources
go out with no network). Otherwise, when a model is configured, it is asked outside any write
transaction, and its answer (the hint) may only move a message the safe way: it may add risk the
rules missed, or say that words the rules took for logistics are developmental. It never turns
developmental words into logistics: rules and model disagreeing is "unsure", and unsure between
logistics and developmental means developmental. Without a model, or when it fails, is slow or
is over its daily cap, the rules route alone.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.llm import LLM, LlmVerdict
from bot.people import by_chat_id
from bot.routes import ROUTES, command_word, is_greeting
from bot.safety.classify import Verdict, classify
from bot.safety.lexicon import LOGISTICS_COMMANDS, RISK_CATEGORIES, RiskCategory
from storage.db import Database
from storage.models import Person

CONFIDENT = 0.8
"""A model's logistics answer below this confidence counts as unsure (so: developmental)."""
LLM_RULE = "llm"
"""The rule id of a risk the model found (the audit log names it instead of a lexicon rule)."""
LLM_CATEGORY: RiskCategory = "crisis"
"""The risk category when the model names none we know."""
SHORT_COMMAND = 3
"""A command word with at most this many words in all is a command, whatever follows it."""


def typed_command(text: str, rules: Verdict) -> bool:
    """True for a command word as typed (with its arguments, e.g. "pause 2026-12-01")."""
    return command_word(text) in ROUTES.commands and (
        rules.kind == "logistics" or len(text.split()) <= SHORT_COMMAND
    )


def asks_model(text: str, *, locale: str) -> bool:
    """True when a model's view could change how these typed words are routed."""
    words = text.strip()
    if not words or is_greeting(words):
        return False
    rules = classify(words, locale=locale)
    return rules.kind != "risk" and not typed_command(words, rules)


def from_llm(answer: LlmVerdict) -> Verdict:
    """The model's answer as a verdict: risk as risk, confident logistics, else developmental."""
    if answer.kind == "risk":
        category = next((c for c in RISK_CATEGORIES if c == answer.category), LLM_CATEGORY)
        return Verdict(kind="risk", category=category, rule_id=LLM_RULE, source="llm")
    if (
        answer.kind == "logistics"
        and answer.command in LOGISTICS_COMMANDS
        and answer.confidence >= CONFIDENT
    ):
        return Verdict(kind="logistics", command=answer.command, source="llm")
    return Verdict(kind="developmental", source="llm")


def merge(rules: Verdict, hint: Verdict | None) -> Verdict:
    """The verdict to route by: the rules' risk stands; a hint may add risk or undo logistics."""
    if rules.kind == "risk" or hint is None:
        return rules
    if hint.kind == "risk":
        return hint
    if rules.kind == "logistics" and hint.kind == "developmental":
        return hint
    return rules


async def llm_hint(
    *,
    database: Database,
    llm: LLM | None,
    who: Person,
    text: str,
    now: datetime,
    deadline: float | None = None,
) -> Verdict | None:
    """The model's verdict on a leader's typed text, or None (no model, not needed, failed).

    Call it with no transaction open: the model may take seconds. `deadline` (seconds) bounds
    the wait below the model's own timeout (an edge that must answer sooner).
    """
    if llm is None or who.role != "leader" or not asks_model(text, locale=who.locale):
        return None
    try:
        async with asyncio.timeout(deadline):
            answer = await llm.classify(
                database=database, person_id=who.id, text=text, locale=who.locale, now=now
            )
    except TimeoutError:
        return None
    return None if answer is None else from_llm(answer)


async def chat_hint(
    *,
    database: Database,
    llm: LLM | None,
    platform: str,
    tenant: str,
    external_id: str,
    text: str,
    now: datetime,
    deadline: float | None = None,
) -> Verdict | None:
    """The hint for typed text from a chat user already linked to a person (else None)."""
    if llm is None or not text.strip():
        return None
    async with database.reading() as db:
        who = await by_chat_id(db=db, platform=platform, tenant=tenant, external_id=external_id)
    if who is None:
        return None
    return await llm_hint(
        database=database, llm=llm, who=who, text=text, now=now, deadline=deadline
    )
