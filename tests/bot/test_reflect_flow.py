"""Reflections in chat: the week's prompt, answers by form or by reply, sharing per answer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text

from bot.nudges.prompt_bank import load_bank
from bot.nudges.schedule import period_of
from bot.ui import Message
from storage.db import Database
from storage.models import Nudge, NudgePlan, NudgeSettings, Person, Reflection
from tests.bot.test_booking_flow import COACH, LEADER, button, count, turn
from tests.factories import T0, World, make_world

OTHER = "kim@example.com"
PROMPT = load_bank()[0]
ANSWER = "I delegated the weekly report and it went better than I feared."
NY = "America/New_York"


async def world(db: Database, *, nudge: bool = True, share: str | None = None) -> World:
    """Sam with plans for both kinds, this week's reflection sent an hour ago, and Kim."""
    async with db.transaction() as s:
        w = await make_world(s)
        s.add(
            Person(
                organisation_id=w.org.id,
                email=OTHER,
                name="Kim Park",
                role="leader",
                timezone="Europe/London",
                created_at=T0,
                updated_at=T0,
            )
        )
        for kind in ("reflection", "checkin"):
            s.add(
                NudgePlan(
                    person_id=w.leader.id,
                    kind=kind,
                    next_due_at=T0 + timedelta(days=3),
                    updated_at=T0,
                    created_at=T0,
                )
            )
        if nudge:
            s.add(reflection_nudge(w, T0 - timedelta(hours=1)))
        if share is not None:
            s.add(NudgeSettings(person_id=w.leader.id, share_default=share, updated_at=T0))
    return w


def reflection_nudge(w: World, sent_at: datetime, *, kind: str = "reflection") -> Nudge:
    """A sent nudge of the leader in the week of `sent_at` (their zone)."""
    return Nudge(
        person_id=w.leader.id,
        kind=kind,
        period=period_of(sent_at, NY),
        due_at=sent_at,
        status="sent",
        prompt_id=PROMPT.id if kind == "reflection" else None,
        sent_at=sent_at,
        created_at=sent_at,
    )


async def reflections(db: Database) -> list[Reflection]:
    async with db.reading() as s:
        return list((await s.scalars(select(Reflection).order_by(Reflection.id))).all())


async def the_nudge(db: Database) -> Nudge:
    async with db.reading() as s:
        nudge = await s.scalar(select(Nudge).where(Nudge.kind == "reflection"))
        assert nudge is not None
        return nudge


def submit(form_message: Message, **values: str) -> dict[str, str]:
    """The form's submission with its context and the given field values."""
    assert form_message.form is not None, form_message
    fields = {f"f_{k}": v for k, v in values.items()}
    return {"form_id": form_message.form.form_id, "f_context": form_message.form.context, **fields}


async def test_the_open_nudges_prompt_answered_privately_is_encrypted_at_rest(
    db: Database,
) -> None:
    await world(db)
    [shown] = await turn(db, LEADER, text="reflect")
    assert PROMPT.text in shown.text and "isn't this week's" not in shown.text
    assert shown.form is not None
    share = next(f for f in shown.form.fields if f.name == "share")
    assert share.initial == "private"
    assert [o.label for o in share.options] == ["Just me", "Share with my coach"]
    saved, ask = await turn(db, LEADER, **submit(shown, answer=f"  {ANSWER}\n", share="private"))
    assert saved.text == "Saved. This answer is private to you."
    assert [b.label for b in saved.buttons] == ["Share with my coach"]
    [row] = await reflections(db)
    assert (row.answer, row.prompt_id, row.shared_with_coach) == (ANSWER, PROMPT.id, False)
    nudge = await the_nudge(db)
    assert row.nudge_id == nudge.id and nudge.status == "answered" and nudge.answered_at == T0
    async with db.reading() as s:
        raw = await s.scalar(text("SELECT answer FROM reflections"))
    assert raw and "delegated" not in str(raw)
    # The sharing default is asked once, after the first answer.
    assert "asked only once" in ask.text
    [done] = await turn(db, LEADER, **button(ask, "Share with my coach"))
    assert "marked to share with your coach by default" in done.text
    async with db.reading() as s:
        settings = await s.get(NudgeSettings, row.leader_id)
        assert settings is not None and settings.share_default == "coach"


async def test_an_answer_shared_with_the_coach_and_the_default_preselected(db: Database) -> None:
    await world(db, share="coach")
    [shown] = await turn(db, LEADER, **{"action_id": "reflect.open", "value": "999"})
    assert shown.form is not None
    assert next(f for f in shown.form.fields if f.name == "share").initial == "coach"
    replies = await turn(db, LEADER, **submit(shown, answer=ANSWER, share="coach"))
    assert [m.text for m in replies] == ["Saved, marked to share with your coach."]
    [row] = await reflections(db)
    assert row.shared_with_coach is True
    [private] = await turn(db, LEADER, **button(replies[0], "Make it private"))
    assert private.text == "This answer is now private to you."
    [row] = await reflections(db)
    assert row.shared_with_coach is False


async def test_without_an_open_nudge_a_prompt_is_chosen_now(db: Database) -> None:
    await world(db, nudge=False)
    [shown] = await turn(db, LEADER, text="reflect")
    assert "isn't this week's scheduled prompt" in shown.text
    assert shown.form is not None and shown.form.context.startswith(":")
    prompt_id = shown.form.context.removeprefix(":")
    assert prompt_id in {p.id for p in load_bank()}
    await turn(db, LEADER, **submit(shown, answer=ANSWER, share="private"))
    [row] = await reflections(db)
    assert row.nudge_id is None and row.prompt_id == prompt_id


