"""What a person can look up about themselves: upcoming sessions, and what is kept."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from bot.flows.basics import is_coach, menu
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.timefmt import show
from bot.ui import Fact, Message
from storage.models import Booking, CheckIn, Engagement, Goal, Person, Reflection

MAX_SESSIONS_SHOWN = 10


@ROUTES.command("sessions")
async def sessions(turn: Turn) -> list[Message]:
    """List the person's upcoming confirmed sessions in their own time zone."""
    who, copy, now = turn.interaction.who, turn.copy, turn.interaction.now
    other = aliased(Person)
    coach = is_coach(turn)
    other_id = Booking.leader_id if coach else Booking.coach_id
    rows = (
        await turn.db.execute(
            select(Booking, other.name)
            .join(other, other.id == other_id)
            .where(
                or_(Booking.leader_id == who.id, Booking.coach_id == who.id),
                Booking.status == "confirmed",
                Booking.ends_at > now,
            )
            .order_by(Booking.starts_at)
            .limit(MAX_SESSIONS_SHOWN)
        )
    ).all()
    if not rows:
        key = "sessions.none_coach" if coach else "sessions.none"
        return [Message(text=copy(key), buttons=menu(turn))]
    with_key = "sessions.with_leader" if coach else "sessions.with_coach"
    facts = tuple(
        Fact(
            label=show(booking.starts_at, who.timezone),
            value=f"{copy(f'sessions.kind_{booking.kind}')} {copy(with_key, name=name)}",
        )
        for booking, name in rows
    )
    return [
        Message(
            title=copy("sessions.title"),
            text=copy("common.time_in_zone", zone=who.timezone),
            facts=facts,
        )
    ]


async def _count(turn: Turn, *where: object) -> int:
    return int(await turn.db.scalar(select(func.count()).where(*where)) or 0)  # type: ignore[arg-type]


@ROUTES.command("privacy")
async def privacy(turn: Turn) -> list[Message]:
    """Say what is kept about the person and who can see it, with real counts."""
    who, copy, now = turn.interaction.who, turn.copy, turn.interaction.now
    if is_coach(turn):
        clients = await _count(
            turn, Engagement.coach_id == who.id, Engagement.status.in_(("active", "paused"))
        )
        upcoming = await _count(
            turn, Booking.coach_id == who.id, Booking.status == "confirmed", Booking.ends_at > now
        )
        facts = (
            Fact(label=copy("privacy.clients"), value=str(clients)),
            Fact(label=copy("privacy.upcoming"), value=str(upcoming)),
        )
        return [
            Message(
                title=copy("privacy.title"),
                text=copy("privacy.coach_body"),
                facts=facts,
                footer=copy("privacy.export_erase"),
            )
        ]
    kept = copy(
        "privacy.kept_value",
        reflections=await _count(turn, Reflection.leader_id == who.id),
        shared=await _count(
            turn, Reflection.leader_id == who.id, Reflection.shared_with_coach.is_(True)
        ),
        goals=await _count(turn, Goal.leader_id == who.id),
        checkins=await _count(turn, CheckIn.leader_id == who.id),
    )
    facts_list = [Fact(label=copy("privacy.kept"), value=kept)]
    engagement = await current_engagement(db=turn.db, leader=who)
    if engagement and engagement.coach:
        facts_list.append(Fact(label=copy("privacy.coach"), value=engagement.coach.name))
    return [
        Message(
            title=copy("privacy.title"),
            text=copy("privacy.body"),
            facts=tuple(facts_list),
            footer=copy("privacy.export_erase"),
        )
    ]
