"""The playground API over HTTP on both databases: roster, interactions, transcript, bad input."""

from __future__ import annotations

from datetime import timedelta

from handlers.web.transcript import delivered
from storage.models import Person
from tests.factories import T0, World, add_booking
from tests.handlers.web_env import Env, outbox_rows, post


async def test_people_lists_leaders_then_coaches_without_email(env: Env) -> None:
    response = await env.client.get("/api/people")
    assert response.status == 200
    people = (await response.json())["people"]
    assert [(p["name"], p["role"], p["timezone"], p["programme"]) for p in people] == [
        ("Sam Lee", "leader", "America/New_York", "Leadership Programme"),
        ("Ana Ruiz", "coach", "Europe/Madrid", "Leadership Programme"),
    ]
    assert "example.com" not in await response.text()


async def test_help_round_trip(env: Env) -> None:
    status, body = await post(
        env, "/api/interact", {"person_id": env.world.leader.id, "text": "help"}
    )
    assert status == 200, body
    [entry] = body["entries"]
    assert "Ana Ruiz" in entry["html"] and "<h3>Coach Companion</h3>" in entry["html"]
    assert 'data-action-id="command" data-value="sessions"' in entry["html"]
    assert "Tue 24 Nov 2026, 05:00 EST</time>" in entry["html"]  # the leader's zone
    assert body["clock"]["shown"] == "Tue 24 Nov 2026, 05:00 EST"
    [row] = await outbox_rows(env.database)
    assert (row.id, row.channel, row.status) == (entry["id"], "web", "sent")
    assert row.platform_ref == f"web:{row.id}"
    # polling sees the same entry once, and nothing after it
    poll = await env.client.get(f"/api/transcript?person_id={env.world.leader.id}&after=0")
    assert [e["id"] for e in (await poll.json())["entries"]] == [entry["id"]]
    later = await env.client.get(
        f"/api/transcript?person_id={env.world.leader.id}&after={entry['id']}"
    )
    assert (await later.json())["entries"] == []
    # the coach's transcript does not show the leader's messages
    coach = await env.client.get(f"/api/transcript?person_id={env.world.coach.id}")
    assert (await coach.json())["entries"] == []


async def test_button_click_round_trip(env: Env) -> None:
    async with env.database.transaction() as s:
        add_booking(s, env.world, T0 + timedelta(days=2))
    who = env.world.leader.id
    _, first = await post(env, "/api/interact", {"person_id": who, "text": "help"})
    status, body = await post(
        env,
        "/api/interact",
        {"person_id": who, "action_id": "command", "value": "sessions", "after": 0},
    )
    assert status == 200, body
    ids = [e["id"] for e in body["entries"]]
    assert ids == [first["entries"][0]["id"], ids[-2], ids[-1]] and ids[-1] > ids[-2] > ids[0]
    assert "<h3>Your upcoming sessions</h3>" in body["entries"][-2]["html"]
    html = body["entries"][-1]["html"]
    assert "<strong>Thu 26 Nov 2026, 05:00 EST</strong>" in html and "Ana Ruiz" in html
    assert 'data-action-id="session.move"' in html


