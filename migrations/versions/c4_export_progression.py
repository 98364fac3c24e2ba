"""Exports show their writing phase: the phase of an export being prepared (its rows read, then its workbook
written) and the rows already written. Existing jobs read as « lecture », nothing written yet.

Revision ID: c4_export_progression
Revises: c1_certificats_verifiables
"""

import sqlalchemy as sa
from alembic import op

revision = "c4_export_progression"
down_revision = "c1_certificats_verifiables"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("fichier_export") as batch:
        batch.add_column(sa.Column("phase", sa.String(length=20), nullable=False, server_default="lecture"))
        batch.add_column(sa.Column("lignes_ecrites", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("fichier_export") as batch:
        batch.drop_column("lignes_ecrites")
        batch.drop_column("phase")
