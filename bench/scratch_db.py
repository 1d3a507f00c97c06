"""Scratch PostgreSQL databases for the benchmarks: probe, create, drop."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def probe_pg() -> str | None:
    """The server's version when PostgreSQL is reachable, else None."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except Exception:
        return None
    return str(row[0]).split()[0] if row else "?"


def pg_database() -> tuple[str, str] | None:
    """A new empty database: its URL and name, or None when the server is unreachable."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception:
        return None
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def pg_drop(name: str) -> None:
    """Drop a scratch database, closing its connections."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_databases() -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL database URLs; every one made is dropped on exit."""
    made: list[str] = []

    def new_url() -> str:
        found = pg_database()
        if found is None:
            raise RuntimeError(f"PostgreSQL at {PG_ADMIN_URL} became unreachable")
        made.append(found[1])
        return found[0]

    try:
        yield new_url
    finally:
        for name in made:
            pg_drop(name)