async def test_empty_or_too_long_answers_save_nothing(db: Database) -> None:
    await world(db)
    [shown] = await turn(db, LEADER, text="reflect")
    [empty] = await turn(db, LEADER, **submit(shown, answer="  \n ", share="private"))
    assert "empty, so nothing was saved" in empty.text
    assert empty.form is not None and empty.form.form_id == "reflect.answer"  # shown again
    [long] = await turn(db, LEADER, **submit(shown, answer="x" * 3001, share="coach"))
    assert "3001 characters; the limit is 3000" in long.text
    assert long.form is not None  # as typed, so nothing is lost
    assert [f.initial for f in long.form.fields] == ["x" * 3000, "coach"]
    [stale] = await turn(db, LEADER, form_id="reflect.answer", f_context="1:nope-99", f_answer="x")
    assert "expired" in stale.text
    assert await count(db, Reflection) == 0
    assert (await the_nudge(db)).status == "sent"


async def test_a_reply_while_the_nudge_is_open_is_saved_and_only_the_author_can_share_it(
    db: Database,
) -> None:
    await world(db)
    saved, ask = await turn(db, LEADER, text=ANSWER)
    assert "saved that as your answer" in saved.text and "private to you" in saved.text
    assert "asked only once" in ask.text
    [row] = await reflections(db)
    assert (row.answer, row.shared_with_coach, row.prompt_id) == (ANSWER, False, PROMPT.id)
    assert (await the_nudge(db)).status == "answered"
    toggle = button(saved, "Share with my coach")
    [refused] = await turn(db, OTHER, **toggle)
    assert refused.text == "That answer isn't yours, so nothing was changed."
    [row] = await reflections(db)
    assert row.shared_with_coach is False
    [shared] = await turn(db, LEADER, **toggle)
    assert shared.text == "This answer is now marked to share with your coach."
    [row] = await reflections(db)
    assert row.shared_with_coach is True
    # Answered: the next free text is not a reflection; the bot points to the coach.
    [after] = await turn(db, LEADER, text="How do I get my team to own the report?")
    assert "a good thing to take to" in after.text  # handed to the coach, not saved
    assert await count(db, Reflection) == 1


async def test_a_reply_uses_the_sharing_default(db: Database) -> None:
    await world(db, share="coach")
    replies = await turn(db, LEADER, text=ANSWER)
    assert len(replies) == 1 and "marked to share with your coach" in replies[0].text
    assert [b.label for b in replies[0].buttons] == ["Make it private"]
    [row] = await reflections(db)
    assert row.shared_with_coach is True


async def test_free_text_without_an_open_nudge_is_not_saved(db: Database) -> None:
    w = await world(db, nudge=False)
    async with db.transaction() as s:
        s.add(reflection_nudge(w, T0 - timedelta(hours=1), kind="checkin"))  # not a reflection
        s.add(reflection_nudge(w, T0 - timedelta(days=8)))  # last week's, no longer open
    [reply] = await turn(db, LEADER, text="How do I get my team to own the report?")
    assert "a good thing to take to" in reply.text
    assert await count(db, Reflection) == 0


async def test_short_or_over_long_replies_while_open_save_nothing(db: Database) -> None:
    await world(db)
    [short] = await turn(db, LEADER, text="ok thanks")
    assert "write a little more" in short.text
    assert short.buttons[0].label == "Answer" and short.buttons[0].action_id == "reflect.open"
    [long] = await turn(db, LEADER, text="word " * 900)
    assert "nothing was saved" in long.text
    assert await count(db, Reflection) == 0
    assert (await the_nudge(db)).status == "sent"


async def test_coaches_are_told_reflections_are_for_leaders(db: Database) -> None:
    await world(db)
    [reply] = await turn(db, COACH, text="reflect")
    assert reply.text.startswith("Reflections are for leaders")
    [free] = await turn(db, COACH, text="I have a question about my client today")
    assert "didn't recognise" in free.text
    assert await count(db, Reflection) == 0


async def test_answer_on_an_already_answered_nudge_says_so_then_offers_another(
    db: Database,
) -> None:
    await world(db)
    nudge = await the_nudge(db)
    answer_button = {"action_id": "reflect.open", "value": str(nudge.id)}
    [shown] = await turn(db, LEADER, **answer_button)
    await turn(db, LEADER, **submit(shown, answer=ANSWER, share="private"))
    assert (await the_nudge(db)).status == "answered"
    for again in (answer_button, {"text": "reflect"}):
        [reply] = await turn(db, LEADER, **again)
        assert reply.text.startswith("You've already answered this week's reflection.")
        assert "No reflection is waiting" not in reply.text
        assert "isn't this week's scheduled prompt" in reply.text
        assert reply.form is not None and reply.form.context.startswith(":")  # an ad-hoc prompt


async def test_with_nothing_sent_this_week_the_prompt_is_unscheduled(db: Database) -> None:
    w = await world(db, nudge=False)
    async with db.transaction() as s:
        old = reflection_nudge(w, T0 - timedelta(days=8))
        old.status = "answered"
        s.add(old)
    [reply] = await turn(db, LEADER, text="reflect")
    assert reply.text.startswith("No reflection is waiting for you this week")
