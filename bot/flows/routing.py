"""A leader's own words, routed: risk first, then commands and logistics, else their coach."""

from __future__ import annotations

from bot.flows import basics, handoff, reflect, safety
from bot.routes import ROUTES, Turn, command_word, is_greeting
from bot.safety.classify import classify
from bot.ui import Message

SHORT_COMMAND = 3
"""A command word with at most this many words in all is a command, whatever follows it."""


async def leader_words(turn: Turn) -> list[Message] | None:
    """Route a leader's typed text; None when it is a plain command for the usual routing.

    Risk is checked before anything else, whatever the text starts with, and needs nothing
    but the rules (no network). Unsure between logistics and developmental means developmental.
    """
    text = turn.interaction.text
    verdict = classify(text, locale=turn.interaction.who.locale)
    if verdict.kind == "risk":
        return await safety.risk_reply(turn, verdict)
    if is_greeting(text):
        return None
    word = command_word(text)
    if word in ROUTES.commands and (
        verdict.kind == "logistics" or len(text.split()) <= SHORT_COMMAND
    ):
        return None  # a command as typed (with its arguments, e.g. "pause 2026-12-01")
    if turn.interaction.kind == "command":
        return None  # a slash command names what it wants; only risk overrides it
    if verdict.kind == "logistics" and verdict.command in ROUTES.commands:
        return await ROUTES.commands[verdict.command](turn)
    if len(text.split()) < basics.DEVELOPMENTAL_MIN_WORDS:
        return None  # a word or two we don't know: the menu (or the open prompt's "too short")
    answered = await reflect.reply_as_answer(turn)  # an answer to the open reflection prompt
    if answered is not None:
        return answered
    return await handoff.offer(turn)
