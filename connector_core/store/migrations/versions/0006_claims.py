"""claim links, their queue and sessions, wallet offers and nonces, credentials bound to a holder's DID

Revision ID: claims
Revises: partition_leases
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "claims"
down_revision = "partition_leases"
branch_labels = None
depends_on = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "claim_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", _str(), nullable=False, unique=True),
        sa.Column("learner_key", _str(), sa.ForeignKey("learner.key"), nullable=False, index=True),
        sa.Column("run_id", _str(), nullable=True),
        sa.Column("sink", _str(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("error", _str(), nullable=True),
    )
    op.create_table(
        "claim_item",
        sa.Column("credential_id", _str(), sa.ForeignKey("credential.id"), primary_key=True),
        sa.Column("learner_key", _str(), sa.ForeignKey("learner.key"), nullable=False, index=True),
        sa.Column("run_id", _str(), nullable=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claim_link.id"), nullable=True, index=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "claim_session",
        sa.Column("token_hash", _str(), primary_key=True),
        sa.Column("learner_key", _str(), sa.ForeignKey("learner.key"), nullable=False, index=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claim_link.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "wallet_offer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("protocol", _str(), nullable=False),
        sa.Column("code_hash", _str(), nullable=False, unique=True),
        sa.Column("learner_key", _str(), sa.ForeignKey("learner.key"), nullable=False, index=True),
        sa.Column("credential_ids", sa.JSON(), nullable=False),
        sa.Column("challenge", _str(), nullable=True),
        sa.Column("tx_code_hash", _str(), nullable=True),
        sa.Column("access_token_hash", _str(), nullable=True, unique=True),
        sa.Column("access_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("holder", _str(), nullable=True),
    )
    op.create_table(
        "wallet_nonce",
        sa.Column("nonce_hash", _str(), primary_key=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "bound_credential",
        sa.Column("id", _str(), primary_key=True),
        sa.Column("original_id", _str(), sa.ForeignKey("credential.id"), nullable=False, index=True),
        sa.Column("offer_id", sa.Integer(), sa.ForeignKey("wallet_offer.id"), nullable=False, index=True),
        sa.Column("holder", _str(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("bound_credential", "wallet_nonce", "wallet_offer", "claim_session", "claim_item", "claim_link"):
        op.drop_table(table)
