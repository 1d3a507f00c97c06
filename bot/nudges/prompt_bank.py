"""The reflection prompt bank: strict loader for prompts/reflections/*.toml and a chooser."""

from __future__ import annotations

import calendar
import hashlib
import math
import re
import tomllib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import prompts

BANK_DIR = Path(prompts.__file__).parent / "reflections"

APPROACHES = ("cognitive-behavioural", "systemic", "adult-development", "action-learning")
STAGES = ("early", "middle", "late", "after-session")
THEMES = (
    "career",
    "change",
    "confidence",
    "conflict",
    "decision-making",
    "delegation",
    "feedback",
    "influence",
    "priorities",
    "stakeholders",
    "team",
    "wellbeing",
)
MAX_TEXT = 400
REPEAT_GAP = timedelta(weeks=8)
AFTER_SESSION = timedelta(days=3)
EARLY_SPAN = timedelta(weeks=6)
LATE_SPAN = timedelta(weeks=6)
UNDATED_LATE_MONTHS = 6

_ID = re.compile(r"^[a-z]+-[0-9]{2,}$")
_KEYS = frozenset({"id", "text", "approach", "stages", "themes"})


class PromptBankError(ValueError):
    """A prompt file is malformed; the message names the file and the prompt id."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """One reflection prompt with its tags."""

    id: str
    text: str
    approach: str
    stages: tuple[str, ...]
    themes: tuple[str, ...]


@cache
def load_bank() -> tuple[Prompt, ...]:
    """Every prompt in prompts/reflections/*.toml, validated (cached for the process)."""
    return _load_dir(BANK_DIR)


def _load_dir(directory: Path) -> tuple[Prompt, ...]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise PromptBankError(f"{directory}: no prompt files (*.toml)")
    seen: dict[str, Path] = {}
    out: list[Prompt] = []
    for path in files:
        for prompt in _load_file(path):
            if prompt.id in seen:
                raise PromptBankError(
                    f"{path.name}: prompt {prompt.id!r}: id already used in {seen[prompt.id].name}"
                )
            seen[prompt.id] = path
            out.append(prompt)
    return tuple(out)


def _load_file(path: Path) -> list[Prompt]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptBankError(f"{path.name}: not valid TOML: {exc}") from exc
    extra = sorted(set(data) - {"prompt"})
    if extra:
        raise PromptBankError(f"{path.name}: unknown top-level keys {extra}; use [[prompt]]")
    entries = data.get("prompt")
    if not isinstance(entries, list) or not entries:
        raise PromptBankError(f"{path.name}: expected one or more [[prompt]] tables")
    return [_parse(path, n, entry) for n, entry in enumerate(entries, start=1)]


def _parse(path: Path, n: int, entry: Any) -> Prompt:
    pid = entry.get("id") if isinstance(entry, dict) else None
    where = f"{path.name}: prompt {pid!r}" if isinstance(pid, str) else f"{path.name}: prompt #{n}"

    def fail(problem: str) -> PromptBankError:
        return PromptBankError(f"{where}: {problem}")

    if not isinstance(entry, dict):
        raise fail("not a table")
    missing, extra = sorted(_KEYS - entry.keys()), sorted(entry.keys() - _KEYS)
    if missing or extra:
        raise fail(f"missing keys {missing}, unknown keys {extra}")
    if not isinstance(pid, str) or not _ID.match(pid):
        raise fail("id must look like 'cbt-07' (lowercase prefix, dash, two or more digits)")
    text, approach = entry["text"], entry["approach"]
    if not isinstance(text, str) or not text.strip():
        raise fail("text is empty")
    if len(text.strip()) > MAX_TEXT:
        raise fail(f"text is {len(text.strip())} characters; the limit is {MAX_TEXT}")
    if approach not in APPROACHES:
        raise fail(f"unknown approach {approach!r}; known: {', '.join(APPROACHES)}")
    stages = _tags(entry["stages"], STAGES, "stages", fail)
    themes = _tags(entry["themes"], THEMES, "themes", fail)
    return Prompt(id=pid, text=text.strip(), approach=approach, stages=stages, themes=themes)


def _tags(
    value: Any, known: tuple[str, ...], name: str, fail: Callable[[str], PromptBankError]
) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise fail(f"{name} must be a non-empty list")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise fail(f"unknown {name} {unknown}; known: {', '.join(known)}")
    if len(set(value)) != len(value):
        raise fail(f"{name} listed twice")
    return tuple(value)


def _aware(dt: datetime, name: str) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime for {name}: times in the core are aware")


def _add_months(day: date, months: int) -> date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def stage_for(
    *, started_on: date, ends_on: date | None, last_session_end: datetime | None, now: datetime
) -> str:
    """The engagement stage at `now` (dates compare with `now`'s own calendar date)."""
    _aware(now, "now")
    if last_session_end is not None:
        _aware(last_session_end, "last_session_end")
        if timedelta(0) <= now - last_session_end <= AFTER_SESSION:
            return "after-session"
    today = now.date()
    if today < started_on + EARLY_SPAN:
        return "early"
    if ends_on is not None:
        if today >= ends_on - LATE_SPAN:
            return "late"
    elif today >= _add_months(started_on, UNDATED_LATE_MONTHS):
        return "late"
    return "middle"


def _jitter(seed: int, prompt_id: str) -> bytes:
    return hashlib.sha256(f"{seed}/{prompt_id}".encode()).digest()


def choose(
    *,
    bank: Sequence[Prompt],
    history: Sequence[tuple[str, datetime]],
    goal_themes: Collection[str],
    stage: str,
    now: datetime,
    seed: int,
) -> Prompt:
    """The next prompt: not sent in 8 weeks; then stage, goal themes, approach rotation."""
    if not bank:
        raise ValueError("empty prompt bank")
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    _aware(now, "now")
    by_id = {p.id: p for p in bank}
    last_sent: dict[str, datetime] = {}
    for pid, sent_at in history:
        _aware(sent_at, "history")
        if pid in by_id and (pid not in last_sent or sent_at > last_sent[pid]):
            last_sent[pid] = sent_at
    wanted = set(goal_themes)
    fresh = [p for p in bank if p.id not in last_sent or now - last_sent[p.id] >= REPEAT_GAP]
    if not fresh:  # all sent in the last 8 weeks: the least recently sent (ties: stage, seed)
        return min(
            bank,
            key=lambda p: (last_sent[p.id], stage not in p.stages, _jitter(seed, p.id)),
        )
    sent_ts = {pid: sent_at.timestamp() for pid, sent_at in last_sent.items()}
    approach_ts: dict[str, float] = {}
    for pid, ts in sent_ts.items():
        approach = by_id[pid].approach
        approach_ts[approach] = max(ts, approach_ts.get(approach, ts))

    def rank(p: Prompt) -> tuple[bool, bool, float, float, bytes]:
        return (
            stage not in p.stages,
            wanted.isdisjoint(p.themes),
            approach_ts.get(p.approach, -math.inf),  # least recently used approach first
            sent_ts.get(p.id, -math.inf),  # never sent, then least recently sent
            _jitter(seed, p.id),
        )

    return min(fresh, key=rank)
