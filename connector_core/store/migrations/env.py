"""Alembic environment: the engine comes from `Store`, never from an ini file."""

from alembic import context
from sqlmodel import SQLModel

from connector_core.store.tables import SCHEDULER_JOB_TABLE  # importing tables registers them on the metadata


def _ours(obj, name, type_, reflected, compare_to) -> bool:
    """APScheduler's job store makes and owns its table: never migrate or drop it."""
    return not (type_ == "table" and name == SCHEDULER_JOB_TABLE)


engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        include_object=_ours,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
