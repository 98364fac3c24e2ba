"""Juries, decisions, exchanges, certificates and their mailing, transfer requests (issue 4)

Revision ID: b443525e654b
Revises: 28cf0500c048
Create Date: 2026-11-22 22:18:45.270434

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b443525e654b"
down_revision = "28cf0500c048"
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "session_jury",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificateur_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cree_par_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificateur_id"],
            ["certificateur.id"],
        ),
        sa.ForeignKeyConstraint(["cree_par_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_jury", schema=None) as batch_op:
        batch_op.create_index("ix_session_jury_certificateur_date", ["certificateur_id", "date"], unique=False)

    op.create_table(
        "decision_jury",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidature_id", sa.Integer(), nullable=False),
        sa.Column("session_jury_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("commentaire", sa.Text(), nullable=True),
        sa.Column("decide_par_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidature_id"], ["candidature.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decide_par_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["session_jury_id"],
            ["session_jury.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision_jury", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_jury_candidature_id"), ["candidature_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_jury_session_jury_id"), ["session_jury_id"], unique=False)

    op.create_table(
        "demande_rattachement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidature_id", sa.Integer(), nullable=False),
        sa.Column("etablissement_origine_id", sa.Integer(), nullable=False),
        sa.Column("etablissement_destination_id", sa.Integer(), nullable=False),
        sa.Column("motif", sa.String(length=100), nullable=False),
        sa.Column("precision", sa.String(length=500), nullable=True),
        sa.Column("etat", sa.String(length=20), nullable=False),
        sa.Column("demandeur_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decide_par_id", sa.Integer(), nullable=True),
        sa.Column("decide_le", sa.DateTime(), nullable=True),
        sa.Column("commentaire_decision", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["candidature_id"], ["candidature.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decide_par_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["demandeur_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["etablissement_destination_id"],
            ["etablissement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["etablissement_origine_id"],
            ["etablissement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("demande_rattachement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demande_rattachement_candidature_id"), ["candidature_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_demande_rattachement_etablissement_destination_id"),
            ["etablissement_destination_id"],
            unique=False,
        )
        batch_op.create_index("ix_rattachement_etat_date", ["etat", "created_at"], unique=False)

    op.create_table(
        "echange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidature_id", sa.Integer(), nullable=False),
        sa.Column("cote", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("auteur_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["auteur_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["candidature_id"], ["candidature.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("echange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_echange_candidature_id"), ["candidature_id"], unique=False)

    op.create_table(
        "envoi_certificat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidature_id", sa.Integer(), nullable=False),
        sa.Column("statut_lettre", sa.String(length=40), nullable=False),
        sa.Column("date_traitement", sa.Date(), nullable=False),
        sa.Column("canal", sa.String(length=100), nullable=True),
        sa.Column("commentaire", sa.String(length=250), nullable=True),
        sa.Column("cree_par_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidature_id"], ["candidature.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cree_par_id"], ["ab_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("envoi_certificat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_envoi_certificat_candidature_id"), ["candidature_id"], unique=False)

    op.create_table(
        "certificat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidature_id", sa.Integer(), nullable=False),
        sa.Column("numero", sa.String(length=30), nullable=False),
        sa.Column("session_jury_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidature_id"], ["candidature.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["session_jury_id"],
            ["session_jury.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidature_id"),
        sa.UniqueConstraint("numero"),
    )
    with op.batch_alter_table("candidature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_jury_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("date_decision", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key("fk_candidature_session_jury", "session_jury", ["session_jury_id"], ["id"])


def downgrade():

    with op.batch_alter_table("candidature", schema=None) as batch_op:
        batch_op.drop_constraint("fk_candidature_session_jury", type_="foreignkey")
        batch_op.drop_column("date_decision")
        batch_op.drop_column("session_jury_id")

    op.drop_table("certificat")
    with op.batch_alter_table("envoi_certificat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_envoi_certificat_candidature_id"))

    op.drop_table("envoi_certificat")
    with op.batch_alter_table("echange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_echange_candidature_id"))

    op.drop_table("echange")
    with op.batch_alter_table("demande_rattachement", schema=None) as batch_op:
        batch_op.drop_index("ix_rattachement_etat_date")
        batch_op.drop_index(batch_op.f("ix_demande_rattachement_etablissement_destination_id"))
        batch_op.drop_index(batch_op.f("ix_demande_rattachement_candidature_id"))

    op.drop_table("demande_rattachement")
    with op.batch_alter_table("decision_jury", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_jury_session_jury_id"))
        batch_op.drop_index(batch_op.f("ix_decision_jury_candidature_id"))

    op.drop_table("decision_jury")
    with op.batch_alter_table("session_jury", schema=None) as batch_op:
        batch_op.drop_index("ix_session_jury_certificateur_date")

    op.drop_table("session_jury")
