"""Goal attainment, retention and pipeline, and coach utilisation (whole period, per group).

Goal figures cover the leaders with a goal: the baseline T-score comes from the goals' baseline
levels (`bot.goals.gas.t_score`), the latest from each goal's latest check-in level up to the end
of the period (its baseline when never checked in). Retention covers the leaders in scope; coach
figures cover the coaches in scope (another population: coaches are never mixed with leaders).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.goals.gas import EXPECTED, LEVELS, t_score
from bot.reporting.cells import Cell
from bot.reporting.metrics_fold import Spec, Tally, cells_from, per_person, ratio
from bot.reporting.metrics_scope import Scope
from storage.reporting.models import DimProgramme, FactCheckIn, FactGoal, FactSession

LEVEL_NAMES = {-2: "minus2", -1: "minus1", 0: "0", 1: "plus1", 2: "plus2"}
GAS_LEVEL_METRICS = tuple(f"gas_level_{LEVEL_NAMES[level]}" for level in LEVELS)
"""Share of goals at each GAS level (-2..+2), latest level."""
EMPLOYMENT = ("employed", "promoted", "moved_role", "left")


def _level(value: int) -> int:
    return max(LEVELS[0], min(LEVELS[-1], int(value)))


async def goal_cells(conn: AsyncConnection, scope: Scope) -> list[Cell]:
    """Mean T-score at baseline and latest, share of goals at or above expected, level shares."""
    leaders = scope.leaders
    if not leaders.size:
        return []
    goals = select(FactGoal.goal_key, FactGoal.leader_key, FactGoal.baseline_level).where(
        FactGoal.created_week <= scope.end
    )
    latest_week = (
        select(FactCheckIn.goal_key, func.max(FactCheckIn.week).label("week"))
        .where(FactCheckIn.week <= scope.end)
        .group_by(FactCheckIn.goal_key)
        .subquery()
    )
    latest = select(FactCheckIn.goal_key, FactCheckIn.level).join(
        latest_week,
        (latest_week.c.goal_key == FactCheckIn.goal_key) & (latest_week.c.week == FactCheckIn.week),
    )
    level_now = {key: _level(level) for key, level in await conn.execute(latest)}
    per_leader: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for goal_key, leader_key, baseline in await conn.execute(goals):
        pos = leaders.pos.get(leader_key)
        if pos is not None:
            per_leader[pos].append((_level(baseline), level_now.get(goal_key, _level(baseline))))
    # [baseline T sum, latest T sum, goals at or above expected, goals, goals per level...]
    width = 4 + len(LEVELS)
    tally = Tally(leaders, 1, width)
    for pos, pairs in per_leader.items():
        vec = [0.0] * width
        vec[0] = t_score([b for b, _ in pairs])
        vec[1] = t_score([level for _, level in pairs])
        vec[2] = sum(1 for _, level in pairs if level >= EXPECTED)
        vec[3] = len(pairs)
        for _, level in pairs:
            vec[4 + LEVELS.index(level)] += 1
        tally.add(pos, 0, vec)
    specs = [
        Spec("gas_t_baseline", "T-score", per_person(0)),
        Spec("gas_t_latest", "T-score", per_person(1)),
        Spec("goals_at_expected", "share", ratio(2, 3)),
    ]
    specs += [Spec(name, "share", ratio(4 + i, 3)) for i, name in enumerate(GAS_LEVEL_METRICS)]
    return cells_from(
        leaders,
        scope.weeks,
        tally.folded(),
        specs,
        period_population=tally.week_masks()[0],
        week_populations=None,
        width=width,
    )


def retention_cells(scope: Scope) -> list[Cell]:
    """Shares of the leaders in scope still employed, promoted, moved role, and left."""
    leaders = scope.leaders
    if not leaders.size:
        return []
    tally = Tally(leaders, 1, len(EMPLOYMENT))
    for pos, status in enumerate(scope.employment):
        tally.add(pos, 0, [1.0 if status == name else 0.0 for name in EMPLOYMENT])
    specs = [Spec(f"share_{name}", "share", per_person(i)) for i, name in enumerate(EMPLOYMENT)]
    return cells_from(
        leaders,
        scope.weeks,
        tally.folded(),
        specs,
        period_population=leaders.everyone,
        week_populations=None,
        width=len(EMPLOYMENT),
    )


async def coach_cells(conn: AsyncConnection, scope: Scope, programme: str | None) -> list[Cell]:
    """Coach utilisation (clients holding a place / capacity) and sessions held per coach."""
    coaches = scope.coaches
    if not coaches.size:
        return []
    held = (
        select(FactSession.coach_key, func.count())
        .where(FactSession.status == "held", FactSession.week.between(scope.start, scope.end))
        .group_by(FactSession.coach_key)
    )
    if programme is not None:
        keys = select(DimProgramme.programme_key).where(DimProgramme.label == programme)
        held = held.where(FactSession.programme_key.in_(keys))
    sessions = {key: n for key, n in await conn.execute(held)}
    tally = Tally(coaches, 1, 3)  # [held sessions, clients holding a place, capacity]
    for key, pos in coaches.pos.items():
        tally.add(
            pos,
            0,
            (
                sessions.get(key, 0),
                scope.coach_active_clients.get(key, 0),
                scope.coach_capacity.get(key, 0),
            ),
        )
    return cells_from(
        coaches,
        scope.weeks,
        tally.folded(),
        (
            Spec("coach_utilisation", "share of capacity", ratio(1, 2)),
            Spec("sessions_held_per_coach", "sessions per coach", per_person(0)),
        ),
        period_population=coaches.everyone,
        week_populations=None,
        width=3,
    )
