"""Typed settings from the environment and `.env`, read once by app.py and passed down."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SECRET_FILE = "secret.key"  # noqa: S105  (a file name, not a secret)
MIN_SECRET_LENGTH = 32
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
OPERATIONAL_BACKENDS = ("sqlite", "postgresql")


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _fail(model: str, names: list[str], message: str) -> NoReturn:
    """Raise a settings error naming each of `names` with `message`."""
    problems = [
        InitErrorDetails(
            type=PydanticCustomError("settings_missing", message), loc=(name,), input=None
        )
        for name in names
    ]
    raise ValidationError.from_exception_data(model, problems)


def _together(model: str, given: dict[str, bool], message: str) -> None:
    """Settings that only work together: all given, or none; else name the missing ones."""
    if any(given.values()) and not all(given.values()):
        _fail(model, [name for name, ok in given.items() if not ok], message)


class Settings(BaseSettings):
    """Every setting of the bot; secrets are SecretStr and never printed."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path(".data")
    database_url: str = ""
    reporting_database_url: str = ""
    secret_key: SecretStr | None = Field(
        default=None, description="comma-separated secrets, newest first (rotation)"
    )
    admin_token: SecretStr | None = None
    report_min_group: int = Field(default=5, ge=3, le=1000)  # never below 3 (issue 8)
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "INFO"

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Multi-workspace OAuth install (optional): client id and secret together, or neither.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_oauth_url: str = "https://slack.com/oauth/v2/authorize"
    slack_redirect_url: str | None = None  # default: the app's only redirect URL at Slack

    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    teams_authority: str | None = None
    teams_openid_metadata_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    teams_allowed_service_urls: str = "https://smba.trafficmanager.net/"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=20.0, gt=0, le=120)  # whole call, retries in
    openai_max_retries: int = Field(default=1, ge=0, le=3)
    openai_daily_cap_per_person: int = Field(default=20, ge=0, le=1000)  # 0 = no model calls

    # Microsoft Graph calendars (optional): all three of tenant, client id and secret, or none.
    graph_tenant_id: str | None = None
    graph_client_id: str | None = None
    graph_client_secret: SecretStr | None = None
    graph_authority: str | None = None  # default https://login.microsoftonline.com/{tenant}
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_ca_bundle: Path | None = None  # extra CA file for the token authority (tests)

    @model_validator(mode="wrap")
    @classmethod
    def _graph_all_or_none(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        settings = handler(data)
        secret = settings.graph_client_secret
        _together(
            cls.__name__,
            {
                "graph_tenant_id": bool(settings.graph_tenant_id),
                "graph_client_id": bool(settings.graph_client_id),
                "graph_client_secret": secret is not None and bool(secret.get_secret_value()),
            },
            "not set: Graph calendars need GRAPH_TENANT_ID, GRAPH_CLIENT_ID and "
            "GRAPH_CLIENT_SECRET together (or none of them)",
        )
        return settings

    @model_validator(mode="wrap")
    @classmethod
    def _slack_oauth_pair(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        settings = handler(data)
        secret = settings.slack_client_secret
        _together(
            cls.__name__,
            {
                "slack_client_id": bool(settings.slack_client_id),
                "slack_client_secret": secret is not None and bool(secret.get_secret_value()),
            },
            "not set: the Slack OAuth install needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "together (or neither)",
        )
        return settings

    @field_validator("teams_openid_metadata_url", "teams_authority")
    @classmethod
    def _teams_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None if value is None else value
        url = urlsplit(value.strip())
        local = url.hostname in ("127.0.0.1", "localhost", "::1")
        if (
            not url.netloc
            or url.scheme not in ("https", "http")
            or (url.scheme == "http" and not local)
        ):
            raise ValueError("must be an https URL (http only on 127.0.0.1 for a local stand-in)")
        return value.strip()

    @model_validator(mode="wrap")
    @classmethod
    def _slack_reachable(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        settings = handler(data)
        if settings.slack_enabled and not (
            settings.slack_signing_secret or settings.slack_app_token
        ):
            _fail(
                cls.__name__,
                ["slack_signing_secret"],
                "not set: Slack needs SLACK_SIGNING_SECRET (HTTP mode, /slack/events) or "
                "SLACK_APP_TOKEN (Socket Mode, no public URL)",
            )
        if not settings.slack_enabled and (
            settings.slack_signing_secret or settings.slack_app_token
        ):  # never fall back to local mode (and its sample data) on a half-configured server
            _fail(
                cls.__name__,
                ["slack_bot_token"],
                "not set: SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set, but Slack also needs "
                "SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "(OAuth install)",
            )
        return settings

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        url = urlsplit(value.strip())
        if url.scheme not in ("https", "http") or not url.netloc:
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        if url.scheme == "http" and url.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("must be https (http only for a local stand-in on 127.0.0.1)")
        return value.strip() if value.strip().endswith("/") else value.strip() + "/"

    @field_validator("slack_bot_token")
    @classmethod
    def _slack_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token (xoxb-...), not a user or app-level token")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _slack_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token (xapp-...) with connections:write")
        return value

    @field_validator("slack_redirect_url")
    @classmethod
    def _slack_redirect(cls, value: str | None) -> str | None:
        if not value:
            return None
        url = urlsplit(value.strip())
        local = url.scheme == "http" and url.hostname in ("127.0.0.1", "::1", "localhost")
        if not (url.scheme == "https" or local) or not url.hostname:
            raise ValueError(
                "must be an https:// URL, e.g. https://coach.example.com/slack/oauth_redirect"
            )
        if url.path.rstrip("/") != "/slack/oauth_redirect":
            raise ValueError("must end with /slack/oauth_redirect (the path the bot serves)")
        return value.strip()

    @field_validator("openai_base_url")
    @classmethod
    def _openai_base_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        url = urlsplit(value.strip())
        if url.scheme not in ("https", "http") or not url.netloc:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8080/v1")
        return value.strip()

    @property
    def openai_enabled(self) -> bool:
        """True when an LLM is configured: an API key, or an OpenAI-compatible base URL."""
        key = self.openai_api_key
        return bool(key and key.get_secret_value().strip()) or bool(self.openai_base_url)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("database_url", "reporting_database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL, e.g. postgresql://user@host/db") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _operational_backend(cls, value: str) -> str:
        if value and make_url(value).get_backend_name() not in OPERATIONAL_BACKENDS:
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @property
    def slack_enabled(self) -> bool:
        """True when Slack is configured: a bot token, or OAuth installs (a token per team)."""
        return self.slack_bot_token is not None or self.slack_oauth_enabled

    @property
    def slack_oauth_enabled(self) -> bool:
        """True when the multi-workspace OAuth install (/slack/install) is configured."""
        secret = self.slack_client_secret
        return bool(self.slack_client_id and secret and secret.get_secret_value())

    def teams_problem(self) -> str | None:
        """Why the Teams settings can't serve (a part missing, an id not a GUID), else None."""
        given = {
            "TEAMS_APP_ID": bool(self.teams_app_id),
            "TEAMS_APP_PASSWORD": bool(
                self.teams_app_password and self.teams_app_password.get_secret_value()
            ),
            "TEAMS_TENANT_ID": bool(self.teams_tenant_id),
        }
        if not any(given.values()):
            return None
        missing = [name for name, ok in given.items() if not ok]
        if missing:
            return (
                "Teams needs TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID together: "
                f"{', '.join(missing)} not set"
            )
        for name, value in (
            ("TEAMS_APP_ID", self.teams_app_id),
            ("TEAMS_TENANT_ID", self.teams_tenant_id),
        ):
            if not _GUID.fullmatch(str(value).strip()):
                return f"{name} must be a GUID such as 00000000-0000-0000-0000-000000000000"
        return None

    @property
    def teams_enabled(self) -> bool:
        """True when the Teams credentials are all configured and well formed."""
        return self.teams_problem() is None and bool(self.teams_app_id)

    @property
    def graph_enabled(self) -> bool:
        """True when Microsoft Graph (coach calendars) is configured."""
        secret = self.graph_client_secret
        return bool(self.graph_tenant_id and self.graph_client_id and secret)

    @property
    def local_mode(self) -> bool:
        """No Slack and no Teams credentials: SQLite, sample organisation, web playground."""
        return not (self.slack_enabled or self.teams_enabled)

    @property
    def operational_url(self) -> str:
        """The operational database URL (a local SQLite file by default)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'coach.db'}"

    @property
    def reporting_url(self) -> str:
        """The reporting database URL (a second local SQLite file by default)."""
        return self.reporting_database_url or f"sqlite:///{self.data_dir / 'reporting.db'}"


def resolve_secret(settings: Settings) -> str:
    """The encryption secret: SECRET_KEY, else (local mode) a generated owner-only file."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        value = settings.secret_key.get_secret_value()
        if any(len(part.strip()) < MIN_SECRET_LENGTH for part in value.split(",")):
            raise SystemExit(
                f"SECRET_KEY: each secret must be at least {MIN_SECRET_LENGTH} characters "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        return value
    if not settings.local_mode:
        raise SystemExit("SECRET_KEY must be set when Slack or Teams is configured.")
    path = settings.data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
