"""The router: one Interaction in, one handler call, Messages out (queued in the outbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows import basics, routing
from bot.interaction import Interaction
from bot.outbox import bucket_for, enqueue
from bot.routes import COMMAND_ACTION, ROUTES, Handler, Turn, command_word, is_greeting
from bot.ui import Message
from prompts import copy_for


async def handle(*, db: AsyncSession, interaction: Interaction) -> list[Message]:
    """Route one interaction to its handler and return the replies (nothing is sent yet)."""
    turn = Turn(db=db, interaction=interaction, copy=copy_for(interaction.who.locale))
    if interaction.kind in ("text", "command") and interaction.who.role == "leader":
        routed = await routing.leader_words(turn)
        if routed is not None:
            return routed
    handler = _pick(interaction)
    if handler is None:
        if interaction.kind in ("action", "submit"):
            return await basics.expired(turn)
        return await basics.unknown(turn)
    return await handler(turn)


def _pick(interaction: Interaction) -> Handler | None:
    if interaction.kind == "action":
        if interaction.action_id == COMMAND_ACTION:
            return ROUTES.commands.get(interaction.value)
        return ROUTES.actions.get(interaction.action_id)
    if interaction.kind == "submit":
        return ROUTES.forms.get(interaction.form_id)
    text = interaction.text.strip()
    if is_greeting(text):
        return ROUTES.commands.get("hello")
    word = command_word(text)
    if word in ROUTES.commands:
        return ROUTES.commands[word]
    return ROUTES.free_text if interaction.kind == "text" else None


async def queue(*, db: AsyncSession, interaction: Interaction, messages: list[Message]) -> None:
    """Queue replies in the outbox to the channel (and workspace) the interaction came from."""
    for message in messages:
        await enqueue(
            db=db,
            person=interaction.who,
            message=message,
            now=interaction.now,
            channel=interaction.channel,
            bucket=bucket_for(interaction.channel, interaction.tenant_key),
            dedupe_key=message.key or None,
        )


async def respond(*, db: AsyncSession, interaction: Interaction) -> list[Message]:
    """Handle an interaction and queue its replies to the channel it came from."""
    replies = await handle(db=db, interaction=interaction)
    await queue(db=db, interaction=interaction, messages=replies)
    return replies
