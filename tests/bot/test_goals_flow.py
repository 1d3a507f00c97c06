"""Goals in chat through bot.conversation: list with trend, add, edit, achieve, drop, limits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.ui import Message, literal
from storage.db import Database
from storage.models import CheckIn, Goal, OutboxMessage, Person
from tests.bot.test_booking_flow import COACH, LEADER, button, count, turn
from tests.factories import T0, add_goal, make_world

SCALE = {
    "-2": "I still write every report",
    "-1": "I hand over one report",
    "0": "I hand over half the reports",
    "+1": "I hand over all but one report",
    "+2": "The team runs the reporting without me",
}
GOOD_FORM = {
    "f_title": "Delegate the weekly reporting",
    "f_level_m2": SCALE["-2"],
    "f_level_m1": SCALE["-1"],
    "f_level_0": SCALE["0"],
    "f_level_p1": SCALE["+1"],
    "f_level_p2": "",
    "f_baseline": "-1",
    "f_theme1": "delegation",
    "f_theme2": "team",
}


async def world(db: Database, goals: int = 0) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        for i in range(goals):
            add_goal(s, w, f"Goal {i + 1}", {"-1": f"less {i}", "0": f"as hoped {i}", "+1": "more"})


async def all_goals(db: Database) -> list[Goal]:
    async with db.reading() as s:
        return list((await s.scalars(select(Goal).order_by(Goal.id))).all())


def form_values(message: Message) -> dict[str, str]:
    assert message.form is not None, message
    return {f.name: f.initial for f in message.form.fields}


async def test_add_a_goal_from_the_list(db: Database) -> None:
    await world(db)
    *_, summary = await turn(db, LEADER, text="goals")
    assert "no goals yet" in summary.text
    [form_message] = await turn(db, LEADER, **button(summary, "Add a goal"))
    assert form_message.form is not None and form_message.form.form_id == "goals.save"
    names = [f.name for f in form_message.form.fields]
    assert names[:6] == ["title", "level_p2", "level_p1", "level_0", "level_m1", "level_m2"]
    replies = await turn(db, LEADER, form_id="goals.save", **GOOD_FORM)
    [goal] = await all_goals(db)
    assert goal.title == "Delegate the weekly reporting"
    assert goal.levels == {k: v for k, v in SCALE.items() if k != "+2"}
    assert (goal.baseline_level, goal.themes, goal.status) == (-1, ["delegation", "team"], "active")
    shown, summary = replies
    assert shown.title == "Delegate the weekly reporting"
    assert f"*−1*  {literal('I hand over one report')}" in shown.text  # the words stay literal
    facts = {f.label: f.value for f in shown.facts}
    assert facts["Where you started"] == "−1"
    assert facts["Themes"] == "Delegation, Team"
    assert facts["Check-ins by week"] == "none yet"
    assert "Goal added." in summary.text and "add 2 more" in summary.text


async def test_bad_levels_list_every_problem_and_save_nothing(db: Database) -> None:
    await world(db)
    bad = {
        **GOOD_FORM,
        "f_title": "",
        "f_level_0": "   ",
        "f_level_p1": SCALE["-1"].upper(),
        "f_level_p2": "x" * 201,
        "f_baseline": "-2",
        "f_level_m2": "",
    }
    [reply] = await turn(db, LEADER, form_id="goals.save", **bad)
    assert await count(db, Goal) == 0
    lines = reply.text.splitlines()
    assert lines[0] == "Nothing was saved. Please fix:"
    assert lines[1:] == [
        "• Goal: write what your goal is.",
        "• Level +2: 201 characters; at most 200.",
        "• Level 0: describe it (levels −1, 0 and +1 are needed).",
        "• Levels −1 and +1 have the same description; make each level different.",
    ]
    assert reply.form is not None  # the form again, with what they typed
    assert form_values(reply)["level_p2"] == "x" * 201


async def test_baseline_must_be_written_and_below_expected(db: Database) -> None:
    await world(db)
    [reply] = await turn(
        db, LEADER, form_id="goals.save", **{**GOOD_FORM, "f_level_m2": "", "f_baseline": "-2"}
    )
    assert "level −2 has no description" in reply.text
    [reply] = await turn(db, LEADER, form_id="goals.save", **{**GOOD_FORM, "f_baseline": "1"})
    assert "choose −1 or −2" in reply.text
    [reply] = await turn(db, LEADER, form_id="goals.save", **{**GOOD_FORM, "f_theme1": "golf"})
    assert "Theme: choose one from the list." in reply.text
    assert await count(db, Goal) == 0


async def test_at_most_three_active_goals(db: Database) -> None:
    await world(db, goals=3)
    *goal_messages, summary = await turn(db, LEADER, text="goals")
    assert len(goal_messages) == 3
    assert "Add a goal" not in [b.label for b in summary.buttons]
    assert "3 active goals" in summary.text
    [refused] = await turn(db, LEADER, action_id="goals.add")
    assert refused.form is None and "3 active goals" in refused.text
    [refused] = await turn(db, LEADER, form_id="goals.save", **GOOD_FORM)
    assert "3 active goals" in refused.text
    assert await count(db, Goal) == 3
    # achieving one frees a place
    replies = await turn(db, LEADER, **button(goal_messages[0], "Achieved"))
    assert "marked achieved" in replies[-1].text
    await turn(db, LEADER, form_id="goals.save", **GOOD_FORM)
    statuses = [g.status for g in await all_goals(db)]
    assert statuses == ["achieved", "active", "active", "active"]


async def test_edit_a_goal_keeps_its_check_ins(db: Database) -> None:
    await world(db)
    await turn(db, LEADER, form_id="goals.save", **GOOD_FORM)
    [goal] = await all_goals(db)
    async with db.transaction() as s:
        s.add(
            CheckIn(
                goal_id=goal.id,
                leader_id=goal.leader_id,
                period="2026-W47",
                level=0,
                t_score=50.0,
                answered_at=T0,
                created_at=T0,
            )
        )
    [shown, _] = await turn(db, LEADER, text="goals")
    [form_message] = await turn(db, LEADER, **button(shown, "Edit"))
    assert form_message.form is not None and form_message.form.context == str(goal.id)
    start = form_values(form_message)
    assert start["title"] == GOOD_FORM["f_title"] and start["level_0"] == SCALE["0"]
    assert (start["baseline"], start["theme1"], start["theme2"]) == ("-1", "delegation", "team")
    changed = {
        **GOOD_FORM,
        "f_title": "Delegate reporting and hiring",
        "f_theme2": "",
        "f_context": str(goal.id),
    }
    replies = await turn(db, LEADER, form_id="goals.save", **changed)
    assert "Goal changed" in replies[-1].text
    [after] = await all_goals(db)
    assert (after.id, after.title, after.themes) == (
        goal.id,
        "Delegate reporting and hiring",
        ["delegation"],
    )
    assert await count(db, CheckIn) == 1
    # someone else's goal id, or a garbage context, changes nothing
    [expired] = await turn(db, LEADER, form_id="goals.save", **{**changed, "f_context": "999"})
    assert "expired" in expired.text


async def test_achieve_and_drop(db: Database) -> None:
    await world(db, goals=2)
    first, second, _ = await turn(db, LEADER, text="goals")
    await turn(db, LEADER, **button(first, "Achieved"))
    replies = await turn(db, LEADER, **button(second, "Drop"))
    assert "dropped" in replies[-1].text
    assert [g.status for g in await all_goals(db)] == ["achieved", "dropped"]
    shown = replies[:-1]
    assert [m.buttons for m in shown] == [(), ()]  # nothing more to do with them
    assert [dict((f.label, f.value) for f in m.facts)["Status"] for m in shown] == [
        "Achieved",
        "Dropped",
    ]
    # a second click on an old button changes nothing
    [again] = await turn(db, LEADER, **button(second, "Achieved"))
    assert "expired" in again.text
    assert [g.status for g in await all_goals(db)] == ["achieved", "dropped"]


async def test_trend_in_week_order_and_latest_t_score(db: Database) -> None:
    await world(db, goals=1)
    [goal] = await all_goals(db)
    async with db.transaction() as s:
        for period, level, score in (
            ("2026-W47", 1, 60.0),
            ("2026-W45", -1, 40.0),
            ("2026-W46", 0, 50.0),
        ):
            s.add(
                CheckIn(
                    goal_id=goal.id,
                    leader_id=goal.leader_id,
                    period=period,
                    level=level,
                    t_score=score,
                    answered_at=T0,
                    created_at=T0,
                )
            )
    shown, summary = await turn(db, LEADER, text="goals")
    facts = {f.label: f.value for f in shown.facts}
    assert facts["Check-ins by week"] == "Mon 2 Nov: −1 → Mon 9 Nov: 0 → Mon 16 Nov: +1"
    assert "latest check-in (the week of Mon 16 Nov) scores 60.0" in summary.text
    assert "W4" not in summary.text


async def test_a_coach_is_refused_politely(db: Database) -> None:
    await world(db, goals=1)
    for words in ("goals", "checkin"):
        [reply] = await turn(db, COACH, text=words)
        assert reply.text.startswith("Goals and check-ins belong to the leaders you coach")
        assert reply.form is None
    [reply] = await turn(db, COACH, action_id="goals.edit", value="1")
    assert "Goal 1" not in reply.text


async def test_goal_text_never_reaches_the_coach(db: Database) -> None:
    await world(db)
    await turn(db, LEADER, form_id="goals.save", **GOOD_FORM)
    await turn(db, LEADER, text="goals")
    await turn(db, LEADER, text="checkin", now=T0 + timedelta(hours=1))
    for words in ("goals", "checkin", "help", "sessions"):
        await turn(db, COACH, text=words)
    await turn(db, COACH, action_id="goals.edit", value="1")
    await turn(db, COACH, form_id="goals.save", **{**GOOD_FORM, "f_context": "1"})
    async with db.reading() as s:
        coach = await s.scalar(select(Person).where(Person.email == COACH))
        assert coach is not None
        rows = (await s.scalars(select(OutboxMessage))).all()
    to_coach = " ".join(str(r.payload) for r in rows if r.person_id == coach.id)
    to_leader = " ".join(str(r.payload) for r in rows if r.person_id != coach.id)
    assert to_coach
    secrets = [GOOD_FORM["f_title"], *SCALE.values()]
    assert not [t for t in secrets if t in to_coach]
    assert GOOD_FORM["f_title"] in to_leader
    [goal] = await all_goals(db)
    assert goal.title == GOOD_FORM["f_title"]  # the coach's form did not change it
