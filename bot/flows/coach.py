"""The coach's side: block out time (`away FROM TO`) and offer group sessions (`group`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.booking import service
from bot.booking.errors import BadAway, BookingError
from bot.flows.basics import menu
from bot.flows.booking import refusal
from bot.routes import COMMAND_ACTION, ROUTES, Turn
from bot.timefmt import is_valid_zone, show, zone_info
from bot.ui import Button, Form, FormField, Message, Option
from storage.models import CoachBusy, Programme

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
        return [refusal(turn, err)]
    text = copy("coach.away_done", start=show(start, who.timezone), end=show(end, who.timezone))
    if clashes:
        lines = [f"• {show(b.starts_at, who.timezone)}" for b in clashes[:MAX_CLASHES_SHOWN]]
        text += "\n\n" + copy("coach.away_clashes", count=len(clashes)) + "\n" + "\n".join(lines)
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
    usage = copy("coach.away_usage")
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
    except BookingError as err:
        return [refusal(turn, err)]
    return [Message(text=turn.copy("coach.away_removed"))]


async def _programmes(turn: Turn) -> list[Programme]:
    who = turn.interaction.who
    rows = await turn.db.scalars(
        select(Programme)
        .where(Programme.organisation_id == who.organisation_id)
        .order_by(Programme.name)
    )
    return list(rows.all())


@ROUTES.command("group")
async def group(turn: Turn) -> list[Message]:
    """Open the form to offer a group session that leaders of a cohort can join."""
    refused = _coach_only(turn)
    if refused:
        return [refused]
    copy, who = turn.copy, turn.interaction.who
    programmes = await _programmes(turn)
    if not programmes:
        return [Message(text=copy("coach.group_no_programme"))]
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
            FormField(name="title", label=copy("coach.group_name"), max_length=200),
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
    return [Message(text=copy("coach.group_intro"), form=form)]


@ROUTES.form("group.create")
async def group_create(turn: Turn) -> list[Message]:
    """Create the group session from the form; a bad field gets a specific message."""
    refused = _coach_only(turn)
    if refused:
        return [refused]
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    values = turn.interaction.form
    again = Button(label=copy("coach.group_again"), action_id=COMMAND_ACTION, value="group")
    programme_id = values.get("programme", "")
    programme = await turn.db.get(Programme, int(programme_id)) if programme_id.isdigit() else None
    if programme is None or programme.organisation_id != who.organisation_id:
        bad = copy("coach.group_bad", field=copy("coach.group_programme"))
        return [Message(text=bad, buttons=(again,))]
    title = " ".join(values.get("title", "").split())
    minutes, capacity = values.get("minutes", "").strip(), values.get("capacity", "").strip()
    problems = []
    if not title:
        problems.append(copy("coach.group_name"))
    if not minutes.isdigit():
        problems.append(copy("coach.group_minutes"))
    if not capacity.isdigit():
        problems.append(copy("coach.group_capacity"))
    try:
        day = date.fromisoformat(values.get("date", "").strip())
        starts = _at(day, _clock(values.get("time", "").strip()), who.timezone)
    except ValueError:
        problems.append(copy("coach.group_date"))
        starts = now
    if problems:
        return [Message(text=copy("coach.group_bad", field=", ".join(problems)), buttons=(again,))]
    cohort = " ".join(values.get("cohort", "").split()) or None
    try:
        booking = await service.create_group(
            db=turn.db,
            coach=who,
            programme=programme,
            cohort=cohort,
            starts_at=starts,
            minutes=int(minutes),
            capacity=int(capacity),
            title=title,
            now=now,
        )
    except BookingError as err:
        return [Message(text=copy(err.key, **err.values), buttons=(again,))]
    who_for = cohort or programme.name
    text = copy(
        "coach.group_done",
        title=booking.title,
        when=show(booking.starts_at, who.timezone),
        capacity=booking.capacity,
        cohort=who_for,
    )
    return [Message(text=text, buttons=menu(turn))]
