"""A person's data rights: export everything kept about them, or erase it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record
from storage.crypto import Keyring
from storage.models import (
    Booking,
    CheckIn,
    Engagement,
    Goal,
    Handoff,
    Nudge,
    OutboxMessage,
    Person,
    PlatformIdentity,
    Reflection,
)


class UnknownPerson(LookupError):
    """No person with that email is on any roster."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _people(db: AsyncSession, email: str) -> list[Person]:
    found = (await db.scalars(select(Person).where(Person.email == email.strip().lower()))).all()
    if not found:
        raise UnknownPerson(f"no one with the email {email.strip()!r} is on the roster")
    return list(found)


async def export(*, db: AsyncSession, email: str, now: datetime) -> dict[str, Any]:
    """Everything kept about the person with this email, decrypted, as a JSON-ready dict."""
    people = await _people(db, email)
    out: dict[str, Any] = {"exported_at": now.isoformat(), "people": []}
    for p in people:
        pid = p.id
        engagements = (
            await db.scalars(select(Engagement).where(Engagement.leader_id == pid))
        ).all()
        bookings = (
            await db.scalars(
                select(Booking).where(or_(Booking.leader_id == pid, Booking.coach_id == pid))
            )
        ).all()
        goals = (await db.scalars(select(Goal).where(Goal.leader_id == pid))).all()
        checkins = (await db.scalars(select(CheckIn).where(CheckIn.leader_id == pid))).all()
        reflections = (
            await db.scalars(select(Reflection).where(Reflection.leader_id == pid))
        ).all()
        handoffs = (await db.scalars(select(Handoff).where(Handoff.leader_id == pid))).all()
        nudges = (await db.scalars(select(Nudge).where(Nudge.person_id == pid))).all()
        identities = (
            await db.scalars(select(PlatformIdentity).where(PlatformIdentity.person_id == pid))
        ).all()
        messages = (
            await db.scalars(select(OutboxMessage).where(OutboxMessage.person_id == pid))
        ).all()
        out["people"].append(
            {
                "profile": {
                    "email": p.email,
                    "name": p.name,
                    "role": p.role,
                    "timezone": p.timezone,
                    "locale": p.locale,
                    "country": p.country,
                    "level": p.level,
                    "function": p.function,
                    "region": p.region,
                    "cohort": p.cohort,
                    "employment_status": p.employment_status,
                },
                "chat_identities": [
                    {"platform": i.platform, "id": i.external_id, "workspace": i.tenant_key}
                    for i in identities
                ],
                "engagements": [
                    {
                        "programme_id": e.programme_id,
                        "coach_id": e.coach_id,
                        "status": e.status,
                        "started_on": e.started_on.isoformat(),
                    }
                    for e in engagements
                ],
                "sessions": [
                    {
                        "starts_at": _iso(b.starts_at),
                        "ends_at": _iso(b.ends_at),
                        "status": b.status,
                        "kind": b.kind,
                    }
                    for b in bookings
                ],
                "goals": [
                    {
                        "title": g.title,
                        "levels": g.levels,
                        "baseline": g.baseline_level,
                        "status": g.status,
                    }
                    for g in goals
                ],
                "checkins": [
                    {
                        "goal_id": c.goal_id,
                        "period": c.period,
                        "level": c.level,
                        "confidence": c.confidence,
                        "note": c.note,
                        "shared_with_coach": c.shared_with_coach,
                    }
                    for c in checkins
                ],
                "reflections": [
                    {
                        "prompt": r.prompt_id,
                        "answer": r.answer,
                        "shared_with_coach": r.shared_with_coach,
                        "answered_at": _iso(r.answered_at),
                    }
                    for r in reflections
                ],
                "handoffs": [
                    {"kind": h.kind, "text": h.text, "created_at": _iso(h.created_at)}
                    for h in handoffs
                ],
                "nudges": [
                    {"kind": n.kind, "period": n.period, "status": n.status} for n in nudges
                ],
                "messages_to_you": [
                    {"sent_at": _iso(m.sent_at), "status": m.status, "message": m.payload}
                    for m in messages
                ],
            }
        )
    return out


async def erase(*, db: AsyncSession, email: str, now: datetime, keyring: Keyring) -> int:
    """Delete the person with this email and everything that hangs off them; returns how many."""
    people = await _people(db, email)
    for p in people:
        record(
            db=db,
            actor="operator",
            action="privacy.erase",
            now=now,
            subject_type="person",
            subject_id=keyring.pseudonym("person", p.id),
            detail={"role": p.role},
        )
    await db.execute(delete(Person).where(Person.id.in_([p.id for p in people])))
    return len(people)
