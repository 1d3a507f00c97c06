"""The reporting schema has no column that could carry a leader's words: keys, short categories
from an allowlist, numbers, dates and flags only; in the models and in the migrated databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Text,
    create_engine,
    inspect,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.migrate import upgrade_sync
from storage.reporting.models import CATEGORY, KEY, ReportingBase

CATEGORIES = frozenset(
    {"label", "modality", "cohort", "level", "function", "region", "employment_status"}
    | {"status", "kind"}
)
"""The only string columns that are not keys: roster, programme and status vocabularies."""


def _verdict(name: str, kind: TypeEngine[Any]) -> str:
    """What a column may hold, or why it is refused."""
    if isinstance(kind, TypeDecorator):
        kind = kind.impl if isinstance(kind.impl, TypeEngine) else kind.impl()
    if isinstance(kind, Text | JSON):
        return f"refused: {type(kind).__name__}"
    if isinstance(kind, String):
        if name.endswith("_key") or name == "key_check":
            return "key" if kind.length == KEY else f"refused: key of length {kind.length}"
        if name in CATEGORIES and kind.length is not None and kind.length <= CATEGORY:
            return "category"
        return f"refused: string {kind.length}"
    if isinstance(kind, Boolean):
        return "flag"
    if isinstance(kind, Integer | Float | Numeric):
        return "number"
    if isinstance(kind, Date | DateTime):
        return "time"
    return f"refused: {type(kind).__name__}"


def _refused(columns: dict[str, list[tuple[str, TypeEngine[Any]]]]) -> list[str]:
    return [
        f"{table}.{name}: {verdict}"
        for table, cols in columns.items()
        for name, kind in cols
        if (verdict := _verdict(name, kind)).startswith("refused")
    ]


def test_every_model_column_is_a_key_category_number_time_or_flag() -> None:
    columns = {
        t.name: [(c.name, c.type) for c in t.columns] for t in ReportingBase.metadata.sorted_tables
    }
    assert len(columns) == 10
    assert _refused(columns) == []
    keys = [n for cols in columns.values() for n, k in cols if _verdict(n, k) == "key"]
    assert len(keys) >= 20


def test_the_checker_refuses_what_could_carry_words() -> None:
    assert _verdict("note", Text()) == "refused: Text"
    assert _verdict("answers", JSON()) == "refused: JSON"
    assert _verdict("title", String(200)).startswith("refused")
    assert _verdict("cohort", String(200)).startswith("refused")
    assert _verdict("leader_key", String(64)).startswith("refused")
    assert _verdict("cohort", String(64)) == "category"


def _reflected(url: str) -> dict[str, list[tuple[str, TypeEngine[Any]]]]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            table: [(c["name"], c["type"]) for c in found.get_columns(table)]
            for table in found.get_table_names()
            if table != "reporting_alembic_version"
        }
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_migrated_store_has_the_same_safe_columns(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path}/reporting.db"
        upgrade_sync(url, store="reporting")
    else:
        url = request.getfixturevalue("reporting_pg_url")
        if url is None:
            pytest.skip("PostgreSQL is not reachable")
        url = url.replace("postgresql://", "postgresql+psycopg://")
    columns = _reflected(url)
    assert set(columns) == {t.name for t in ReportingBase.metadata.sorted_tables}
    assert _refused(columns) == []
    models = {
        t.name: sorted(c.name for c in t.columns) for t in ReportingBase.metadata.tables.values()
    }
    assert {t: sorted(n for n, _ in cols) for t, cols in columns.items()} == models
