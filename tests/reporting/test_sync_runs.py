"""The reporting sync as it runs: the hourly job, `report sync` and `db upgrade`, across engines."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

import app
from bot.jobs import JOBS, JobContext, reporting_sweep
from bot.reporting.sync import last_synced, sync
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models import Base
from tests.bot.test_dispatcher import make_dispatcher
from tests.factories import T0
from tests.reporting.sync_env import (
    build_org,
    fresh_reporting,
    snapshot,
    target,
)

__all__ = ["target"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_the_job_syncs_hourly_and_does_nothing_without_a_store(
    db: Database, target: Database
) -> None:
    await build_org(db, leaders=2)
    job = {j.id: j for j in JOBS}["reporting"]
    assert job.every == timedelta(hours=1)
    ctx = JobContext(database=db, dispatcher=make_dispatcher(db), reporting=target)
    assert await reporting_sweep(ctx, T0) == "18 rows inserted, 0 updated, 0 deleted"
    zero = "0 rows inserted, 0 updated, 0 deleted"
    assert await reporting_sweep(ctx, T0 + timedelta(minutes=30)) == zero
    assert await last_synced(target) == T0  # not due: not run
    hour = T0 + timedelta(minutes=58)  # the scheduler's ticks are not exact
    assert await reporting_sweep(ctx, hour) == zero
    assert await last_synced(target) == hour
    assert await reporting_sweep(ctx, T0) == zero  # a clock run back: due again
    assert await last_synced(target) == T0
    bare = JobContext(database=db, dispatcher=make_dispatcher(db))
    assert await reporting_sweep(bare, T0) == "0 rows synced (no reporting store)"


async def test_the_job_waits_for_a_store_not_yet_migrated(
    db: Database, keyring: Keyring, tmp_path: Path
) -> None:
    store = Database(f"sqlite:///{tmp_path}/not-yet/reporting.db", keyring)
    try:
        ctx = JobContext(database=db, dispatcher=make_dispatcher(db), reporting=store)
        summary = await reporting_sweep(ctx, T0)
    finally:
        await store.dispose()
    assert summary == "0 rows synced (the reporting store is not migrated: run `db upgrade`)"


async def test_sqlite_to_postgresql(
    keyring: Keyring, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A local SQLite bot reporting into a PostgreSQL warehouse gives what SQLite→SQLite does."""
    pg = request.getfixturevalue("reporting_pg_url")
    if pg is None:
        pytest.skip("PostgreSQL is not reachable")
    source = Database(f"sqlite:///{tmp_path}/bot.db", keyring)
    async with source.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    local_url = f"sqlite:///{tmp_path}/reporting.db"
    upgrade_sync(local_url, store="reporting")
    warehouse, local = await fresh_reporting(pg, keyring), Database(local_url, keyring)
    try:
        await build_org(source, leaders=3)
        first = await sync(source=source, target=warehouse, keyring=keyring, now=T0)
        assert first.total.inserted == 1 + 3 + 1 + 3 * 7
        again = await sync(source=source, target=warehouse, keyring=keyring, now=T0)
        assert again.total.changed == 0
        await sync(source=source, target=local, keyring=keyring, now=T0)
        assert await snapshot(warehouse) == await snapshot(local)
    finally:
        for database in (source, warehouse, local):
            await database.dispose()


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the CLI in local mode with its data in a fresh directory."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "TEAMS_APP_ID", "DATABASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REPORTING_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _rows(data: Path, table: str) -> int:
    with sqlite3.connect(data / "reporting.db") as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_report_sync_and_db_upgrade_on_the_command_line(
    local: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["db", "upgrade"]) == 0
    assert "reporting store upgraded" in capsys.readouterr().out
    assert (local / "reporting.db").exists()
    assert app.main(["import", str(EXAMPLES / "org.yaml")]) == 0
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0
    capsys.readouterr()
    assert app.main(["report", "sync"]) == 0
    out = capsys.readouterr().out
    assert "synced (full):" in out and "dim_leader: " in out
    leaders = _rows(local, "dim_leader")
    assert leaders > 5 and _rows(local, "fact_engagement") > 0
    assert app.main(["report", "sync"]) == 0
    assert "synced: 0 rows inserted, 0 updated, 0 deleted" in capsys.readouterr().out
    assert app.main(["report", "sync", "--full"]) == 0
    assert "synced (full): 0 rows inserted" in capsys.readouterr().out
    assert app.main(["privacy", "erase", "aisha.khan@northwind.example", "--yes"]) == 0
    assert app.main(["report", "sync"]) == 0
    assert _rows(local, "dim_leader") == leaders - 1
    assert app.main(["report", "--out", str(local / "report")]) == 0  # the HTML and CSV
    assert (local / "report" / "index.html").exists()
