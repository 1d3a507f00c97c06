"""429 with Retry-After from one workspace holds only that workspace; nothing is sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.outbox import enqueue
from bot.ui import Message
from storage.db import Database
from storage.models import Organisation, OutboxMessage, SlackWorkspace
from tests.factories import add_person
from tests.handlers.slack.mock_slack import DEFAULT_TEAM, DEFAULT_TOKEN, Fault, SlackUser
from tests.handlers.slack.slack_env import SlackEnv, installed_world, slack_env

SECOND_TEAM, SECOND_TOKEN = "T0002", "xoxb-second-workspace"
PER_TEAM = 3


async def second_workspace(env: SlackEnv) -> Organisation:
    """Another organisation on its own workspace, installed by OAuth with its own bot token."""
    now = env.rt.clock.now()
    env.mock.tokens[SECOND_TOKEN] = SECOND_TEAM
    assert env.rt.slack is not None
    await env.rt.slack.clients.tokens.save_installation(
        team_id=SECOND_TEAM, bot_token=SECOND_TOKEN, now=now, team_name="Globex"
    )
    async with env.rt.database.transaction() as s:
        org = Organisation(slug="globex", name="Globex", created_at=now)
        s.add(org)
        await s.flush()
        s.add(SlackWorkspace(organisation_id=org.id, team_id=SECOND_TEAM, name="Globex"))
    return org


async def leaders_everywhere(env: SlackEnv) -> dict[str, str]:
    """PER_TEAM leaders in each workspace, each with a queued message; user id -> team."""
    w = await installed_world(env)
    other = await second_workspace(env)
    now = env.rt.clock.now()
    teams: dict[str, str] = {}
    async with env.rt.database.transaction() as s:
        for team, org_id in ((DEFAULT_TEAM, w.org.id), (SECOND_TEAM, other.id)):
            for n in range(PER_TEAM):
                email = f"leader{n}@{team.lower()}.example"
                person = await add_person(
                    s, w, email=email, name=f"Leader {n}", role="leader", timezone="UTC"
                )
                person.organisation_id = org_id
                user = f"U{team}L{n}"
                env.mock.add_user(SlackUser(id=user, email=email, team=team))
                teams[user] = team
                await s.flush()
                await enqueue(db=s, person=person, message=Message(text=f"Hello {n}"), now=now)
    return teams


async def test_a_rate_limited_workspace_waits_while_the_other_goes_on(db: Database) -> None:
    async with slack_env(db) as env:
        teams = await leaders_everywhere(env)
        env.mock.fail("chat.postMessage", Fault(status=429, retry_after=2, times=2, team="T0001"))
        dispatcher, clock = env.rt.dispatcher, env.rt.clock

        first = await dispatcher.dispatch_due(now=clock.now())
        assert (first.sent, first.held) == (PER_TEAM, PER_TEAM)
        again = await dispatcher.dispatch_due(now=clock.now())  # still held: nothing is tried
        assert again.claimed == 0
        clock.advance(timedelta(seconds=2.5))
        second = await dispatcher.dispatch_due(now=clock.now())
        assert (second.sent, second.held) == (0, PER_TEAM)
        clock.advance(timedelta(seconds=2.5))
        third = await dispatcher.dispatch_due(now=clock.now())
        assert third.sent == PER_TEAM

        posts = env.mock.called("chat.postMessage")
        limited = [c for c in posts if c.fault is not None]
        assert [(c.team, c.fault.status) for c in limited if c.fault] == [("T0001", 429)] * 2
        done = env.mock.succeeded("chat.postMessage")
        assert Counter(c.args["channel"] for c in done) == {f"D{u}": 1 for u in teams}
        assert all(
            c.token == (DEFAULT_TOKEN if c.team == DEFAULT_TEAM else SECOND_TOKEN) for c in posts
        )
        order = [c.team for c in done]
        assert order == [SECOND_TEAM] * PER_TEAM + [DEFAULT_TEAM] * PER_TEAM
        at = {id(c): i for i, c in enumerate(posts)}  # Calls compare by value: index by identity
        assert at[id(limited[1])] > max(at[id(c)] for c in done if c.team == SECOND_TEAM)
        async with env.rt.database.reading() as s:
            statuses = list(await s.scalars(select(OutboxMessage.status)))
        assert statuses == ["sent"] * (2 * PER_TEAM)
