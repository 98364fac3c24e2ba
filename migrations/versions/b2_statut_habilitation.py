"""The life of a habilitation (issue 15): its status once accorded (active, suspendue, retiree, renoncee, expiree),
the reason and day of its last change, and the day a renunciation takes effect.

Revision ID: b2_statut_habilitation
Revises: b1_dossiers
"""

import sqlalchemy as sa
from alembic import op

revision = "b2_statut_habilitation"
down_revision = "b1_dossiers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("demande_habilitation") as batch:
        batch.add_column(sa.Column("statut_habilitation", sa.String(20)))
        batch.add_column(sa.Column("statut_motif", sa.Text))
        batch.add_column(sa.Column("statut_le", sa.Date))
        batch.add_column(sa.Column("renonciation_recue_le", sa.Date))
        batch.add_column(sa.Column("renonciation_effet", sa.Date))
    table = sa.table("demande_habilitation", sa.column("etat", sa.String), sa.column("statut_habilitation", sa.String))
    op.execute(table.update().where(table.c.etat == "accordee").values(statut_habilitation="active"))


def downgrade():
    with op.batch_alter_table("demande_habilitation") as batch:
        for column in (
            "renonciation_effet",
            "renonciation_recue_le",
            "statut_le",
            "statut_motif",
            "statut_habilitation",
        ):
            batch.drop_column(column)
