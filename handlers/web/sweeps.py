"""A clock move's sweeps as one line for people: how often they ran and what came of it.

The jobs' own summaries (bot.jobs.run_due_through) stay in the API answer for debugging; this
line picks the counts a person cares about: welcomes, messages delivered, anything that failed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.timefmt import show
from prompts import Copy

_RUNS = re.compile(r"\((\d+) runs")
_FAILED = re.compile(r"^FAILED|\b\d+ failed\)$")
_LEADING = re.compile(r"^(\d+)\b")
_SENT = re.compile(r"\bsent (\d+)\b")
_SUFFIX = re.compile(r"\s*\(\d+ runs[^)]*\)$")
# The number of each job's summary that says what it did (default: the leading number).
_COUNTS = {"outbox": _SENT}


def _count(job: str, summary: str) -> int | None:
    match = _COUNTS.get(job, _LEADING).search(summary)
    return int(match.group(1)) if match else None


def _done(job: str, summary: str, copy: Copy) -> str | None:
    count = _count(job, summary)
    if count == 0:
        return None
    key = f"playground.swept_{job}"
    if count is not None and copy.has(key):
        return copy(f"{key}_one") if count == 1 else copy(key, count=count)
    if summary.startswith("FAILED"):
        return None
    return _SUFFIX.sub("", summary)  # a job this page has no words for: its own summary


def sweep_line(jobs: Sequence[tuple[str, str]], *, until: datetime, zone: str, copy: Copy) -> str:
    """E.g. 'Ran the sweeps 96 times up to Wed 25 Nov 2026, 05:00 EST: 1 welcome, ...'."""
    runs = max((int(m.group(1)) for _, s in jobs if (m := _RUNS.search(s))), default=1)
    done = [part for job, summary in jobs if (part := _done(job, summary, copy))]
    done += [copy("playground.swept_failed", job=job) for job, s in jobs if _FAILED.search(s)]
    what = ", ".join(done) if done else copy("playground.swept_nothing")
    when = show(until, zone)
    if runs == 1:
        return copy("playground.swept_once", until=when, done=what)
    return copy("playground.swept", runs=runs, until=when, done=what)
