"""The HTML report in a real headless Chromium: no console errors, its charts drawn with data."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page

from bot.reporting.report import build_report, write_report
from tests.handlers.test_browser import page
from tests.reporting.report_world import Org, sqlite_store, week
from tests.reporting.test_metrics import NOW

__all__ = ["page"]
pytestmark = pytest.mark.browser


async def test_report_opens_and_shows_charts(tmp_path: Path, page: tuple[Page, list[str]]) -> None:
    engine = await sqlite_store(tmp_path / "reporting.db")
    org = Org()
    programmes = [org.programme("Rise", "leadership"), org.programme("Lead", "executive")]
    coach = org.coach()
    for i in range(24):
        leader = org.leader(programmes[i % 2], coach=coach, cohort=f"C{i % 3}")
        goal = org.goal(leader, -1)
        for n in range(3):
            org.nudge(leader, week(n), "answered" if (i + n) % 3 else "ignored", 900 * (i + 1))
            org.checkin(leader, goal, week(n), min(2, (i + n) % 4 - 1))
            org.session(leader, coach, week(n), "held")
    await org.write(engine)
    report = await build_report(engine, min_group=5, now=NOW)
    await engine.dispose()
    write_report(report, tmp_path / "out")
    tab, errors = page
    await tab.goto((tmp_path / "out" / "index.html").as_uri())
    for chart in ("engagement", "gas_distribution", "gas_change", "by_modality", "by_cohort"):
        svg = tab.locator(f"#chart-{chart} svg")
        assert await svg.count() == 1, chart
    assert await tab.locator("#chart-engagement polyline.series").count() == 2
    assert await tab.locator("#chart-gas_distribution rect.bar").count() >= 1
    assert await tab.locator("#chart-gas_change rect.bar").count() == 2
    assert await tab.locator("#chart-by_modality rect.bar").count() == 2
    values = await tab.locator("svg [data-value]").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('data-value')))"
    )
    assert values and all(v == v for v in values)  # numbers, no NaN
    box = await tab.locator("#chart-engagement svg").bounding_box()
    assert box is not None and box["width"] > 100
    assert "Minimum group size: 5." in await tab.locator("#privacy").inner_text()
    assert errors == []
