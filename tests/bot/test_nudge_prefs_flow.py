"""Nudge preferences in chat: pause and resume, not this week, snooze, days and times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges import plans
from bot.nudges.messages import ask_pause_message
from bot.ui import Message
from storage.db import Database
from storage.models import Nudge, NudgePlan, NudgeSettings, Person
from tests.bot.test_booking_flow import COACH, LEADER, button, turn
from tests.bot.test_reflect_flow import OTHER, reflection_nudge, world
from tests.factories import T0

GOOD = {
    "f_reflection_day": "2",
    "f_reflection_time": "08:30",
    "f_checkin_day": "1",
    "f_checkin_time": "09:00",
    "f_quiet": "no",
    "f_share": "coach",
}


async def settings(db: Database) -> NudgeSettings | None:
    async with db.reading() as s:
        leader = await s.scalar(select(Person).where(Person.email == LEADER))
        assert leader is not None
        return await s.get(NudgeSettings, leader.id)


async def plan_of(db: Database, kind: str) -> NudgePlan:
    async with db.reading() as s:
        plan = await s.scalar(select(NudgePlan).where(NudgePlan.kind == kind))
        assert plan is not None
        return plan


@pytest.fixture
def replans(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, datetime]]:
    """Calls of plans.replan (email, now), passed through to the real one."""
    calls: list[tuple[str, datetime]] = []
    real = plans.replan

    async def spy(*, db: AsyncSession, person: Person, now: datetime) -> None:
        calls.append((person.email, now))
        await real(db=db, person=person, now=now)

    monkeypatch.setattr(plans, "replan", spy)
    return calls


async def test_pause_indefinitely_then_resume(db: Database) -> None:
    await world(db)
    [paused] = await turn(db, LEADER, text="pause")
    assert paused.text == "Nudges are paused until you type *resume*."
    found = await settings(db)
    assert found is not None and found.paused_indefinitely and found.paused_until is None
    [resumed] = await turn(db, LEADER, text="resume")
    assert resumed.text.startswith("Nudges are back on")
    found = await settings(db)
    assert found is not None and not found.paused_indefinitely and found.paused_until is None
    [again] = await turn(db, LEADER, text="resume")
    assert again.text == "Nudges aren't paused, so there was nothing to resume."


async def test_pause_until_the_start_of_a_local_date(db: Database) -> None:
    await world(db)
    [paused] = await turn(db, LEADER, text="pause 2026-12-05")
    assert paused.text == (
        "Nudges are paused. They start again on Sat 5 Dec. Type *resume* to restart them sooner."
    )
    found = await settings(db)
    assert found is not None and not found.paused_indefinitely
    assert found.paused_until == datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
    # Across the US change of 14 Mar 2027: midnight EDT is 04:00 UTC.
    [spring] = await turn(db, LEADER, text="pause 2027-03-15")
    assert spring.text.startswith("Nudges are paused. They start again on Mon 15 Mar 2027.")
    found = await settings(db)
    assert found is not None and found.paused_until == datetime(2027, 3, 15, 4, 0, tzinfo=UTC)
    await turn(db, LEADER, text="pause")
    [resumed] = await turn(db, LEADER, text="resume")
    assert resumed.text.startswith("Nudges are back on")
    found = await settings(db)
    assert found is not None and found.paused_until is None and not found.paused_indefinitely


@pytest.mark.parametrize(
    ("arg", "says"),
    [
        ("next week", 'couldn\'t read "next week" as a date'),
        ("2026-02-30", "couldn't read"),
        ("2026-11-24", "isn't in the future"),  # today in New York
        ("2026-11-01", "isn't in the future"),
        ("2027-11-25", "more than a year away"),
    ],
)
async def test_bad_pause_dates_change_nothing(db: Database, arg: str, says: str) -> None:
    await world(db)
    [reply] = await turn(db, LEADER, text=f"pause {arg}")
    assert says in reply.text and "nothing was changed" in reply.text
    assert await settings(db) is None


@pytest.mark.parametrize(
    "text", ["pause my reminders", "turn off the nudges please", "pausar os lembretes"]
)
async def test_pause_in_other_words_pauses_until_resumed(db: Database, text: str) -> None:
    await world(db)
    [reply] = await turn(db, LEADER, text=text)
    assert reply.text.startswith("Nudges are paused until you type *resume*.")
    assert "pause 2026-12-08" in reply.text  # how to pause until a date instead
    found = await settings(db)
    assert found is not None and found.paused_indefinitely and found.paused_until is None


async def test_a_year_ahead_is_the_limit(db: Database) -> None:
    await world(db)
    [reply] = await turn(db, LEADER, text="pause 2027-11-24")
    assert reply.text.startswith("Nudges are paused. They start again on Wed 24 Nov 2027.")


async def test_not_this_week_skips_the_period_and_only_the_owner_can(db: Database) -> None:
    w = await world(db)
    async with db.reading() as s:
        nudge = await s.scalar(select(Nudge))
    assert nudge is not None
    value = {"action_id": "nudge.skip", "value": str(nudge.id)}
    [refused] = await turn(db, OTHER, **value)
    assert refused.text == "That nudge isn't yours, so nothing was changed."
    assert (await plan_of(db, "reflection")).skip_period is None
    [done] = await turn(db, LEADER, **value)
    assert done.text.startswith("OK, not this week.")
    plan = await plan_of(db, "reflection")
    assert plan.skip_period == nudge.period == "2026-W48"
    assert (await plan_of(db, "checkin")).skip_period is None
    async with db.reading() as s:
        skipped = await s.get(Nudge, nudge.id)
        assert skipped is not None and skipped.status == "skipped"
    # Last week's nudge: nothing to skip any more.
    async with db.transaction() as s:
        old = reflection_nudge(w, T0 - timedelta(days=8))
        s.add(old)
        await s.flush()
        old_id = old.id
    [gone] = await turn(db, LEADER, action_id="nudge.skip", value=str(old_id))
    assert gone.text == "That nudge is from an earlier week, so nothing was changed."


async def test_snooze_three_hours(db: Database) -> None:
    await world(db)
    async with db.reading() as s:
        nudge = await s.scalar(select(Nudge))
    assert nudge is not None
    [done] = await turn(db, LEADER, action_id="nudge.snooze", value=str(nudge.id))
    assert done.text == "Snoozed: I'll bring it back at 08:00 today (Tue 24 Nov, 08:00 EST)."
    plan = await plan_of(db, "reflection")
    assert plan.snoozed_until == T0 + timedelta(hours=3)
    [stale] = await turn(db, LEADER, action_id="nudge.snooze", value="nope")
    assert "expired" in stale.text


async def test_snooze_in_quiet_hours_states_and_keeps_the_real_time(db: Database) -> None:
    await world(db)
    async with db.reading() as s:
        nudge = await s.scalar(select(Nudge))
    assert nudge is not None
    # 04:30 in New York: three hours on is 07:30, still quiet, so it comes at 08:00.
    early = T0 - timedelta(minutes=30)
    [done] = await turn(db, LEADER, now=early, action_id="nudge.snooze", value=str(nudge.id))
    assert done.text == (
        "Snoozed. Three hours from now falls in your quiet hours (20:00–08:00), "
        "so I'll bring it back at 08:00 today (Tue 24 Nov, 08:00 EST)."
    )
    assert (await plan_of(db, "reflection")).snoozed_until == datetime(2026, 11, 24, 13, tzinfo=UTC)


async def test_keep_them_coming_changes_nothing(db: Database) -> None:
    await world(db)
    async with db.reading() as s:
        leader = await s.scalar(select(Person).where(Person.email == LEADER))
    assert leader is not None
    asked = ask_pause_message(person=leader)
    assert [b.label for b in asked.buttons] == ["Pause", "Keep them coming"]
    before = await plan_of(db, "reflection")
    [reply] = await turn(db, LEADER, **button(asked, "Keep them coming"))
    assert reply.text.startswith(
        "Fine, I'll keep them coming: one every two weeks until you answer"
    )
    after = await plan_of(db, "reflection")
    assert (after.cadence_weeks, after.next_due_at) == (before.cadence_weeks, before.next_due_at)
    assert await settings(db) is None
    [refused] = await turn(db, COACH, **button(asked, "Keep them coming"))
    assert refused.text.startswith("Nudge settings are for leaders")


def facts(message: Message) -> dict[str, str]:
    return {f.label: f.value for f in message.facts}


async def test_settings_shown_in_the_leaders_zone_and_saved(
    db: Database, replans: list[tuple[str, datetime]]
) -> None:
    await world(db)
    [shown] = await turn(db, LEADER, text="nudges")
    assert facts(shown) == {
        "Reflection": "every Friday at 16:00",
        "Goal check-in": "every Monday at 09:00",
        "Messages 20:00–08:00": "not sent (quiet hours)",
        "Sharing default": "not chosen yet (private until you choose)",
        "Status": "on",
    }
    assert "America/New_York" in shown.text
    assert shown.form is not None and shown.form.form_id == "nudges.settings"
    initial = {f.name: f.initial for f in shown.form.fields}
    assert initial == {
        "reflection_day": "4",
        "reflection_time": "16:00",
        "checkin_day": "0",
        "checkin_time": "09:00",
        "quiet": "no",
        "share": "private",
    }
    [saved] = await turn(db, LEADER, form_id="nudges.settings", **GOOD)
    assert saved.text.startswith("Saved.")
    assert facts(saved)["Reflection"] == "every Wednesday at 08:30"
    assert facts(saved)["Goal check-in"] == "every Tuesday at 09:00"
    assert facts(saved)["Sharing default"] == "shared with my coach"
    found = await settings(db)
    assert found is not None
    assert (found.reflection_weekday, found.reflection_time) == (2, time(8, 30))
    # 09:00 is the programme's own time: kept as None, so the programme's stays in force.
    assert (found.checkin_weekday, found.checkin_time) == (1, None)
    assert (found.quiet_hours_ok, found.share_default) == (False, "coach")
    assert replans == [(LEADER, T0)]
    # Replanned in New York (it is 05:00 there): Wed 25 Nov 08:30 and today 09:00 EST.
    reflection, checkin = await plan_of(db, "reflection"), await plan_of(db, "checkin")
    assert reflection.next_due_at == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    assert checkin.next_due_at == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"f_reflection_day": "7"}, "Reflection day: choose a day of the week"),
        ({"f_checkin_day": ""}, "Check-in day: choose a day of the week"),
        ({"f_reflection_time": "25:00"}, '"25:00" isn\'t a time'),
        ({"f_checkin_time": "9am"}, '"9am" isn\'t a time'),
        ({"f_reflection_time": "21:15"}, "21:15 is in quiet hours"),
        ({"f_checkin_time": "07:59"}, "07:59 is in quiet hours"),
        ({"f_quiet": "maybe"}, "Messages between 20:00 and 08:00: choose one of the options"),
        ({"f_share": "hr"}, "Share my answers by default: choose one of the options"),
    ],
)
async def test_bad_settings_save_nothing(
    db: Database, replans: list[tuple[str, datetime]], change: dict[str, str], says: str
) -> None:
    await world(db)
    [reply] = await turn(db, LEADER, form_id="nudges.settings", **{**GOOD, **change})
    assert reply.text.startswith("Nothing was saved:") and says in reply.text
    # The form again, with what the leader entered (right and wrong), not the stored values.
    assert reply.form is not None and reply.form.form_id == "nudges.settings"
    entered = {k.removeprefix("f_"): v for k, v in {**GOOD, **change}.items()}
    assert {f.name: f.initial for f in reply.form.fields} == entered
    assert await settings(db) is None
    assert replans == []


async def test_quiet_hours_allowed_accepts_an_evening_time(
    db: Database, replans: list[tuple[str, datetime]]
) -> None:
    await world(db)
    late = {**GOOD, "f_reflection_time": "21:15", "f_quiet": "yes"}
    [saved] = await turn(db, LEADER, form_id="nudges.settings", **late)
    assert facts(saved)["Messages 20:00–08:00"] == "allowed"
    found = await settings(db)
    assert found is not None and found.quiet_hours_ok and found.reflection_time == time(21, 15)
    assert len(replans) == 1


async def test_coaches_get_a_polite_refusal(db: Database) -> None:
    await world(db)
    async with db.reading() as s:
        nudge = await s.scalar(select(Nudge))
    assert nudge is not None
    for kw in (
        {"text": "pause"},
        {"text": "resume"},
        {"text": "nudges"},
        {"action_id": "nudge.skip", "value": str(nudge.id)},
        {"form_id": "nudges.settings", **GOOD},
    ):
        [reply] = await turn(db, COACH, **kw)
        assert reply.text.startswith("Nudge settings are for leaders"), kw
    assert (await plan_of(db, "reflection")).skip_period is None


async def test_the_settings_show_a_pause(db: Database) -> None:
    await world(db)
    await turn(db, LEADER, text="pause 2026-12-05")
    [shown] = await turn(db, LEADER, text="nudges")
    assert facts(shown)["Status"] == "paused; they start again on Sat 5 Dec"
    await turn(db, LEADER, text="pause")
    [shown] = await turn(db, LEADER, text="nudges")
    assert facts(shown)["Status"] == "paused until you resume"
