"""an index on records' source ids: a record's earlier versions are found without a scan

Issuing numbers a credential by the credentials its record's identity (source, stream, source id)
had before, superseded versions included. Without this index SQLite answered that by scanning
every credential once a batch, which made issuing a campus quadratic in its credentials.

Revision ID: record_identity_index
Revises: packed_documents
"""

from alembic import op

revision = "record_identity_index"
down_revision = "packed_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_record_source_record_id", "learning_record", ["source_record_id"])


def downgrade() -> None:
    op.drop_index("ix_record_source_record_id", table_name="learning_record")
