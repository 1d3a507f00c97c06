"""The weekly check-in through bot.conversation: levels, T-score, same-week update, sharing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.goals.store import checkin_count
from bot.ui import LITERAL_CLOSE, LITERAL_OPEN, Message, literal, segments
from handlers.web.render import paragraphs
from storage.db import Database
from storage.models import CheckIn, Goal, Nudge, NudgeSettings, Person
from tests.bot.test_booking_flow import LEADER, count, turn
from tests.factories import T0, add_goal, make_world

# T0 is Tue 24 Nov 2026 10:00 UTC: 05:00 in New York, ISO week 2026-W48.
WEEK = "2026-W48"
LEADING = {"-2": "Never", "-1": "Rarely", "0": "Half the time", "+1": "Mostly", "+2": "Always"}
SHORT = {"-1": "One report", "0": "Half the reports", "+1": "All but one"}


def plain(text: str) -> str:
    """Message text as read, without the marks around a leader's own (literal) words."""
    return "".join(part for part, _ in segments(text))


async def world(db: Database, *, share: str | None = None, scales: int = 2) -> list[int]:
    async with db.transaction() as s:
        w = await make_world(s)
        goals = [add_goal(s, w, "Lead the Monday meeting", LEADING)]
        if scales > 1:
            goals.append(add_goal(s, w, "Delegate reporting", SHORT))
        await s.flush()
        if share is not None:
            s.add(NudgeSettings(person_id=w.leader.id, share_default=share, updated_at=T0))
        return [g.id for g in goals]


def fields(message: Message) -> dict[str, tuple[str, list[str]]]:
    assert message.form is not None, message
    return {f.name: (f.initial, [o.label for o in f.options]) for f in message.form.fields}


async def checkins(db: Database) -> list[CheckIn]:
    async with db.reading() as s:
        return list((await s.scalars(select(CheckIn).order_by(CheckIn.goal_id))).all())


async def submit(db: Database, ids: list[int], levels: list[str], **extra: str) -> Message:
    form = {f"f_level_{i}": lv for i, lv in zip(ids, levels, strict=True)}
    [reply] = await turn(
        db, LEADER, form_id="checkin.save", **{"f_share": "private", **form, **extra}
    )
    return reply


async def test_form_shows_each_level_description(db: Database) -> None:
    first, second = await world(db)
    [reply] = await turn(db, LEADER, text="checkin")
    shown = fields(reply)
    assert shown[f"level_{first}"][1] == [
        "+2: Always",
        "+1: Mostly",
        "0: Half the time",
        "−1: Rarely",
        "−2: Never",
    ]
    assert shown[f"level_{second}"][1] == [
        "+1: All but one",
        "0: Half the reports",
        "−1: One report",
    ]
    assert shown[f"confidence_{first}"][0] == ""
    assert shown["share"] == ("private", ["Just me", "Share with my coach"])
    # People read the week by its Monday in their own calendar, never as an ISO week number.
    assert reply.text.startswith("Check-in for the week of Mon 23 Nov:")
    assert "W48" not in reply.text
    assert "`nudges`" in reply.text  # no sharing default chosen yet: say where to set it


async def test_checkin_saves_levels_and_t_score(db: Database) -> None:
    first, second = await world(db)
    reply = await submit(
        db, [first, second], ["1", "0"], **{f"f_confidence_{first}": "4"}, f_note="Good week"
    )
    rows = await checkins(db)
    assert [(r.goal_id, r.period, r.level, r.confidence) for r in rows] == [
        (first, WEEK, 1, 4),
        (second, WEEK, 0, None),
    ]
    # by hand: 50 + 10·(1 + 0) / sqrt(0.7·2 + 0.3·2²) = 50 + 10 / sqrt(2.6) = 56.2017...
    assert all(math.isclose(r.t_score or 0, 56.20174, abs_tol=1e-4) for r in rows)
    assert all(r.note == "Good week" and not r.shared_with_coach for r in rows)
    assert "saved" in reply.text and "56.2" in reply.text and "private to you" in reply.text


async def test_same_week_updates_next_week_adds(db: Database) -> None:
    first, second = await world(db)
    await submit(db, [first, second], ["-1", "-1"])
    [again] = await turn(db, LEADER, text="checkin", now=T0 + timedelta(days=2))
    assert "already checked in this week" in again.text
    assert fields(again)[f"level_{first}"][0] == "-1"  # last answer filled in
    [reply] = await turn(
        db,
        LEADER,
        now=T0 + timedelta(days=2),
        form_id="checkin.save",
        **{f"f_level_{first}": "2", f"f_level_{second}": "1", "f_share": "coach"},
    )
    assert "updated" in reply.text
    rows = await checkins(db)
    assert [(r.period, r.level, r.shared_with_coach) for r in rows] == [
        (WEEK, 2, True),
        (WEEK, 1, True),
    ]
    await turn(
        db,
        LEADER,
        now=T0 + timedelta(days=7),
        form_id="checkin.save",
        **{f"f_level_{first}": "0", f"f_level_{second}": "0", "f_share": "private"},
    )
    periods = sorted((r.period, r.level) for r in await checkins(db))
    assert periods == [(WEEK, 1), (WEEK, 2), ("2026-W49", 0), ("2026-W49", 0)]


