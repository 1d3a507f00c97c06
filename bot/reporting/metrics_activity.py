"""Utilisation and engagement: sessions, nudges and check-ins, per group, whole period and weekly.

Populations (a cell's `members`): counts of sessions cover the group's leaders in scope (weekly:
those engaged that week or with a session that week); a response rate covers the leaders sent a
nudge, a median delay those who answered one, a mean weekly T-score those who checked in, and
check-in completion the leaders engaged (or checking in) that week. Counts come from packed
weekly presence (`metrics_presence`); only response delays are read row by row.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.goals.gas import equal_weight_constant
from bot.reporting.cells import ALL, Cell
from bot.reporting.metrics_fold import union
from bot.reporting.metrics_presence import Presence, bounds, read_presence
from bot.reporting.metrics_scope import Bits, GroupKey, Scope

DELIVERED = ("sent", "answered", "ignored")
"""Nudges that reached the leader (skipped and scheduled ones did not)."""
WEEKLY = (ALL, "programme", "modality")
"""Breakdowns shown week by week (the others for the whole period only)."""
MAX_GOALS = 24

Counts = dict[tuple[GroupKey, int], float]
"""(group, week index) -> a count."""


def _counts(scope: Scope, presence: Presence, wanted: Callable[[str], bool]) -> Counts:
    """Rows of the wanted classes per group and week (every group; weekly ones all weeks)."""
    classes = tuple(name for name in presence.masks if wanted(name))
    if not classes:
        return {}
    out: Counts = {}
    for gk, mask in scope.leaders.masks.items():
        for w in range(len(scope.weeks)):
            out[(gk, w)] = presence.count(mask, w, classes)
    for (name, pos, w), n in presence.extra.items():
        if wanted(name):
            for gk in scope.leaders.group_keys(scope.leaders.profile_of[pos]):
                out[(gk, w)] = out.get((gk, w), 0) + n
    return out


def _period(counts: Counts, gk: GroupKey, weeks: int) -> float:
    return sum(counts.get((gk, w), 0) for w in range(weeks))


def _cell(
    metric: str, gk: GroupKey, week: date | None, value: float | None, members: int, unit: str
) -> Cell:
    return Cell(metric, gk[0], gk[1], week, value, members, unit)


async def session_cells(conn: AsyncConnection, scope: Scope) -> list[Cell]:
    """Sessions booked, held, cancelled late and no-shows (totals, per leader, weekly held)."""
    leaders = scope.leaders
    if not scope.weeks or not leaders.size:
        return []
    presence = await read_presence(
        conn,
        scope,
        table="fact_session",
        classes={
            "any": "1 = 1",
            "held": "status = 'held'",
            "late": "status = 'late_cancelled'",
            "no_show": "status = 'no_show'",
        },
    )
    n = len(scope.weeks)
    booked = _counts(scope, presence, lambda k: k == "any")
    held = _counts(scope, presence, lambda k: k == "held")
    late = _counts(scope, presence, lambda k: k == "late")
    no_show = _counts(scope, presence, lambda k: k == "no_show")
    had = presence.any_of(("any",))
    pops = [e | s for e, s in zip(scope.engaged, had, strict=True)]
    out: list[Cell] = []
    for gk, mask in leaders.masks.items():
        size = mask.bit_count()
        total_held = _period(held, gk, n)
        for metric, value, unit in (
            ("sessions_booked", _period(booked, gk, n), "sessions"),
            ("sessions_held", total_held, "sessions"),
            ("sessions_late_cancelled", _period(late, gk, n), "sessions"),
            ("sessions_no_show", _period(no_show, gk, n), "sessions"),
            ("sessions_held_per_leader", total_held / size, "sessions per leader"),
        ):
            out.append(_cell(metric, gk, None, value, mask, unit))
        if gk[0] in WEEKLY:
            for w, pop in enumerate(pops):
                members = mask & pop
                if members:
                    value = held.get((gk, w), 0)
                    out.append(
                        _cell("sessions_held", gk, scope.weeks[w], value, members, "sessions")
                    )
    return out


async def nudge_cells(conn: AsyncConnection, scope: Scope) -> list[Cell]:
    """Nudge response rate (answered / delivered): whole period per group, and weekly."""
    leaders = scope.leaders
    if not scope.weeks or not leaders.size:
        return []
    presence = await read_presence(
        conn,
        scope,
        table="fact_nudge",
        classes={"delivered": "1 = 1", "answered": "status = 'answered'"},
        where="status IN ('sent', 'answered', 'ignored')",
    )
    n = len(scope.weeks)
    delivered = _counts(scope, presence, lambda k: k == "delivered")
    answered = _counts(scope, presence, lambda k: k == "answered")
    sent = presence.any_of(("delivered",))
    period_pop = union(sent)
    out: list[Cell] = []
    unit = "share"
    for gk, mask in leaders.masks.items():
        members = mask & period_pop
        if members:
            den = _period(delivered, gk, n)
            value = _period(answered, gk, n) / den if den else None
            out.append(_cell("nudge_response_rate", gk, None, value, members, unit))
        if gk[0] not in WEEKLY:
            continue
        for w, pop in enumerate(sent):
            members = mask & pop
            if members:
                den = delivered.get((gk, w), 0)
                value = answered.get((gk, w), 0) / den if den else None
                out.append(_cell("nudge_response_rate", gk, scope.weeks[w], value, members, unit))
    return out


async def median_cells(conn: AsyncConnection, scope: Scope) -> list[Cell]:
    """Median response delay in hours: whole period per group, weekly for everyone.

    The one metric read row by row (a median needs every value): some 400,000 rows a year for
    10,000 leaders, taken as the driver's plain tuples (half the cost of SQLAlchemy rows).
    """
    leaders = scope.leaders
    if not scope.weeks or not leaders.size:
        return []
    index = scope.week_index()
    delays: dict[int, list[float]] = defaultdict(list)  # profile -> hours (whole period)
    weekly: dict[int, list[float]] = defaultdict(list)  # week -> hours (everyone)
    builders = [Bits(leaders.size) for _ in scope.weeks]
    query = text(
        "SELECT leader_key, week, response_seconds FROM fact_nudge WHERE status = 'answered' "
        "AND response_seconds IS NOT NULL AND week >= :start AND week <= :end"
    )
    pos_of, profile_of = leaders.pos, leaders.profile_of
    result = await conn.execute(query, bounds(scope, conn.dialect.name))
    for key, when, seconds in result.cursor.fetchall():  # `when`: a date, or ISO text
        pos = pos_of.get(key)
        w = index.get(when)
        if pos is None or w is None:
            continue
        hours = seconds / 3600
        delays[profile_of[pos]].append(hours)
        weekly[w].append(hours)
        builders[w].add(pos)
    answered = [b.mask for b in builders]
    by_group: dict[GroupKey, list[float]] = defaultdict(list)
    for profile, hours in delays.items():
        for gk in leaders.group_keys(profile):
            by_group[gk].extend(hours)
    period = union(answered)
    out: list[Cell] = []
    unit = "hours"
    for gk, mask in leaders.masks.items():
        members = mask & period
        if members:
            value = statistics.median(by_group[gk]) if by_group[gk] else None
            out.append(_cell("median_response_hours", gk, None, value, members, unit))
    for w, members in enumerate(answered):
        if members:
            value = statistics.median(weekly[w]) if weekly[w] else None
            out.append(
                _cell("median_response_hours", (ALL, ALL), scope.weeks[w], value, members, unit)
            )
    return out


def _t_expression() -> str:
    """SQL for a leader-week's GAS T-score from its goal count n, level sum s and rows r."""
    arms = " ".join(f"WHEN {k} THEN {equal_weight_constant(k)!r}" for k in range(1, MAX_GOALS + 1))
    return f"50.0 + (CASE n {arms} ELSE 0.0 END) * (1.0 * s * n / r)"


