"""A leader's goals in chat: `goals` lists them with their trend; add, edit, achieve, drop.

Goals are confidential: they are shown only to their leader, never logged, never to the coach.
"""

from __future__ import annotations

from bot.flows.basics import menu, with_menu
from bot.goals.gas import LEVELS
from bot.goals.goal_form import FORM_ID, check_goal, goal_form
from bot.goals.levels import level_name
from bot.goals.store import (
    MAX_ACTIVE,
    active_goals,
    checkins_by_goal,
    goals_of,
    latest_t_score,
    next_position,
    own_goal,
    shown_level,
    trend,
    week_label,
)
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.ui import Button, Fact, Message, literal
from prompts import Copy
from storage.models import CheckIn, Engagement, Goal


async def leader_engagement(turn: Turn) -> Engagement | Message:
    """The leader's current engagement, or the polite refusal to show instead."""
    copy = turn.copy
    if turn.interaction.who.role != "leader":
        return Message(text=copy("goals.leaders_only"), buttons=menu(turn))
    engagement = await current_engagement(db=turn.db, leader=turn.interaction.who)
    if engagement is None:
        return Message(text=copy("common.not_enrolled"), buttons=menu(turn))
    return engagement


@ROUTES.command("goals")
async def goals(turn: Turn) -> list[Message]:
    """The leader's goals with levels, baseline and trend, and what they can do with them."""
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    return await goals_overview(turn, found)


async def goals_overview(turn: Turn, engagement: Engagement, note: str = "") -> list[Message]:
    """One message per goal, then a summary with the latest T-score and the add button."""
    copy, leader = turn.copy, turn.interaction.who
    goals = await goals_of(db=turn.db, leader=leader, engagement_id=engagement.id)
    by_goal = await checkins_by_goal(db=turn.db, goals=goals)
    replies = [goal_message(turn, g, by_goal[g.id]) for g in goals]
    active = sum(1 for g in goals if g.status == "active")
    lines = [note] if note else []
    if not goals:
        lines.append(copy("goals.none"))
    latest = latest_t_score(by_goal)
    if latest is not None:
        period, score = latest
        lines.append(copy("goals.latest_t", week=week_label(period), score=f"{score:.1f}"))
    buttons: list[Button] = []
    if active < MAX_ACTIVE:
        lines.append(copy("goals.can_add", left=MAX_ACTIVE - active, max=MAX_ACTIVE))
        buttons.append(Button(label=copy("goals.add"), action_id="goals.add", style="primary"))
    else:
        lines.append(copy("goals.full", max=MAX_ACTIVE))
    if active:
        buttons.append(Button(label=copy("buttons.checkin"), action_id="command", value="checkin"))
    lines.append(copy("goals.private"))
    replies.append(Message(text="\n\n".join(lines), buttons=with_menu(turn, *buttons)))
    return replies


def level_line(copy: Copy, goal: Goal, level: int) -> str:
    """A described level of the goal's scale: its sign, then the leader's own words (literal)."""
    return copy(
        "goals.level_line", level=shown_level(level), text=literal(goal.levels[level_name(level)])
    )


def goal_message(turn: Turn, goal: Goal, checkins: list[CheckIn]) -> Message:
    """One goal: status, level descriptions, baseline, themes, trend; buttons while active."""
    copy = turn.copy
    scale = [
        level_line(copy, goal, lv)
        for lv in sorted(LEVELS, reverse=True)
        if level_name(lv) in goal.levels
    ]
    facts = [
        Fact(label=copy("goals.status"), value=copy(f"goals.status_{goal.status}")),
        Fact(label=copy("goals.baseline"), value=shown_level(goal.baseline_level)),
    ]
    if goal.themes:
        themes = ", ".join(copy(f"goals.theme.{t}") for t in goal.themes)
        facts.append(Fact(label=copy("goals.themes"), value=themes))
    shown = trend(checkins)
    facts.append(Fact(label=copy("goals.trend"), value=shown or copy("goals.no_checkins")))
    buttons: tuple[Button, ...] = ()
    if goal.status == "active":
        value = str(goal.id)
        buttons = (
            Button(label=copy("goals.edit"), action_id="goals.edit", value=value),
            Button(label=copy("goals.achieve"), action_id="goals.achieve", value=value),
            Button(label=copy("goals.drop"), action_id="goals.drop", value=value, style="danger"),
        )
    return Message(title=goal.title, text="\n".join(scale), facts=tuple(facts), buttons=buttons)


