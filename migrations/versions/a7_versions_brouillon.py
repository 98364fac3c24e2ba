"""No lost update, no double draft (issue 11, points 5 and 6): a `version` column (SQLAlchemy's version_id_col)
on the certifiers and the news, and a version raised by the users service on the users — which the API edits with
PUT; one draft evaluation per file at most, enforced by a partial unique index.

Revision ID: a7_versions
Revises: a6_morceaux
"""

import sqlalchemy as sa
from alembic import op

revision = "a7_versions"
down_revision = "a6_morceaux"
branch_labels = None
depends_on = None

VERSIONED = ("certificateur", "actualite", "ab_user")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index(
        "uq_evaluation_un_brouillon",
        "evaluation",
        ["candidature_id"],
        unique=True,
        sqlite_where=sa.text("etat = 'en_cours'"),
        postgresql_where=sa.text("etat = 'en_cours'"),
    )


def downgrade():
    op.drop_index("uq_evaluation_un_brouillon", table_name="evaluation")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
