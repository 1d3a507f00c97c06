"""The weekly check-in form (a level per active goal, confidence, note, sharing) and its checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.goals.gas import LEVELS
from bot.goals.levels import level_name
from bot.goals.store import shown_level
from bot.ui import Form, FormField, Option, literal
from prompts import Copy
from storage.models import CheckIn, Goal

FORM_ID = "checkin.save"
NOTE_MAX = 2000
CONFIDENCE = range(1, 6)
SHARES = ("private", "coach")
OPTION_MAX = 75  # Slack's limit on an option's text


@dataclass(frozen=True)
class CheckInDraft:
    """A checked submission: the level (and confidence) per goal id, the note and the sharing."""

    levels: dict[int, int]
    confidence: dict[int, int | None]
    note: str | None
    share: str


def _clip(text: str, limit: int = OPTION_MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def written_levels(goal: Goal) -> list[int]:
    """The levels of a goal's scale that have a description, +2 first."""
    return [lv for lv in sorted(LEVELS, reverse=True) if level_name(lv) in goal.levels]


def checkin_form(
    copy: Copy,
    *,
    goals: Sequence[Goal],
    share: str,
    context: str = "",
    earlier: Mapping[int, CheckIn] | None = None,
    values: Mapping[str, str] | None = None,
) -> Form:
    """One form for the week: per goal a level select (each level's words) and confidence."""
    earlier = earlier or {}
    values = values or {}
    fields: list[FormField] = []
    confidence = tuple(
        Option(label=copy(f"checkin.confidence_{n}"), value=str(n)) for n in CONFIDENCE
    )
    for goal in goals:
        before = earlier.get(goal.id)
        level_name_ = f"level_{goal.id}"
        sure_name = f"confidence_{goal.id}"
        options = tuple(
            Option(
                label=_clip(
                    copy(
                        "checkin.level_option",
                        level=shown_level(lv),
                        text=goal.levels[level_name(lv)],
                    )
                ),
                value=str(lv),
            )
            for lv in written_levels(goal)
        )
        fields.append(
            FormField(
                name=level_name_,
                label=copy("checkin.field_level", title=_clip(goal.title, 150)),
                kind="select",
                initial=values.get(level_name_, str(before.level) if before else ""),
                options=options,
            )
        )
        was = str(before.confidence) if before and before.confidence else ""
        fields.append(
            FormField(
                name=sure_name,
                label=copy("checkin.field_confidence"),
                kind="select",
                required=False,
                initial=values.get(sure_name, was),
                options=confidence,
            )
        )
    first = next(iter(earlier.values()), None)
    fields.append(
        FormField(
            name="note",
            label=copy("checkin.field_note"),
            kind="multiline",
            required=False,
            placeholder=copy("checkin.note_hint"),
            initial=values.get("note", (first.note or "") if first else ""),
            max_length=NOTE_MAX,
        )
    )
    fields.append(
        FormField(
            name="share",
            label=copy("checkin.field_share"),
            kind="select",
            initial=values.get("share", share),
            options=tuple(Option(label=copy(f"checkin.share_{s}"), value=s) for s in SHARES),
        )
    )
    return Form(
        form_id=FORM_ID,
        title=copy("checkin.form_title"),
        submit_label=copy("checkin.form_submit"),
        fields=tuple(fields),
        context=context,
    )


def check_checkin(
    copy: Copy, *, goals: Sequence[Goal], values: Mapping[str, str]
) -> CheckInDraft | list[str]:
    """The checked submission, or one line per problem (every one; nothing is saved)."""
    lines: list[str] = []
    levels: dict[int, int] = {}
    confidence: dict[int, int | None] = {}
    for goal in goals:
        title = literal(_clip(goal.title, 60))  # the leader's words: never formatting
        raw = values.get(f"level_{goal.id}", "").strip()
        level = _whole(raw)
        if not raw:
            lines.append(copy("checkin.problem_level_missing", title=title))
        elif level is None or level not in written_levels(goal):
            lines.append(copy("checkin.problem_level", title=title, value=literal(_clip(raw, 20))))
        else:
            levels[goal.id] = level
        sure_raw = values.get(f"confidence_{goal.id}", "").strip()
        sure = _whole(sure_raw)
        if sure_raw and (sure is None or sure not in CONFIDENCE):
            lines.append(copy("checkin.problem_confidence", title=title))
        confidence[goal.id] = sure if sure_raw and sure in CONFIDENCE else None
    note = values.get("note", "").strip()
    if len(note) > NOTE_MAX:
        lines.append(copy("checkin.problem_note", max=NOTE_MAX, length=len(note)))
    share = values.get("share", "").strip()
    if share not in SHARES:
        lines.append(copy("checkin.problem_share"))
    if lines:
        return lines
    return CheckInDraft(levels=levels, confidence=confidence, note=note or None, share=share)


def _whole(text: str) -> int | None:
    cleaned = text.replace("\u2212", "-").removeprefix("+")
    body = cleaned.removeprefix("-")
    return int(cleaned) if body.isdigit() and len(body) <= 2 else None
