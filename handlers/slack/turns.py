"""One Slack interaction through the core: resolve, handle, queue, commit (before the ack)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import handle, queue
from bot.dispatcher import Dispatcher
from bot.flows.home import home_sections
from bot.interaction import Interaction, InteractionKind
from bot.llm import LLM
from bot.outbox import bucket_for, enqueue_task
from bot.refine import chat_hint
from bot.safety.classify import Verdict
from bot.ui import Message
from handlers.slack.identity import Identities
from handlers.slack.views import modal_view
from prompts import copy_for
from storage.db import Database
from storage.models import Person

log = logging.getLogger(__name__)

HOME_KIND = "home"


@dataclass(frozen=True)
class Said:
    """What a Slack user did, in neutral terms, and where (workspace, trigger for a modal)."""

    team_id: str
    user_id: str
    kind: InteractionKind
    text: str = ""
    action_id: str = ""
    value: str = ""
    form_id: str = ""
    form: Mapping[str, str] = field(default_factory=dict)
    event_id: str | None = None
    trigger_id: str | None = None
    in_modal: bool = False
    from_home: bool = False


@dataclass
class Outcome:
    """The result of a turn: who it was (None: not enrolled) and a view to answer with."""

    person: Person | None
    update_view: dict[str, Any] | None = None
    replies: list[Message] = field(default_factory=list)


@dataclass
class SlackEdge:
    """What the listeners share: the database, the dispatcher, identities and clients."""

    database: Database
    dispatcher: Dispatcher
    clock: Callable[[], datetime]
    client_for: Callable[[str], Awaitable[AsyncWebClient | None]]
    stop_workspace: Callable[[str, str], Awaitable[None]]
    identities: Identities = field(default_factory=Identities)
    llm: LLM | None = None
    _background: set[asyncio.Future[Any]] = field(default_factory=set)

    def later(self, work: Awaitable[Any]) -> None:
        """Run `work` after the ack (kept referenced until done; failures are logged)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._done)

    async def stop(self, team_id: str, reason: str) -> None:
        """Stop all sending to a workspace (the app was uninstalled or its tokens revoked)."""
        log.warning("slack: workspace %s stopped: %s", team_id, reason)
        await self.stop_workspace(team_id, reason)

    async def prefetch(self, client: AsyncWebClient | None, team_id: str, user_id: str) -> None:
        """users.info for a user not linked yet, before the write transaction (no lock held)."""
        await self.identities.prefetch(
            database=self.database, client=client, team_id=team_id, user_id=user_id
        )

    async def hint(self, said: Said, now: datetime) -> Verdict | None:
        """The model's view of a DM's typed text, before any write transaction (no lock held)."""
        if said.kind != "text":
            return None  # slash commands, clicks and forms never wait on the model
        return await chat_hint(
            database=self.database,
            llm=self.llm,
            platform="slack",
            tenant=said.team_id,
            external_id=said.user_id,
            text=said.text,
            now=now,
        )

    def wake(self) -> None:
        """Deliver what was just queued, without holding up the ack."""
        self.later(self.dispatcher.wake())

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack: work after the ack failed: %s", type(task.exception()).__name__)

    async def settle(self) -> None:
        """Wait for the work after acks (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


Also = Callable[[AsyncSession, Person | None], Awaitable[None]]


async def run_turn(edge: SlackEdge, said: Said, *, also: Also | None = None) -> Outcome:
    """Resolve the user, run the core, open or keep a modal, queue the rest; commit; wake.

    `also` runs in the same transaction (e.g. marking the inbox event processed).
    """
    now = edge.clock()
    client = await edge.client_for(said.team_id)
    await edge.prefetch(client, said.team_id, said.user_id)
    hint = await edge.hint(said, now)
    async with edge.database.transaction() as db:
        person = await edge.identities.resolve(
            db=db, client=client, team_id=said.team_id, user_id=said.user_id, now=now
        )
        if also is not None:
            await also(db, person)
        if person is None:
            return Outcome(person=None)
        interaction = Interaction(
            who=person,
            channel="slack",
            kind=said.kind,
            now=now,
            text=said.text,
            action_id=said.action_id,
            value=said.value,
            form_id=said.form_id,
            form=said.form,
            event_id=said.event_id,
            tenant_key=said.team_id,
            hint=hint,
        )
        replies = await handle(db=db, interaction=interaction)
        outcome = Outcome(person=person, replies=replies)
        form, view, rest = _modal(said, replies, person, outcome)
        await queue(db=db, interaction=interaction, messages=rest)
    if form is not None and not await _open(client, said.trigger_id, view):
        async with edge.database.transaction() as db:  # it goes to the DM as a button instead
            await queue(db=db, interaction=interaction, messages=[form])
    if said.from_home or said.kind == "submit":  # the Home may be on screen: show the change
        edge.later(refresh_home(edge, person.id, said.team_id))  # (else: when next opened)
    edge.wake()
    return outcome


def _modal(
    said: Said, replies: list[Message], person: Person, outcome: Outcome
) -> tuple[Message | None, dict[str, Any], list[Message]]:
    """(the reply to open as a modal, its view, the replies to queue now)."""
    found = next((m for m in replies if m.form is not None), None)
    if found is None or found.form is None:
        return None, {}, replies
    view = modal_view(
        found.form, copy=copy_for(person.locale), intro=found.text, replaces=found.replaces
    )
    rest = [m for m in replies if m is not found]
    if said.in_modal and said.form_id == found.form.form_id:
        outcome.update_view = view  # the same form again (with what was wrong): keep it open
        return None, {}, rest
    if said.trigger_id and not said.in_modal:
        return found, view, rest  # opened after the commit, within the trigger's 3 seconds
    return None, {}, replies


async def _open(
    client: AsyncWebClient | None, trigger_id: str | None, view: dict[str, Any]
) -> bool:
    """views.open with the trigger; False when Slack refused (e.g. expired_trigger_id)."""
    if client is None or not trigger_id:
        return False
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        log.warning("slack: views.open failed: %s", error.response.get("error", "unknown"))
        return False
    return True


async def refresh_home(edge: SlackEdge, person_id: int, team_id: str) -> None:
    """After the ack: queue the person's App Home as it is now, and deliver it."""
    async with edge.database.transaction() as db:
        person = await db.get(Person, person_id)
        if person is not None:
            await queue_home(db=db, person=person, team_id=team_id, now=edge.clock())
    await edge.dispatcher.wake()


async def queue_home(*, db: AsyncSession, person: Person, team_id: str, now: datetime) -> None:
    """Queue a refresh of the person's App Home with their current sections."""
    sections = await home_sections(db=db, person=person, now=now)
    await enqueue_task(
        db=db,
        person_id=person.id,
        channel="slack",
        bucket=bucket_for("slack", team_id),
        kind=HOME_KIND,
        data={"sections": [m.to_payload() for m in sections]},
        now=now,
    )
