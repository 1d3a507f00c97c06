"""Metric values on a small hand-built reporting store (exact numbers), SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.reporting.cells import ALL, UNKNOWN, Cell
from bot.reporting.metrics import ReportFilter, compute_metrics
from tests.reporting.report_world import W0, Org, store, week

__all__ = ["store"]

NOW = datetime.combine(W0 + timedelta(weeks=3, days=2), datetime.min.time(), tzinfo=UTC)


async def small_org(engine: AsyncEngine) -> list[str]:
    """Six leaders of one programme and one coach (see each test for the rows that matter)."""
    org = Org()
    rise = org.programme("Rise", "leadership")
    coach = org.coach(capacity=4)
    employment = ["employed", "employed", "employed", "employed", "promoted", "left"]
    leaders = [
        org.leader(
            rise,
            coach=coach,
            cohort="A" if i < 3 else "B",
            level="L2",
            function="eng",
            employment=employment[i],
        )
        for i in range(6)
    ]
    l0, l1, l2, l3, l4, _ = leaders
    org.session(l0, coach, week(0), "held", programme=rise)
    org.session(l0, coach, week(1), "held", programme=rise)
    org.session(l1, coach, week(0), "late_cancelled", programme=rise)
    org.session(l2, coach, week(1), "no_show", programme=rise)
    org.session(l3, coach, week(2), "booked", programme=rise)
    org.nudge(l0, week(0), "answered", 3600)
    org.nudge(l1, week(0), "answered", 7200)
    org.nudge(l2, week(0), "ignored")
    org.nudge(l3, week(0), "sent")
    org.nudge(l4, week(0), "skipped")
    g0 = org.goal(l0, baseline=-1)
    org.goal(l1, baseline=-2)
    org.checkin(l0, g0, week(0), 0)
    org.checkin(l0, g0, week(1), 1)
    await org.write(engine)
    return leaders


def find(
    cells: list[Cell], metric: str, breakdown: str = ALL, group: str = ALL, week_of: object = None
) -> Cell:
    """The one cell of a metric for a group (and week)."""
    found = [
        c
        for c in cells
        if (c.metric, c.breakdown, c.group, c.week) == (metric, breakdown, group, week_of)
    ]
    assert len(found) == 1, (metric, breakdown, group, week_of, len(found))
    return found[0]


async def test_exact_values(store: AsyncEngine) -> None:
    await small_org(store)
    async with store.connect() as conn:
        m = await compute_metrics(conn, filters=ReportFilter(), now=NOW)
    cells = m.leaders
    assert m.scope.weeks == [week(0), week(1), week(2)]
    assert find(cells, "sessions_booked").value == 5
    assert find(cells, "sessions_held").value == 2
    assert find(cells, "sessions_late_cancelled").value == 1
    assert find(cells, "sessions_no_show").value == 1
    assert find(cells, "sessions_held_per_leader").value == pytest.approx(2 / 6)
    assert find(cells, "sessions_held").size == 6
    assert find(cells, "sessions_held", week_of=week(1)).value == 1
    rate = find(cells, "nudge_response_rate")
    assert (rate.value, rate.size) == (0.5, 4)  # skipped is not delivered
    delay = find(cells, "median_response_hours")
    assert (delay.value, delay.size) == (1.5, 2)
    assert find(cells, "checkin_completion").value == pytest.approx(2 / 18)
    assert find(cells, "checkin_completion", week_of=week(0)).value == pytest.approx(1 / 6)
    assert find(cells, "gas_t_weekly", week_of=week(0)).value == 50.0
    assert find(cells, "gas_t_weekly", week_of=week(1)).value == 60.0
    baseline, latest = find(cells, "gas_t_baseline"), find(cells, "gas_t_latest")
    assert (baseline.value, latest.value, baseline.size) == (35.0, 45.0, 2)
    assert find(cells, "goals_at_expected").value == 0.5
    assert find(cells, "gas_level_plus1").value == 0.5
    assert find(cells, "gas_level_minus2").value == 0.5
    assert find(cells, "gas_level_0").value == 0.0
    assert find(cells, "share_left").value == pytest.approx(1 / 6)
    assert find(cells, "share_promoted").value == pytest.approx(1 / 6)
    assert find(cells, "share_employed").value == pytest.approx(4 / 6)
    util = find(m.coaches, "coach_utilisation")
    assert (util.value, util.size) == (1.5, 1)
    assert find(m.coaches, "sessions_held_per_coach").value == 2.0


async def test_breakdowns_partition_the_parent(store: AsyncEngine) -> None:
    await small_org(store)
    async with store.connect() as conn:
        m = await compute_metrics(conn, filters=ReportFilter(), now=NOW)
    cells = m.leaders
    a = find(cells, "sessions_held", "cohort", "A")
    b = find(cells, "sessions_held", "cohort", "B")
    parent = find(cells, "sessions_held")
    assert (a.value, b.value) == (2, 0)
    assert a.members | b.members == parent.members and not a.members & b.members
    assert find(cells, "sessions_held", "region", UNKNOWN).members == parent.members
    assert find(cells, "sessions_held", "modality", "leadership").value == 2
    assert find(cells, "sessions_held", "programme", "Rise").size == 6


async def test_filters_narrow_the_scope(store: AsyncEngine) -> None:
    leaders = await small_org(store)
    org = Org()
    other = org.programme("Other", "career")
    org.leader(other, cohort="A")
    await org.write(store)
    async with store.connect() as conn:
        everyone = await compute_metrics(conn, filters=ReportFilter(), now=NOW)
        rise = await compute_metrics(conn, filters=ReportFilter(programme="Rise"), now=NOW)
        late = await compute_metrics(
            conn, filters=ReportFilter(start=week(1), end=week(1)), now=NOW
        )
    assert find(everyone.leaders, "sessions_held").size == len(leaders) + 1
    assert find(rise.leaders, "sessions_held").size == len(leaders)
    assert late.scope.weeks == [week(1)]
    assert find(late.leaders, "sessions_held").value == 1
    assert find(late.leaders, "sessions_booked").value == 2


async def test_many_leaders_and_crowded_weeks_count_exactly(store: AsyncEngine) -> None:
    """Leaders beyond the first blocks of packed positions, several rows a week: exact counts."""
    org = Org()
    rise = org.programme("Rise", "leadership")
    coach = org.coach(capacity=200)
    leaders = [org.leader(rise, coach=coach, cohort=f"C{i % 3}") for i in range(150)]
    held = {0: 0, 1: 0, 2: 0}
    booked = delivered = answered = 0
    for i, leader in enumerate(leaders):
        for n in range(i % 5):  # 0 to 4 sessions in one week: crowded weeks
            when = week(i % 3)
            status = "held" if n % 2 == 0 else "no_show"
            org.session(leader, coach, when, status, programme=rise)
            booked += 1
            held[i % 3] += status == "held"
        for n in range(i % 4):  # 0 to 3 nudges in week 1
            status = "answered" if (i + n) % 3 else "ignored"
            org.nudge(leader, week(1), status, 600 if status == "answered" else None)
            delivered += 1
            answered += status == "answered"
    await org.write(store)
    async with store.connect() as conn:
        m = await compute_metrics(conn, filters=ReportFilter(), now=NOW)
    cells = m.leaders
    assert find(cells, "sessions_booked").value == booked
    assert find(cells, "sessions_held").value == sum(held.values())
    for w, count in held.items():
        assert find(cells, "sessions_held", week_of=week(w)).value == count
    rate = find(cells, "nudge_response_rate", week_of=week(1))
    assert rate.value == pytest.approx(answered / delivered)
    assert rate.size == sum(1 for i in range(150) if i % 4)
    per_cohort = sum(find(cells, "sessions_booked", "cohort", f"C{c}").value or 0 for c in range(3))
    assert per_cohort == booked
