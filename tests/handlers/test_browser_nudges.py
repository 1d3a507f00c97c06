"""Goals and nudges in a real headless Chromium: set a goal, let the week pass, answer, check in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select

from storage.crypto import Keyring
from storage.db import Database
from storage.models import Base, CheckIn, Reflection
from tests.factories import make_world
from tests.handlers.test_browser import WAIT_MS, page  # noqa: F401 - the fixture
from tests.handlers.web_env import build

pytestmark = pytest.mark.browser


@pytest.fixture
async def site(tmp_path: Path, keyring: Keyring) -> AsyncIterator[tuple[str, Database]]:
    """The playground over a fresh SQLite database with one coach and one leader."""
    database = Database(f"sqlite:///{tmp_path}/nudges.db", keyring)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with database.transaction() as s:
        await make_world(s)
    app, _clock, _jobs = build(database)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/")), database
    finally:
        await server.close()
        await database.dispose()


def last_form(tab: Page) -> Locator:
    return tab.locator("#transcript form.cc-form").last


async def test_set_a_goal_answer_the_nudge_shared_and_check_in(
    site: tuple[str, Database],
    page: tuple[Page, list[str]],  # noqa: F811 - the fixture
) -> None:
    url, database = site
    tab, errors = page
    await tab.goto(url)
    picker = tab.get_by_label("Talk as")
    await expect(picker).to_be_enabled(timeout=WAIT_MS)
    await picker.select_option(label="Sam Lee")
    box = tab.get_by_label("Message to Coach Companion")
    transcript = tab.locator("#transcript")

    await box.fill("goals")
    await box.press("Enter")
    await transcript.get_by_role("button", name="Add a goal").last.click(timeout=WAIT_MS)
    form = last_form(tab)
    await form.get_by_label("Goal", exact=True).fill("Delegate the weekly reporting")
    await form.get_by_label("+1: more than expected").fill("I hand over all but one report")
    await form.get_by_label("0: the expected outcome").fill("I hand over half the reports")
    await form.get_by_label("−1: less than expected").fill("I hand over one report")
    await form.get_by_role("button", name="Save goal").click()
    await expect(transcript.locator("article.cc-msg").last).to_contain_text(
        "Goal added", timeout=WAIT_MS
    )

    # A week passes: Friday's reflection (16:00 EST) and Monday's check-in (09:00 EST) arrive.
    await tab.get_by_role("button", name="+1 week").click()
    await expect(tab.locator("#clock-status")).to_contain_text("Ran the sweeps", timeout=WAIT_MS)
    reflection = transcript.locator("article.cc-msg", has_text="Your weekly reflection").first
    await expect(reflection).to_contain_text("Fri 27 Nov 2026, 16:00 EST", timeout=WAIT_MS)
    await reflection.get_by_role("button", name="Answer").click()
    answer_card = transcript.locator(
        "article.cc-msg", has=tab.locator("h3", has_text=re.compile("^This week's reflection$"))
    )
    await expect(answer_card).to_have_count(1, timeout=WAIT_MS)
    form = answer_card.locator("form")
    await form.get_by_label("Your answer").fill("I kept the hardest report for myself again.")
    await form.get_by_label("Who can read it").select_option(label="Share with my coach")
    await form.get_by_role("button", name="Save").click()
    await expect(transcript.locator("article.cc-msg").last).to_contain_text(
        "coach", timeout=WAIT_MS
    )

    checkin = transcript.locator("article.cc-msg", has_text="Your weekly goal check-in").first
    await expect(checkin).to_contain_text("Mon 30 Nov 2026, 09:00 EST", timeout=WAIT_MS)
    await checkin.get_by_role("button", name="Check in").click()
    form = transcript.locator(
        "form.cc-form", has=tab.get_by_role("button", name="Save check-in")
    ).last
    level = form.locator("select").first
    await level.select_option(label="0: I hand over half the reports")
    await form.get_by_role("button", name="Save check-in").click()
    saved = transcript.locator("article.cc-msg").last
    await expect(saved).to_contain_text("Overall score: 50.0", timeout=WAIT_MS)
    await expect(saved.get_by_role("button", name="My goals")).to_have_count(1)
    async with database.reading() as s:
        [answer] = (await s.scalars(select(Reflection))).all()
        [rating] = (await s.scalars(select(CheckIn))).all()
    assert answer.shared_with_coach and answer.answer.startswith("I kept the hardest")
    assert rating.t_score is not None
    assert not await tab.locator("#error").text_content()
    assert errors == []
