"""The welcome sweep: greet each newly started leader, and tell their coach, in working hours."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.flows.basics import NOT_READY
from bot.outbox import enqueue
from bot.routes import COMMAND_ACTION
from bot.ui import Button, Fact, Message
from bot.worktime import at_work, next_work_start, zone_of
from prompts import copy_for
from storage.models import Engagement, OutboxMessage, Person

log = logging.getLogger(__name__)

LEADER_BUTTONS = ("book", "sessions", "help")


def _leader_message(engagement: Engagement, coach: Person | None) -> Message:
    leader, programme = engagement.leader, engagement.programme
    copy = copy_for(leader.locale)
    first = leader.name.split()[0] if leader.name.strip() else leader.name
    lines = [copy("welcome.leader", programme=programme.name, name=first)]
    lines.append(
        copy("welcome.leader_coach", coach=coach.name) if coach else copy("welcome.leader_no_coach")
    )
    buttons = tuple(
        Button(label=copy(f"buttons.{word}"), action_id=COMMAND_ACTION, value=word)
        for word in LEADER_BUTTONS
        if word not in NOT_READY
    )
    return Message(title=copy("welcome.title"), text="\n\n".join(lines), buttons=buttons)


def _coach_message(engagement: Engagement, coach: Person) -> Message:
    leader = engagement.leader
    copy = copy_for(coach.locale)
    return Message(
        title=copy("welcome.coach_title"),
        text=copy("welcome.coach", leader=leader.name, programme=engagement.programme.name),
        facts=(Fact(label=copy("welcome.fact_zone"), value=leader.timezone),),
    )


async def welcome_due(*, db: AsyncSession, now: datetime) -> int:
    """Welcome active engagements whose start date has come and whose leader is at work now."""
    latest_start = (now + timedelta(days=1)).date()  # no zone is more than a day ahead of UTC
    engagements = (
        await db.scalars(
            select(Engagement)
            .where(
                Engagement.status == "active",
                Engagement.welcomed_at.is_(None),
                Engagement.started_on <= latest_start,
            )
            .options(
                selectinload(Engagement.leader),
                selectinload(Engagement.coach),
                selectinload(Engagement.programme),
            )
            .order_by(Engagement.id)
            .with_for_update(skip_locked=True, of=Engagement)
        )
    ).all()
    welcomed = 0
    for engagement in engagements:
        leader = engagement.leader
        if leader.employment_status == "left":
            continue
        if now.astimezone(zone_of(leader)).date() < engagement.started_on:
            continue
        if not at_work(leader, now):
            continue
        coach = engagement.coach
        await enqueue(
            db=db,
            person=leader,
            message=_leader_message(engagement, coach),
            now=now,
            kind="welcome",
            dedupe_key=f"welcome:leader:{engagement.id}",
        )
        if coach is not None:
            row_id = await enqueue(
                db=db,
                person=coach,
                message=_coach_message(engagement, coach),
                now=now,
                kind="welcome",
                dedupe_key=f"welcome:coach:{engagement.id}",
            )
            due = next_work_start(coach, now)
            if row_id is not None and due > now:
                await db.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id)
                    .values(next_attempt_at=due)
                )
        engagement.welcomed_at = now
        welcomed += 1
    if welcomed:
        await db.flush()
        log.info("welcomed %d engagements", welcomed)
    return welcomed
