"""Changes of situation declared by the organisations (issue 15, seed 001 §III.6).

Revision ID: b3_changement_situation
Revises: b2_statut_habilitation
"""

import sqlalchemy as sa
from alembic import op

revision = "b3_changement_situation"
down_revision = "b2_statut_habilitation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "changement_situation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisme_id", sa.Integer, sa.ForeignKey("organisme.id"), nullable=False, index=True),
        sa.Column("nature", sa.String(30), nullable=False),
        sa.Column("date_changement", sa.Date, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("etablissement_id", sa.Integer, sa.ForeignKey("etablissement.id")),
        sa.Column("declare_le", sa.Date, nullable=False),
        sa.Column("declare_par_id", sa.Integer, sa.ForeignKey("ab_user.id")),
        sa.Column("hors_delai", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("etat", sa.String(30), nullable=False, server_default="declare", index=True),
        sa.Column("maintien_jusqu_au", sa.Date),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )


def downgrade():
    op.drop_table("changement_situation")
