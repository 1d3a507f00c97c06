"""Privacy export and erase on both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select

from bot.privacy import UnknownPerson, erase, export
from storage.crypto import Keyring
from storage.db import Database
from storage.models import (
    AuditEntry,
    CheckIn,
    Engagement,
    Goal,
    Nudge,
    NudgePlan,
    NudgeSettings,
    Person,
    Reflection,
)
from tests.factories import T0, add_goal, add_person, make_world


async def _with_reflection(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        s.add(
            Reflection(
                leader_id=w.leader.id,
                engagement_id=w.engagement.id,
                prompt_id="p1",
                answer="I avoided a hard conversation",
                answered_at=T0,
                created_at=T0,
            )
        )
        add_goal(s, w, "Hold hard conversations", {"0": "one a month"})


async def test_export_holds_decrypted_words(db: Database) -> None:
    await _with_reflection(db)
    async with db.reading() as s:
        data = await export(db=s, email=" Leader@Example.com ", now=T0)
    [person] = data["people"]
    assert person["profile"]["timezone"] == "America/New_York"
    assert person["reflections"][0]["answer"] == "I avoided a hard conversation"
    assert person["goals"][0]["title"] == "Hold hard conversations"


async def test_erase_removes_person_and_their_words(db: Database, keyring: Keyring) -> None:
    await _with_reflection(db)
    async with db.transaction() as s:
        assert await erase(db=s, email="leader@example.com", now=T0, keyring=keyring) == 1
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Reflection)) == 0
        assert await s.scalar(select(func.count()).select_from(Goal)) == 0
        assert await s.scalar(select(func.count()).select_from(Engagement)) == 0
        assert await s.scalar(select(func.count()).select_from(Person)) == 1  # the coach stays
        entry = await s.scalar(select(AuditEntry))
    assert entry is not None and entry.action == "privacy.erase"
    assert "leader@example.com" not in str(entry.detail) and "@" not in entry.subject_id


async def test_unknown_email_changes_nothing(db: Database, keyring: Keyring) -> None:
    await _with_reflection(db)
    with pytest.raises(UnknownPerson, match=r"nobody@example\.com"):
        async with db.transaction() as s:
            await erase(db=s, email="nobody@example.com", now=T0, keyring=keyring)
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 2


async def test_export_names_things_and_includes_the_coach_profile(db: Database) -> None:
    await _with_reflection(db)
    async with db.reading() as s:
        leader = await export(db=s, email="leader@example.com", now=T0)
        coach = await export(db=s, email="coach@example.com", now=T0)
    [engagement] = leader["people"][0]["engagements"]
    assert engagement["programme"] == "Leadership Programme" and engagement["coach"] == "Ana Ruiz"
    profile = coach["people"][0]["coach_profile"]
    assert profile["accreditation"] == "ICF PCC"
    assert profile["availability"] == [{"day": "tue", "from": "09:00", "to": "12:00"}]
    assert profile["clients_ever"] == 1
    assert coach["people"][0]["profile"]["working_days"] == ["mon", "tue", "wed", "thu", "fri"]


async def test_export_includes_the_leaders_nudge_settings(db: Database) -> None:
    await _with_reflection(db)
    async with db.transaction() as s:
        leader = await s.scalar(select(Person).where(Person.email == "leader@example.com"))
        assert leader is not None
        s.add(
            NudgeSettings(
                person_id=leader.id, share_default="coach", quiet_hours_ok=True, updated_at=T0
            )
        )
    async with db.reading() as s:
        data = await export(db=s, email="leader@example.com", now=T0)
    settings = data["people"][0]["nudge_settings"]
    assert settings["share_default"] == "coach" and settings["quiet_hours_ok"] is True


TITLE = "Delegate the weekly reporting"
THEIRS = "Kim's own secret goal"


async def _everything_for_goals(db: Database) -> None:
    """Sam with a themed goal, a check-in, a reflection, a nudge, a plan, settings; Kim too."""
    async with db.transaction() as s:
        w = await make_world(s)
        goal = add_goal(s, w, TITLE, {"-1": "one report", "0": "half", "+1": "all but one"})
        goal.themes = ["delegation", "team"]
        kim = await add_person(
            s, w, email="kim@example.com", name="Kim Park", role="leader", timezone="UTC"
        )
        s.add(
            Goal(
                engagement_id=w.engagement.id,
                leader_id=kim.id,
                title=THEIRS,
                levels={"0": "kim level"},
                created_at=T0,
                updated_at=T0,
            )
        )
        nudge = Nudge(
            person_id=w.leader.id,
            kind="reflection",
            period="2026-W48",
            due_at=T0,
            status="answered",
            prompt_id="p1",
            sent_at=T0,
            answered_at=T0,
            skip_reason=None,
            created_at=T0,
        )
        s.add_all(
            [
                nudge,
                Nudge(
                    person_id=kim.id,
                    kind="reflection",
                    period="2026-W48",
                    due_at=T0,
                    prompt_id="kim-prompt",
                    created_at=T0,
                ),
            ]
        )
        await s.flush()
        s.add_all(
            [
                CheckIn(
                    goal_id=goal.id,
                    leader_id=w.leader.id,
                    period="2026-W48",
                    level=1,
                    confidence=4,
                    note="went well",
                    t_score=60.0,
                    shared_with_coach=True,
                    answered_at=T0,
                    created_at=T0,
                ),
                Reflection(
                    leader_id=w.leader.id,
                    engagement_id=w.engagement.id,
                    nudge_id=nudge.id,
                    prompt_id="p1",
                    answer="I let go",
                    shared_with_coach=True,
                    answered_at=T0,
                    created_at=T0,
                ),
                Reflection(
                    leader_id=kim.id,
                    prompt_id="p2",
                    answer="Kim's private answer",
                    answered_at=T0,
                    created_at=T0,
                ),
                NudgePlan(
                    person_id=w.leader.id,
                    kind="reflection",
                    next_due_at=T0,
                    anchor_period="2026-W48",
                    updated_at=T0,
                    created_at=T0,
                ),
                NudgeSettings(
                    person_id=w.leader.id,
                    share_default="coach",
                    asked_to_pause_at=T0,
                    updated_at=T0,
                ),
            ]
        )


def _kept(model: type, owner: str, rename: dict[str, str] | None = None) -> set[str]:
    """The names an export uses for every column of `model` but the owner's id."""
    names = rename or {}
    return {names.get(c.key, c.key) for c in inspect(model).column_attrs if c.key != owner}