async def test_share_default_and_choice(db: Database) -> None:
    [only] = await world(db, share="coach", scales=1)
    [reply] = await turn(db, LEADER, text="checkin")
    assert fields(reply)["share"][0] == "coach"
    assert "`nudges`" not in reply.text
    done = await submit(db, [only], ["0"], f_share="coach")
    [row] = await checkins(db)
    assert row.shared_with_coach and "marked to share with your coach" in done.text
    assert row.t_score == 50.0
    await submit(db, [only], ["1"], f_share="private")
    [row] = await checkins(db)
    assert not row.shared_with_coach
    assert math.isclose(row.t_score or 0, 60.0)  # one goal: 50 + 10·level


async def test_bad_input_lists_every_problem_and_saves_nothing(db: Database) -> None:
    first, second = await world(db)
    reply = await submit(
        db,
        [first, second],
        ["3", "2"],  # 3 is off any scale; +2 is not written on the second
        **{f"f_confidence_{first}": "7", "f_note": "n" * 2001, "f_share": "everyone"},
    )
    assert plain(reply.text).splitlines() == [
        "Nothing was saved. Please fix:",
        "• Lead the Monday meeting: “3” is not a level on this goal's scale.",
        "• Lead the Monday meeting: confidence is a number from 1 to 5.",
        "• Delegate reporting: “2” is not a level on this goal's scale.",
        "• Note: 2001 characters; at most 2000.",
        "• Who can see this: choose “Just me” or “Share with my coach”.",
    ]
    assert reply.form is not None
    [missing] = await turn(
        db, LEADER, form_id="checkin.save", **{f"f_level_{first}": "1", "f_share": "private"}
    )
    assert "Delegate reporting: choose where you are now." in plain(missing.text)
    assert await count(db, CheckIn) == 0


async def test_no_active_goals(db: Database) -> None:
    [only] = await world(db, scales=1)
    async with db.transaction() as s:
        goal = await s.get(Goal, only)
        assert goal is not None
        goal.status = "dropped"
    [reply] = await turn(db, LEADER, text="checkin")
    assert reply.form is None and "no active goals" in reply.text
    assert "Add a goal" in [b.label for b in reply.buttons]
    reply = await submit(db, [only], ["0"])
    assert "no active goals" in reply.text
    assert await count(db, CheckIn) == 0


async def add_nudge(db: Database, period: str, status: str = "sent") -> int:
    async with db.transaction() as s:
        leader = await s.scalar(select(Person).where(Person.email == LEADER))
        assert leader is not None
        nudge = Nudge(
            person_id=leader.id,
            kind="checkin",
            period=period,
            due_at=T0,
            status=status,
            sent_at=T0,
            created_at=T0,
        )
        s.add(nudge)
        await s.flush()
        return nudge.id


async def nudge_status(db: Database, nudge_id: int) -> tuple[str, datetime | None]:
    async with db.reading() as s:
        nudge = await s.get(Nudge, nudge_id)
        assert nudge is not None
        return nudge.status, nudge.answered_at


async def test_the_nudge_button_opens_the_form_and_is_answered(db: Database) -> None:
    [only] = await world(db, scales=1)
    nudge_id = await add_nudge(db, WEEK)
    [reply] = await turn(db, LEADER, action_id="checkin.open", value=str(nudge_id))
    assert reply.form is not None and reply.form.context == str(nudge_id)
    later = T0 + timedelta(hours=3)
    await turn(
        db,
        LEADER,
        now=later,
        form_id="checkin.save",
        **{f"f_level_{only}": "1", "f_share": "private", "f_context": str(nudge_id)},
    )
    assert await nudge_status(db, nudge_id) == ("answered", later)


async def test_typed_checkin_answers_this_weeks_nudge_and_stale_ids_are_harmless(
    db: Database,
) -> None:
    [only] = await world(db, scales=1)
    old = await add_nudge(db, "2026-W47", status="skipped")
    this_week = await add_nudge(db, WEEK)
    [reply] = await turn(db, LEADER, action_id="checkin.open", value=str(old))
    assert reply.form is not None
    await turn(
        db,
        LEADER,
        form_id="checkin.save",
        **{f"f_level_{only}": "0", "f_share": "private", "f_context": str(old)},
    )
    assert (await nudge_status(db, this_week))[0] == "answered"
    assert (await nudge_status(db, old))[0] == "skipped"  # a skipped week stays skipped
    [row] = await checkins(db)
    assert row.period == WEEK
    # a context naming no nudge at all still saves (as an update of this week)
    reply2 = await submit(db, [only], ["1"], f_context="123456")
    assert "updated" in reply2.text


