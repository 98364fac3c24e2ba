"""The name search inside an organisation's or a network's perimeter (issue 13): its own index.

Revision ID: a9_recherche_nom
Revises: a8_parties
"""

from alembic import op

revision = "a9_recherche_nom"
down_revision = "a8_parties"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_candidature_org_nom",
        "candidature",
        ["organisme_id", "nom_recherche"],
        postgresql_ops={"nom_recherche": "varchar_pattern_ops"},
    )


def downgrade():
    op.drop_index("ix_candidature_org_nom", table_name="candidature")
