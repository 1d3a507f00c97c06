"""One Teams message through the core: dedupe, resolve, handle, queue; one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from bot.conversation import handle, queue
from bot.inbox import mark_processed, record_event
from bot.interaction import Interaction, InteractionKind
from bot.refine import chat_hint
from bot.safety.classify import Verdict
from bot.ui import Message
from handlers.teams.submits import Submitted
from prompts import copy_for
from storage.models import InboundEvent, Person

if TYPE_CHECKING:
    from handlers.teams.app import Teams

HINT_SECONDS = 6.0
"""The longest the model may take on a Teams message: Teams wants its answer within 15 s."""


@dataclass
class Heard:
    """Where a Teams activity came from: tenant, the writer's AAD id, the reference."""

    tenant_id: str
    aad_id: str
    activity_key: str
    reference: dict[str, Any] = field(default_factory=dict)
    email: str = ""

    @property
    def event_id(self) -> str:
        """The dedupe key of the activity (conversation and activity id, hashed to fit)."""
        return hashlib.sha256(self.activity_key.encode()).hexdigest()


@dataclass
class TurnOutcome:
    """Who it was (None: on no roster, or a redelivery) and whether it was a redelivery."""

    person: Person | None
    duplicate: bool = False


def interaction_of(
    person: Person, heard: Heard, said: Submitted, now: Any, hint: Verdict | None = None
) -> Interaction:
    """The neutral interaction of a parsed Teams message (typed text with the model's hint)."""
    kinds: dict[str, InteractionKind] = {"action": "action", "submit": "submit"}
    form = dict(said.fields)
    if said.context:
        form["context"] = said.context
    return Interaction(
        who=person,
        channel="teams",
        kind=kinds.get(said.kind, "text"),
        now=now,
        text=said.text,
        action_id=said.action_id,
        value=said.value,
        form_id=said.form_id,
        form=form,
        event_id=heard.event_id,
        tenant_key=heard.tenant_id,
        hint=hint if said.kind == "text" else None,
    )


async def run_turn(edge: Teams, heard: Heard, said: Submitted) -> TurnOutcome:
    """Record the activity once, resolve the writer, run the core, queue the replies; commit.

    The model's hint on typed text is asked first, with no transaction open.
    """
    now = edge.clock()
    hint = None
    if said.kind == "text":
        hint = await chat_hint(
            database=edge.database,
            llm=edge.llm,
            platform="teams",
            tenant=heard.tenant_id,
            external_id=heard.aad_id,
            text=said.text,
            now=now,
            deadline=HINT_SECONDS,
        )
    async with edge.database.transaction() as db:
        row = await record_event(
            db=db, platform="teams", event_id=heard.event_id, payload={}, now=now
        )
        if row is None:  # Teams delivered this activity before: it had its effect
            return TurnOutcome(person=None, duplicate=True)
        person = await edge.identities.resolve(
            db,
            tenant_id=heard.tenant_id,
            aad_id=heard.aad_id,
            email=heard.email,
            reference=heard.reference,
            now=now,
        )
        if person is None:  # on no roster: keep nothing about them
            await db.execute(delete(InboundEvent).where(InboundEvent.id == row))
            return TurnOutcome(person=None)
        await mark_processed(db=db, event_row_id=row, now=now)
        interaction = interaction_of(person, heard, said, now, hint)
        if said.kind == "invalid":
            replies = [Message(text=copy_for(person.locale)("teams.expired"))]
        else:
            replies = await handle(db=db, interaction=interaction)
        await queue(db=db, interaction=interaction, messages=replies)
    return TurnOutcome(person=person)
