"""The built report: suppression applied, CSV injection neutralised, labels escaped, no keys."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.reporting.report import build_report, write_report
from bot.reporting.report_csv import neutralise, table_csv
from bot.reporting.report_html import render_html
from tests.reporting.report_world import Org, store, week
from tests.reporting.test_metrics import NOW

__all__ = ["store"]

HOSTILE = '<script>alert(1)</script>"&'
FORMULA = '=HYPERLINK("http://x")'


async def org_with_small_cohort(engine: AsyncEngine) -> list[str]:
    """Eight leaders in cohort Big, three in cohort Tiny (hostile labels), with activity."""
    org = Org()
    rise = org.programme(HOSTILE, "leadership")
    coach = org.coach()
    keys = []
    for i in range(11):
        cohort = "Big" if i < 8 else FORMULA
        key = org.leader(rise, coach=coach, cohort=cohort, region="-2+3" if i < 8 else "@x")
        org.session(key, coach, week(0), "held")
        org.nudge(key, week(0), "answered", 600 * (i + 1))
        goal = org.goal(key, -1)
        org.checkin(key, goal, week(0), i % 3 - 1)
        keys.append(key)
    await org.write(engine)
    return keys


async def test_small_cohort_never_shown(store: AsyncEngine) -> None:
    await org_with_small_cohort(store)
    report = await build_report(store, min_group=5, now=NOW)
    tiny = [s for s in report.shown if s.cell.group == FORMULA]
    assert tiny and all(s.suppressed and s.value is None for s in tiny)
    big = [s for s in report.shown if s.cell.group == "Big"]
    assert big and all(s.suppressed for s in big)  # parent minus Big would be the tiny cohort
    assert report.summary.suppressed >= len(tiny) + len(big)
    everyone = report.cell("sessions_held")
    assert everyone is not None and not everyone.suppressed and everyone.value == 11
    for shown in report.shown:
        assert shown.suppressed or shown.cell.size >= 5


async def test_outputs_escape_and_neutralise(store: AsyncEngine, tmp_path: Path) -> None:
    keys = await org_with_small_cohort(store)
    report = await build_report(store, min_group=3, now=NOW)
    files = write_report(report, tmp_path / "out")
    names = sorted(p.name for p in files)
    assert names == sorted(
        [
            "index.html",
            "utilisation.csv",
            "engagement.csv",
            "goals.csv",
            "retention.csv",
            "coaches.csv",
            "weekly.csv",
        ]
    )
    html = (tmp_path / "out" / "index.html").read_text()
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="http' not in html and "src=" not in html and "<link" not in html
    assert "Minimum group size: 3." in html
    everything = html + "".join(p.read_text() for p in files)
    for key in keys:
        assert key not in everything
    assert "@" not in html.replace("@x", "")  # no email addresses
    for path in files:
        if path.suffix != ".csv":
            continue
        for row in csv.reader(io.StringIO(path.read_text())):
            for value in row:
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (path, value)
    goals = (tmp_path / "out" / "goals.csv").read_text()
    assert "'=HYPERLINK" in goals and "'@x" in goals and "'-2+3" in goals


def test_neutralise() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Rise") == "Rise"


async def test_suppressed_cells_are_blank_with_a_flag(store: AsyncEngine) -> None:
    await org_with_small_cohort(store)
    report = await build_report(store, min_group=5, now=NOW)
    table = report.table("utilisation")
    assert table is not None
    rows = list(csv.DictReader(io.StringIO(table_csv(table))))
    tiny = next(r for r in rows if r["group"] == "'" + FORMULA)
    assert tiny["sessions_held"] == "" and tiny["sessions_held_suppressed"] == "yes"
    total = next(r for r in rows if r["breakdown"] == "all")
    assert total["sessions_held"] == "11" and total["sessions_held_suppressed"] == ""


async def test_min_group_floor(store: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="floor of 3"):
        await build_report(store, min_group=2, now=NOW)


async def test_empty_store_renders(store: AsyncEngine) -> None:
    report = await build_report(store, min_group=5, now=NOW)
    assert report.summary.cells == 0
    assert "Nothing to report" in render_html(report)
