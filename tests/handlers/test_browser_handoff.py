"""The handoff in a real headless Chromium: share one thing now, put one on the agenda, brief."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select

from storage.crypto import Keyring
from storage.db import Database
from storage.models import Base, OutboxMessage
from tests.factories import T0, World, add_booking, make_world
from tests.handlers.test_browser import WAIT_MS, page  # noqa: F401 - the fixture
from tests.handlers.web_env import build

pytestmark = pytest.mark.browser

# Thu 26 Nov 2026, 04:30 EST for Sam (the leader), 10:30 CET for Ana (the coach). Its brief
# (24 h before, the default offset) falls due at Wed 25 Nov 10:30 CET: "+1 day" from T0 (Tue
# 24 Nov, 11:00 CET) lands half an hour past it, 23.5 hours before the session.
SESSION = T0 + timedelta(days=2) - timedelta(minutes=30)
# The leader's own words; the asterisks and the angle brackets must reach the coach as typed
# (no bold, no markup).
SHARED = "I keep avoiding the *hard* conversation with my deputy about her missed deadlines"
AGENDA = "I get defensive when my peers question my <decisions> in the weekly meeting"


@pytest.fixture
async def site(tmp_path: Path, keyring: Keyring) -> AsyncIterator[tuple[str, Database, World]]:
    """The playground over a fresh SQLite database: a coach, a leader, one session in two days."""
    database = Database(f"sqlite:///{tmp_path}/handoff.db", keyring)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with database.transaction() as s:
        world = await make_world(s)
        add_booking(s, world, SESSION, uid="uid-handoff")
    app, _clock, _jobs = build(database)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/")), database, world
    finally:
        await server.close()
        await database.dispose()


async def say(tab: Page, text: str) -> None:
    box = tab.get_by_label("Message to Coach Companion")
    await box.fill(text)
    await box.press("Enter")


async def talk_as(tab: Page, name: str, role_line: str) -> None:
    await tab.get_by_label("Talk as").select_option(label=name)
    await expect(tab.locator("#person-info")).to_contain_text(role_line, timeout=WAIT_MS)


def cards(tab: Page) -> Locator:
    return tab.locator("#transcript article.cc-msg")


def instant(iso: str | None) -> datetime:
    assert iso, "no ISO instant on the element"
    return datetime.fromisoformat(iso)


async def test_share_now_agenda_and_the_brief_before_the_session(
    site: tuple[str, Database, World],
    page: tuple[Page, list[str]],  # noqa: F811 - the fixture
) -> None:
    url, database, world = site
    tab, errors = page
    await tab.goto(url)
    await expect(tab.get_by_label("Talk as")).to_be_enabled(timeout=WAIT_MS)
    await talk_as(tab, "Sam Lee", "Leader")
    transcript = tab.locator("#transcript")
    rows = transcript.locator(".row")

    # A developmental message: the offer of choices, not an answer.
    await say(tab, SHARED)
    offer = cards(tab).first
    await expect(offer).to_contain_text(
        "That sounds like a good thing to take to Ana Ruiz, your coach.", timeout=WAIT_MS
    )
    await expect(offer.get_by_role("button")).to_have_text(
        [
            "Add to the agenda for Thu 26 Nov 2026, 04:30 EST with Ana Ruiz",
            "Share it with Ana Ruiz now",
            "Keep it private",
        ]
    )  # no "Book a session": the next session is within a week
    await offer.get_by_role("button", name="Share it with Ana Ruiz now").click()
    await expect(rows).to_have_count(3, timeout=WAIT_MS)  # typed, offer, click echoed
    await expect(rows.nth(1)).to_contain_text(
        "Shared with Ana Ruiz. They'll see your words exactly as you wrote them.", timeout=WAIT_MS
    )  # the offer replaced in place by the confirmation, its buttons gone
    await expect(rows.nth(1).get_by_role("button")).to_have_count(0)
    await expect(rows.nth(2)).to_have_text("Share it with Ana Ruiz now")
    await expect(cards(tab)).to_have_count(1)

    # A second one, for the agenda of the session.
    await say(tab, AGENDA)
    offer = cards(tab).nth(1)
    agenda_button = offer.get_by_role(
        "button", name="Add to the agenda for Thu 26 Nov 2026, 04:30 EST with Ana Ruiz"
    )
    await agenda_button.click(timeout=WAIT_MS)
    await expect(rows).to_have_count(6, timeout=WAIT_MS)
    await expect(rows.nth(4)).to_contain_text(
        "Added to the agenda for your session on Thu 26 Nov 2026, 04:30 EST with Ana Ruiz.",
        timeout=WAIT_MS,
    )
    await expect(rows.nth(4).get_by_role("button")).to_have_text(["Withdraw it"])
    await expect(cards(tab)).to_have_count(2)

    # The coach has the shared words verbatim, with how to reply; not the agenda item (yet).
    await talk_as(tab, "Ana Ruiz", "Coach")
    handed = cards(tab).filter(has_text="Sam Lee shared this with you:")
    await expect(handed).to_have_count(1, timeout=WAIT_MS)
    await expect(handed).to_contain_text(SHARED)
    await expect(handed.locator("strong")).to_have_count(0)
    await expect(handed).to_contain_text(
        "You can reply to Sam Lee directly in a DM, "
        "or raise it in your next session on Thu 26 Nov 2026, 10:30 CET."
    )
    await expect(tab.locator("#clock-now")).to_have_text(
        "Tue 24 Nov 2026, 11:00 CET", timeout=WAIT_MS
    )
    await expect(cards(tab)).to_have_count(1)
    await expect(transcript).not_to_contain_text(AGENDA)
    await expect(transcript).not_to_contain_text("decisions")

    # A day passes: the brief falls due 24 hours before the session and reaches the coach.
    await tab.get_by_role("button", name="+1 day").click()
    await expect(tab.locator("#clock-now")).to_have_text(
        "Wed 25 Nov 2026, 11:00 CET", timeout=WAIT_MS
    )
    await expect(tab.locator("#clock-status")).to_contain_text(
        "1 pre-session brief queued", timeout=WAIT_MS
    )
    brief = cards(tab).filter(has=tab.locator("h3", has_text="Brief: Sam Lee"))
    await expect(brief).to_have_count(1, timeout=WAIT_MS)
    await expect(brief.locator("h3")).to_have_text("Brief: Sam Lee — Thu 26 Nov 2026, 10:30 CET")
    await expect(brief).to_contain_text("On the agenda for this session:")
    await expect(brief).to_contain_text(f"Tue 24 Nov 2026: {AGENDA}")
    await expect(brief).to_contain_text(f"Message, Tue 24 Nov 2026: {SHARED}")
    await expect(brief.locator("time")).to_have_text("Wed 25 Nov 2026, 10:30 CET")
    brief_at = instant(await brief.locator("time").get_attribute("datetime"))
    shown_now = instant(await tab.locator("#clock-now").get_attribute("title"))
    assert brief_at == SESSION - timedelta(hours=24)
    assert brief_at <= shown_now < SESSION  # sent, and the session has not started

    # The leader's side: the reminder of the jump, nothing of the coach's brief.
    await talk_as(tab, "Sam Lee", "Leader")
    await expect(tab.locator("#clock-now")).to_have_text(
        "Wed 25 Nov 2026, 05:00 EST", timeout=WAIT_MS
    )  # shown once the leader's transcript has caught up
    await expect(cards(tab).filter(has_text="Shared with Ana Ruiz.")).to_have_count(1)
    await expect(cards(tab).filter(has_text="Added to the agenda")).to_have_count(1)
    for words in ("Brief:", "On the agenda for this session", "chose to share", AGENDA, SHARED):
        await expect(cards(tab).filter(has_text=words)).to_have_count(0)

    # The brief carried the agenda item: the confirmation was updated in the same place (a
    # second replacement of the offer), and its Withdraw button is gone.
    await expect(rows.nth(4)).to_contain_text(
        "It went to Ana Ruiz with the brief for that session.", timeout=WAIT_MS
    )
    await expect(rows.nth(4).get_by_role("button")).to_have_count(0)
    before = await cards(tab).count()
    await tab.reload()  # the same from the server's rows alone (and this tab's typed lines)
    await expect(rows.nth(4)).to_contain_text("It went to Ana Ruiz", timeout=WAIT_MS)
    await expect(cards(tab)).to_have_count(before)
    async with database.reading() as s:
        briefs = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "brief"))).all()
    assert [(row.person_id, row.status) for row in briefs] == [(world.coach.id, "sent")]
    assert not await tab.locator("#error").text_content()
    assert errors == []
