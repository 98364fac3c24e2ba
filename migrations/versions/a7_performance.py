"""National scale (issue 13): indexes for the lists' default order and name search, and the files' counters kept by
the database (table compteur_candidature, filled by triggers on candidature).

Revision ID: a7_performance
Revises: a7_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "a7_performance"
down_revision = "a7_versions"
branch_labels = None
depends_on = None

KEY = "etablissement_id, organisme_id, certificateur_id, statut, actif, nombre"


def _row(prefix: str, sign: int) -> str:
    return (
        f"{prefix}.etablissement_id, {prefix}.organisme_id, COALESCE({prefix}.certificateur_id, 0), "
        f"{prefix}.statut, {prefix}.actif, {sign}"
    )


STATUS_INDEXES = {
    "ix_candidature_etab_statut": ["etablissement_id", "statut", "updated_at"],
    "ix_candidature_org_statut": ["organisme_id", "statut", "updated_at"],
    "ix_candidature_statut_maj": ["statut", "updated_at"],
}
WATCHED = "etablissement_id, organisme_id, certificateur_id, statut, actif"


def upgrade():
    op.drop_index("ix_candidature_nom_recherche", table_name="candidature")
    op.create_index(
        "ix_candidature_nom_recherche",
        "candidature",
        ["nom_recherche"],
        postgresql_ops={"nom_recherche": "varchar_pattern_ops"},
    )
    # The status-filtered lists' order too: the same indexes, with the id as tie-break.
    for name, columns in STATUS_INDEXES.items():
        op.drop_index(name, table_name="candidature")
        op.create_index(name, "candidature", [*columns, "id"])
    op.create_index("ix_candidature_maj", "candidature", ["updated_at", "id"])
    op.create_index("ix_candidature_etab_maj", "candidature", ["etablissement_id", "updated_at", "id"])
    op.create_index("ix_candidature_org_maj", "candidature", ["organisme_id", "updated_at", "id"])
    op.create_index("ix_candidature_certif_maj", "candidature", ["certificateur_id", "updated_at", "id"])

    op.create_table(
        "compteur_candidature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("etablissement_id", sa.Integer(), nullable=False),
        sa.Column("organisme_id", sa.Integer(), nullable=False),
        sa.Column("certificateur_id", sa.Integer(), nullable=False),
        sa.Column("statut", sa.String(length=40), nullable=False),
        sa.Column("actif", sa.Boolean(), nullable=False),
        sa.Column("nombre", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_compteur_organisme", "compteur_candidature", ["organisme_id", "statut"])
    op.create_index("ix_compteur_etablissement", "compteur_candidature", ["etablissement_id", "statut"])
    op.create_index("ix_compteur_certificateur", "compteur_candidature", ["certificateur_id", "statut"])
    insert = f"INSERT INTO compteur_candidature ({KEY}) VALUES"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION compter_candidature() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    {insert} ({_row("OLD", -1)});
                END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN
                    {insert} ({_row("NEW", 1)});
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql"""
        )
        op.execute(
            f"CREATE TRIGGER compter_candidature AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON candidature "
            "FOR EACH ROW EXECUTE FUNCTION compter_candidature()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER compter_candidature_ins AFTER INSERT ON candidature BEGIN {insert} ({_row('NEW', 1)}); END"
        )
        op.execute(
            f"CREATE TRIGGER compter_candidature_del AFTER DELETE ON candidature BEGIN {insert} ({_row('OLD', -1)}); END"
        )
        op.execute(
            f"CREATE TRIGGER compter_candidature_maj AFTER UPDATE OF {WATCHED} ON candidature "
            f"BEGIN {insert} ({_row('OLD', -1)}); {insert} ({_row('NEW', 1)}); END"
        )
    # The files already there, counted once.
    op.execute(
        f"INSERT INTO compteur_candidature ({KEY}) SELECT etablissement_id, organisme_id, COALESCE(certificateur_id, 0), "
        "statut, actif, count(*) FROM candidature GROUP BY etablissement_id, organisme_id, COALESCE(certificateur_id, 0), "
        "statut, actif"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER compter_candidature ON candidature")
        op.execute("DROP FUNCTION compter_candidature()")
    else:
        for suffix in ("ins", "del", "maj"):
            op.execute(f"DROP TRIGGER compter_candidature_{suffix}")
    op.drop_table("compteur_candidature")
    for name in (
        "ix_candidature_certif_maj",
        "ix_candidature_org_maj",
        "ix_candidature_etab_maj",
        "ix_candidature_maj",
    ):
        op.drop_index(name, table_name="candidature")
    op.drop_index("ix_candidature_nom_recherche", table_name="candidature")
    op.create_index("ix_candidature_nom_recherche", "candidature", ["nom_recherche"])
    for name, columns in STATUS_INDEXES.items():
        op.drop_index(name, table_name="candidature")
        op.create_index(name, "candidature", columns)
