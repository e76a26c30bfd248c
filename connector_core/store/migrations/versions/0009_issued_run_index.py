"""an index on the run that issued each credential: a night's new credentials are found without a scan

Delivery queues the claim links of what a night issued once the pass is over, reading them from the
store by the night's run id (credentials signed on worker processes included) instead of keeping
every credential id in memory for the whole pass.

Revision ID: issued_run_index
Revises: record_identity_index
"""

from alembic import op

revision = "issued_run_index"
down_revision = "record_identity_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_credential_issued_run", "credential", ["issued_run_id"])


def downgrade() -> None:
    op.drop_index("ix_credential_issued_run", table_name="credential")
