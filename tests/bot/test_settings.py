"""Settings: local mode, the generated secret file, and secrets required outside local mode."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

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
    settings = Settings(_env_file=None, data_dir=tmp_path, slack_bot_token="xoxb-1")  # type: ignore[call-arg]
    assert not settings.local_mode
    with pytest.raises(SystemExit, match="SECRET_KEY"):
        resolve_secret(settings)
    assert not (tmp_path / "secret.key").exists()


def test_environment_is_read_and_secrets_are_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "s3cret-value")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1/coach")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert resolve_secret(settings) == "s3cret-value"
    assert settings.operational_url == "postgresql://app@127.0.0.1/coach"
    assert "s3cret-value" not in repr(settings)