async def test_export_holds_every_column_of_goals_checkins_reflections_and_nudges(
    db: Database,
) -> None:
    await _everything_for_goals(db)
    async with db.reading() as s:
        data = await export(db=s, email="leader@example.com", now=T0)
    [person] = data["people"]
    [goal] = person["goals"]
    assert set(goal) == _kept(Goal, "leader_id", {"baseline_level": "baseline"})
    assert goal["themes"] == ["delegation", "team"] and goal["title"] == TITLE
    assert goal["levels"] == {"-1": "one report", "0": "half", "+1": "all but one"}
    assert goal["engagement_id"] == person["engagements"][0]["id"]
    [checkin] = person["checkins"]
    assert set(checkin) == _kept(CheckIn, "leader_id")
    assert (checkin["goal_id"], checkin["note"], checkin["t_score"]) == (
        goal["id"],
        "went well",
        60.0,
    )
    assert checkin["answered_at"] == T0.isoformat()
    [reflection] = person["reflections"]
    assert set(reflection) == _kept(Reflection, "leader_id", {"prompt_id": "prompt"})
    [nudge] = person["nudges"]
    assert set(nudge) == _kept(Nudge, "person_id")
    assert reflection["nudge_id"] == nudge["id"] and nudge["prompt_id"] == "p1"
    [plan] = person["nudge_plans"]
    assert set(plan) == _kept(NudgePlan, "person_id") and plan["anchor_period"] == "2026-W48"
    settings = person["nudge_settings"]
    assert set(settings) == _kept(NudgeSettings, "person_id")
    assert settings["asked_to_pause_at"] == T0.isoformat()
    whole = json.dumps(data)  # JSON-ready, and nothing of Kim's
    assert "Kim" not in whole and "kim" not in whole.lower()
