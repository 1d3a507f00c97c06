"""A goal's Goal Attainment Scaling scale: the written description of each level −2..+2."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from bot.goals.gas import LEVELS

MAX_DESCRIPTION = 200
REQUIRED = (-1, 0, 1)  # Turner-Stokes (2009): at least these are written before scoring
BASELINES = (-2, -1)  # baseline sits below the expected outcome: −1, or −2 if it cannot worsen

_MINUS = ("-", "\u2212", "\u2013")  # ASCII hyphen, minus sign, en dash (pasted from documents)


def level_name(level: int) -> str:
    """The key of a level as written in a scale: '-2', '-1', '0', '+1', '+2'."""
    return f"{level:+d}" if level else "0"


@dataclass(frozen=True)
class LevelProblem:
    """One thing wrong with a scale; `key` names its copy, `values` fill it in."""

    key: str
    message: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


class LevelsError(ValueError):
    """A GAS scale that cannot be saved; `problems` lists every reason, in order."""

    def __init__(self, problems: list[LevelProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.details = list(problems)
        self.problems = [str(p) for p in problems]


def parse_level_key(key: str) -> int | None:
    """The level a key names ('-2'..'+2', '2' and '1' too), or None if it names none."""
    text = key.strip()
    sign = 1
    if text[:1] in _MINUS:
        sign, text = -1, text[1:]
    elif text[:1] == "+":
        text = text[1:]
    if len(text) != 1 or text not in "012":
        return None
    level = sign * int(text)
    if level == 0 and key.strip() != "0":
        return None  # '+0' and '-0' are not how anyone writes the expected level
    return level


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _problem(code: str, message: str, /, **values: object) -> LevelProblem:
    return LevelProblem(key=f"goal_levels.{code}", message=message, values=values)


def _read(levels: Mapping[str, str], problems: list[LevelProblem]) -> dict[int, str]:
    found: dict[int, str] = {}
    seen: set[int] = set()
    for key, raw in levels.items():
        level = parse_level_key(key) if isinstance(key, str) else None
        if level is None:
            problems.append(_problem("unknown", f"{key!r} is not a level (-2 to +2)", key=key))
            continue
        name = level_name(level)
        if level in seen:
            problems.append(_problem("twice", f"level {name} is given twice", level=name))
            continue
        seen.add(level)
        if not isinstance(raw, str):
            problems.append(_problem("not_text", f"level {name} must be text", level=name))
            continue
        text = raw.strip()
        if not text:
            continue
        if len(text) > MAX_DESCRIPTION:
            problems.append(
                _problem(
                    "too_long",
                    f"level {name} is {len(text)} characters; at most {MAX_DESCRIPTION}",
                    level=name,
                    length=len(text),
                    max=MAX_DESCRIPTION,
                )
            )
        if _has_control(text):
            problems.append(
                _problem("control", f"level {name} contains a control character", level=name)
            )
        found[level] = text
    return found


def validate_levels(levels: Mapping[str, str]) -> dict[int, str]:
    """Check a goal's level descriptions; return them keyed −2..+2, or raise LevelsError."""
    problems: list[LevelProblem] = []
    found = _read(levels, problems)
    reported = {p.values.get("level") for p in problems}
    for level in REQUIRED:
        name = level_name(level)
        if level not in found and name not in reported:
            problems.append(_problem("missing", f"level {name} must be written", level=name))
    by_text: dict[str, int] = {}
    for level in sorted(found):
        folded = " ".join(found[level].casefold().split())
        if folded in by_text:
            first, name = level_name(by_text[folded]), level_name(level)
            problems.append(
                _problem(
                    "same_text",
                    f"levels {first} and {name} have the same description",
                    first=first,
                    level=name,
                )
            )
        else:
            by_text[folded] = level
    if problems:
        raise LevelsError(problems)
    return {level: found[level] for level in LEVELS if level in found}


def baseline_ok(level: int, written: Collection[int] | None = None) -> bool:
    """Whether `level` can be a goal's baseline: −1 or −2, and described if `written` given."""
    if isinstance(level, bool) or not isinstance(level, int) or level not in BASELINES:
        return False
    return written is None or level in written
