"""A throwaway PostgreSQL database, for tests and benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy


class NoPostgreSQL(Exception):
    """No server answers at the admin URL; the text says where and why."""


@contextmanager
def throwaway_database(admin_url: str, prefix: str) -> Iterator[tuple[str, sqlalchemy.Engine]]:
    """A new, empty database named ``<prefix>_<random>``, dropped afterwards (even with
    connections still open). Yields its URL and an engine on ``admin_url``."""
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        raise NoPostgreSQL(f"no PostgreSQL server answers at {admin_url}: {exc.orig}") from None
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}", admin
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
