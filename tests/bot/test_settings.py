"""Settings: local mode, the generated secret file, and secrets required outside local mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, resolve_secret


def test_local_mode_generates_an_owner_only_secret_once(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    assert settings.local_mode
    first = resolve_secret(settings)
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret(settings) == first and len(first) >= 40
    assert settings.operational_url == f"sqlite:///{tmp_path / 'data' / 'coach.db'}"


def test_secret_required_when_a_platform_is_configured(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1"
    )
    assert not settings.local_mode
    with pytest.raises(SystemExit, match="SECRET_KEY"):
        resolve_secret(settings)
    assert not (tmp_path / "secret.key").exists()


def test_environment_is_read_and_secrets_are_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "s3cret-value-" + "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1/coach")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert resolve_secret(settings) == "s3cret-value-" + "x" * 32
    assert settings.operational_url == "postgresql://app@127.0.0.1/coach"
    assert "s3cret-value" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("LOG_LEVEL", "verbose", "must be one of DEBUG"),
        ("PORT", "70000", "less than or equal to 65535"),
        ("DATABASE_URL", "garbage", "is not a database URL"),
        ("DATABASE_URL", "mysql://root@127.0.0.1/coach", "sqlite:/// or postgresql://"),
    ],
)
def test_bad_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_lower_case_log_level_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert Settings(_env_file=None).log_level == "DEBUG"  # type: ignore[call-arg]


def test_short_secrets_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(SystemExit, match="at least 32 characters"):
        resolve_secret(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]


def test_slack_without_a_way_in_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(_env_file=None, data_dir=tmp_path, slack_bot_token="xoxb-1")  # type: ignore[call-arg]
    assert "SLACK_SIGNING_SECRET (HTTP mode, /slack/events) or SLACK_APP_TOKEN" in str(bad.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"slack_signing_secret": "s"}, "Slack also needs SLACK_BOT_TOKEN"),
        ({"slack_app_token": "xapp-1"}, "Slack also needs SLACK_BOT_TOKEN"),
        ({"slack_bot_token": "xapp-1", "slack_app_token": "xapp-2"}, "must be a bot token"),
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xoxb-2"}, "app-level token"),
        ({"slack_api_url": "notaurl"}, "must be an http(s) URL"),
        ({"slack_api_url": "http://slack.example.com/api/"}, "must be https"),
    ],
)
def test_half_or_wrongly_configured_slack_is_named(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]
    assert message in str(bad.value)


GUID = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"teams_app_id": GUID}, "TEAMS_APP_PASSWORD, TEAMS_TENANT_ID not set"),
        ({"teams_app_password": "p"}, "TEAMS_APP_ID, TEAMS_TENANT_ID not set"),
        ({"teams_app_id": GUID, "teams_app_password": "p", "teams_tenant_id": "abc"}, "GUID"),
        ({"teams_app_id": "bad", "teams_app_password": "p", "teams_tenant_id": GUID}, "GUID"),
    ],
)
def test_half_or_wrongly_configured_teams_is_named_and_not_enabled(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]
    assert message in str(settings.teams_problem()) and not settings.teams_enabled


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"teams_openid_metadata_url": "notaurl"}, "must be an https URL"),
        ({"teams_authority": "http://login.example.com/t"}, "must be an https URL"),
    ],
)
def test_bad_teams_urls_are_named(tmp_path: Path, values: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as bad:
        Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg]
    assert message in str(bad.value)
