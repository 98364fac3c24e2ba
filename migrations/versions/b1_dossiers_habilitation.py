"""Habilitation dossiers (issue 14): the application file's fields, campaigns, meetings, documents, messages and
notices; the old request states become the dossier's (en_attente → deposee, validee → accordee, rejetee → refusee).

Revision ID: b1_dossiers
Revises: a9_recherche_nom
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "b1_dossiers"
down_revision = "a9_recherche_nom"
branch_labels = None
depends_on = None

TEXTES = [
    "membres:json",
    "activite_principale:250",
    "siren:9",
    "code_naf:6",
    "numero_declaration_activite:11",
    "adresse:250",
    "code_postal:5",
    "ville:100",
    "site_web:250",
    "date_creation:date",
    "effectif:int",
    "chiffres_affaires:json",
    "contact_nom:200",
    "contact_email:254",
    "contact_telephone:20",
    "facturation_nom:200",
    "facturation_email:254",
    "label_qualite:20",
    "label_autre:200",
    "premiere_demande:bool",
    "historique:json",
    "autres_habilitations:text",
    "couverture:20",
    "regions:json",
    "sites:json",
    "motivation:text",
    "promotion:text",
    "processus_evaluation:text",
    "accompagnement:text",
    "modalites_distance:text",
    "modalites:json",
    "sequences:json",
    "intervenants:json",
    "references:text",
    "engagement_signataire:200",
    "engagement_qualite:200",
    "engagement_lieu:100",
    "engagement_date:date",
    "instruction_le:date",
    "complement_le:date",
    "audition_le:datetime",
    "audition_lieu:250",
    "avis_favorable:bool",
    "avis_motivation:text",
    "avis_le:date",
    "notifie_le:date",
    "recours_note:text",
    "recours_le:date",
    "recours_accuse_le:date",
    "motif_classement:text",
    "date_depot:date",
]
TYPES = {
    "json": lambda: sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
    "text": sa.Text,
    "date": sa.Date,
    "datetime": sa.DateTime,
    "int": sa.Integer,
    "bool": sa.Boolean,
}


def _type(kind):
    return TYPES[kind]() if kind in TYPES else sa.String(int(kind))


def upgrade():
    op.create_table(
        "campagne_habilitation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("certificateur_id", sa.Integer, sa.ForeignKey("certificateur.id"), nullable=False, index=True),
        sa.Column("certification", sa.String(20), nullable=False),
        sa.Column("libelle", sa.String(200), nullable=False),
        sa.Column("debut", sa.Date, nullable=False),
        sa.Column("fin", sa.Date, nullable=False),
    )
    op.create_table(
        "reunion_instance",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("certificateur_id", sa.Integer, sa.ForeignKey("certificateur.id"), nullable=False, index=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("lieu", sa.String(250)),
    )
    with op.batch_alter_table("demande_habilitation") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("type_candidature", sa.String(20), nullable=False, server_default="individuelle"))
        batch.add_column(sa.Column("engagement_lu", sa.Boolean, nullable=False, server_default=sa.false()))
        for spec in TEXTES:
            name, kind = spec.split(":")
            batch.add_column(sa.Column(name, _type(kind)))
        batch.add_column(sa.Column("campagne_id", sa.Integer))
        batch.add_column(sa.Column("reunion_id", sa.Integer))
        batch.add_column(sa.Column("instructeur_id", sa.Integer))
        batch.create_foreign_key("fk_demande_campagne", "campagne_habilitation", ["campagne_id"], ["id"])
        batch.create_foreign_key("fk_demande_reunion", "reunion_instance", ["reunion_id"], ["id"])
        batch.create_foreign_key("fk_demande_instructeur", "ab_user", ["instructeur_id"], ["id"])
        batch.create_index("ix_demande_habilitation_campagne_id", ["campagne_id"])
        batch.create_index("ix_demande_habilitation_reunion_id", ["reunion_id"])
        batch.create_index("ix_demande_habilitation_instructeur_id", ["instructeur_id"])
    op.create_table(
        "message_dossier",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dossier_id",
            sa.Integer,
            sa.ForeignKey("demande_habilitation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("cote", sa.String(20), nullable=False),
        sa.Column("auteur_id", sa.Integer, sa.ForeignKey("ab_user.id", ondelete="SET NULL")),
        sa.Column("texte", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "piece_dossier",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dossier_id",
            sa.Integer,
            sa.ForeignKey("demande_habilitation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("nature", sa.String(20), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("message_dossier.id", ondelete="SET NULL")),
        sa.Column("nom", sa.String(200), nullable=False),
        sa.Column("type_mime", sa.String(100), nullable=False),
        sa.Column("taille", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("contenu", sa.LargeBinary, nullable=False),
        sa.Column("depose_par_id", sa.Integer, sa.ForeignKey("ab_user.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("dossier_id", "sha256", name="uq_piece_dossier_sha256"),
    )
    op.create_table(
        "avis_dossier",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dossier_id",
            sa.Integer,
            sa.ForeignKey("demande_habilitation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("nature", sa.String(30), nullable=False),
        sa.Column("titre", sa.String(200), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("envoye_le", sa.DateTime, nullable=False),
        sa.Column("destinataire", sa.String(254)),
        sa.Column("jeton_sha256", sa.String(64), unique=True),
        sa.Column("accuse_le", sa.DateTime),
    )
    op.create_table(
        "rappel_dossier",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dossier_id",
            sa.Integer,
            sa.ForeignKey("demande_habilitation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("echeance", sa.String(120), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("palier", sa.String(10), nullable=False),
        sa.Column("envoye_le", sa.DateTime, nullable=False),
        sa.UniqueConstraint("dossier_id", "echeance", "date", "palier", name="uq_rappel_dossier"),
    )
    table = sa.table(
        "demande_habilitation",
        sa.column("etat", sa.String),
        sa.column("date_depot", sa.Date),
        sa.column("date_demande", sa.Date),
    )
    op.execute(
        table.update().where(table.c.etat == "en_attente").values(etat="deposee", date_depot=table.c.date_demande)
    )
    op.execute(table.update().where(table.c.etat == "validee").values(etat="accordee", date_depot=table.c.date_demande))
    op.execute(table.update().where(table.c.etat == "rejetee").values(etat="refusee", date_depot=table.c.date_demande))


def downgrade():
    table = sa.table("demande_habilitation", sa.column("etat", sa.String))
    op.execute(table.update().where(table.c.etat == "accordee").values(etat="validee"))
    op.execute(table.update().where(table.c.etat == "refusee").values(etat="rejetee"))
    op.execute(table.update().where(table.c.etat.notin_(("validee", "rejetee"))).values(etat="en_attente"))
    op.drop_table("rappel_dossier")
    op.drop_table("avis_dossier")
    op.drop_table("piece_dossier")
    op.drop_table("message_dossier")
    with op.batch_alter_table("demande_habilitation") as batch:
        batch.drop_index("ix_demande_habilitation_instructeur_id")
        batch.drop_index("ix_demande_habilitation_reunion_id")
        batch.drop_index("ix_demande_habilitation_campagne_id")
        batch.drop_constraint("fk_demande_instructeur", type_="foreignkey")
        batch.drop_constraint("fk_demande_reunion", type_="foreignkey")
        batch.drop_constraint("fk_demande_campagne", type_="foreignkey")
        for column in ("instructeur_id", "reunion_id", "campagne_id", "engagement_lu", "type_candidature", "version"):
            batch.drop_column(column)
        for spec in TEXTES:
            batch.drop_column(spec.split(":")[0])
    op.drop_table("reunion_instance")
    op.drop_table("campagne_habilitation")
