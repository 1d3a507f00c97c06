"""`python app.py report --out DIR [--min-group N]`: the HR report from the reporting store."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from bot.reporting.metrics_scope import ReportFilter
from bot.reporting.report import build_report, write_report
from bot.reporting.suppress import MIN_GROUP_DEFAULT, check_min_group
from bot.settings import Settings
from prompts import Copy
from storage.db import async_url
from storage.migrate import is_up_to_date


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options of `report` that build the report (`report sync` adds its own action)."""
    parser.add_argument("--out", type=Path, help="write index.html and the CSV files here")
    parser.add_argument(
        "--min-group",
        type=int,
        default=None,
        help=f"minimum group size, 3 or more (default {MIN_GROUP_DEFAULT})",
    )
    parser.add_argument("--programme", help="only this programme (its label)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, help="first week")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, help="last week")


def default_min_group(settings: Settings) -> int:
    """The minimum group of the settings (REPORT_MIN_GROUP, default 5, never below 3)."""
    return check_min_group(settings.report_min_group)


async def cmd_report(
    settings: Settings, args: argparse.Namespace, *, now: datetime, copy: Copy | None = None
) -> int:
    """Build the report and write it to `args.out`; 2 (with a plain message) for a mistake."""
    copy = copy or Copy()
    requested = args.min_group if args.min_group is not None else default_min_group(settings)
    try:
        min_group = check_min_group(requested)
    except ValueError as exc:
        return _fail(copy("report.cli.bad_min_group", value=requested, reason=exc))
    url = settings.reporting_url
    if not is_up_to_date(url, store="reporting"):
        return _fail(copy("report.cli.not_ready", where=_where(url)))
    filters = ReportFilter(
        programme=getattr(args, "programme", None),
        start=getattr(args, "start", None),
        end=getattr(args, "end", None),
    )
    engine = create_async_engine(async_url(url))
    try:
        report = await build_report(engine, min_group=min_group, now=now, filters=filters)
    finally:
        await engine.dispose()
    out: Path = args.out or settings.data_dir / "report"
    try:
        files = write_report(report, out)
    except OSError as exc:
        return _fail(copy("report.cli.cannot_write", path=out, reason=exc.strerror))
    s = report.summary
    print(
        copy(
            "report.cli.wrote",
            path=out,
            files=len(files),
            min_group=s.min_group,
            suppressed=s.suppressed,
            cells=s.cells,
        )
    )
    return 0


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
