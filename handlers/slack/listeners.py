"""Bolt listeners: each translates a Slack request into a turn of the core and acks it."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.ui import Message
from handlers.slack.clicked import settle_clicked
from handlers.slack.events import handle_dm, is_leader_dm, record_dm, tell_not_enrolled
from handlers.slack.identity import SlackUnavailable
from handlers.slack.payloads import action_of, command_text, form_values
from handlers.slack.turns import Said, SlackEdge, queue_home, run_turn
from handlers.slack.views import decode_metadata, home_view, modal_view
from prompts import copy_for
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

OPEN_FORM = "slack.open_form"
FORM_CALLBACK = "coach.form"


def register(app: AsyncApp, edge: SlackEdge) -> None:
    """Attach every listener of the bot to the Bolt app."""
    app.command(re.compile(r"^/coach"))(_command(edge))
    app.action(re.compile(".*"))(_action(edge))
    app.view_submission(FORM_CALLBACK)(_submission(edge))
    app.view_closed(re.compile(".*"))(_just_ack)
    app.options(re.compile(".*"))(_no_options)
    app.event("message")(_message(edge))
    app.event("app_home_opened")(_home_opened(edge))
    app.event("app_uninstalled")(_stopped(edge, "app uninstalled"))
    app.event("tokens_revoked")(_stopped(edge, "tokens revoked"))
    app.error(_error)


async def _just_ack(ack: AsyncAck) -> None:
    await ack()


async def _no_options(ack: AsyncAck) -> None:
    await ack(options=[])


async def _error(error: Exception) -> None:
    log.error("slack: a listener failed: %s", type(error).__name__)  # never the payload


def _not_enrolled() -> str:
    return copy_for("en")("slack.not_enrolled")


def _command(edge: SlackEdge) -> Any:
    async def command(ack: AsyncAck, body: dict[str, Any]) -> None:
        said = Said(
            team_id=str(body.get("team_id", "")),
            user_id=str(body.get("user_id", "")),
            kind="command",
            text=command_text(body),
            trigger_id=body.get("trigger_id"),
        )
        try:
            outcome = await run_turn(edge, said)
        except SlackUnavailable:  # Slack could not say who this is: nothing was done
            await ack(text=copy_for("en")("slack.try_again"))
            return
        if outcome.person is None:
            await ack(text=_not_enrolled())
        elif body.get("channel_name") not in ("directmessage", None):
            await ack(text=copy_for(outcome.person.locale)("slack.replied_in_dm"))
        else:
            await ack()

    return command


def _action(edge: SlackEdge) -> Any:
    async def action(ack: AsyncAck, body: dict[str, Any]) -> None:
        action_id, value = action_of(body)
        view = body.get("view") or {}
        said = Said(
            team_id=str((body.get("team") or {}).get("id") or body.get("team_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            kind="action",
            action_id=action_id,
            value=value,
            trigger_id=body.get("trigger_id"),
            in_modal=view.get("type") == "modal",
            from_home=view.get("type") == "home",
        )
        if action_id == OPEN_FORM:
            await open_stored_form(edge, said)
        else:
            outcome = await run_turn(edge, said)
            client = await edge.client_for(said.team_id)
            opened_form = any(m.form is not None for m in outcome.replies)
            if outcome.person is not None and client is not None and not opened_form:
                copy = copy_for(outcome.person.locale)  # a form may be cancelled: keep buttons
                edge.later(settle_clicked(client, body, copy))  # show the choice in place
        await ack()

    return action


def _submission(edge: SlackEdge) -> Any:
    async def submission(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        form_id, context, _replaces = decode_metadata(str(view.get("private_metadata", "")))
        values = form_values(view)
        if context:
            values["context"] = context
        said = Said(
            team_id=str((body.get("team") or {}).get("id") or view.get("team_id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            kind="submit",
            form_id=form_id,
            form=values,
            in_modal=True,
        )
        outcome = await run_turn(edge, said)
        if outcome.update_view is not None:
            await ack(response_action="update", view=outcome.update_view)
        else:
            await ack()

    return submission


def _message(edge: SlackEdge) -> Any:
    async def message(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        if not is_leader_dm(event):
            await ack()
            return
        row_id = await record_dm(edge, body)  # committed before the ack
        await ack()
        if row_id is not None:  # None: Slack's retry of an event already recorded
            payload = {
                "team_id": body.get("team_id") or "",
                "event_id": body.get("event_id") or "",
                "user": event.get("user") or "",
                "channel": event.get("channel") or "",
                "text": event.get("text") or "",
            }
            edge.later(handle_dm(edge, row_id, payload))

    return message


def _home_opened(edge: SlackEdge) -> Any:
    async def home_opened(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        if event.get("tab", "home") == "home":
            edge.later(publish_home(edge, str(body.get("team_id", "")), str(event.get("user"))))

    return home_opened


def _stopped(edge: SlackEdge, reason: str) -> Any:
    async def stopped(ack: AsyncAck, body: dict[str, Any]) -> None:
        team_id = str(body.get("team_id", ""))
        await edge.stop(team_id, reason)
        await ack()

    return stopped


async def publish_home(edge: SlackEdge, team_id: str, user_id: str) -> None:
    """Queue the person's App Home; someone on no roster gets a short 'not enrolled' home."""
    now = edge.clock()
    client = await edge.client_for(team_id)
    await edge.prefetch(client, team_id, user_id)
    async with edge.database.transaction() as db:
        person = await edge.identities.resolve(
            db=db, client=client, team_id=team_id, user_id=user_id, now=now
        )
        if person is not None:
            await queue_home(db=db, person=person, team_id=team_id, now=now)
    if person is not None:
        edge.wake()
    elif client is not None:
        view = home_view([Message(text=_not_enrolled())], copy_for("en"))
        await client.views_publish(user_id=user_id, view=view)


async def open_stored_form(edge: SlackEdge, said: Said) -> None:
    """Open as a modal the form of a message the person received (only their own)."""
    now = edge.clock()
    client = await edge.client_for(said.team_id)
    await edge.prefetch(client, said.team_id, said.user_id)
    async with edge.database.transaction() as db:
        person = await edge.identities.resolve(
            db=db, client=client, team_id=said.team_id, user_id=said.user_id, now=now
        )
        row = None
        if person is not None and said.value.isdigit():
            row = await db.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.id == int(said.value),
                    OutboxMessage.person_id == person.id,
                    OutboxMessage.channel == "slack",
                )
            )
        message = Message.from_payload(row.payload) if row is not None else None
    if person is None or client is None or not said.trigger_id:
        if client is not None and person is None:
            await tell_not_enrolled(edge, team_id=said.team_id, channel="")
        return
    if message is None or message.form is None:
        return  # not theirs, or not a form: nothing to open
    view = modal_view(
        message.form, copy=copy_for(person.locale), intro=message.text, replaces=message.replaces
    )
    try:
        await client.views_open(trigger_id=said.trigger_id, view=view)
    except SlackApiError as error:
        log.warning("slack: views.open failed: %s", error.response.get("error", "unknown"))