async def _weekly_t(conn: AsyncConnection, scope: Scope) -> dict[tuple[GroupKey, int], list[float]]:
    """Per weekly group and week: [sum of leaders' T-scores, leaders] (in scope only)."""
    params = bounds(scope, conn.dialect.name)
    only = ""
    if scope.programme_keys is not None:  # a programme filter: its keys (maybe none)
        keys = {f"p{i}": key for i, key in enumerate(scope.programme_keys)}
        params.update(keys)
        only = "AND l.programme_key IN ({})".format(", ".join(f":{k}" for k in keys) or "NULL")
    query = text(
        f"SELECT y.week, l.programme_key, SUM(y.t), COUNT(*) FROM ("  # noqa: S608
        f"SELECT leader_key, week, {_t_expression()} AS t FROM ("
        "SELECT leader_key, week, COUNT(DISTINCT goal_key) AS n, SUM(level) AS s, "
        "COUNT(*) AS r FROM fact_checkin WHERE week >= :start AND week <= :end "
        "GROUP BY leader_key, week) AS x) AS y "
        "JOIN dim_leader l ON l.leader_key = y.leader_key "
        "JOIN (SELECT DISTINCT leader_key FROM fact_engagement WHERE started_week <= :end "
        "AND (ended_week IS NULL OR ended_week >= :start)) AS e ON e.leader_key = y.leader_key "
        "WHERE 1 = 1 "
        f"{only} GROUP BY y.week, l.programme_key"
    )
    index = scope.week_index()
    out: dict[tuple[GroupKey, int], list[float]] = {}
    for when, programme, total, count in await conn.execute(query, params):
        w = index.get(when)
        if w is None:
            continue
        label, modality = scope.programme_groups.get(programme, scope.programme_groups[None])
        for gk in ((ALL, ALL), ("programme", label), ("modality", modality)):
            acc = out.setdefault((gk, w), [0.0, 0.0])
            acc[0] += float(total)
            acc[1] += int(count)
    return out


