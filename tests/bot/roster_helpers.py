"""Helpers for the roster import tests: run an import in its own transaction, snapshot tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.roster import ImportResult, RosterError, import_leaders_csv, import_org_yaml, import_path
from storage.db import Database
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "roster"
T0 = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


async def load(db: Database, path: Path, now: datetime = T0, **kw: Any) -> ImportResult:
    """Import one file in one transaction, as `python app.py import` does."""
    async with db.transaction() as s:
        return await import_path(db=s, path=path, now=now, **kw)


async def load_yaml(db: Database, text: str, now: datetime = T0) -> ImportResult:
    """Import org.yaml text in one transaction."""
    async with db.transaction() as s:
        return await import_org_yaml(db=s, text=text, now=now)


async def load_csv(db: Database, text: str, now: datetime = T0, **kw: Any) -> ImportResult:
    """Import leaders.csv text in one transaction."""
    async with db.transaction() as s:
        return await import_leaders_csv(db=s, text=text, now=now, **kw)


async def rejected(db: Database, path: Path, **kw: Any) -> RosterError:
    """Import a bad file inside a transaction that then COMMITS; return the error."""
    async with db.transaction() as s:
        try:
            await import_path(db=s, path=path, now=T0, **kw)
        except RosterError as exc:
            error = exc
        else:
            raise AssertionError(f"{path.name} was accepted")
    return error


async def row_counts(db: Database) -> dict[str, int]:
    """Rows per table."""
    out: dict[str, int] = {}
    async with db.reading() as s:
        for table in Base.metadata.sorted_tables:
            out[table.name] = await s.scalar(select(func.count()).select_from(table)) or 0
    return out


async def snapshot(db: Database, skip: tuple[str, ...] = ("audit_log",)) -> dict[str, list[Any]]:
    """Every row of every table (but `skip`), ordered, for before/after comparisons."""
    out: dict[str, list[Any]] = {}
    async with db.reading() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = await s.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    """The kinds with a count."""
    return {k: v for k, v in counts.items() if v}
