"""Outbox delivery internals: row claims and marks, reports and retry policy (see dispatcher)."""
