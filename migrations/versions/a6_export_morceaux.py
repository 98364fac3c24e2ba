"""Resumable exports: the batches of an export being prepared (its checkpoints).

Revision ID: a6_morceaux
Revises: 7d2e4b9c1f03
"""

import sqlalchemy as sa
from alembic import op

revision = "a6_morceaux"
down_revision = "7d2e4b9c1f03"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_morceau",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("numero", sa.Integer(), nullable=False),
        sa.Column("dernier_id", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.Integer(), nullable=False),
        sa.Column("lignes", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["fichier_export.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "numero", name="uq_export_morceau_numero"),
    )


def downgrade():
    op.drop_table("export_morceau")
