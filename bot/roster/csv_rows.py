"""Reading leaders.csv: header checks, then every row validated with its physical line."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from bot.roster.entry import Entry, read_entry
from bot.roster.problems import FILE, Problem, csv_line
from bot.roster.schema import LEADER_COLUMNS, REQUIRED_LEADER_COLUMNS, LeaderIn, suggest

_ALIASES = {"program": "programme", "time_zone": "timezone", "coach": "coach_email"}
_DELIMITERS = (",", ";", "\t")


@dataclass
class LeaderFile:
    """The rows of a leaders CSV as read (with what of each is valid) and its known columns."""

    rows: list[Entry[LeaderIn]]
    columns: tuple[str, ...]


def _column(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return _ALIASES.get(key, key)


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(_DELIMITERS, key=first.count)


def _header(record: list[str], line: int) -> tuple[list[str], bool, list[Problem]]:
    """The normalised column names, header problems, and whether rows can be read at all."""
    columns = [_column(c) for c in record]
    where = f"line {line}"
    expected = ", ".join(LEADER_COLUMNS)
    if not any(c in LEADER_COLUMNS for c in columns):
        shown = ",".join(record)[:80]
        return (
            columns,
            True,
            [
                Problem(
                    where,
                    f"this does not look like a leaders CSV: expected a header row naming columns "
                    f"{', '.join(REQUIRED_LEADER_COLUMNS)} (got {shown!r})",
                )
            ],
        )
    problems: list[Problem] = []
    fatal = False
    seen: set[str] = set()
    for raw, column in zip(record, columns, strict=True):
        if not column:
            problems.append(Problem(where, "a column has no name in the header row"))
        elif column in seen:
            problems.append(Problem(where, f"column {column!r} appears twice in the header"))
        elif column not in LEADER_COLUMNS:
            hint = suggest(column, LEADER_COLUMNS)
            problems.append(
                Problem(where, f"unknown column {raw.strip()!r} (columns: {expected}){hint}")
            )
        seen.add(column)
    for column in REQUIRED_LEADER_COLUMNS:
        if column not in seen:
            problems.append(Problem(where, f"missing required column {column!r}"))
            fatal = True
    return columns, fatal, problems


def read_leaders_csv(text: str) -> tuple[LeaderFile, list[Problem]]:
    """Parse and validate every row of a leaders CSV, collecting every problem."""
    text = text.removeprefix("\ufeff")
    empty = LeaderFile([], ())
    if not text.strip():
        return empty, [
            Problem(FILE, "the file is empty (expected a leaders CSV with a header row)")
        ]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    problems: list[Problem] = []
    columns: list[str] | None = None
    rows: list[Entry[LeaderIn]] = []
    data_lines = 0
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"line {reader.line_num}", f"not valid CSV: {exc}"))
            break
        if not any(cell.strip() for cell in record):
            continue
        if columns is None:
            columns, fatal, header_problems = _header(record, start)
            problems.extend(header_problems)
            if fatal:
                return empty, problems
            continue
        data_lines += 1
        at = csv_line(start)
        if len(record) != len(columns):
            problems.append(
                Problem(
                    at.where(),
                    f"row has {len(record)} values but the header has {len(columns)} columns "
                    "(a comma inside a value needs quotes)",
                )
            )
            continue
        values = {c: v for c, v in zip(columns, record, strict=True) if c in LEADER_COLUMNS}
        rows.append(read_entry(LeaderIn, values, at, problems))
    if columns is None and not problems:
        problems.append(Problem(FILE, "the file has no header row (expected a leaders CSV)"))
    if columns is not None and data_lines == 0 and not problems:
        problems.append(Problem(FILE, "the file has a header row but no leaders"))
    known = tuple(c for c in (columns or []) if c in LEADER_COLUMNS)
    return LeaderFile(rows, known), problems
