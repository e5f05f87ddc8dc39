"""Alembic environment: our tables' metadata, the connection handed in by bot.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import broadcasts  # noqa: F401  (the broadcast tables)
import core.db  # noqa: F401  (the core tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
