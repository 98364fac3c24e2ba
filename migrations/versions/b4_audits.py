"""Audits of habilitations and compliance procedures (issue 15, habilitation.md §4).

Revision ID: b4_audits
Revises: b3_changement_situation
"""

import sqlalchemy as sa
from alembic import op

revision = "b4_audits"
down_revision = "b3_changement_situation"
branch_labels = None
depends_on = None


def _timestamps():
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    ]


def upgrade():
    op.create_table(
        "audit_habilitation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("habilitation_id", sa.Integer, sa.ForeignKey("demande_habilitation.id"), nullable=False, index=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("date_prevue", sa.Date, nullable=False),
        sa.Column("auditeur", sa.String(200)),
        sa.Column("etat", sa.String(30), nullable=False, server_default="planifie", index=True),
        sa.Column("avis", sa.String(30)),
        sa.Column("anomalies", sa.Text),
        sa.Column("rapport_le", sa.Date),
        sa.Column("observations", sa.Text),
        sa.Column("observations_le", sa.Date),
        sa.Column("decision", sa.String(30)),
        sa.Column("suspension", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decision_le", sa.Date),
        *_timestamps(),
    )
    op.create_table(
        "mise_en_conformite",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("habilitation_id", sa.Integer, sa.ForeignKey("demande_habilitation.id"), nullable=False, index=True),
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audit_habilitation.id")),
        sa.Column("precedente_id", sa.Integer, sa.ForeignKey("mise_en_conformite.id")),
        sa.Column("manquements", sa.Text, nullable=False),
        sa.Column("notifiee_le", sa.Date, nullable=False),
        sa.Column("limite", sa.Date, nullable=False),
        sa.Column("suspension", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("etat", sa.String(30), nullable=False, server_default="mise_en_demeure", index=True),
        sa.Column("justification", sa.Text),
        sa.Column("justifiee_le", sa.Date),
        sa.Column("decision_le", sa.Date),
        *_timestamps(),
    )


def downgrade():
    op.drop_table("mise_en_conformite")
    op.drop_table("audit_habilitation")
