"""records' data and credentials' documents stored packed (zlib against a preset dictionary)

A store of this revision is about a third of the size for the same records and credentials.
Existing rows are rewritten in batches; downgrade writes them back as plain JSON.

Revision ID: packed_documents
Revises: claims
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from connector_core.store.packed import pack, unpack

revision = "packed_documents"
down_revision = "claims"
branch_labels = None
depends_on = None

# (table, primary key, column)
_COLUMNS = (("learning_record", "id", "data"), ("credential", "id", "document"))
_BATCH = 2000


def _rewrite(table: str, key: str, column: str, old_type: Any, new_type: Any, convert: Callable[[Any], Any]) -> None:
    """Fill a new column from `column` batch by batch, then put it in the column's place.

    On SQLite in place (ALTER TABLE ADD/DROP/RENAME COLUMN): a batch rebuild of the table would
    trip the foreign keys of the rows that refer to it.
    """
    new = f"{column}_new"
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        empty = "x''" if isinstance(new_type, sa.LargeBinary) else "'null'"
        kind = new_type.compile(dialect=connection.dialect)
        op.execute(f"ALTER TABLE {table} ADD COLUMN {new} {kind} NOT NULL DEFAULT {empty}")
    else:
        op.add_column(table, sa.Column(new, new_type, nullable=True))
    rows = sa.table(table, sa.column(key), sa.column(column, old_type), sa.column(new, new_type))
    last = None
    while True:
        query = sa.select(rows.c[key], rows.c[column]).order_by(rows.c[key]).limit(_BATCH)
        if last is not None:
            query = query.where(rows.c[key] > last)
        batch_rows = connection.execute(query).all()
        if not batch_rows:
            break
        connection.execute(
            rows.update().where(rows.c[key] == sa.bindparam("k")).values({new: sa.bindparam("v")}),
            [{"k": k, "v": convert(value)} for k, value in batch_rows],
        )
        last = batch_rows[-1][0]
    if sqlite:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {column}")
    else:
        op.drop_column(table, column)
        op.alter_column(table, new, new_column_name=column, nullable=False, existing_type=new_type)


def upgrade() -> None:
    for table, key, column in _COLUMNS:
        _rewrite(table, key, column, sa.JSON(), sa.LargeBinary(), pack)


def downgrade() -> None:
    for table, key, column in _COLUMNS:
        _rewrite(table, key, column, sa.LargeBinary(), sa.JSON(), lambda blob: unpack(bytes(blob)))
