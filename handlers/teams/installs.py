"""The app installed (or removed) for a person: welcome them, and reach them again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.conversation import queue
from bot.delivery.identities import mark_unreachable
from bot.interaction import Interaction
from bot.routes import COMMAND_ACTION
from bot.ui import Button, Message
from handlers.teams.identity import NOT_INSTALLED, resend_waiting
from prompts import copy_for
from storage.models import Person

if TYPE_CHECKING:
    from handlers.teams.app import Teams

REMOVED = f"{NOT_INSTALLED}: the app was removed"
"""The unreachable reason on removal (begins like the sender's, so a reinstall resends)."""


def is_install(body: dict[str, Any]) -> bool:
    """True for the app installed (not upgraded), or the bot added to a personal chat."""
    if body.get("type") == "installationUpdate":
        return body.get("action") == "add"
    return bot_added(body)


def bot_added(body: dict[str, Any]) -> bool:
    """True for conversationUpdate with the bot in membersAdded (the one install that welcomes)."""
    bot_id = (body.get("recipient") or {}).get("id")
    members = body.get("membersAdded") or []
    return body.get("type") == "conversationUpdate" and any(
        isinstance(m, dict) and m.get("id") == bot_id for m in members
    )


def is_removal(body: dict[str, Any]) -> bool:
    """True for the app uninstalled from a personal chat ("remove-upgrade" is no removal)."""
    return body.get("type") == "installationUpdate" and body.get("action") == "remove"


def welcome(person: Person) -> Message:
    """What the bot is and what it keeps confidential, with help."""
    copy = copy_for(person.locale)
    return Message(
        title=copy("teams.welcome_title"),
        text=copy(
            "teams.welcome_coach" if person.role == "coach" else "teams.welcome",
            name=person.name.split()[0] if person.name.split() else person.name,
        ),
        buttons=(Button(label=copy("teams.welcome_help"), action_id=COMMAND_ACTION, value="help"),),
    )


async def on_install(edge: Teams, body: dict[str, Any]) -> None:
    """Install: keep the reference, welcome, resend what waited for it. Removal: stop."""
    if not (is_install(body) or is_removal(body)):
        return
    heard = await edge.hear(body)
    if heard is None:
        return
    now = edge.clock()
    async with edge.database.transaction() as db:
        person = await edge.identities.resolve(
            db,
            tenant_id=heard.tenant_id,
            aad_id=heard.aad_id,
            email=heard.email,
            reference=heard.reference,
            now=now,
        )
        if person is not None and is_removal(body):
            await mark_unreachable(db, person.id, "teams", REMOVED, now)
        elif person is not None:
            await resend_waiting(db, person.id, now)
        if person is not None and bot_added(body):  # Teams also sends installationUpdate
            interaction = Interaction(
                who=person, channel="teams", kind="text", now=now, tenant_key=heard.tenant_id
            )
            await queue(db=db, interaction=interaction, messages=[welcome(person)])
    if person is None and bot_added(body):
        await edge.reply_directly(body, copy_for("en")("teams.not_enrolled"))
    edge.wake()