@ROUTES.action("goals.add")
async def add(turn: Turn) -> list[Message]:
    """The form for a new goal, unless the leader already has the most active goals."""
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    active = await active_goals(db=turn.db, leader=turn.interaction.who, engagement_id=found.id)
    if len(active) >= MAX_ACTIVE:
        return [Message(text=turn.copy("goals.full", max=MAX_ACTIVE), buttons=menu(turn))]
    return [Message(text=turn.copy("goals.form_intro"), form=goal_form(turn.copy))]


@ROUTES.action("goals.edit")
async def edit(turn: Turn) -> list[Message]:
    """The form to change an active goal, filled in with what it says now."""
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    goal = await own_goal(db=turn.db, leader=turn.interaction.who, goal_id=turn.interaction.value)
    if goal is None or goal.status != "active":
        return [Message(text=turn.copy("common.expired_button"), buttons=menu(turn))]
    return [Message(text=turn.copy("goals.form_intro"), form=goal_form(turn.copy, goal=goal))]


@ROUTES.form(FORM_ID)
async def save(turn: Turn) -> list[Message]:
    """Save a new or changed goal; any problem lists every one of them and saves nothing."""
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    copy, leader, now = turn.copy, turn.interaction.who, turn.interaction.now
    values = turn.interaction.form
    context = values.get("context", "").strip()
    goal: Goal | None = None
    if context:
        goal = await own_goal(db=turn.db, leader=leader, goal_id=context)
        if goal is None or goal.status != "active":
            return [Message(text=copy("common.expired_form"), buttons=menu(turn))]
    checked = check_goal(copy, values)
    if isinstance(checked, list):
        text = "\n".join([copy("goals.problems"), *(f"• {line}" for line in checked)])
        return [Message(text=text, form=goal_form(copy, goal=goal, values=values))]
    if goal is None:
        active = await active_goals(db=turn.db, leader=leader, engagement_id=found.id)
        if len(active) >= MAX_ACTIVE:
            return [Message(text=copy("goals.full", max=MAX_ACTIVE), buttons=menu(turn))]
        position = await next_position(db=turn.db, leader=leader, engagement_id=found.id)
        goal = Goal(
            engagement_id=found.id,
            leader_id=leader.id,
            position=position,
            created_at=now,
        )
        turn.db.add(goal)
        note = copy("goals.added")
    else:
        note = copy("goals.changed")
    goal.title = checked.title
    goal.levels = checked.levels
    goal.baseline_level = checked.baseline
    goal.themes = checked.themes
    goal.updated_at = now
    await turn.db.flush()
    return await goals_overview(turn, found, note=note)


async def _set_status(turn: Turn, status: str) -> list[Message]:
    found = await leader_engagement(turn)
    if isinstance(found, Message):
        return [found]
    goal = await own_goal(db=turn.db, leader=turn.interaction.who, goal_id=turn.interaction.value)
    if goal is None or goal.status != "active":
        return [Message(text=turn.copy("common.expired_button"), buttons=menu(turn))]
    goal.status = status
    goal.updated_at = turn.interaction.now
    await turn.db.flush()
    return await goals_overview(turn, found, note=turn.copy(f"goals.now_{status}"))


@ROUTES.action("goals.achieve")
async def achieve(turn: Turn) -> list[Message]:
    """Mark an active goal achieved (its check-ins stay for the trend)."""
    return await _set_status(turn, "achieved")


@ROUTES.action("goals.drop")
async def drop(turn: Turn) -> list[Message]:
    """Drop an active goal: it is no longer checked in on; its history stays."""
    return await _set_status(turn, "dropped")
