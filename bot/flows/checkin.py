"""The weekly goal check-in: `checkin` (or the nudge's button) opens one form for every goal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.basics import with_menu
from bot.flows.goals import leader_engagement
from bot.goals.checkin_form import FORM_ID, CheckInDraft, check_checkin, checkin_form
from bot.goals.gas import t_score
from bot.goals.store import active_goals, week_label
from bot.nudges import sweep
from bot.nudges.schedule import period_of
from bot.routes import ROUTES, Turn
from bot.ui import Button, Message
from storage.models import CheckIn, Goal, Nudge, NudgeSettings, Person

OPEN_STATUSES = ("scheduled", "sent", "ignored")


async def _share_default(db: AsyncSession, leader: Person) -> str | None:
    settings = await db.get(NudgeSettings, leader.id)
    return settings.share_default if settings is not None else None


async def _this_week(db: AsyncSession, goals: list[Goal], period: str) -> dict[int, CheckIn]:
    if not goals:
        return {}
    rows = await db.scalars(
        select(CheckIn).where(CheckIn.goal_id.in_([g.id for g in goals]), CheckIn.period == period)
    )
    return {c.goal_id: c for c in rows.all()}


@ROUTES.command("checkin")
async def checkin(turn: Turn) -> list[Message]:
    """Open this week's check-in form, with last answers this week filled in."""
    return await _open(turn, context="")


@ROUTES.action("checkin.open")
async def open_from_nudge(turn: Turn) -> list[Message]:
    """The check-in nudge's button: the same form, remembering which nudge it answers."""
    value = turn.interaction.value.strip()
    return await _open(turn, context=value if value.isdigit() else "")


async def _open(turn: Turn, *, context: str) -> list[Message]:
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    copy, leader, now = turn.copy, turn.interaction.who, turn.interaction.now
    goals = await active_goals(db=turn.db, leader=leader, engagement_id=found.id)
    if not goals:
        return [_no_goals(turn)]
    period = period_of(now, leader.timezone)
    earlier = await _this_week(turn.db, goals, period)
    default = await _share_default(turn.db, leader)
    lines = [copy("checkin.intro", week=week_label(period))]
    if earlier:
        lines.append(copy("checkin.again"))
    if default is None:
        lines.append(copy("checkin.share_not_chosen"))
    form = checkin_form(
        copy, goals=goals, share=default or "private", context=context, earlier=earlier
    )
    return [Message(text="\n\n".join(lines), form=form)]


def _no_goals(turn: Turn) -> Message:
    add = Button(label=turn.copy("goals.add"), action_id="goals.add", style="primary")
    return Message(text=turn.copy("checkin.no_goals"), buttons=with_menu(turn, add))


@ROUTES.form(FORM_ID)
async def save(turn: Turn) -> list[Message]:
    """Save one check-in per active goal for this week (again: update it); answer the nudge."""
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    copy, leader, now = turn.copy, turn.interaction.who, turn.interaction.now
    values = turn.interaction.form
    goals = await active_goals(db=turn.db, leader=leader, engagement_id=found.id)
    if not goals:
        return [_no_goals(turn)]
    period = period_of(now, leader.timezone)
    context = values.get("context", "").strip()
    checked = check_checkin(copy, goals=goals, values=values)
    if isinstance(checked, list):
        default = await _share_default(turn.db, leader) or "private"
        form = checkin_form(copy, goals=goals, share=default, context=context, values=values)
        text = "\n".join([copy("checkin.problems"), *(f"• {line}" for line in checked)])
        return [Message(text=text, form=form)]
    earlier = await _this_week(turn.db, goals, period)
    score = _store(turn.db, leader, goals, checked, earlier, period=period, now=now)
    await turn.db.flush()
    await _answer_nudges(turn.db, leader, context, period=period, now=now)
    key = "checkin.updated" if earlier else "checkin.saved"
    lines = [
        copy(key, week=week_label(period), score=f"{score:.1f}"),
        copy(f"checkin.shared_{checked.share}"),
    ]
    see = Button(label=copy("buttons.goals"), action_id="command", value="goals")
    return [Message(text="\n\n".join(lines), buttons=with_menu(turn, see))]


def _store(
    db: AsyncSession,
    leader: Person,
    goals: list[Goal],
    draft: CheckInDraft,
    earlier: dict[int, CheckIn],
    *,
    period: str,
    now: datetime,
) -> float:
    """Write (or rewrite) this week's rows; every row gets the T-score of this submission."""
    score = t_score([draft.levels[g.id] for g in goals])
    for goal in goals:
        row = earlier.get(goal.id)
        if row is None:
            row = CheckIn(goal_id=goal.id, leader_id=leader.id, period=period, created_at=now)
            db.add(row)
        row.level = draft.levels[goal.id]
        row.confidence = draft.confidence.get(goal.id)
        row.note = draft.note
        row.t_score = score
        row.shared_with_coach = draft.share == "coach"
        row.answered_at = now
    return score


async def _answer_nudges(
    db: AsyncSession, leader: Person, context: str, *, period: str, now: datetime
) -> None:
    """Mark answered this week's check-in nudge, the open one and the one the form came from."""
    nudges: dict[int, Nudge] = {}
    if context.isdigit():
        from_button = await db.get(Nudge, int(context))
        if from_button is not None and from_button.person_id == leader.id:
            nudges[from_button.id] = from_button
    this_week = await db.scalar(
        select(Nudge).where(
            Nudge.person_id == leader.id, Nudge.kind == "checkin", Nudge.period == period
        )
    )
    if this_week is not None:
        nudges[this_week.id] = this_week
    latest = await sweep.open_nudge(db=db, person=leader, kind="checkin", now=now)
    if latest is not None:
        nudges[latest.id] = latest
    for nudge in nudges.values():
        if nudge.kind == "checkin" and nudge.status in OPEN_STATUSES:
            await sweep.mark_answered(db=db, nudge=nudge, now=now)
