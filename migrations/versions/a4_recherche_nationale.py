"""Journal of the national search (who searched for whom; the per-user limit's counter).

Revision ID: a4_recherche
Revises: 5c3fe2884662
"""

import sqlalchemy as sa
from alembic import op

revision = "a4_recherche"
down_revision = "5c3fe2884662"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recherche_nationale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("criteres", sa.JSON(), nullable=False),
        sa.Column("resultats", sa.Integer(), nullable=False),
        sa.Column("hors_perimetre", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recherche_user", "recherche_nationale", ["user_id", "created_at"])
    op.create_index("ix_recherche_created", "recherche_nationale", ["created_at"])


def downgrade():
    op.drop_index("ix_recherche_created", table_name="recherche_nationale")
    op.drop_index("ix_recherche_user", table_name="recherche_nationale")
    op.drop_table("recherche_nationale")
