"""Background work on Celery: a mail sent again by hand restarts its tries; an export's worker heartbeat.

Revision ID: a5_taches
Revises: a4_recherche
"""

import sqlalchemy as sa
from alembic import op

revision = "a5_taches"
down_revision = "a4_recherche"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mail_sortant") as batch:
        batch.add_column(sa.Column("relance_le", sa.DateTime(), nullable=True))
    with op.batch_alter_table("fichier_export") as batch:
        batch.add_column(sa.Column("battement_le", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("fichier_export") as batch:
        batch.drop_column("battement_le")
    with op.batch_alter_table("mail_sortant") as batch:
        batch.drop_column("relance_le")
