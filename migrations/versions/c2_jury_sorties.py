"""The members who sit on a jury session (issue 18): named on the session's minutes (procès-verbal).

Revision ID: c2_jury_sorties
Revises: b9_criteres_evaluation
"""

import sqlalchemy as sa
from alembic import op

revision = "c2_jury_sorties"
down_revision = "b9_criteres_evaluation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "session_jury_membre",
        sa.Column(
            "session_jury_id", sa.Integer(), sa.ForeignKey("session_jury.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("utilisateur_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_session_jury_membre_utilisateur_id", "session_jury_membre", ["utilisateur_id"])


def downgrade():
    op.drop_index("ix_session_jury_membre_utilisateur_id", table_name="session_jury_membre")
    op.drop_table("session_jury_membre")
