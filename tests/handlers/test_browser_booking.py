"""Booking in a real headless Chromium: book, see it in sessions, move it, cancel it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from icalendar import Calendar
from playwright.async_api import Locator, Page, expect

from storage.crypto import Keyring
from storage.db import Database
from storage.models import Base
from tests.factories import make_world
from tests.handlers.test_browser import WAIT_MS, page  # noqa: F401 - the fixture
from tests.handlers.web_env import build

pytestmark = pytest.mark.browser


@pytest.fixture
async def site(tmp_path: Path, keyring: Keyring) -> AsyncIterator[str]:
    """The playground over a fresh SQLite database with one coach and one leader."""
    database = Database(f"sqlite:///{tmp_path}/booking.db", keyring)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with database.transaction() as s:
        await make_world(s)
    app, _clock, _jobs = build(database)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()
        await database.dispose()


async def say(tab: Page, text: str) -> None:
    box = tab.get_by_label("Message to Coach Companion")
    await box.fill(text)
    await box.press("Enter")


def last(tab: Page) -> Locator:
    return tab.locator("#transcript article.cc-msg").last


async def pick_day(tab: Page, label: str) -> None:
    form = tab.locator("#transcript form.cc-choices").last
    await form.locator("select").select_option(label=label)
    await form.get_by_role("button").click()


async def test_book_see_move_and_cancel_a_session(
    site: str,
    page: tuple[Page, list[str]],  # noqa: F811 - the fixture
) -> None:
    tab, errors = page
    await tab.goto(site)
    picker = tab.get_by_label("Talk as")
    await expect(picker).to_be_enabled(timeout=WAIT_MS)
    await picker.select_option(label="Sam Lee")
    await expect(tab.locator("#person-zone")).to_have_text("Time zone: America/New_York")

    # Ana coaches Tuesdays 09:00-12:00 Madrid time: 03:00-06:00 in New York.
    await say(tab, "book")
    await expect(last(tab)).to_contain_text("Pick a day", timeout=WAIT_MS)
    await pick_day(tab, "Tue 1 Dec (5 times)")
    await expect(last(tab)).to_contain_text("Open times on Tue 1 Dec", timeout=WAIT_MS)
    await last(tab).get_by_role("button", name="03:00–04:00 EST").click()
    await expect(last(tab)).to_contain_text("Tue 1 Dec 2026, 03:00 EST", timeout=WAIT_MS)
    await expect(last(tab)).to_contain_text("Tue 1 Dec 2026, 09:00 CET")
    await last(tab).get_by_role("button", name="Confirm").click()
    booked = last(tab)
    await expect(booked).to_contain_text("Tue 1 Dec 2026, 03:00 EST", timeout=WAIT_MS)
    invite = booked.locator("a.cc-file")
    await expect(invite).to_have_count(1)
    href = await invite.get_attribute("href") or ""
    calendar = Calendar.from_ical(base64.b64decode(href.split(",", 1)[1]))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART").isoformat() == "2026-12-01T03:00:00-05:00"

    await say(tab, "sessions")
    row = last(tab)
    await expect(row).to_contain_text("Tue 1 Dec 2026, 03:00 EST", timeout=WAIT_MS)
    await row.get_by_role("button", name="Move").click()
    await expect(last(tab)).to_contain_text("Pick a new day", timeout=WAIT_MS)
    await pick_day(tab, "Tue 1 Dec (5 times)")
    await last(tab).get_by_role("button", name="04:00–05:00 EST").click()
    await expect(last(tab)).to_contain_text("Move your session from", timeout=WAIT_MS)
    await last(tab).get_by_role("button", name="Confirm").click()
    await expect(last(tab)).to_contain_text("Tue 1 Dec 2026, 04:00 EST", timeout=WAIT_MS)

    await say(tab, "sessions")
    row = last(tab)
    await expect(row).to_contain_text("Tue 1 Dec 2026, 04:00 EST", timeout=WAIT_MS)
    await row.get_by_role("button", name="Cancel").click()
    await expect(last(tab)).to_contain_text("Cancel the session on", timeout=WAIT_MS)
    await last(tab).get_by_role("button", name="Yes, cancel").click()
    await expect(last(tab).locator("a.cc-file")).to_have_count(1, timeout=WAIT_MS)

    await say(tab, "sessions")
    await expect(last(tab)).to_contain_text("You have no upcoming sessions.", timeout=WAIT_MS)
    assert not await tab.locator("#error").text_content()
    assert errors == []
