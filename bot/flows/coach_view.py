"""`privacy` for a leader, second part: exactly what their coach will receive, and withdrawal."""

from __future__ import annotations

from bot import coach_view
from bot.brief_window import brief_due_at
from bot.briefs import build_brief, day
from bot.coach_view import Pending
from bot.flows import basics
from bot.handoffs import next_session
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.timefmt import show
from bot.ui import Button, Message, literal
from storage.models import Booking, Person

SHOWN = 10
"""At most this many pending items (the newest) are listed, each with its Withdraw button."""
EXCERPT = 160


async def coach_view_message(turn: Turn) -> Message:
    """What the leader's coach gets before the next session, and what can still be withdrawn."""
    who, copy = turn.interaction.who, turn.copy
    engagement = await current_engagement(db=turn.db, leader=who)
    coach = engagement.coach if engagement is not None else None
    if coach is None:
        return Message(text=copy("coach_view.no_coach"))
    pending = await coach_view.pending_items(
        db=turn.db, leader=who, coach_id=coach.id, now=turn.interaction.now
    )
    session = await next_session(
        db=turn.db, leader_id=who.id, coach_id=coach.id, now=turn.interaction.now
    )
    parts = [await _intro(turn, coach, session)]
    if session is not None and session.brief_sent_at is None:
        brief = await build_brief(
            db=turn.db, booking=session, leader=who, coach=coach, now=turn.interaction.now
        )
        parts += [f"{brief.title}\n{brief.text}", copy("coach_view.summary_note", coach=coach.name)]
    parts.append(_pending_text(turn, coach, pending))
    return Message(
        title=copy("coach_view.title", coach=coach.name),
        text="\n\n".join(parts),
        buttons=_withdraw_buttons(turn, pending),
        footer=copy("coach_view.footer", coach=coach.name),
    )


async def _intro(turn: Turn, coach: Person, session: Booking | None) -> str:
    copy, zone, now = turn.copy, turn.interaction.who.timezone, turn.interaction.now
    if session is None:
        return copy("coach_view.no_session", coach=coach.name)
    when = show(session.starts_at, zone)
    if session.brief_sent_at is not None:
        sent = show(session.brief_sent_at, zone)
        return copy("coach_view.brief_sent", coach=coach.name, when=when, sent=sent)
    due = await brief_due_at(db=turn.db, booking=session)
    if due <= now:
        return copy("coach_view.due_now", coach=coach.name, when=when)
    return copy("coach_view.before_session", coach=coach.name, when=when, brief_at=show(due, zone))


def _shown(pending: list[Pending]) -> list[Pending]:
    return pending[-SHOWN:]


def _excerpt(text: str) -> str:
    """The start of the leader's words, on one line, shown exactly as written."""
    flat = " ".join(text.split())
    return literal(flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…")


def _pending_text(turn: Turn, coach: Person, pending: list[Pending]) -> str:
    copy, zone = turn.copy, turn.interaction.who.timezone
    if not pending:
        return copy("coach_view.pending_none", coach=coach.name)
    lines = [copy("coach_view.pending_heading")]
    if len(pending) > SHOWN:
        lines.append(copy("coach_view.more", count=len(pending) - SHOWN))
    for n, item in enumerate(_shown(pending), start=1):
        on = day(item.at, zone)
        if item.kind == "checkin":
            note = copy("coach_view.checkin_note", note=_excerpt(item.text)) if item.text else ""
            line = copy("coach_view.checkin_item", n=n, goal=literal(item.goal), on=on, text=note)
        else:
            line = copy(f"coach_view.{item.kind}_item", n=n, on=on, text=_excerpt(item.text))
        lines.append(line)
    return "\n".join(lines)


def _withdraw_buttons(turn: Turn, pending: list[Pending]) -> tuple[Button, ...]:
    return tuple(
        Button(
            label=turn.copy("coach_view.withdraw_button", n=n),
            action_id="privacy.withdraw",
            value=item.value,
        )
        for n, item in enumerate(_shown(pending), start=1)
    )


@ROUTES.action("privacy.withdraw")
async def withdraw(turn: Turn) -> list[Message]:
    """Withdraw one item from the coach's next brief; it stays, private to the leader."""
    who, copy, now = turn.interaction.who, turn.copy, turn.interaction.now
    if who.role != "leader":
        return await basics.expired(turn)
    engagement = await current_engagement(db=turn.db, leader=who)
    coach = engagement.coach if engagement is not None else None
    if coach is None:
        return await basics.expired(turn)
    value = turn.interaction.value
    item = await coach_view.withdraw(
        db=turn.db, leader=who, coach_id=coach.id, value=value, now=now
    )
    if item is None:
        done = copy("coach_view.too_late", coach=coach.name)
    else:
        what = copy(f"coach_view.what_{item.kind}")
        done = copy("coach_view.withdrawn", what=what, on=day(item.at, who.timezone))
    return [Message(text=done), await coach_view_message(turn)]