async def test_names_are_escaped_in_rendered_messages(env: Env) -> None:
    async with env.database.transaction() as s:
        leader = await s.get(Person, env.world.leader.id)
        assert leader is not None
        leader.name = "<script>alert(1)</script> Lee"
    _, body = await post(env, "/api/interact", {"person_id": env.world.leader.id, "text": "hi"})
    html = body["entries"][0]["html"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _bad_interactions(w: World) -> list[tuple[str, object]]:
    leader = w.leader.id
    return [
        ("unknown person", {"person_id": 999_999, "text": "help"}),
        ("person id as text", {"person_id": str(leader), "text": "help"}),
        ("no person", {"text": "help"}),
        ("unknown field", {"person_id": leader, "text": "help", "admin": True}),
        ("two modes", {"person_id": leader, "text": "help", "action_id": "command"}),
        ("no mode", {"person_id": leader}),
        ("empty text", {"person_id": leader, "text": "   "}),
        ("value without action", {"person_id": leader, "text": "help", "value": "x"}),
        ("values not strings", {"person_id": leader, "form_id": "f", "values": {"a": 1}}),
        ("values not an object", {"person_id": leader, "form_id": "f", "values": ["a"]}),
        ("too long", {"person_id": leader, "text": "x" * 5000}),
        ("not an object", [leader, "help"]),
        ("negative after", {"person_id": leader, "text": "help", "after": -1}),
    ]


async def test_bad_interactions_are_refused_and_change_nothing(env: Env) -> None:
    for name, body in _bad_interactions(env.world):
        status, answer = await post(env, "/api/interact", body)
        assert status == 400, name
        assert isinstance(answer["error"], str) and answer["error"], name
    raw = await env.client.post(
        "/api/interact", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert raw.status == 400 and "JSON" in (await raw.json())["error"]
    form_post = await env.client.post(
        "/api/interact", data={"person_id": str(env.world.leader.id), "text": "help"}
    )
    assert form_post.status == 400  # a cross-site HTML form cannot post JSON
    assert await outbox_rows(env.database) == []


async def test_admins_are_not_offered(env: Env) -> None:
    async with env.database.transaction() as s:
        admin = Person(
            organisation_id=env.world.org.id,
            email="hr@example.com",
            name="Hana Admin",
            role="admin",
            timezone="UTC",
            created_at=T0,
            updated_at=T0,
        )
        s.add(admin)
        await s.flush()
        admin_id = admin.id
    status, _ = await post(env, "/api/interact", {"person_id": admin_id, "text": "help"})
    assert status == 400
    people = (await (await env.client.get("/api/people")).json())["people"]
    assert admin_id not in [p["id"] for p in people]


async def test_bad_transcript_queries(env: Env) -> None:
    for query in ("", "person_id=abc", "person_id=-1", "person_id=999999", "person_id=1&after=x"):
        response = await env.client.get(f"/api/transcript?{query}")
        assert response.status == 400, query
        assert (await response.json())["error"]


async def test_form_and_unknown_action_reach_the_router(env: Env) -> None:
    who = env.world.leader.id
    status, body = await post(
        env,
        "/api/interact",
        {"person_id": who, "form_id": "gone_form", "values": {"topic": "<b>x</b>", "n": ""}},
    )
    assert status == 200, body
    assert "That form has expired" in body["entries"][0]["html"]
    status, body = await post(env, "/api/interact", {"person_id": who, "action_id": "gone"})
    assert status == 200, body
    assert "That button has expired" in body["entries"][0]["html"]


async def test_transcript_pages_say_when_there_is_more(env: Env) -> None:
    who = env.world.leader.id
    for _ in range(3):
        await post(env, "/api/interact", {"person_id": who, "text": "help"})
    async with env.database.reading() as s:
        leader = await s.get(Person, who)
        assert leader is not None
        first = await delivered(db=s, person=leader, after=0, limit=2)
        rest = await delivered(db=s, person=leader, after=first.cursor, limit=2)
    assert [len(first.entries), first.more, first.cursor] == [2, True, first.entries[1]["id"]]
    assert [len(rest.entries), rest.more, rest.waiting] == [1, False, []]


async def test_control_characters_never_reach_the_core(env: Env) -> None:
    who = env.world.leader.id
    status, body = await post(env, "/api/interact", {"person_id": who, "text": "\x00he\x1blp\x07"})
    assert status == 200, body
    assert "<h3>Coach Companion</h3>" in body["entries"][0]["html"]  # the core saw "help"
    status, body = await post(env, "/api/interact", {"person_id": who, "text": "\x00\x01"})
    assert status == 400 and body["error"] == "text must not be empty"
