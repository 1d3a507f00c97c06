"""The command line, end to end in local mode on a temporary data directory."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

import app
from bot.jobs import JOBS

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
    for command in (
        "serve",
        "import",
        "run-due",
        "privacy",
        "people",
        "teams-package",
        "demo",
        "db",
    ):
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
    assert "error: no one with the email" in capsys.readouterr().err


def test_privacy_readmit_after_an_erase_lets_the_import_add_them_again(
    local: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aisha = "aisha.khan@northwind.example"  # line 10 of examples/leaders.csv
    assert app.main(["import", str(EXAMPLES / "org.yaml")]) == 0
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0
    assert app.main(["privacy", "readmit", aisha]) == 2
    assert "error: 'aisha.khan@northwind.example' was never erased" in capsys.readouterr().err
    assert app.main(["privacy", "erase", aisha, "--yes"]) == 0
    capsys.readouterr()
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 person erased at their request (line 10)" in out
    assert "python app.py privacy readmit" in out and aisha not in out
    assert count(local, "people") == 20 and count(local, "erasures") == 1
    assert app.main(["privacy", "readmit", aisha]) == 0
    assert "readmitted" in capsys.readouterr().out
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0
    assert "created 1 leader" in capsys.readouterr().out
    assert count(local, "people") == 21 and count(local, "erasures") == 0


def test_bad_roster_is_refused_whole(local: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = sorted(BAD.glob("*.yaml"))[0]
    assert app.main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert count(local, "organisations") == 0 and count(local, "people") == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run-due", "--now", "2026-11-30T09:00:00"],
            "--now '2026-11-30T09:00:00' has no time zone",
        ),
        (["run-due", "--now", "next tuesday"], "not an ISO 8601 time"),
        (["run-due", "--now", "9999-12-31T23:59:59Z"], "out of range"),
        (["demo", "--start", "2026-11-30"], "--start '2026-11-30' has no time zone"),
        (["demo", "--weeks", "0"], "from 1 to 12"),
        (["serve", "--port", "70000"], "from 1 to 65535"),
    ],
)
def test_bad_arguments_get_a_specific_message(
    local: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert app.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (local / "coach.db").exists() or count(local, "outbox") == 0


def test_run_due_accepts_lower_case_z(local: Path) -> None:
    assert app.main(["run-due", "--now", "2026-11-30t09:00:00z"]) == 0


def test_bad_settings_are_named(
    local: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    monkeypatch.setenv("PORT", "0")
    assert app.main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "LOG_LEVEL: Value error, must be one of" in err and "PORT:" in err


def test_playground_refuses_a_public_host(
    local: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert app.main(["serve"]) == 2
    assert "no sign-in" in capsys.readouterr().err


def test_privacy_export_file_and_erase_confirmation(
    local: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["import", str(EXAMPLES / "org.yaml")]) == 0
    out = local.parent / "export.json"
    assert (
        app.main(["privacy", "export", "ana.ruiz@coaches.northwind.example", "--out", str(out)])
        == 0
    )
    assert out.stat().st_mode & 0o777 == 0o600
    assert json.loads(out.read_text())["people"][0]["coach_profile"]["availability"]
    assert (
        app.main(["privacy", "export", "ana.ruiz@coaches.northwind.example", "--out", str(local)])
        == 2
    )
    assert "cannot write" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert app.main(["privacy", "erase", "ana.ruiz@coaches.northwind.example"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert app.main(["privacy", "erase", "nobody@northwind.example"]) == 2
    assert "no one with the email" in capsys.readouterr().err
    assert count(local, "people") == 5


def test_db_upgrade_and_rotate_key(local: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["db", "upgrade"]) == 0
    assert app.main(["db", "rotate-key"]) == 0
    assert "re-encrypted 0 value(s)" in capsys.readouterr().out


async def test_served_app_moves_the_clock_through_the_real_sweeps(
    local: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.settings import Settings

    rt = app.build_runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    await app.prepare_database(rt, load_sample=True)
    client = TestClient(TestServer(app.build_web_app(rt, None), host="127.0.0.1", port=0))
    await client.start_server()
    try:
        health = await client.get("/healthz")
        assert health.status == 200
        moved = await client.post("/api/clock", json={"advance": "1w"})
        assert moved.status == 200
        body = await moved.json()
        assert [job["job"] for job in body["jobs"]] == [job.id for job in JOBS]
        people = await (await client.get("/api/people")).json()
        assert len(people["people"]) == 21
    finally:
        await client.close()
        await rt.database.dispose()
    assert count(local, "outbox") > 0  # a week of sweeps welcomed the sample organisation


def test_people_unreachable_lists_who_a_platform_cannot_reach(
    local: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["import", str(EXAMPLES / "org.yaml")]) == 0
    assert app.main(["import", str(EXAMPLES / "leaders.csv")]) == 0
    capsys.readouterr()
    assert app.main(["people", "unreachable"]) == 0
    assert "Everyone on the roster can be reached" in capsys.readouterr().out
    with sqlite3.connect(local / "coach.db") as conn:
        (person_id,) = conn.execute(
            "SELECT id FROM people WHERE email = 'aisha.khan@northwind.example'"
        ).fetchone()
        conn.execute(
            "INSERT INTO platform_identities (person_id, platform, tenant_key, external_id, "
            "unreachable_reason, unreachable_since, created_at) VALUES (?, 'slack', 'T1', ?, "
            "'unreachable on Slack: no member with that email', '2026-11-24 10:00:00', "
            "'2026-11-24 10:00:00')",
            (person_id, f"?{person_id}"),
        )
    assert app.main(["people", "unreachable"]) == 0
    out = capsys.readouterr().out
    assert "1 person cannot be reached" in out
    assert "aisha.khan@northwind.example> on slack: unreachable on Slack: no member" in out
    assert "(since 2026-11-24 10:00 UTC)" in out
