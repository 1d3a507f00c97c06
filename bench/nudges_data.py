"""Seeded data for bench/nudges.py: leaders over 30 zones, engagements, goals, nudge settings.

Everything is written with bulk Core inserts and explicit ids (fast, and the sweep under test
reads it exactly as it would read rows made by the app).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from sqlalchemy import insert

from bot.ui import Button, Message
from storage.db import Database
from storage.models import (
    Engagement,
    Goal,
    NudgeSettings,
    Organisation,
    OutboxMessage,
    Person,
    PlatformIdentity,
    Programme,
    SlackWorkspace,
)

MONDAY = date(2026, 11, 23)
# Before any zone's Monday 07:00 (Kiritimati, UTC+14, reaches it on Sunday 17:00 UTC).
SETUP_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# After every zone's Monday noon (Pago Pago, UTC-11, reaches it on Monday 23:00 UTC).
MORNING_ENDS = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
WORKSPACES = 10
CHUNK = 5000
ZONES = (  # 30 zones, the first ones more populated; odd offsets and southern DST included
    "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "America/Chicago",
    "America/Los_Angeles", "Europe/Paris", "Asia/Singapore", "Australia/Sydney", "Asia/Tokyo",
    "America/Sao_Paulo", "Africa/Johannesburg", "Asia/Dubai", "Pacific/Auckland",
    "America/Toronto", "Europe/Madrid", "America/Mexico_City", "Africa/Lagos", "Europe/Warsaw",
    "Asia/Shanghai", "America/St_Johns", "Asia/Kathmandu", "Australia/Adelaide",
    "Pacific/Chatham", "America/Santiago", "Europe/Istanbul", "Asia/Tehran", "Atlantic/Azores",
    "Pacific/Honolulu", "Pacific/Kiritimati",
)  # fmt: skip


@dataclass
class World:
    leaders: int = 0
    goals: int = 0
    settings: int = 0
    paused: int = 0
    monday_reflection: int = 0
    no_goals: int = 0


def _levels(n: int) -> dict[str, str]:
    return {str(k): f"Level {k} of goal {n}" for k in (-2, -1, 0, 1, 2)}


def _settings_row(rng: random.Random, pid: int, world: World) -> dict[str, Any] | None:
    """About 30% of leaders have a settings row; some move a nudge to Monday morning."""
    roll = rng.random()
    if roll > 0.30:
        return None
    row: dict[str, Any] = {"person_id": pid, "updated_at": SETUP_AT, "quiet_hours_ok": False}
    row["share_default"] = rng.choice((None, "private", "coach"))
    if roll < 0.10:  # reflection on Monday morning too
        row["reflection_weekday"] = 0
        row["reflection_time"] = clock(rng.choice((8, 9, 10)), rng.choice((0, 30)))
        world.monday_reflection += 1
    elif roll < 0.14:  # an earlier check-in, inside quiet hours unless allowed
        row["checkin_time"] = clock(7, 30)
        row["quiet_hours_ok"] = rng.random() < 0.5
    elif roll < 0.17:
        row["paused_until"] = SETUP_AT + timedelta(days=14)
        world.paused += 1
    return row


async def build(db: Database, leaders: int, seed: int) -> World:
    """One organisation, one programme (check-in Monday 09:00), `leaders` active leaders."""
    rng = random.Random(seed)
    world = World(leaders=leaders)
    at = SETUP_AT
    coaches = max(1, leaders // 100)
    async with db.transaction() as s:
        await s.execute(
            insert(Organisation), [{"id": 1, "slug": "bench", "name": "Bench", "created_at": at}]
        )
        await s.execute(
            insert(SlackWorkspace),
            [{"id": w + 1, "organisation_id": 1, "team_id": f"T{w}"} for w in range(WORKSPACES)],
        )
        await s.execute(
            insert(Programme),
            [
                {
                    "id": 1,
                    "organisation_id": 1,
                    "slug": "leadership",
                    "name": "Leadership",
                    "modality": "leadership",
                    "created_at": at,
                }
            ],
        )
    people = coaches + leaders
    weights = [max(1, 40 - i) for i in range(len(ZONES))]
    for start in range(1, people + 1, CHUNK):
        ids = range(start, min(people + 1, start + CHUNK))
        rows, identities, engagements, goals, settings = [], [], [], [], []
        for pid in ids:
            coach = pid <= coaches
            zone = rng.choices(ZONES, weights=weights)[0]
            rows.append(
                {
                    "id": pid,
                    "organisation_id": 1,
                    "email": f"p{pid}@example.com",
                    "name": f"Person {pid}",
                    "role": "coach" if coach else "leader",
                    "timezone": zone,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            identities.append(
                {
                    "id": pid,
                    "person_id": pid,
                    "platform": "slack",
                    "tenant_key": f"T{pid % WORKSPACES}",
                    "external_id": f"U{pid:08d}",
                    "created_at": at,
                }
            )
            if coach:
                continue
            engagements.append(
                {
                    "id": pid,
                    "leader_id": pid,
                    "coach_id": 1 + pid % coaches,
                    "programme_id": 1,
                    "status": "active",
                    "started_on": MONDAY - timedelta(weeks=rng.randint(1, 20)),
                    "created_at": at,
                }
            )
            count = rng.choices((0, 1, 2, 3), weights=(10, 40, 35, 15))[0]
            world.no_goals += count == 0
            for n in range(1, count + 1):
                goals.append(
                    {
                        "id": pid * 4 + n,
                        "engagement_id": pid,
                        "leader_id": pid,
                        "position": n,
                        "title": f"Goal {n}",
                        "levels": _levels(n),
                        "themes": ["delegation"],
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            row = _settings_row(rng, pid, world)
            if row is not None:
                settings.append(row)
        world.goals += len(goals)
        world.settings += len(settings)
        async with db.transaction() as s:
            await s.execute(insert(Person), rows)
            await s.execute(insert(PlatformIdentity), identities)
            if engagements:
                await s.execute(insert(Engagement), engagements)
            if goals:
                await s.execute(insert(Goal), goals)
            if settings:
                await s.execute(insert(NudgeSettings), settings)
    return world


async def synthetic_outbox(db: Database, leaders: int) -> int:
    """A check-in message per leader, as the sweep would queue it (used until sweep.py lands)."""
    message = Message(
        title="Weekly check-in",
        text="Where are you on each of your goals this week? It takes a minute.",
        buttons=(
            Button(label="Check in", action_id="checkin.open", value="1"),
            Button(label="Not this week", action_id="nudge.skip", value="1"),
        ),
    )
    payload = message.to_payload()
    coaches = max(1, leaders // 100)
    first = coaches + 1
    for start in range(first, first + leaders, CHUNK):
        rows = [
            {
                "person_id": pid,
                "channel": "slack",
                "bucket": f"slack:T{pid % WORKSPACES}",
                "kind": "nudge",
                "payload": payload,
                "dedupe_key": f"nudge:bench:{pid}",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": SETUP_AT,
                "created_at": SETUP_AT,
            }
            for pid in range(start, min(first + leaders, start + CHUNK))
        ]
        async with db.transaction() as s:
            await s.execute(insert(OutboxMessage), rows)
    return leaders