async def test_a_late_answer_to_last_weeks_nudge_counts(db: Database) -> None:
    [only] = await world(db, scales=1)
    friday = await add_nudge(db, WEEK)  # sent Tue 24 Nov (T0), still open the next Monday
    monday = T0 + timedelta(days=6)  # Mon 30 Nov 05:00 New York: week 49
    await turn(
        db,
        LEADER,
        now=monday,
        form_id="checkin.save",
        **{f"f_level_{only}": "0", "f_share": "private"},
    )
    assert await nudge_status(db, friday) == ("answered", monday)
    [row] = await checkins(db)
    assert row.period == "2026-W49"


@pytest.mark.parametrize(
    ("now", "week", "monday"),
    [
        # Sun 1 Nov 2026 23:30 in New York (just after DST ended) is Mon 2 Nov 04:30 UTC
        (datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "2026-W44", "Mon 26 Oct"),
        # Mon 2 Nov 00:30 in New York is still Monday 05:30 UTC
        (datetime(2026, 11, 2, 5, 30, tzinfo=UTC), "2026-W45", "Mon 2 Nov"),
        # Sun 8 Mar 2026 23:30 EDT (the day clocks went forward) is Mon 9 Mar 03:30 UTC
        (datetime(2026, 3, 9, 3, 30, tzinfo=UTC), "2026-W10", "Mon 2 Mar"),
    ],
)
async def test_the_week_is_the_leaders_own(
    db: Database, now: datetime, week: str, monday: str
) -> None:
    [only] = await world(db, scales=1)
    [reply] = await turn(
        db,
        LEADER,
        now=now,
        form_id="checkin.save",
        **{f"f_level_{only}": "1", "f_share": "private"},
    )
    [row] = await checkins(db)
    assert row.period == week
    assert reply.text.startswith(f"Thanks, your check-in for the week of {monday} is saved.")


async def test_one_check_in_covering_three_goals_counts_once(db: Database) -> None:
    ids = await world(db)
    async with db.transaction() as s:
        goal = await s.get(Goal, ids[0])
        assert goal is not None
        third = Goal(
            engagement_id=goal.engagement_id,
            leader_id=goal.leader_id,
            title="Coach my deputy",
            levels=SHORT,
            created_at=T0,
            updated_at=T0,
        )
        s.add(third)
        await s.flush()
        ids.append(third.id)
    await submit(db, ids, ["0", "0", "1"])
    assert await count(db, CheckIn) == 3  # one row per goal...
    assert await occasions(db) == 1  # ...but the leader checked in once
    again = await submit(db, ids, ["1", "0", "1"])  # the same week again: an update
    assert "updated" in again.text and await occasions(db) == 1
    await turn(
        db,
        LEADER,
        now=T0 + timedelta(days=7),
        form_id="checkin.save",
        **{f"f_level_{i}": "0" for i in ids},
        f_share="private",
    )
    assert await count(db, CheckIn) == 6 and await occasions(db) == 2


async def occasions(db: Database) -> int:
    async with db.reading() as s:
        leader = await s.scalar(select(Person).where(Person.email == LEADER))
        assert leader is not None
        return await checkin_count(db=s, leader=leader)


TRICKY = "<b>x</b> Delegate 📊 reporting & “quotes” *bold* `code`"


async def test_a_goal_title_stays_literal_in_message_text(db: Database) -> None:
    [only] = await world(db, scales=1)
    async with db.transaction() as s:
        goal = await s.get(Goal, only)
        assert goal is not None
        goal.title = TRICKY
    [reply] = await turn(db, LEADER, form_id="checkin.save", f_share="private")
    assert f"• {literal(TRICKY)}: choose where you are now." in reply.text
    html = paragraphs(reply.text)
    assert (
        "&lt;b&gt;x&lt;/b&gt; Delegate 📊 reporting &amp; “quotes” *bold* `code`: choose where"
        in html
    )
    assert "<strong>" not in html and "<code>" not in html
    assert LITERAL_OPEN not in html and LITERAL_CLOSE not in html
    # the same title inside a bad level value is kept literal too
    [bad] = await turn(
        db, LEADER, form_id="checkin.save", f_share="private", **{f"f_level_{only}": "*9*"}
    )
    assert f"“{literal('*9*')}” is not a level" in bad.text
