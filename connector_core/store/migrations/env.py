"""Alembic environment: the engine comes from `Store`, never from an ini file."""

from alembic import context
from sqlmodel import SQLModel

import connector_core.store.tables  # noqa: F401 - registers the tables on the metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=SQLModel.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    context.run_migrations()
