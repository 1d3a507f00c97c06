"""Reflections: this week's prompt, the answer by form or by reply, and who may read it."""

from __future__ import annotations

from itertools import chain

from sqlalchemy import func, select

from bot.flows import basics
from bot.flows.basics import menu, with_menu
from bot.flows.nudge_prefs import SHARE_CHOICES, leaders_only, settings_of, settings_to_change
from bot.nudges import sweep
from bot.nudges.plans import zone_of
from bot.nudges.prompt_bank import Prompt, choose, load_bank, stage_for
from bot.nudges.schedule import period_of
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.timefmt import local
from bot.ui import Button, Form, FormField, Message, Option
from prompts import Copy
from storage.models import BookingSeat, Engagement, Goal, Nudge, Reflection

ANSWER_MAX = 3000  # Slack's longest text input; the same limit in every channel
KIND = "reflection"


async def _open_nudge(turn: Turn) -> Nudge | None:
    who, now = turn.interaction.who, turn.interaction.now
    return await sweep.open_nudge(db=turn.db, person=who, kind=KIND, now=now)


async def choose_now(turn: Turn, engagement: Engagement) -> Prompt:
    """A prompt chosen now (no nudge open): the bank's rules with the leader's own history."""
    db, who, now = turn.db, turn.interaction.who, turn.interaction.now
    sent = await db.execute(
        select(Nudge.prompt_id, Nudge.sent_at).where(Nudge.person_id == who.id, Nudge.kind == KIND)
    )
    answered = await db.execute(
        select(Reflection.prompt_id, Reflection.answered_at).where(Reflection.leader_id == who.id)
    )
    history = [(p, at) for p, at in chain(sent.all(), answered.all()) if p and at]
    themes = await db.scalars(
        select(Goal.themes).where(Goal.leader_id == who.id, Goal.status == "active")
    )
    last_end = await db.scalar(
        select(func.max(BookingSeat.ends_at)).where(
            BookingSeat.leader_id == who.id,
            BookingSeat.status == "confirmed",
            BookingSeat.ends_at <= now,
        )
    )
    stage = stage_for(
        started_on=engagement.started_on,
        ends_on=engagement.ended_on or engagement.programme.ends_on,
        last_session_end=last_end,
        now=local(now, zone_of(who)),  # the leader's own calendar date, as the sweep does
    )
    goal_themes = {t for row in themes.all() for t in (row or [])}
    return choose(
        bank=load_bank(),
        history=history,
        goal_themes=goal_themes,
        stage=stage,
        now=now,
        seed=who.id,
    )


async def _already_answered(turn: Turn) -> bool:
    """True when the nudge whose button was clicked, or this week's reflection, is answered."""
    db, who, value = turn.db, turn.interaction.who, turn.interaction.value.strip()
    clicked = await db.get(Nudge, int(value)) if value.isdigit() else None
    if clicked is not None and clicked.person_id == who.id and clicked.kind == KIND:
        return clicked.status == "answered"
    period = period_of(turn.interaction.now, zone_of(who))
    this_week = await db.scalar(
        select(Nudge.id).where(
            Nudge.person_id == who.id,
            Nudge.kind == KIND,
            Nudge.period == period,
            Nudge.status == "answered",
        )
    )
    return this_week is not None


async def _lead_for_unscheduled(turn: Turn) -> str:
    """Why a prompt chosen now is shown: this week's is already answered, or none is waiting."""
    copy = turn.copy
    if await _already_answered(turn):
        return f"{copy('reflect.already_answered')} {copy('reflect.another')}\n\n"
    return copy("reflect.unscheduled") + "\n\n"


def _prompt(prompt_id: str | None) -> Prompt | None:
    return next((p for p in load_bank() if p.id == prompt_id), None)


def _answer_button(turn: Turn, nudge: Nudge | None) -> Button:
    value = str(nudge.id) if nudge is not None else ""
    return Button(label=turn.copy("reflect.answer_button"), action_id="reflect.open", value=value)


