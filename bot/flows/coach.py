"""The coach's side: block out time (`away FROM TO`) and offer group sessions (`group`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.booking import service
from bot.booking.errors import (
    BadAway,
    BookingError,
    LeaderBusy,
    NotYours,
    SlotInPast,
    SlotTaken,
    ZoneMissing,
)
from bot.booking.notices import announce
from bot.flows.basics import menu
from bot.flows.booking import refusal
from bot.flows.group_form import TITLE_MAX, GroupDraft, check_group, coached_programmes
from bot.routes import COMMAND_ACTION, ROUTES, Turn
from bot.timefmt import is_valid_zone, local, show, zone_info
from bot.ui import Button, Form, FormField, Message, Option
from prompts import Copy
from storage.models import Booking, CoachBusy, Programme

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")
_FILLERS = {"to", "until", "till", "-", "–", "from"}
MAX_CLASHES_SHOWN = 5


def _coach_only(turn: Turn) -> Message | None:
    if turn.interaction.who.role == "coach":
        return None
    return Message(text=turn.copy("coach.coaches_only"), buttons=menu(turn))


def parse_away(words: list[str], zone: str) -> tuple[datetime, datetime]:
    """FROM TO in the coach's zone as UTC instants; BadAway when unreadable.

    Accepted: `DAY`, `DAY DAY` (whole days, both included), `DAY HH:MM HH:MM` (one day) and
    `DAY HH:MM DAY HH:MM`, with days written YYYY-MM-DD.
    """
    tokens = [w for w in words if w.lower() not in _FILLERS]
    shape = "".join("D" if _DATE.match(t) else "T" if _TIME.match(t) else "?" for t in tokens)
    try:
        if shape == "D":
            first = date.fromisoformat(tokens[0])
            start, end = _at(first, time(0), zone), _at(first + timedelta(days=1), time(0), zone)
        elif shape == "DD":
            first, last = date.fromisoformat(tokens[0]), date.fromisoformat(tokens[1])
            start, end = _at(first, time(0), zone), _at(last + timedelta(days=1), time(0), zone)
        elif shape == "DTT":
            day = date.fromisoformat(tokens[0])
            start, end = _at(day, _clock(tokens[1]), zone), _at(day, _clock(tokens[2]), zone)
        elif shape == "DTDT":
            start = _at(date.fromisoformat(tokens[0]), _clock(tokens[1]), zone)
            end = _at(date.fromisoformat(tokens[2]), _clock(tokens[3]), zone)
        else:
            raise BadAway("format")
    except ValueError as exc:
        raise BadAway("date") from exc
    return start, end


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes)


def _at(day: date, clock: time, zone: str) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone_info(zone)).astimezone(UTC)


def away_examples(now: datetime, zone: str) -> dict[str, str]:
    """Dates for the `away` examples, always ahead: next Monday and Friday in the coach's zone."""
    today = local(now, zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return {"monday": monday.isoformat(), "friday": (monday + timedelta(days=4)).isoformat()}


def _away_refusal(turn: Turn, err: BookingError) -> Message:
    if isinstance(err, BadAway) and err.why == "format":
        who = turn.interaction.who
        examples = away_examples(turn.interaction.now, who.timezone)
        return Message(text=turn.copy("coach.away_format", **examples), buttons=menu(turn))
    return refusal(turn, err)


def _count(copy: Copy, key: str, count: int) -> str:
    return copy(f"{key}_one", count=count) if count == 1 else copy(key, count=count)


@ROUTES.command("away")
async def away(turn: Turn) -> list[Message]:
    """Block out time so leaders can't book it; with no dates, list the blocks to remove."""
    refused = _coach_only(turn)
    if refused:
        return [refused]
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    if not is_valid_zone(who.timezone):
        return [Message(text=copy("booking_errors.zone_missing", name=who.name))]
    words = turn.args.split()
    if not words:
        return await _away_list(turn)
    try:
        start, end = parse_away(words, who.timezone)
        block, clashes = await service.add_away(
            db=turn.db, coach=who, starts_at=start, ends_at=end, now=now
        )
    except BookingError as err:
        return [_away_refusal(turn, err)]
    text = copy("coach.away_done", start=show(start, who.timezone), end=show(end, who.timezone))
    if clashes:
        lines = [f"• {show(b.starts_at, who.timezone)}" for b in clashes[:MAX_CLASHES_SHOWN]]
        text += "\n\n" + _count(copy, "coach.away_clashes", len(clashes)) + "\n" + "\n".join(lines)
    undo = Button(label=copy("coach.away_undo"), action_id="away.remove", value=str(block.id))
    return [Message(text=text, buttons=(undo,))]


async def _away_list(turn: Turn) -> list[Message]:
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    blocks = (
        await turn.db.scalars(
            select(CoachBusy)
            .where(
                CoachBusy.coach_id == who.id, CoachBusy.source == "away", CoachBusy.ends_at > now
            )
            .order_by(CoachBusy.starts_at)
            .limit(10)
        )
    ).all()
    usage = copy("coach.away_usage", **away_examples(now, who.timezone))
    if not blocks:
        return [Message(text=f"{copy('coach.away_none')}\n\n{usage}")]
    rows = [Message(title=copy("coach.away_title"), text=usage)]
    for block in blocks:
        span = copy(
            "coach.away_span",
            start=show(block.starts_at, who.timezone),
            end=show(block.ends_at, who.timezone),
        )
        remove = Button(
            label=copy("coach.away_remove"), action_id="away.remove", value=str(block.id)
        )
        rows.append(Message(text=span, buttons=(remove,)))
    return rows


@ROUTES.action("away.remove")
async def away_remove(turn: Turn) -> list[Message]:
    """Remove one of the coach's away blocks."""
    refused = _coach_only(turn)
    if refused:
        return [refused]
    value = turn.interaction.value
    if not value.isdigit():
        return [Message(text=turn.copy("common.expired_button"))]
    try:
        await service.remove_away(db=turn.db, coach=turn.interaction.who, away_id=int(value))
    except NotYours:
        return [Message(text=turn.copy("coach.away_gone"), buttons=menu(turn))]
    except BookingError as err:
        return [refusal(turn, err)]
    return [Message(text=turn.copy("coach.away_removed"))]


@ROUTES.command("group")
async def group(turn: Turn) -> list[Message]:
    """Open the form to offer a group session that leaders of a cohort can join."""
    refused = _coach_only(turn)
    if refused:
        return [refused]
    copy, who = turn.copy, turn.interaction.who
    programmes = await coached_programmes(turn.db, who)
    if not programmes:
        return [Message(text=copy("coach.group_no_programme"))]
    return [Message(text=copy("coach.group_intro"), form=group_form(turn, programmes))]


def group_form(
    turn: Turn, programmes: list[Programme], typed: Mapping[str, str] | None = None
) -> Form:
    """The group-session form, filled with what the coach typed (after a problem) if given."""
    copy, who, typed = turn.copy, turn.interaction.who, typed or {}
    form = Form(
        form_id="group.create",
        title=copy("coach.group_title"),
        submit_label=copy("coach.group_submit"),
        fields=(
            FormField(
                name="programme",
                label=copy("coach.group_programme"),
                kind="select",
                options=tuple(Option(label=p.name, value=str(p.id)) for p in programmes),
                initial=str(programmes[0].id),
            ),
            FormField(name="title", label=copy("coach.group_name"), max_length=TITLE_MAX),
            FormField(
                name="cohort",
                label=copy("coach.group_cohort"),
                required=False,
                max_length=64,
                placeholder=copy("coach.group_cohort_hint"),
            ),
            FormField(name="date", label=copy("coach.group_date"), kind="date"),
            FormField(
                name="time",
                label=copy("coach.group_time", zone=who.timezone),
                kind="time",
            ),
            FormField(
                name="minutes", label=copy("coach.group_minutes"), kind="number", initial="60"
            ),
            FormField(
                name="capacity", label=copy("coach.group_capacity"), kind="number", initial="8"
            ),
        ),
    )
    fields = tuple(
        f.model_copy(update={"initial": typed[f.name][: f.max_length]}) if typed.get(f.name) else f
        for f in form.fields
    )
    return form.model_copy(update={"fields": fields})


@ROUTES.form("group.create")
async def group_create(turn: Turn) -> list[Message]:
    """Create the group session from the form; a bad field gets a specific message."""
    refused = _coach_only(turn)
    if refused:
        return [refused]
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    if not is_valid_zone(who.timezone):
        return [Message(text=copy("coach.group_zone_missing"), buttons=menu(turn))]
    again = Button(label=copy("coach.group_again"), action_id=COMMAND_ACTION, value="group")
    programmes = await coached_programmes(turn.db, who)
    draft = await check_group(
        db=turn.db,
        copy=copy,
        coach=who,
        values=turn.interaction.form,
        programmes=programmes,
        now=now,
    )
    if not isinstance(draft, GroupDraft):  # the form again, as typed, with what to fix
        text = "\n".join((copy("coach.group_problems"), *draft))
        typed = {k: str(v) for k, v in turn.interaction.form.items()}
        return [Message(text=text, form=group_form(turn, programmes, typed))]
    try:
        booking = await service.create_group(
            db=turn.db,
            coach=who,
            programme=draft.programme,
            cohort=draft.cohort,
            starts_at=draft.starts_at,
            minutes=draft.minutes,
            capacity=draft.capacity,
            title=draft.title,
            now=now,
        )
    except BookingError as err:
        return [Message(text=copy(_group_refusal(err)), buttons=(again,))]
    text = copy(
        "coach.group_done",
        title=booking.title,
        when=show(booking.starts_at, who.timezone),
        capacity=booking.capacity,
        cohort=draft.cohort or draft.programme.name,
    )
    away_block = await _away_during(turn, booking)
    if away_block is not None:
        start, end = (show(t, who.timezone) for t in away_block)
        text += "\n\n" + copy("coach.group_in_away", start=start, end=end)
    # The coach's own invite (none when their calendar is connected: the event is made there).
    own = await announce(db=turn.db, booking=booking, event="booked", now=now, actor=who)
    files = own.attachments if own is not None else ()
    return [Message(text=text, buttons=menu(turn), attachments=files)]


def _group_refusal(err: BookingError) -> str:
    """The coach-facing words for a refusal of create_group."""
    if isinstance(err, SlotTaken | LeaderBusy):
        return "coach.group_clash"
    if isinstance(err, SlotInPast):
        return "coach.group_past"
    if isinstance(err, ZoneMissing):
        return "coach.group_zone_missing"
    if isinstance(err, NotYours):
        return "coach.group_not_allowed"
    return "coach.group_failed"


async def _away_during(turn: Turn, booking: Booking) -> tuple[datetime, datetime] | None:
    """The first of the coach's own away blocks that the booking falls in, if any."""
    block = await turn.db.scalar(
        select(CoachBusy)
        .where(
            CoachBusy.coach_id == booking.coach_id,
            CoachBusy.source == "away",
            CoachBusy.starts_at < booking.ends_at,
            CoachBusy.ends_at > booking.starts_at,
        )
        .order_by(CoachBusy.starts_at)
        .limit(1)
    )
    return (block.starts_at, block.ends_at) if block is not None else None
