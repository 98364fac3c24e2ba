"""The CPF catalogue offer of an establishment and its sessions (issue 18 §6, seed 004): the fields EDOF needs,
exported as LHÉO XML and .xlsx, shown in the public directory.

Revision ID: c3_offres_cpf
Revises: c2_jury_sorties
"""

import sqlalchemy as sa
from alembic import op

revision = "c3_offres_cpf"
down_revision = "c2_jury_sorties"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offre_cpf",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "etablissement_id", sa.Integer(), sa.ForeignKey("etablissement.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("certification", sa.String(20), nullable=False),
        sa.Column("numero_interne", sa.String(50), nullable=False),
        sa.Column("intitule_formation", sa.String(255), nullable=False),
        sa.Column("points_forts", sa.String(255), nullable=False),
        sa.Column("objectif_formation", sa.Text(), nullable=False),
        sa.Column("resultats_attendus", sa.Text(), nullable=False),
        sa.Column("contenu_formation", sa.Text(), nullable=False),
        sa.Column("type_parcours", sa.String(5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("etablissement_id", "numero_interne", name="uq_offre_cpf_numero_interne"),
    )
    op.create_index("ix_offre_cpf_etablissement_id", "offre_cpf", ["etablissement_id"])
    op.create_table(
        "session_offre_cpf",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("offre_id", sa.Integer(), sa.ForeignKey("offre_cpf.id", ondelete="CASCADE"), nullable=False),
        sa.Column("debut", sa.Date(), nullable=False),
        sa.Column("fin", sa.Date(), nullable=False),
        sa.Column("adresse", sa.String(50), nullable=False),
        sa.Column("code_postal", sa.String(5), nullable=False),
        sa.Column("ville", sa.String(50), nullable=False),
    )
    op.create_index("ix_session_offre_cpf_offre_id", "session_offre_cpf", ["offre_id"])


def downgrade():
    op.drop_index("ix_session_offre_cpf_offre_id", table_name="session_offre_cpf")
    op.drop_table("session_offre_cpf")
    op.drop_index("ix_offre_cpf_etablissement_id", table_name="offre_cpf")
    op.drop_table("offre_cpf")
