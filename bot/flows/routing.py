"""A leader's own words, routed: risk first, then commands and logistics, else their coach."""

from __future__ import annotations

from bot.flows import basics, handoff, reflect, safety
from bot.refine import merge, typed_command
from bot.routes import ROUTES, Turn, is_greeting
from bot.safety.classify import classify
from bot.ui import Message


async def leader_words(turn: Turn) -> list[Message] | None:
    """Route a leader's typed text; None when it is a plain command for the usual routing.

    Risk is checked before anything else, whatever the text starts with, and needs nothing
    but the rules (no network). Unsure between logistics and developmental means developmental.
    Typed text may carry the model's hint (asked before the turn): see bot.refine.merge.
    """
    text, typed = turn.interaction.text, turn.interaction.kind == "text"
    rules = classify(text, locale=turn.interaction.who.locale)
    verdict = merge(rules, turn.interaction.hint) if typed else rules
    if verdict.kind == "risk":
        return await safety.risk_reply(turn, verdict)
    if (is_greeting(text) and rules.kind != "logistics") or typed_command(text, rules):
        return None  # a greeting ("start my reflection" is not one), or a command as typed
    if not typed:
        return None  # a slash command names what it wants; only risk overrides it
    if verdict.kind == "logistics" and verdict.command in ROUTES.commands:
        return await ROUTES.commands[verdict.command](turn)
    if len(text.split()) < basics.DEVELOPMENTAL_MIN_WORDS:
        return None  # a word or two we don't know: the menu (or the open prompt's "too short")
    answered = await reflect.reply_as_answer(turn)  # an answer to the open reflection prompt
    if answered is not None:
        return answered
    return await handoff.offer(turn)
