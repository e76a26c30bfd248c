"""the issuer API: OAuth clients and tokens (hashed), credentials posted to it; audit entries without a learner

Revision ID: serve_clients
Revises: dead_letter_location
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "serve_clients"
down_revision = "dead_letter_location"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "serve_client",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("secret_digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "serve_token",
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["serve_client.id"]),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index(op.f("ix_serve_token_client_id"), "serve_token", ["client_id"], unique=False)
    op.create_index(op.f("ix_serve_token_expires_at"), "serve_token", ["expires_at"], unique=False)
    op.create_table(
        "api_credential",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("request_digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["serve_client.id"]),
        sa.ForeignKeyConstraint(["status_list_id"], ["status_list.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_api_credential_client_id"), "api_credential", ["client_id"], unique=False)
    with op.batch_alter_table("audit_ledger", schema=None) as batch_op:
        batch_op.alter_column("learner_key", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_ledger", schema=None) as batch_op:
        batch_op.alter_column("learner_key", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=False)
    op.drop_index(op.f("ix_api_credential_client_id"), table_name="api_credential")
    op.drop_table("api_credential")
    op.drop_index(op.f("ix_serve_token_expires_at"), table_name="serve_token")
    op.drop_index(op.f("ix_serve_token_client_id"), table_name="serve_token")
    op.drop_table("serve_token")
    op.drop_table("serve_client")
