"""issuing reconciliation: withheld records, issuer lease, issuing runs, hold-flagging streams

Revision ID: issuing_reconciliation
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "issuing_reconciliation"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
_COUNTS = ("issued", "replaced", "revoked", "clrs", "held", "withheld", "refused")


def upgrade() -> None:
    op.create_table(
        "issue_run",
        sa.Column("id", TEXT(), nullable=False),
        sa.Column("status", TEXT(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.Column("error", TEXT(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_issue_run_started_at", "issue_run", ["started_at"])
    op.create_table(
        "withheld",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("subject", TEXT(), nullable=False),
        sa.Column("learner_key", TEXT(), nullable=False),
        sa.Column("source", TEXT(), nullable=True),
        sa.Column("stream", TEXT(), nullable=True),
        sa.Column("source_record_id", TEXT(), nullable=True),
        sa.Column("credential_id", TEXT(), nullable=False),
        sa.Column("reason", TEXT(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject"),
    )
    op.create_index("ix_withheld_learner_key", "withheld", ["learner_key"])
    op.create_table(
        "issuer_lease",
        sa.Column("name", TEXT(), nullable=False),
        sa.Column("holder", TEXT(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("sync_run") as batch:
        batch.add_column(sa.Column("issue_run_id", TEXT(), nullable=True))
        batch.create_index("ix_sync_run_issue_run_id", ["issue_run_id"])
    with op.batch_alter_table("stream_state") as batch:
        batch.add_column(sa.Column("flags_holds", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("pass_completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("credential") as batch:
        batch.add_column(sa.Column("embeds", TEXT(), nullable=True))
    with op.batch_alter_table("status_list") as batch:
        batch.add_column(sa.Column("published_digest", TEXT(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_list") as batch:
        batch.drop_column("published_digest")
    with op.batch_alter_table("credential") as batch:
        batch.drop_column("embeds")
    with op.batch_alter_table("stream_state") as batch:
        batch.drop_column("pass_completed_at")
        batch.drop_column("flags_holds")
    with op.batch_alter_table("sync_run") as batch:
        batch.drop_index("ix_sync_run_issue_run_id")
        batch.drop_column("issue_run_id")
    op.drop_table("issuer_lease")
    op.drop_index("ix_withheld_learner_key", "withheld")
    op.drop_table("withheld")
    op.drop_index("ix_issue_run_started_at", "issue_run")
    op.drop_table("issue_run")
