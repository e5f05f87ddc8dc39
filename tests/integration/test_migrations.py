"""Alembic migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel
from typer.testing import CliRunner

import broadcasts  # noqa: F401  (the broadcast tables belong to the schema)
from bot import migrate
from bot.bootstrap import build_services
from bot.cli import app
from core.db import make_engine
from tests.conftest import fresh_postgresql_database
from tests.integration.test_flow import settings_for


def test_migrations_produce_exactly_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)  # a no-op where the fixture already upgraded (PostgreSQL)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], differences
    assert migrate.is_current(engine)
    engine.dispose()


def test_sqlite_is_upgraded_on_start(tmp_path: Path) -> None:
    services = build_services(settings_for(f"sqlite:///{tmp_path / 'fresh.db'}"))
    assert migrate.is_current(services.engine)


def test_postgresql_must_be_upgraded_explicitly(tmp_path: Path) -> None:
    with fresh_postgresql_database() as url:
        with pytest.raises(migrate.DatabaseBehind, match="jingmin db upgrade"):
            build_services(settings_for(url))
        config = tmp_path / "c.toml"
        config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
        result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)])
        assert result.exit_code == 0 and "schema up to date" in result.output
        services = build_services(settings_for(url))
        assert migrate.is_current(services.engine)
        services.engine.dispose()


def test_a_current_database_starts_without_alembic(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head read from the migration files is Alembic's own; a database stamped with it
    is left alone at start (Alembic is not asked), one that is not is upgraded or refused."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert migrate.head_revision() == ScriptDirectory.from_config(config).get_current_head()

    engine = make_engine(db_url)
    migrate.upgrade(engine)

    def no_alembic(engine: object) -> None:
        raise AssertionError("Alembic was asked about a current database")

    monkeypatch.setattr(migrate, "upgrade", no_alembic)
    monkeypatch.setattr(migrate, "is_current", no_alembic)
    migrate.prepare(engine)
    engine.dispose()
    assert migrate.stamped_revision(make_engine("sqlite://")) is None  # never stamped
