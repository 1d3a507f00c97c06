"""Roster import: an organisation YAML or a leaders CSV, validated whole before any write."""

from bot.roster.problems import ImportResult, Problem, RosterError
from bot.roster.service import import_leaders_csv, import_org_yaml, import_path

__all__ = [
    "ImportResult",
    "Problem",
    "RosterError",
    "import_leaders_csv",
    "import_org_yaml",
    "import_path",
]
