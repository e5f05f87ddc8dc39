"""Schema changes go through Alembic migrations (bot/migrations/versions).

SQLite is upgraded automatically on start (one process, one file); PostgreSQL is upgraded
explicitly with `jingmin db upgrade`, so several workers never race to migrate, and a
worker refuses to start on a database that is behind.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^revision: str = "(\w+)"', re.M)
_PARENT = re.compile(r'^down_revision: str \| None = "(\w+)"', re.M)


class DatabaseBehind(Exception):
    """The database needs `jingmin db upgrade` before the bot can use it."""


def _config(engine: Engine) -> Config:
    # Alembic is imported only when a migration runs or a schema is behind: a start on a
    # current database does without it (0.1 s and 7 MB of the start-up).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    from alembic import command

    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def head_revision() -> str | None:
    """The newest migration, read from the files' ``revision``/``down_revision`` lines
    (None unless they form one chain with one head: Alembic decides then)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            return None
        revisions.add(found[1])
        parents.update(_PARENT.findall(source))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stamped_revision(engine: Engine) -> str | None:
    """The revision the database says it is at (None: not stamped, or unreadable)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def prepare(engine: Engine) -> None:
    """On start: upgrade SQLite; check PostgreSQL (and anything else) is up to date."""
    head = head_revision()
    if head is not None and stamped_revision(engine) == head:
        return  # current: nothing for Alembic to do
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    elif not is_current(engine):
        raise DatabaseBehind(
            "the database schema is behind this version of jingmin: "
            "run `jingmin db upgrade --config <your config>` once, then start the bot"
        )


def revision(engine: Engine, message: str) -> None:
    """For developers: write a new migration from the difference to the models."""
    from alembic import command

    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
