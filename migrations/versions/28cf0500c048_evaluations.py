"""Evaluations and their per-sub-domain results (issue 3)

Revision ID: 28cf0500c048
Revises: 62e6d7c2384b
Create Date: 2026-11-22 22:00:34.510415

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "28cf0500c048"
down_revision = "62e6d7c2384b"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidature_id", sa.Integer(), nullable=False),
        sa.Column("evaluateur_nom", sa.String(length=100), nullable=False),
        sa.Column("evaluateur_prenom", sa.String(length=100), nullable=False),
        sa.Column("evaluateur_email", sa.String(length=254), nullable=False),
        sa.Column("date_evaluation", sa.Date(), nullable=False),
        sa.Column("conclusion", sa.String(length=200), nullable=True),
        sa.Column("commentaire", sa.Text(), nullable=True),
        sa.Column("etat", sa.String(length=20), nullable=False),
        sa.Column("resultat", sa.String(length=20), nullable=True),
        sa.Column("synthese", sa.String(length=100), nullable=True),
        sa.Column("finale", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("date_finalisation", sa.DateTime(), nullable=True),
        sa.Column("cree_par_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["candidature_id"], ["candidature.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cree_par_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_candidature_id"), ["candidature_id"], unique=False)

    op.create_table(
        "resultat_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("sous_domaine_id", sa.Integer(), nullable=False),
        sa.Column("acquis", sa.Boolean(), nullable=True),
        sa.Column("commentaire", sa.Text(), nullable=True),
        sa.Column("acquis_anterieurement", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["sous_domaine_id"],
            ["sous_domaine.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("evaluation_id", "sous_domaine_id", name="uq_resultat_sous_domaine"),
    )


def downgrade():

    op.drop_table("resultat_evaluation")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_candidature_id"))

    op.drop_table("evaluation")
