"""Shared fixtures: real databases (SQLite file and PostgreSQL), settings, services."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# One station for the configs the tests write (a TOML block).
STATION = """[[stations]]
id = "xq"
name = "兴庆派出所"
address = "解放东街1号"
phone = "0951-6000000"
hours = "9-17"
"""
SHARED = REPO.parent / "shared"
PG_ADMIN_URL = os.environ.get(
    "JINGMIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """configure_logging puts a handler on the root logger that writes to the stderr pytest
    captured for that one test; later tests' threads would write to that closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def shared_file(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared/ folder sits beside the repository)")
    return path


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def fresh_postgresql_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    from tests.fakes.databases import NoPostgreSQL, throwaway_database

    try:
        with throwaway_database(PG_ADMIN_URL, "jingmin_test") as (url, _):
            yield url
    except NoPostgreSQL as missing:
        pytest.skip(str(missing))


def every_row(url: str) -> list[tuple[str, tuple[object, ...]]]:
    """Every row of every table as (table, values), on any backend (to look for leaks)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                (table, tuple(row))
                for table in sqlalchemy.inspect(conn).get_table_names()
                for row in conn.execute(sqlalchemy.text(f'SELECT * FROM "{table}"'))
            ]
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database per test: a SQLite file, or a new, migrated PostgreSQL database."""
    with database_url(request.param, tmp_path) as url:
        yield url


@contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of ``kind``: a SQLite file in ``folder``, or a new PostgreSQL
    database, migrated as `jingmin db upgrade` does before a PostgreSQL bot starts."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'jingmin.db'}"
        return
    from bot import migrate
    from core.db import make_engine

    with fresh_postgresql_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
