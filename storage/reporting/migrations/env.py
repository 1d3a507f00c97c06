"""Alembic environment of the reporting store: its own tables and version table."""

from storage.migrate import VERSION_TABLES
from storage.migrate_env import run_migrations
from storage.reporting.models import ReportingBase

run_migrations(ReportingBase.metadata, VERSION_TABLES["reporting"])
