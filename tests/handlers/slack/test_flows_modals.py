"""Check-ins and reflections through Slack modals: views.open on the command, view_submission."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, text

from handlers.slack.views import decode_metadata
from storage.db import Database
from storage.models import CheckIn, Reflection
from tests.factories import World, add_goal
from tests.handlers.slack.mock_slack import Fault
from tests.handlers.slack.slack_env import (
    LEADER,
    SlackEnv,
    block_actions,
    installed_world,
    last_with,
    posted_to,
    slack_env,
    view_of,
    view_submission,
)

LEADER_DM = f"D{LEADER}"
LEVELS = {"-1": "I hand over one report", "0": "I hand over half the reports", "+1": "all"}
ANSWER = "I learned to let the team decide the sprint scope."


async def with_goal(env: SlackEnv, title: str = "Delegate more") -> tuple[World, int]:
    """The installed world with one active goal of the leader; (world, goal id)."""
    w = await installed_world(env)
    async with env.rt.database.transaction() as s:
        goal = add_goal(s, w, title, LEVELS)
        await s.flush()
        return w, goal.id


async def open_modal(env: SlackEnv, command: str) -> dict[str, Any]:
    """Run `/coach COMMAND` and return the modal it opened with the command's trigger id."""
    trigger = f"trigger-{command}"
    response = await env.command(LEADER, command, trigger_id=trigger)
    assert response.status == 200 and await response.text() == ""
    opened = env.mock.succeeded("views.open")
    assert [c.args["trigger_id"] for c in opened] == [trigger]
    view = view_of(opened[0])
    assert view["type"] == "modal" and view["callback_id"] == "coach.form"
    await env.settle()
    return {**view, "id": "VOPENED"}


def inputs(view: dict[str, Any]) -> dict[str, str]:
    """block_id -> element type of the view's input blocks (each answers as action "v")."""
    found = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            assert block["element"]["action_id"] == "v"
            found[block["block_id"]] = block["element"]["type"]
    return found


async def submit(env: SlackEnv, view: dict[str, Any], answers: dict[str, str]) -> Any:
    """Submit the modal as the leader; the response (the ack)."""
    response = await env.interactive(view_submission(LEADER, view, answers))
    assert response.status == 200
    return response


async def rows(env: SlackEnv, model: type[Any]) -> list[Any]:
    """All rows of a model, read (decrypted) through the app's database."""
    async with env.rt.database.reading() as s:
        return list(await s.scalars(select(model)))


async def test_checkin_opens_a_modal_and_its_submission_is_stored(db: Database) -> None:
    async with slack_env(db) as env:
        _, goal = await with_goal(env)
        view = await open_modal(env, "checkin")
        assert inputs(view) == {
            f"level_{goal}": "static_select",
            f"confidence_{goal}": "static_select",
            "note": "plain_text_input",
            "share": "static_select",
        }
        assert decode_metadata(view["private_metadata"])[0] == "checkin.save"
        assert "Delegate more" in json.dumps(view["blocks"])
        assert not posted_to(env.mock, LEADER_DM)  # the form is in the modal, not the DM

        answers = {f"level_{goal}": "1", f"confidence_{goal}": "4", "note": "Good week"}
        response = await submit(env, view, answers | {"share": "coach"})
        assert await response.text() == ""  # the modal closes
        await env.settle()
        [row] = await rows(env, CheckIn)
        assert (row.goal_id, row.level, row.confidence) == (goal, 1, 4)
        assert row.note == "Good week" and row.shared_with_coach is True
        texts = [str(c.args["text"]) for c in posted_to(env.mock, LEADER_DM)]
        assert any("check-in for the week of" in t and "saved" in t for t in texts), texts


async def test_a_checkin_that_no_longer_fits_keeps_the_modal_open(db: Database) -> None:
    async with slack_env(db) as env:
        w, goal = await with_goal(env)
        view = await open_modal(env, "checkin")
        async with env.rt.database.transaction() as s:  # a goal added while the modal was open
            added = add_goal(s, w, "Coach my peers", LEVELS)
            await s.flush()
            new_goal = added.id
        response = await submit(env, view, {f"level_{goal}": "0", "share": "private"})
        answer = json.loads(await response.text())
        assert answer["response_action"] == "update"
        again = answer["view"]
        assert f"level_{new_goal}" in inputs(again) and f"level_{goal}" in inputs(again)
        assert "Nothing was saved" in json.dumps(again["blocks"])
        assert decode_metadata(again["private_metadata"])[0] == "checkin.save"
        await env.settle()
        assert await rows(env, CheckIn) == []
        assert not [c for c in posted_to(env.mock, LEADER_DM) if "saved" in str(c.args["text"])]


async def test_a_form_that_could_not_open_is_opened_from_the_dm(db: Database) -> None:
    async with slack_env(db) as env:
        _, goal = await with_goal(env)
        env.mock.fail("views.open", Fault(error="expired_trigger_id"))
        response = await env.command(LEADER, "checkin")
        assert response.status == 200
        await env.settle()
        message = last_with(env.mock, LEADER_DM, "slack.open_form")  # the form, as a button
        click = block_actions(LEADER, message, "slack.open_form")
        response = await env.interactive(click)
        assert response.status == 200
        opened = env.mock.succeeded("views.open")
        assert [c.args["trigger_id"] for c in opened] == [click["trigger_id"]]
        view = {**view_of(opened[0]), "id": "VLATER"}
        response = await submit(env, view, {f"level_{goal}": "-1", "share": "private"})
        assert await response.text() == ""
        await env.settle()
        [row] = await rows(env, CheckIn)
        assert row.level == -1 and row.shared_with_coach is False


@pytest.mark.parametrize("share", ["private", "coach"])
async def test_reflect_opens_a_modal_and_the_answer_is_stored_encrypted(
    db: Database, share: str
) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        view = await open_modal(env, "reflect")
        assert inputs(view) == {"answer": "plain_text_input", "share": "static_select"}
        form_id, context, _ = decode_metadata(view["private_metadata"])
        assert form_id == "reflect.answer" and context

        response = await submit(env, view, {"answer": ANSWER, "share": share})
        assert await response.text() == ""
        await env.settle()
        [row] = await rows(env, Reflection)
        assert row.answer == ANSWER and row.shared_with_coach is (share == "coach")
        async with env.rt.database.reading() as s:
            stored = await s.scalar(text("SELECT answer FROM reflections"))
        assert ANSWER not in str(stored) and "delegate" not in str(stored).lower()
        texts = [str(c.args["text"]) for c in posted_to(env.mock, LEADER_DM)]
        expected = "marked to share" if share == "coach" else "private to you"
        assert any(t.startswith("Saved") and expected in t for t in texts), texts


async def test_a_blank_reflection_keeps_the_modal_open(db: Database) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        view = await open_modal(env, "reflect")
        response = await submit(env, view, {"answer": "   \n ", "share": "private"})
        body = await response.text()
        await env.settle()
        assert await rows(env, Reflection) == []
        assert json.loads(body or "{}").get("response_action") == "update"
