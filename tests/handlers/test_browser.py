"""The playground in a real headless Chromium: pick a leader, type help, click a button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, async_playwright, expect

from bot.outbox import enqueue
from bot.ui import Message
from storage.crypto import Keyring
from storage.db import Database
from storage.models import Base
from tests.conftest import IN_CI
from tests.factories import T0, World, add_booking, make_world
from tests.handlers.web_env import build, unreachable

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
WAIT_MS = 20_000  # an upper bound for slow machines, not a timing assertion


@pytest.fixture
async def site(tmp_path: Path, keyring: Keyring) -> AsyncIterator[tuple[str, World]]:
    """The real web routes on an ephemeral 127.0.0.1 port over a fresh SQLite database."""
    database = Database(f"sqlite:///{tmp_path}/browser.db", keyring)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with database.transaction() as s:
        world = await make_world(s)
        add_booking(s, world, T0 + timedelta(days=2), uid="uid-browser")
        await enqueue(  # an older row than the replies to come, sent after them
            db=s,
            person=world.leader,
            message=Message(text="Time for your weekly reflection"),
            now=T0 + timedelta(hours=20),
            kind="nudge",
        )
    app, _clock, _jobs = build(database)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/")), world
    finally:
        await server.close()
        await database.dispose()


@pytest.fixture
async def page() -> AsyncIterator[tuple[Page, list[str]]]:
    """A headless Debian Chromium page, and the console errors it reports."""
    if not HAVE_CHROMIUM:
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's package")
        pytest.skip(f"{CHROMIUM} is not installed (`make chromium`)")
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(service_workers="block")
            tab = await context.new_page()
            tab.set_default_timeout(WAIT_MS)
            errors: list[str] = []
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            yield tab, errors
        finally:
            await browser.close()


async def test_pick_a_leader_type_help_and_click_a_button(
    site: tuple[str, World], page: tuple[Page, list[str]]
) -> None:
    url, world = site
    tab, errors = page
    await tab.goto(url)
    picker = tab.get_by_label("Talk as")
    await expect(picker).to_be_enabled(timeout=WAIT_MS)
    await picker.select_option(label="Ana Ruiz")  # start as the coach
    await expect(tab.locator("#person-info")).to_contain_text("Coach", timeout=WAIT_MS)
    await expect(tab.locator("#person-zone")).to_have_text("Time zone: Europe/Madrid")
    await picker.select_option(label="Sam Lee")
    await expect(tab.locator("#person-info")).to_have_text(
        "Leader · Leadership Programme", timeout=WAIT_MS
    )
    await expect(tab.locator("#person-zone")).to_have_text("Time zone: America/New_York")
    await expect(tab.locator("#clock-now")).to_have_text(
        "Tue 24 Nov 2026, 05:00 EST", timeout=WAIT_MS
    )

    box = tab.get_by_label("Message to Coach Companion")
    await box.fill("help")
    await box.press("Enter")
    transcript = tab.locator("#transcript")
    await expect(transcript.locator(".row.me").first).to_have_text("help", timeout=WAIT_MS)
    answer = transcript.locator("article.cc-msg").first
    await expect(answer.locator("h3")).to_have_text("Coach Companion", timeout=WAIT_MS)
    await expect(answer).to_contain_text("Ana Ruiz", timeout=WAIT_MS)

    await answer.get_by_role("button", name="My sessions").click()
    sessions = transcript.locator("article.cc-msg").nth(1)
    await expect(sessions.locator("h3")).to_have_text("Your upcoming sessions", timeout=WAIT_MS)
    row = transcript.locator("article.cc-msg").nth(2)
    await expect(row).to_contain_text("Thu 26 Nov 2026, 05:00 EST", timeout=WAIT_MS)
    await expect(row.get_by_role("button", name="Move")).to_be_visible()
    await expect(transcript.locator(".row.me").nth(1)).to_have_text("My sessions")
    await expect(transcript.locator("article.cc-msg")).to_have_count(3)

    await tab.get_by_role("button", name="+1 day").click()
    await expect(tab.locator("#clock-now")).to_have_text(
        "Wed 25 Nov 2026, 05:00 EST", timeout=WAIT_MS
    )
    await expect(tab.locator("#clock-status")).to_have_text(
        "Ran the sweeps 96 times up to Wed 25 Nov 2026, 05:00 EST: "
        "1 welcome, 2 reminders queued, 1 pre-session brief queued, 6 messages delivered.",
        timeout=WAIT_MS,
    )
    # The welcome went out during the jump, at 09:00 in the leader's zone; then the nudge,
    # queued before the replies above but due later.
    welcome, nudge = (
        transcript.locator("article.cc-msg").nth(3),
        transcript.locator("article").nth(4),
    )
    await expect(welcome.locator("h3")).to_have_text("Welcome", timeout=WAIT_MS)
    await expect(welcome.locator("time")).to_have_text("Tue 24 Nov 2026, 09:00 EST")
    await expect(nudge).to_contain_text("weekly reflection", timeout=WAIT_MS)
    await expect(nudge.locator("time")).to_have_text("Wed 25 Nov 2026, 01:00 EST")
    # The session on Thu 26 Nov is 24 hours away at the end of the jump: its reminder is sent.
    reminder = transcript.locator("article").nth(5)
    await expect(reminder).to_contain_text("Ana Ruiz", timeout=WAIT_MS)
    await expect(reminder.locator("time")).to_have_text("Wed 25 Nov 2026, 05:00 EST")

    # A reload keeps what was typed, each line after the message it answered.
    await tab.reload()
    await expect(transcript.locator(".row")).to_have_count(8, timeout=WAIT_MS)
    rows = transcript.locator(".row")
    assert [await rows.nth(i).get_attribute("class") for i in range(8)] == [
        "row me",
        "row bot",
        "row me",
        "row bot",
        "row bot",
        "row bot",
        "row bot",
        "row bot",
    ]
    await expect(rows.nth(0)).to_have_text("help")
    await expect(rows.nth(2)).to_have_text("My sessions")
    await expect(rows.nth(5).locator("h3")).to_have_text("Welcome")
    await expect(rows.nth(6)).to_contain_text("weekly reflection")
    assert not await tab.locator("#error").text_content()
    assert errors == []
    assert world.leader.name == "Sam Lee"


async def test_the_page_says_when_the_database_does_not_answer(
    tmp_path: Path, keyring: Keyring, page: tuple[Page, list[str]]
) -> None:
    tab, _errors = page
    async with unreachable(f"sqlite:///{tmp_path}/missing/none.db", keyring) as database:
        app, _clock, _jobs = build(database)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        try:
            await tab.goto(str(server.make_url("/")))
            await expect(tab.locator("#error")).to_have_text(
                "The database is not answering. Try again in a moment.", timeout=WAIT_MS
            )
        finally:
            await server.close()
