"""The command line, end to end in local mode on a temporary data directory."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BAD = Path(__file__).resolve().parent / "fixtures" / "roster"


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the CLI in local mode with its data in a fresh directory."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "TEAMS_APP_ID", "DATABASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def count(data: Path, table: str) -> int:
    with sqlite3.connect(data / "coach.db") as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        app.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "import", "run-due", "privacy", "demo", "db"):
        assert command in out


def test_import_run_due_and_privacy(local: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["import", str(EXAMPLES / "org.yaml")]) == 0
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0
    assert count(local, "people") == 21
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0  # idempotent
    assert count(local, "people") == 21
    capsys.readouterr()
    # Monday 30 Nov 2026 09:00 in London: London leaders are welcomed, Sydney's are not.
    assert app.main(["run-due", "--now", "2026-11-30T09:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "welcome:" in out and "outbox:" in out
    assert count(local, "outbox") > 0
    assert app.main(["privacy", "export", "aisha.khan@northwind.example"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["people"][0]["profile"]["timezone"] == "Europe/London"
    assert app.main(["privacy", "erase", "aisha.khan@northwind.example", "--yes"]) == 0
    assert count(local, "people") == 20
    assert app.main(["privacy", "erase", "aisha.khan@northwind.example", "--yes"]) == 2
    assert "no one with the email" in capsys.readouterr().err


def test_bad_roster_is_refused_whole(local: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = sorted(BAD.glob("*.yaml"))[0]
    assert app.main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert count(local, "organisations") == 0 and count(local, "people") == 0


def test_run_due_refuses_a_time_without_zone(local: Path) -> None:
    with pytest.raises(SystemExit, match="no time zone"):
        app.main(["run-due", "--now", "2026-11-30T09:00:00"])
    with pytest.raises(SystemExit, match="not an ISO 8601 time"):
        app.main(["run-due", "--now", "next tuesday"])


def test_db_upgrade_and_rotate_key(local: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["db", "upgrade"]) == 0
    assert app.main(["db", "rotate-key"]) == 0
    assert "re-encrypted 0 value(s)" in capsys.readouterr().out
