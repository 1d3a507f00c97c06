"""End to end over random organisations and filters: no shown cell, and no difference of two
shown cells, covers a group smaller than the minimum (SQLite reporting store)."""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.reporting.cells import ALL, Shown
from bot.reporting.metrics import ReportFilter
from bot.reporting.report import build_report
from tests.reporting.report_world import W0, Org, sqlite_store, week

COHORTS = st.sampled_from(["A", "B", "C", None])
REGIONS = st.sampled_from(["emea", "amer", None])
LEADER = st.fixed_dictionaries(
    {
        "programme": st.integers(0, 2),
        "cohort": COHORTS,
        "region": REGIONS,
        "start": st.integers(0, 3),
        "length": st.one_of(st.none(), st.integers(0, 4)),
        "employment": st.sampled_from(["employed", "promoted", "moved_role", "left"]),
        "weeks": st.lists(
            st.tuples(
                st.integers(0, 6),
                st.sampled_from(["answered", "ignored", "sent", "skipped"]),
                st.sampled_from(["held", "late_cancelled", "no_show", "booked", None]),
                st.one_of(st.none(), st.integers(-2, 2)),
            ),
            max_size=5,
        ),
        "baseline": st.one_of(st.none(), st.integers(-2, 0)),
        "coach": st.integers(0, 3),
    }
)
NOW = datetime.combine(W0 + timedelta(weeks=7, days=3), datetime.min.time(), tzinfo=UTC)


async def _report(
    leaders: list[dict[str, object]], min_group: int, filters: ReportFilter
) -> list[Shown]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = await sqlite_store(Path(tmp) / "r.db")
        try:
            org = Org()
            programmes = [
                org.programme(label, modality)
                for label, modality in (
                    ("Rise", "leadership"),
                    ("Lead", "executive"),
                    ("Grow", "leadership"),
                )
            ]
            coaches = [org.coach(capacity=c) for c in (2, 4, 6, 0)]
            for spec in leaders:
                start = week(int(spec["start"]))  # type: ignore[call-overload]
                length = spec["length"]
                key = org.leader(
                    programmes[spec["programme"]],  # type: ignore[index]
                    coach=coaches[spec["coach"]],  # type: ignore[index]
                    cohort=spec["cohort"],  # type: ignore[arg-type]
                    region=spec["region"],  # type: ignore[arg-type]
                    employment=str(spec["employment"]),
                    started=start,
                    ended=None if length is None else start + timedelta(weeks=int(length)),  # type: ignore[call-overload]
                )
                goal = (
                    org.goal(key, int(spec["baseline"]))  # type: ignore[call-overload]
                    if spec["baseline"] is not None
                    else None
                )
                for n, nudge, session, level in spec["weeks"]:  # type: ignore[attr-defined]
                    org.nudge(key, week(n), nudge, 60 * (n + 1) if nudge == "answered" else None)
                    if session is not None:
                        org.session(key, coaches[spec["coach"]], week(n), session)  # type: ignore[index]
                    if goal is not None and level is not None:
                        org.checkin(key, goal, week(n), level)
            await org.write(engine)
            report = await build_report(engine, min_group=min_group, now=NOW, filters=filters)
            return report.shown
        finally:
            await engine.dispose()


def check(shown: list[Shown], m: int) -> None:
    """The privacy properties of displayed cells."""
    visible = [s.cell for s in shown if not s.suppressed]
    for cell in visible:
        assert cell.size >= m, cell
    by_metric = defaultdict(list)
    for cell in visible:
        by_metric[cell.metric].append(cell)
    for cells in by_metric.values():
        masks = {c.members for c in cells}
        for big in masks:
            for small in masks:
                if big != small and big & small == small:
                    gap = (big & ~small).bit_count()
                    assert gap >= m, (cells[0].metric, gap)
    parents: dict[tuple[str, object], int] = defaultdict(int)
    for s in shown:
        parents[(s.cell.metric, s.cell.week)] |= s.cell.members
    families: dict[tuple[str, object, str], int] = defaultdict(int)
    known: set[tuple[str, object]] = set()
    for cell in visible:
        if cell.breakdown == ALL:
            known.add((cell.metric, cell.week))
        else:
            families[(cell.metric, cell.week, cell.breakdown)] |= cell.members
    for (metric, when, _), covered in families.items():
        rest = (parents[(metric, when)] & ~covered).bit_count()
        assert rest == 0 or rest >= m, (metric, when, rest)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    leaders=st.lists(LEADER, max_size=24),
    min_group=st.integers(3, 8),
    programme=st.sampled_from([None, "Rise", "Lead"]),
    weeks=st.one_of(st.none(), st.tuples(st.integers(0, 6), st.integers(0, 6))),
)
def test_no_shown_cell_or_difference_reveals_a_small_group(
    leaders: list[dict[str, object]],
    min_group: int,
    programme: str | None,
    weeks: tuple[int, int] | None,
) -> None:
    filters = ReportFilter(
        programme=programme,
        start=week(min(weeks)) if weeks else None,
        end=week(max(weeks)) if weeks else None,
    )
    shown = asyncio.run(_report(leaders, min_group, filters))
    check(shown, min_group)
