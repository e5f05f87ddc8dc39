"""What every command-line entry point starts from: the settings and the one database.

A command that cannot start says why in one line and exits with code 2 (a broken config,
a PostgreSQL schema behind this version), never with a traceback.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine

from core.config import ConfigError, Settings, load_settings

err = Console(stderr=True, highlight=False)


def settings_or_exit(config: Path | None, fallback: Path | None = None) -> Settings:
    try:
        return load_settings(config or fallback or Path("config.toml"))
    except ConfigError as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(2) from None


def database_or_exit(settings: Settings) -> Engine:
    # Imported here: a command that needs no database (faq match) loads none of it.
    from bot import migrate
    from bot.bootstrap import open_database

    try:
        return open_database(settings)
    except migrate.DatabaseBehind as behind:
        err.print(str(behind), markup=False)
        raise typer.Exit(2) from None
