"""dead letters say where the bad row is (file and line); identity reviews keep which rule found whom

Revision ID: dead_letter_location
Revises: issuing_reconciliation
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "dead_letter_location"
down_revision = "issuing_reconciliation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("identity_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_review", schema=None) as batch_op:
        batch_op.drop_column("matched_by")
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.drop_column("location")