@ROUTES.command("reflect")
@ROUTES.action("reflect.open")
async def reflect(turn: Turn) -> list[Message]:
    """This week's prompt (the open nudge's, else one chosen now) with the answer form."""
    refused = leaders_only(turn, "reflect.leaders_only")
    if refused:
        return [refused]
    copy, who = turn.copy, turn.interaction.who
    engagement = await current_engagement(db=turn.db, leader=who)
    if engagement is None:
        return [Message(text=copy("reflect.not_enrolled"), buttons=menu(turn))]
    nudge = await _open_nudge(turn)
    prompt = _prompt(nudge.prompt_id) if nudge is not None else None
    lead = ""
    if prompt is None:
        prompt, lead = await choose_now(turn, engagement), await _lead_for_unscheduled(turn)
    settings = await settings_of(turn.db, who)
    share = settings.share_default if settings is not None else None
    context = f"{nudge.id if nudge is not None else ''}:{prompt.id}"
    form = answer_form(copy, context=context, share=share or "private")
    text = f"{lead}{copy('reflect.prompt', text=prompt.text)}\n\n{copy('reflect.form_intro')}"
    return [Message(title=copy("reflect.title"), text=text, form=form)]


async def _save(
    turn: Turn, engagement: Engagement, nudge: Nudge | None, prompt_id: str, text: str, share: bool
) -> Reflection:
    """Store the answer (encrypted) and mark a still-open nudge answered."""
    now = turn.interaction.now
    reflection = Reflection(
        leader_id=turn.interaction.who.id,
        engagement_id=engagement.id,
        nudge_id=nudge.id if nudge is not None else None,
        prompt_id=prompt_id,
        answer=text,
        shared_with_coach=share,
        answered_at=now,
        created_at=now,
    )
    turn.db.add(reflection)
    await turn.db.flush()
    if nudge is not None and nudge.status == "sent":
        await sweep.mark_answered(db=turn.db, nudge=nudge, now=now)
    return reflection


def _toggle(turn: Turn, reflection: Reflection) -> Button:
    if reflection.shared_with_coach:
        label, action = turn.copy("reflect.unshare_button"), "reflect.unshare"
    else:
        label, action = turn.copy("reflect.share_button"), "reflect.share"
    return Button(label=label, action_id=action, value=str(reflection.id))


async def _saved(turn: Turn, reflection: Reflection, prefix: str) -> list[Message]:
    """The confirmation with a sharing switch, and the one-time question about the default."""
    copy, who = turn.copy, turn.interaction.who
    key = f"{prefix}_{'coach' if reflection.shared_with_coach else 'private'}"
    replies = [Message(text=copy(key), buttons=(_toggle(turn, reflection),))]
    settings = await settings_of(turn.db, who)
    first = await turn.db.scalar(
        select(func.count()).select_from(Reflection).where(Reflection.leader_id == who.id)
    )
    if (settings is None or settings.share_default is None) and first == 1:
        buttons = tuple(
            Button(label=copy(f"reflect.default_{c}"), action_id="reflect.default", value=c)
            for c in SHARE_CHOICES
        )
        replies.append(Message(text=copy("reflect.ask_default"), buttons=buttons))
    return replies


def answer_form(copy: Copy, *, context: str, share: str, answer: str = "") -> Form:
    """The reflection form: the answer (as typed so far) and who sees it."""
    return Form(
        form_id="reflect.answer",
        title=copy("reflect.form_title"),
        submit_label=copy("reflect.form_submit"),
        context=context,
        fields=(
            FormField(
                name="answer",
                label=copy("reflect.answer_label"),
                kind="multiline",
                placeholder=copy("reflect.answer_hint"),
                max_length=ANSWER_MAX,
                initial=answer,
            ),
            FormField(
                name="share",
                label=copy("reflect.share_label"),
                kind="select",
                options=tuple(
                    Option(label=copy(f"reflect.share_{c}"), value=c) for c in SHARE_CHOICES
                ),
                initial=share,
            ),
        ),
    )