async def checkin_cells(conn: AsyncConnection, scope: Scope) -> list[Cell]:
    """Check-in completion (leader-weeks with a check-in) and the weekly mean GAS T-score."""
    leaders = scope.leaders
    if not scope.weeks or not leaders.size:
        return []
    presence = await read_presence(
        conn, scope, table="fact_checkin", classes={"any": "1 = 1"}, counted=False
    )
    checked = presence.any_of()
    sums = await _weekly_t(conn, scope)
    out: list[Cell] = []
    for gk, mask in leaders.masks.items():
        if gk[0] not in WEEKLY:
            continue
        for w, pop in enumerate(checked):
            members = mask & pop
            if members:
                total, count = sums.get((gk, w), (0.0, 0.0))
                value = total / count if count else None
                out.append(_cell("gas_t_weekly", gk, scope.weeks[w], value, members, "T-score"))
    return out + _completion_cells(scope, checked)


def _completion_cells(scope: Scope, checked: Sequence[int]) -> list[Cell]:
    """Share of engaged leader-weeks with a check-in, per group: whole period and weekly."""
    leaders = scope.leaders
    pops = [e | c for e, c in zip(scope.engaged, checked, strict=True)]
    out: list[Cell] = []
    unit = "share"
    for gk, mask in leaders.masks.items():
        done_total = due_total = 0
        for w, pop in enumerate(pops):
            members = mask & pop
            if not members:
                continue
            due = members.bit_count()
            done = (members & checked[w]).bit_count()
            done_total += done
            due_total += due
            if gk[0] in WEEKLY:
                out.append(
                    _cell("checkin_completion", gk, scope.weeks[w], done / due, members, unit)
                )
        if due_total:
            out.append(_cell("checkin_completion", gk, None, done_total / due_total, mask, unit))
    return out
