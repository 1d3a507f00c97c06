"""Alembic environment of the operational store."""

from storage.migrate import VERSION_TABLES
from storage.migrate_env import run_migrations
from storage.models import Base

run_migrations(Base.metadata, VERSION_TABLES["operational"])
