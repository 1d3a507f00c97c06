"""The risk reply: support resources at once, and a safeguarding notice by the org's policy.

Nothing here calls the network or a language model: the reply is built from the database and
`prompts/` only, so it goes out whatever else is down. The leader's words are never stored,
logged or passed on: the audit log and the notice carry the rule's category and id only.

The notice goes to one person, the organisation's safeguarding contact (`organisation.
safeguarding` in org.yaml: a coach or admin of the roster, never a leader, never the leader
themself). There is no route to HR or to a manager. If the contact happens to be the leader's
own coach they are told as the contact, which the leader sees by name before agreeing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record
from bot.erasures import session_keyring
from bot.outbox import enqueue
from bot.routes import ROUTES, Turn
from bot.safety.classify import Verdict
from bot.safety.resources import Resource, resources_for
from bot.timefmt import show
from bot.ui import Button, Fact, Message
from prompts import Copy, copy_for
from storage.models import AuditEntry, Organisation, Person

RISK, NOTIFY, DECLINE = "safety.risk", "safety.notify", "safety.decline"
EVENT = "risk_event"
"""The subject_type of a notify or decline entry; its subject_id is the risk entry's id."""
NOTICE_KIND = "safety"


@dataclass(frozen=True)
class Guard:
    """The organisation's safeguarding policy and the contact it names (None: nobody to tell)."""

    org: Organisation | None
    policy: str
    contact: Person | None


async def guard_for(db: AsyncSession, leader: Person) -> Guard:
    """The leader's organisation, its policy, and its contact if that is someone else."""
    org = await db.get(Organisation, leader.organisation_id)
    policy = org.safeguarding_policy if org is not None else "never"
    if org is None or policy == "never" or not org.safeguarding_email:
        return Guard(org, policy, None)
    contact = await db.scalar(
        select(Person).where(
            Person.organisation_id == org.id, Person.email == org.safeguarding_email.lower()
        )
    )
    if contact is None or contact.id == leader.id or contact.role == "leader":
        contact = None
    return Guard(org, policy, contact)


def _actor(db: AsyncSession, leader: Person) -> str:
    return session_keyring(db).pseudonym("person", leader.id)


def _detail(category: object, rule_id: object, policy: str, notified: bool) -> dict[str, Any]:
    return {"category": category, "rule_id": rule_id, "policy": policy, "notified": notified}


def _line(copy: Copy, r: Resource) -> Fact:
    value = copy("safety.with_hours", contact=r.contact, hours=r.hours) if r.hours else r.contact
    return Fact(label=r.name, value=value)


async def risk_reply(turn: Turn, verdict: Verdict) -> list[Message]:
    """Answer a risk message at once: resources, not-an-emergency-service, the notice by policy."""
    if verdict.kind != "risk":
        raise ValueError(f"risk_reply needs a risk verdict, got {verdict.kind!r}")
    db, who, now, copy = turn.db, turn.interaction.who, turn.interaction.now, turn.copy
    guard = await guard_for(db, who)
    resources = resources_for(guard.org, who.locale, who.country)
    told = guard.policy == "always" and guard.contact is not None
    event = record(
        db=db,
        actor=_actor(db, who),
        action=RISK,
        now=now,
        detail=_detail(verdict.category, verdict.rule_id, guard.policy, told),
    )
    await db.flush()
    help_ = Message(
        title=copy("safety.title"),
        text=copy("safety.intro"),
        facts=tuple(_line(copy, r) for r in resources),
    )
    after = copy("safety.not_emergency")
    buttons: tuple[Button, ...] = ()
    if guard.contact is not None and told:
        await _send_notice(turn, event, guard.contact, "always")
        after += "\n\n" + copy("safety.always", name=guard.contact.name)
    elif guard.contact is not None and guard.policy == "ask":
        after += "\n\n" + copy("safety.ask", name=guard.contact.name)
        buttons = (
            Button(
                label=copy("safety.ask_yes", name=guard.contact.name),
                action_id=NOTIFY,
                value=str(event.id),
                style="primary",
            ),
            Button(label=copy("safety.ask_no"), action_id=DECLINE, value=str(event.id)),
        )
    return [help_, Message(text=after, buttons=buttons)]


