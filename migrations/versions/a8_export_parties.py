"""Prepared exports kept 1 MiB at a time (issue 13: bounded memory whatever their size).

Revision ID: a8_parties
Revises: a7_performance
"""

import sqlalchemy as sa
from alembic import op

revision = "a8_parties"
down_revision = "a7_performance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_partie",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("numero", sa.Integer(), nullable=False),
        sa.Column("donnees", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["fichier_export.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "numero", name="uq_export_partie_numero"),
    )


def downgrade():
    op.drop_table("export_partie")
