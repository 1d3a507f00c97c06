"""A person's data rights: export everything kept about them, or erase it (and readmit them)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from bot.audit import record
from bot.booking.erasure import release_sessions
from bot.erasures import add_erasure, email_keys, find_erasures, session_keyring
from storage.crypto import Keyring
from storage.models import (
    Booking,
    BookingSeat,
    CheckIn,
    CoachBusy,
    CoachProfile,
    Engagement,
    Erasure,
    Goal,
    Handoff,
    Nudge,
    NudgePlan,
    NudgeSettings,
    OutboxMessage,
    Person,
    PlatformIdentity,
    Programme,
    Reflection,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class UnknownPerson(LookupError):
    """No person with that email is on any roster."""


class NotErased(LookupError):
    """No erasure of that email is on record, so there is no one to readmit."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime | date | time) else value


def _columns(row: object, *, owner: str, rename: dict[str, str] | None = None) -> dict[str, Any]:
    """Every column of a row (decrypted), JSON-ready; the owner's own id column is left out.

    Listing columns from the table, not by hand, keeps the export whole when a column is added.
    """
    names = rename or {}
    return {
        names.get(attr.key, attr.key): _plain(getattr(row, attr.key))
        for attr in inspect(row).mapper.column_attrs
        if attr.key != owner
    }


async def find(*, db: AsyncSession, email: str) -> list[Person]:
    """Everyone with this email (one per organisation), or UnknownPerson."""
    found = (await db.scalars(select(Person).where(Person.email == email.strip().lower()))).all()
    if not found:
        raise UnknownPerson(f"no one with the email {email.strip()!r} is on the roster")
    return list(found)


def _profile(p: Person) -> dict[str, Any]:
    return {
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
        "working_hours": f"{p.workday_starts:%H:%M}-{p.workday_ends:%H:%M}",
        "working_days": [WEEKDAYS[d] for d in p.working_days],
    }


async def _coach_profile(db: AsyncSession, p: Person) -> dict[str, Any] | None:
    profile = await db.scalar(
        select(CoachProfile)
        .where(CoachProfile.person_id == p.id)
        .options(selectinload(CoachProfile.availability))
    )
    if profile is None:
        return None
    clients = await db.scalars(select(Engagement.id).where(Engagement.coach_id == p.id))
    return {
        "accreditation": f"{profile.accreditation_body} {profile.accreditation_level}",
        "modalities": profile.modalities,
        "languages": profile.languages,
        "capacity": profile.capacity,
        "bio": profile.bio,
        "calendar_user_id": profile.calendar_user_id,
        "buffer_minutes": profile.buffer_minutes,
        "min_notice_hours": profile.min_notice_hours,
        "availability": [
            {"day": WEEKDAYS[w.weekday], "from": f"{w.starts:%H:%M}", "to": f"{w.ends:%H:%M}"}
            for w in profile.availability
        ],
        "clients_ever": len(clients.all()),
    }


async def _engagements(db: AsyncSession, p: Person) -> list[dict[str, Any]]:
    coach = aliased(Person)
    rows = await db.execute(
        select(Engagement, Programme.name, coach.name)
        .join(Programme, Programme.id == Engagement.programme_id)
        .outerjoin(coach, coach.id == Engagement.coach_id)
        .where(Engagement.leader_id == p.id)
    )
    return [
        {
            "id": e.id,
            "programme": programme,
            "coach": coach_name,
            "status": e.status,
            "started_on": e.started_on.isoformat(),
            "ended_on": e.ended_on.isoformat() if e.ended_on else None,
        }
        for e, programme, coach_name in rows
    ]


async def _sessions(db: AsyncSession, p: Person) -> list[dict[str, Any]]:
    seats = {
        s.booking_id: s.status
        for s in await db.scalars(select(BookingSeat).where(BookingSeat.leader_id == p.id))
    }
    rows = await db.scalars(
        select(Booking)
        .where(
            or_(
                Booking.leader_id == p.id,
                Booking.coach_id == p.id,
                Booking.id.in_(list(seats)),
            )
        )
        .order_by(Booking.starts_at)
    )
    return [
        {
            "starts_at": _iso(b.starts_at),
            "ends_at": _iso(b.ends_at),
            "status": b.status if b.coach_id == p.id else seats.get(b.id, b.status),
            "kind": b.kind,
            "title": b.title,
            "as": "coach" if b.coach_id == p.id else "leader",
        }
        for b in rows
    ]


