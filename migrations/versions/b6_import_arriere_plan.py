"""Bulk imports of candidates in the background, with their progress and report (issue 17).

Revision ID: b6_import_arriere_plan
Revises: b5_donnees_personnelles
"""

import sqlalchemy as sa
from alembic import op

revision = "b6_import_arriere_plan"
down_revision = "b5_donnees_personnelles"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_candidats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "etablissement_id", sa.Integer(), sa.ForeignKey("etablissement.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("nom_fichier", sa.String(200), nullable=False),
        sa.Column("simulation", sa.Boolean(), nullable=False),
        sa.Column("partiel", sa.Boolean(), nullable=False),
        sa.Column("contenu", sa.LargeBinary()),
        sa.Column("statut", sa.String(20), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("lignes_total", sa.Integer()),
        sa.Column("lignes_faites", sa.Integer(), nullable=False),
        sa.Column("rapport", sa.Text()),
        sa.Column("erreur", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("termine_le", sa.DateTime()),
        sa.Column("battement_le", sa.DateTime()),
    )
    op.create_index("ix_import_candidats_user", "import_candidats", ["user_id", "created_at"])


def downgrade():
    op.drop_index("ix_import_candidats_user", table_name="import_candidats")
    op.drop_table("import_candidats")
