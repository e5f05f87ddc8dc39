"""Schema changes go through Alembic migrations (bot/migrations/versions).

SQLite is upgraded automatically on start (one process, one file); PostgreSQL is upgraded
explicitly with `jingmin db upgrade`, so several workers never race to migrate, and a
worker refuses to start on a database that is behind.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseBehind(Exception):
    """The database needs `jingmin db upgrade` before the bot can use it."""


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def prepare(engine: Engine) -> None:
    """On start: upgrade SQLite; check PostgreSQL (and anything else) is up to date."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    elif not is_current(engine):
        raise DatabaseBehind(
            "the database schema is behind this version of jingmin: "
            "run `jingmin db upgrade --config <your config>` once, then start the bot"
        )


def revision(engine: Engine, message: str) -> None:
    """For developers: write a new migration from the difference to the models."""
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