async def _send_notice(turn: Turn, event: AuditEntry, contact: Person, basis: str) -> None:
    """Queue the notice to the contact: who, which kind of signal, when, how to reach them."""
    leader, copy = turn.interaction.who, copy_for(contact.locale)
    category = str(event.detail.get("category") or "")
    key = f"safety.categories.{category}"
    platform = f"safety.platforms.{turn.interaction.channel}"
    facts = (
        Fact(label=copy("safety.notice.leader"), value=leader.name),
        Fact(label=copy("safety.notice.signal"), value=copy(key) if copy.has(key) else category),
        Fact(label=copy("safety.notice.when"), value=show(event.at, contact.timezone)),
        Fact(label=copy("safety.notice.email"), value=leader.email),
        Fact(
            label=copy("safety.notice.chat"),
            value=copy(platform) if copy.has(platform) else turn.interaction.channel,
        ),
        Fact(label=copy("safety.notice.zone"), value=leader.timezone),
        Fact(label=copy("safety.notice.basis"), value=copy(f"safety.notice.basis_{basis}")),
    )
    notice = Message(
        title=copy("safety.notice.title"),
        text=copy("safety.notice.text", leader=leader.name),
        facts=facts,
    )
    await enqueue(
        db=turn.db,
        person=contact,
        message=notice,
        now=turn.interaction.now,
        kind=NOTICE_KIND,
        dedupe_key=f"safety.notice:{event.id}",
    )


async def _event(turn: Turn) -> AuditEntry | None:
    """The risk entry a button names, if it is this leader's own."""
    value = turn.interaction.value.strip()
    if not value.isdigit():
        return None
    event = await turn.db.get(AuditEntry, int(value))
    mine = session_keyring(turn.db).pseudonyms("person", turn.interaction.who.id)
    if event is None or event.action != RISK or event.actor not in mine:
        return None
    return event


async def _answers(db: AsyncSession, event: AuditEntry) -> set[str]:
    """The leader's earlier answers to this risk event (notify, decline)."""
    found = await db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.subject_type == EVENT,
            AuditEntry.subject_id == str(event.id),
            AuditEntry.action.in_((NOTIFY, DECLINE)),
        )
    )
    return set(found.all())


def _answer(turn: Turn, event: AuditEntry, action: str, policy: str, notified: bool) -> None:
    """Audit the leader's answer to a risk event, with the event's category and rule only."""
    detail = event.detail
    record(
        db=turn.db,
        actor=event.actor,
        action=action,
        now=turn.interaction.now,
        subject_type=EVENT,
        subject_id=event.id,
        detail=_detail(detail.get("category"), detail.get("rule_id"), policy, notified),
    )


@ROUTES.action(NOTIFY)
async def notify(turn: Turn) -> list[Message]:
    """Tell the safeguarding contact, as the leader asked (once per risk event)."""
    copy = turn.copy
    event = await _event(turn)
    guard = await guard_for(turn.db, turn.interaction.who)
    if event is None or guard.contact is None or guard.policy != "ask":
        return [Message(text=copy("safety.unavailable"))]
    if NOTIFY in await _answers(turn.db, event):
        return [Message(text=copy("safety.already", name=guard.contact.name))]
    await _send_notice(turn, event, guard.contact, "ask")
    _answer(turn, event, NOTIFY, guard.policy, True)
    return [Message(text=copy("safety.notified", name=guard.contact.name))]


@ROUTES.action(DECLINE)
async def decline(turn: Turn) -> list[Message]:
    """Record that the leader chose not to tell anyone; nothing is sent."""
    copy = turn.copy
    event = await _event(turn)
    if event is None:
        return [Message(text=copy("safety.unavailable"))]
    answers = await _answers(turn.db, event)
    if NOTIFY in answers:
        guard = await guard_for(turn.db, turn.interaction.who)
        name = guard.contact.name if guard.contact else ""
        return [Message(text=copy("safety.already", name=name))]
    if DECLINE not in answers:
        policy = str(event.detail.get("policy") or "ask")
        _answer(turn, event, DECLINE, policy, False)
    return [Message(text=copy("safety.declined"))]
