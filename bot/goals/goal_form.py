"""The add / edit goal form, and checking every field of it before anything is saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.goals.gas import LEVELS
from bot.goals.levels import (
    BASELINES,
    MAX_DESCRIPTION,
    REQUIRED,
    LevelsError,
    baseline_ok,
    level_name,
    validate_levels,
)
from bot.nudges.prompt_bank import THEMES
from bot.ui import Form, FormField, Option
from prompts import Copy
from storage.models import Goal

TITLE_MAX = 200
THEME_FIELDS = ("theme1", "theme2")
FORM_ID = "goals.save"


def level_field(level: int) -> str:
    """The form field of a level: 'level_m2', 'level_m1', 'level_0', 'level_p1', 'level_p2'."""
    return "level_" + ("m" if level < 0 else "p" if level > 0 else "") + str(abs(level))


@dataclass(frozen=True)
class GoalDraft:
    """A goal whose every field has been checked."""

    title: str
    levels: dict[str, str]
    baseline: int
    themes: list[str]


def goal_form(
    copy: Copy, *, goal: Goal | None = None, values: Mapping[str, str] | None = None
) -> Form:
    """The form to add a goal (or edit `goal`), filled from `values` or the goal itself."""
    start = dict(values) if values else _from_goal(goal)
    theme_options = tuple(Option(label=copy(f"goals.theme.{t}"), value=t) for t in THEMES)
    fields = [
        FormField(
            name="title",
            label=copy("goals.field_title"),
            placeholder=copy("goals.field_title_hint"),
            initial=start.get("title", ""),
            max_length=TITLE_MAX,
        )
    ]
    for level in sorted(LEVELS, reverse=True):
        fields.append(
            FormField(
                name=level_field(level),
                label=copy(f"goals.field_{level_field(level)}"),
                kind="multiline",
                required=level in REQUIRED,
                placeholder=copy(f"goals.hint_{level_field(level)}"),
                initial=start.get(level_field(level), ""),
                max_length=MAX_DESCRIPTION,
            )
        )
    fields.append(
        FormField(
            name="baseline",
            label=copy("goals.field_baseline"),
            kind="select",
            initial=start.get("baseline", "-1"),
            options=tuple(
                Option(label=copy(f"goals.baseline_{level_field(b)}"), value=str(b))
                for b in sorted(BASELINES, reverse=True)
            ),
        )
    )
    for name in THEME_FIELDS:
        fields.append(
            FormField(
                name=name,
                label=copy(f"goals.field_{name}"),
                kind="select",
                required=False,
                initial=start.get(name, ""),
                options=theme_options,
            )
        )
    title_key = "goals.form_title_edit" if goal is not None else "goals.form_title_add"
    return Form(
        form_id=FORM_ID,
        title=copy(title_key),
        submit_label=copy("goals.form_submit"),
        fields=tuple(fields),
        context=str(goal.id) if goal is not None else "",
    )


def _from_goal(goal: Goal | None) -> dict[str, str]:
    if goal is None:
        return {}
    found = {"title": goal.title, "baseline": str(goal.baseline_level)}
    for key, text in goal.levels.items():
        found[level_field(int(key))] = str(text)
    for name, theme in zip(THEME_FIELDS, goal.themes, strict=False):
        found[name] = theme
    return found


def check_goal(copy: Copy, values: Mapping[str, str]) -> GoalDraft | list[str]:
    """The checked goal, or one line per problem, every one of them (nothing is saved)."""
    lines: list[str] = []
    title = " ".join(values.get("title", "").split())
    if not title:
        lines.append(copy("goals.problem_title_missing"))
    elif len(title) > TITLE_MAX:
        lines.append(copy("goals.problem_title_long", max=TITLE_MAX, length=len(title)))
    written = {level_name(lv): values.get(level_field(lv), "") for lv in LEVELS}
    levels: dict[int, str] = {}
    try:
        levels = validate_levels(written)
    except LevelsError as err:
        lines.extend(copy(p.key, **_readable(p.values)) for p in err.details)
    baseline_text = values.get("baseline", "").strip()
    baseline = int(baseline_text) if baseline_text in ("-1", "-2") else None
    if baseline is None or not baseline_ok(baseline):
        lines.append(copy("goals.problem_baseline"))
    elif levels and not baseline_ok(baseline, levels):
        lines.append(copy("goals.problem_baseline_unwritten", level=_shown(baseline)))
    themes: list[str] = []
    for name in THEME_FIELDS:
        theme = values.get(name, "").strip()
        if not theme or theme in themes:
            continue
        if theme not in THEMES:
            lines.append(copy("goals.problem_theme"))
        else:
            themes.append(theme)
    if lines:
        return lines
    assert baseline is not None
    return GoalDraft(
        title=title,
        levels={level_name(lv): text for lv, text in levels.items()},
        baseline=baseline,
        themes=themes,
    )


def _readable(values: Mapping[str, object]) -> dict[str, object]:
    """Level names in a problem written with a real minus sign, as the form labels show them."""
    return {
        k: v.replace("-", "\u2212") if k in ("level", "first") and isinstance(v, str) else v
        for k, v in values.items()
    }


def _shown(level: int) -> str:
    return level_name(level).replace("-", "\u2212")
