"""Names sort the French way (issue 17): the names, towns and regions of networks, organisations,
establishments and certifiers take the collation `fr` — ICU's French order on PostgreSQL, app/domain/tri.py's on
SQLite (registered on every connection by app/extensions.py) — so that « Île-de-France » comes among the I's.

Revision ID: b8_tri_francais
Revises: b7_evaluation_sans_date
"""

import sqlalchemy as sa
from alembic import op

revision = "b8_tri_francais"
down_revision = "b7_evaluation_sans_date"
branch_labels = None
depends_on = None

COLUMNS = {
    "reseau": [("nom", 200, False)],
    "organisme": [("nom", 200, False), ("ville", 100, False)],
    "etablissement": [("nom", 200, False), ("ville", 100, False), ("region", 60, False)],
    "certificateur": [("nom", 200, False), ("region", 60, True)],
}
TP_PAR_REGION = "uq_certificateur_region_tp"


def _alter(collation):
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and collation:
        op.execute('CREATE COLLATION IF NOT EXISTS fr FROM "fr-x-icu"')
    # SQLite's batch mode copies the table: the partial index is dropped first and made again after it.
    op.drop_index(TP_PAR_REGION, table_name="certificateur")
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, length, nullable in columns:
                batch.alter_column(
                    name,
                    existing_type=sa.String(length),
                    type_=sa.String(length, collation=collation),
                    existing_nullable=nullable,
                )
    op.create_index(
        TP_PAR_REGION,
        "certificateur",
        ["region"],
        unique=True,
        sqlite_where=sa.text("type = 'transitions_pro'"),
        postgresql_where=sa.text("type = 'transitions_pro'"),
    )


def upgrade():
    _alter("fr")


def downgrade():
    _alter(None)
