"""What a person can look up about themselves: what is kept, and who sees it."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.flows.basics import is_coach
from bot.flows.coach_view import coach_view_message
from bot.goals.store import checkin_count
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.ui import Fact, Message
from storage.models import Booking, Engagement, Goal, Reflection


async def _count(turn: Turn, *where: object) -> int:
    return int(await turn.db.scalar(select(func.count()).where(*where)) or 0)  # type: ignore[arg-type]


@ROUTES.command("privacy")
async def privacy(turn: Turn) -> list[Message]:
    """Say what is kept about the person and who can see it; a leader also sees what their coach
    will receive (and can withdraw from it)."""
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
        checkins=await checkin_count(db=turn.db, leader=who),
    )
    facts_list = [Fact(label=copy("privacy.kept"), value=kept)]
    engagement = await current_engagement(db=turn.db, leader=who)
    if engagement and engagement.coach:
        facts_list.append(Fact(label=copy("privacy.coach"), value=engagement.coach.name))
    kept_message = Message(
        title=copy("privacy.title"),
        text=copy("privacy.body"),
        facts=tuple(facts_list),
        footer=copy("privacy.export_erase"),
    )
    return [kept_message, await coach_view_message(turn)]
