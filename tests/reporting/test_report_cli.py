"""`python app.py report --out DIR [--min-group N]` as bot.reporting.cli runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.reporting.cli import add_report_options, cmd_report
from bot.settings import Settings
from storage.migrate import upgrade_sync
from tests.reporting.report_world import Org, week
from tests.reporting.test_metrics import NOW


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_report_options(parser)
    return parser.parse_args(argv)


def settings_for(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, secret_key=None)  # type: ignore[call-arg]


async def test_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for(tmp_path)
    upgrade_sync(settings.reporting_url, store="reporting")
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.db import async_url

    engine = create_async_engine(async_url(settings.reporting_url))
    org = Org()
    rise = org.programme("Rise")
    for _ in range(6):
        org.nudge(org.leader(rise, cohort="A"), week(0), "answered", 60)
    await org.write(engine)
    await engine.dispose()
    out = tmp_path / "report"
    assert await cmd_report(settings, parse("--out", str(out), "--min-group", "4"), now=NOW) == 0
    assert (out / "index.html").exists() and (out / "engagement.csv").exists()
    assert (out / "index.html").stat().st_mode & 0o077 == 0
    said = capsys.readouterr().out
    assert "minimum group 4" in said and str(out) in said


async def test_min_group_below_three_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("--out", str(tmp_path / "r"), "--min-group", "2")
    assert await cmd_report(settings_for(tmp_path), args, now=NOW) == 2
    assert "below the floor of 3" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


async def test_unsynced_store_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cmd_report(settings_for(tmp_path), parse(), now=NOW) == 2
    assert "report sync" in capsys.readouterr().err
