"""A leader's goals and check-ins: reading them, and the trend of levels week by week."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.goals.levels import level_name
from bot.nudges.schedule import period_monday
from storage.models import CheckIn, Goal, Person

MAX_ACTIVE = 3
TREND_WEEKS = 8
_STATUS_ORDER = {"active": 0, "achieved": 1, "dropped": 2}


async def goals_of(*, db: AsyncSession, leader: Person, engagement_id: int) -> list[Goal]:
    """The leader's goals in an engagement: active first, then achieved, then dropped."""
    rows = await db.scalars(
        select(Goal)
        .where(Goal.leader_id == leader.id, Goal.engagement_id == engagement_id)
        .order_by(Goal.position, Goal.id)
    )
    return sorted(rows.all(), key=lambda g: _STATUS_ORDER.get(g.status, 3))


async def active_goals(*, db: AsyncSession, leader: Person, engagement_id: int) -> list[Goal]:
    """The leader's active goals in an engagement, in their order."""
    goals = await goals_of(db=db, leader=leader, engagement_id=engagement_id)
    return [g for g in goals if g.status == "active"]


async def own_goal(*, db: AsyncSession, leader: Person, goal_id: str) -> Goal | None:
    """The goal with this id if it is the leader's own, else None (ids may come from buttons)."""
    if not goal_id.isdigit():
        return None
    goal = await db.get(Goal, int(goal_id))
    return goal if goal is not None and goal.leader_id == leader.id else None


async def next_position(*, db: AsyncSession, leader: Person, engagement_id: int) -> int:
    """The position a new goal takes: after every goal the leader has in the engagement."""
    top = await db.scalar(
        select(func.max(Goal.position)).where(
            Goal.leader_id == leader.id, Goal.engagement_id == engagement_id
        )
    )
    return int(top or 0) + 1


async def checkins_by_goal(*, db: AsyncSession, goals: Sequence[Goal]) -> dict[int, list[CheckIn]]:
    """Each goal's check-ins, oldest period first."""
    found: dict[int, list[CheckIn]] = {g.id: [] for g in goals}
    if not goals:
        return found
    rows = await db.scalars(
        select(CheckIn).where(CheckIn.goal_id.in_(found)).order_by(CheckIn.period, CheckIn.id)
    )
    for row in rows.all():
        found[row.goal_id].append(row)
    return found


def shown_level(level: int) -> str:
    """A level as people read it: '−2', '−1', '0', '+1', '+2' (with a real minus sign)."""
    return level_name(level).replace("-", "\u2212")


def week_label(period: str) -> str:
    """The Monday that starts a period, as people read it: '2026-W48' as 'Mon 23 Nov'.

    Periods are ISO weeks of the leader's own calendar (see period_of), so the date needs no zone.
    """
    monday = period_monday(period)
    return f"{monday:%a} {monday.day} {monday:%b}"


def trend(checkins: Sequence[CheckIn], weeks: int = TREND_WEEKS) -> str:
    """The latest levels by week, e.g. 'Mon 9 Nov: −1 → Mon 16 Nov: 0' (empty when none)."""
    recent = sorted(checkins, key=lambda c: c.period)[-weeks:]
    return " \u2192 ".join(f"{week_label(c.period)}: {shown_level(c.level)}" for c in recent)


async def checkin_count(*, db: AsyncSession, leader: Person) -> int:
    """How many times the leader checked in: one per week, however many goals it covered."""
    found = await db.scalar(
        select(func.count(distinct(CheckIn.period))).where(CheckIn.leader_id == leader.id)
    )
    return int(found or 0)


def latest_t_score(by_goal: dict[int, list[CheckIn]]) -> tuple[str, float] | None:
    """The period and T-score of the leader's most recent check-in, if any has one."""
    latest = [c for rows in by_goal.values() for c in rows if c.t_score is not None]
    if not latest:
        return None
    newest = max(latest, key=lambda c: (c.period, c.answered_at))
    assert newest.t_score is not None
    return newest.period, newest.t_score
