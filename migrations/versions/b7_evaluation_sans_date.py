"""A draft evaluation may be saved without its date (issue 17): the date is asked for when it is finalised.

Revision ID: b7_evaluation_sans_date
Revises: b6_import_arriere_plan
"""

import sqlalchemy as sa
from alembic import op

revision = "b7_evaluation_sans_date"
down_revision = "b6_import_arriere_plan"
branch_labels = None
depends_on = None

ONE_DRAFT = "uq_evaluation_un_brouillon"


def _one_draft_index():
    op.create_index(
        ONE_DRAFT,
        "evaluation",
        ["candidature_id"],
        unique=True,
        sqlite_where=sa.text("etat = 'en_cours'"),
        postgresql_where=sa.text("etat = 'en_cours'"),
    )


def upgrade():
    # SQLite's batch mode copies the table: the partial index is dropped first and made again after it.
    op.drop_index(ONE_DRAFT, table_name="evaluation")
    with op.batch_alter_table("evaluation") as batch:
        batch.alter_column("date_evaluation", existing_type=sa.Date(), nullable=True)
    _one_draft_index()


def downgrade():
    op.execute("UPDATE evaluation SET date_evaluation = CURRENT_DATE WHERE date_evaluation IS NULL")
    op.drop_index(ONE_DRAFT, table_name="evaluation")
    with op.batch_alter_table("evaluation") as batch:
        batch.alter_column("date_evaluation", existing_type=sa.Date(), nullable=False)
    _one_draft_index()