async def _time_off(db: AsyncSession, p: Person) -> list[dict[str, Any]]:
    rows = await db.scalars(
        select(CoachBusy).where(CoachBusy.coach_id == p.id).order_by(CoachBusy.starts_at)
    )
    return [
        {"source": b.source, "starts_at": _iso(b.starts_at), "ends_at": _iso(b.ends_at)}
        for b in rows
    ]


async def _words(db: AsyncSession, p: Person) -> dict[str, Any]:
    goals = await db.scalars(select(Goal).where(Goal.leader_id == p.id).order_by(Goal.id))
    checkins = await db.scalars(
        select(CheckIn).where(CheckIn.leader_id == p.id).order_by(CheckIn.period, CheckIn.id)
    )
    reflections = await db.scalars(
        select(Reflection).where(Reflection.leader_id == p.id).order_by(Reflection.id)
    )
    handoffs = await db.scalars(select(Handoff).where(Handoff.leader_id == p.id))
    return {
        "goals": [
            _columns(g, owner="leader_id", rename={"baseline_level": "baseline"}) for g in goals
        ],
        "checkins": [_columns(c, owner="leader_id") for c in checkins],
        "reflections": [
            _columns(r, owner="leader_id", rename={"prompt_id": "prompt"}) for r in reflections
        ],
        "handoffs": [_columns(h, owner="leader_id") for h in handoffs],
    }


async def _contact(db: AsyncSession, p: Person) -> dict[str, Any]:
    identities = await db.scalars(
        select(PlatformIdentity).where(PlatformIdentity.person_id == p.id)
    )
    nudges = await db.scalars(select(Nudge).where(Nudge.person_id == p.id).order_by(Nudge.id))
    plans = await db.scalars(
        select(NudgePlan).where(NudgePlan.person_id == p.id).order_by(NudgePlan.kind)
    )
    messages = await db.scalars(
        select(OutboxMessage).where(OutboxMessage.person_id == p.id).order_by(OutboxMessage.id)
    )
    return {
        "chat_identities": [
            {"platform": i.platform, "id": i.external_id, "workspace": i.tenant_key}
            for i in identities
        ],
        "nudges": [_columns(n, owner="person_id") for n in nudges],
        "nudge_plans": [_columns(n, owner="person_id") for n in plans],
        "nudge_settings": _nudge_settings(await db.get(NudgeSettings, p.id)),
        "messages_to_you": [
            {"sent_at": _iso(m.sent_at), "status": m.status, "message": m.payload} for m in messages
        ],
    }


def _nudge_settings(settings: NudgeSettings | None) -> dict[str, Any] | None:
    return None if settings is None else _columns(settings, owner="person_id")


async def export(*, db: AsyncSession, email: str, now: datetime) -> dict[str, Any]:
    """Everything kept about the person with this email, decrypted, as a JSON-ready dict."""
    out: dict[str, Any] = {"exported_at": now.isoformat(), "people": []}
    for p in await find(db=db, email=email):
        entry: dict[str, Any] = {"profile": _profile(p)}
        coach = await _coach_profile(db, p)
        if coach is not None:
            entry["coach_profile"] = coach
            entry["coach_profile"]["busy_time"] = await _time_off(db, p)
        entry["engagements"] = await _engagements(db, p)
        entry["sessions"] = await _sessions(db, p)
        entry.update(await _words(db, p))
        entry.update(await _contact(db, p))
        out["people"].append(entry)
    return out


async def erase(*, db: AsyncSession, email: str, now: datetime, keyring: Keyring) -> int:
    """Delete the person with this email and everything that hangs off them; returns how many.

    Each erasure leaves a tombstone (a keyed pseudonym of the email, never the email) so that
    a later roster import skips the person instead of re-creating them; see `readmit`.
    """
    people = await find(db=db, email=email)
    for p in people:
        await release_sessions(db=db, person=p, now=now)
        await add_erasure(
            db=db, keyring=keyring, organisation_id=p.organisation_id, email=p.email, now=now
        )
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


async def readmit(*, db: AsyncSession, email: str, now: datetime) -> int:
    """Lift the erasure of this email so roster imports may add them again; returns how many."""
    keyring = session_keyring(db)
    found = await find_erasures(db=db, keyring=keyring, email=email)
    if not found:
        raise NotErased(
            f"{email.strip()!r} was never erased (or was already readmitted): nothing to readmit"
        )
    await db.execute(delete(Erasure).where(Erasure.id.in_([e.id for e in found])))
    record(
        db=db,
        actor="operator",
        action="privacy.readmit",
        now=now,
        subject_type="email",
        subject_id=email_keys(keyring, email)[0],
        detail={"organisations": len(found)},
    )
    return len(found)
