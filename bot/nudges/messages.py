"""The words of nudges, their reminders and the back-off question, in the leader's locale."""

from __future__ import annotations

from datetime import datetime

from bot.routes import COMMAND_ACTION
from bot.timefmt import show
from bot.ui import Button, Message
from prompts import Copy, copy_for
from storage.models import Person

OPEN_ACTION = {"reflection": "reflect.open", "checkin": "checkin.open"}
SKIP_ACTION = "nudge.skip"
SNOOZE_ACTION = "nudge.snooze"
KEEP_ACTION = "nudge.keep"


def buttons(copy: Copy, *, kind: str, nudge_id: int) -> tuple[Button, ...]:
    """Answer / Check in, Not this week, Snooze 3 h and Pause, each carrying the nudge id."""
    value = str(nudge_id)
    first = copy("nudges.button_answer" if kind == "reflection" else "nudges.button_checkin")
    return (
        Button(label=first, action_id=OPEN_ACTION[kind], value=value, style="primary"),
        Button(label=copy("nudges.button_skip"), action_id=SKIP_ACTION, value=value),
        Button(label=copy("nudges.button_snooze"), action_id=SNOOZE_ACTION, value=value),
        Button(label=copy("nudges.button_pause"), action_id=COMMAND_ACTION, value="pause"),
    )


def nudge_message(*, person: Person, kind: str, nudge_id: int, prompt: str | None) -> Message:
    """This week's reflection prompt or check-in invitation, with its buttons."""
    copy = copy_for(person.locale)
    if kind == "reflection":
        text = copy("nudges.reflection", prompt=prompt or "")
    else:
        text = copy("nudges.checkin")
    return Message(
        title=copy(f"nudges.title_{kind}"),
        text=text,
        buttons=buttons(copy, kind=kind, nudge_id=nudge_id),
    )


def reminder_message(
    *, person: Person, zone: str, kind: str, nudge_id: int, sent_at: datetime, prompt: str | None
) -> Message:
    """The one reminder of an unanswered nudge (its send time shown in the leader's zone)."""
    copy = copy_for(person.locale)
    values: dict[str, object] = {"time": show(sent_at, zone)}
    if kind == "reflection":
        values["prompt"] = prompt or ""
    return Message(
        title=copy("nudges.reminder_title"),
        text=copy(f"nudges.reminder_{kind}", **values),
        buttons=buttons(copy, kind=kind, nudge_id=nudge_id),
    )


def snoozed_message(*, person: Person, kind: str, nudge_id: int, prompt: str | None) -> Message:
    """A snoozed nudge coming back when its snooze is over, with its buttons (snooze again)."""
    copy = copy_for(person.locale)
    values: dict[str, object] = {"prompt": prompt or ""} if kind == "reflection" else {}
    return Message(
        title=copy(f"nudges.snoozed_title_{kind}"),
        text=copy(f"nudges.snoozed_{kind}", **values),
        buttons=buttons(copy, kind=kind, nudge_id=nudge_id),
    )


def ask_pause_message(*, person: Person) -> Message:
    """Asked once after three ignored nudges in a row: pause, or keep going fortnightly."""
    copy = copy_for(person.locale)
    return Message(
        title=copy("nudges.ask_pause_title"),
        text=copy("nudges.ask_pause"),
        buttons=(
            Button(label=copy("nudges.button_pause"), action_id=COMMAND_ACTION, value="pause"),
            Button(label=copy("nudges.button_keep"), action_id=KEEP_ACTION, value=""),
        ),
    )