@ROUTES.form("reflect.answer")
async def answer(turn: Turn) -> list[Message]:
    """Save the answer from the form with the chosen sharing; empty or too long saves nothing."""
    refused = leaders_only(turn, "reflect.leaders_only")
    if refused:
        return [refused]
    copy, who, values = turn.copy, turn.interaction.who, turn.interaction.form
    nudge_id, _, prompt_id = values.get("context", "").partition(":")
    engagement = await current_engagement(db=turn.db, leader=who)
    if engagement is None or _prompt(prompt_id) is None:
        return [Message(text=copy("common.expired_form"), buttons=menu(turn))]
    text = values.get("answer", "").strip()
    problem = ""
    if not text:
        problem = copy("reflect.empty")
    elif len(text) > ANSWER_MAX:
        problem = copy("reflect.too_long", length=len(text), limit=ANSWER_MAX)
    if problem:  # the form again, as typed, so nothing is lost and nothing is saved
        chosen = values.get("share", "")
        share = chosen if chosen in SHARE_CHOICES else "private"
        form = answer_form(
            copy,
            context=values.get("context", ""),
            share=share,
            answer=values.get("answer", "")[:ANSWER_MAX],  # an input never holds more
        )
        return [Message(title=copy("reflect.title"), text=problem, form=form)]
    nudge = await turn.db.get(Nudge, int(nudge_id)) if nudge_id.isdigit() else None
    if nudge is not None and (nudge.person_id != who.id or nudge.kind != KIND):
        nudge = None
    share = values.get("share", "")
    if share not in SHARE_CHOICES:
        settings = await settings_of(turn.db, who)
        share = (settings.share_default if settings is not None else None) or "private"
    reflection = await _save(turn, engagement, nudge, prompt_id, text, share == "coach")
    return await _saved(turn, reflection, "reflect.saved")


async def reply_as_answer(turn: Turn) -> list[Message] | None:
    """A leader's free text saved as the open reflection's answer; None when none is open."""
    who = turn.interaction.who
    engagement = await current_engagement(db=turn.db, leader=who)
    if engagement is None:
        return None
    nudge = await _open_nudge(turn)
    if nudge is None or nudge.status != "sent":
        return None
    copy, text = turn.copy, turn.interaction.text.strip()
    buttons = with_menu(turn, _answer_button(turn, nudge))
    if len(text.split()) < basics.DEVELOPMENTAL_MIN_WORDS:
        return [Message(text=copy("reflect.reply_short"), buttons=buttons)]
    if len(text) > ANSWER_MAX:
        too_long = copy("reflect.reply_too_long", length=len(text), limit=ANSWER_MAX)
        return [Message(text=too_long, buttons=buttons)]
    prompt = _prompt(nudge.prompt_id) or await choose_now(turn, engagement)
    settings = await settings_of(turn.db, who)
    shared = settings is not None and settings.share_default == "coach"
    reflection = await _save(turn, engagement, nudge, prompt.id, text, shared)
    return await _saved(turn, reflection, "reflect.reply_saved")


async def free_text(turn: Turn) -> list[Message]:
    """Free text: a leader's answer to an open reflection, else the usual fallback."""
    if turn.interaction.who.role == "leader":
        replies = await reply_as_answer(turn)
        if replies is not None:
            return replies
    return await basics.free_text(turn)


ROUTES.free_text = free_text


async def _share(turn: Turn, shared: bool) -> list[Message]:
    value, who = turn.interaction.value, turn.interaction.who
    reflection = await turn.db.get(Reflection, int(value)) if value.isdigit() else None
    if reflection is None:
        return [Message(text=turn.copy("common.expired_button"), buttons=menu(turn))]
    if reflection.leader_id != who.id:
        return [Message(text=turn.copy("reflect.not_yours"), buttons=menu(turn))]
    reflection.shared_with_coach = shared
    key = "reflect.now_shared" if shared else "reflect.now_private"
    return [Message(text=turn.copy(key), buttons=(_toggle(turn, reflection),))]


@ROUTES.action("reflect.share")
async def share(turn: Turn) -> list[Message]:
    """Share one answer with the coach (only its author can)."""
    return await _share(turn, True)


@ROUTES.action("reflect.unshare")
async def unshare(turn: Turn) -> list[Message]:
    """Make one answer private again (only its author can)."""
    return await _share(turn, False)


@ROUTES.action("reflect.default")
async def set_default(turn: Turn) -> list[Message]:
    """Set the sharing pre-selected from now on."""
    refused = leaders_only(turn, "reflect.leaders_only")
    if refused:
        return [refused]
    choice = turn.interaction.value
    if choice not in SHARE_CHOICES:
        return [Message(text=turn.copy("common.expired_button"), buttons=menu(turn))]
    settings = await settings_to_change(turn.db, turn.interaction.who, turn.interaction.now)
    settings.share_default = choice
    return [Message(text=turn.copy(f"reflect.default_set_{choice}"), buttons=menu(turn))]
