"""Personal data (issue 16, donnees-personnelles.md): settings, consultation journal, register of processing
activities, anonymisation and purge dates of a file.

Revision ID: b5_donnees_personnelles
Revises: b4_audits
"""

import sqlalchemy as sa
from alembic import op

revision = "b5_donnees_personnelles"
down_revision = "b4_audits"
branch_labels = None
depends_on = None

COLUMNS = (
    "ordre",
    "nom",
    "finalite",
    "base_legale",
    "categories_donnees",
    "categories_personnes",
    "destinataires",
    "duree_conservation",
    "mesures_securite",
)
SECURITE = (
    "Accès nominatif par mot de passe (empreinte scrypt), sessions révocables, limitation des tentatives ; "
    "droits par profil (matrice des droits) et périmètre par structure ; journal des actions et des consultations ; "
    "chiffrement des échanges (HTTPS) ; sauvegardes de la base ; hébergement en France."
)
# The processing activities of the platform, as a fresh installation starts with them (Certif Pro edits them).
REGISTRE = [
    (
        1,
        "Gestion des parcours de certification CléA et CléA numérique",
        "Inscrire les candidats, suivre leurs évaluations et leurs formations, présenter les dossiers au jury, "
        "délivrer et envoyer les certificats, établir les statistiques nationales.",
        "Mission d'intérêt public confiée au certificateur (RGPD art. 6-1-e) ; règlement de la certification CléA.",
        "Identité (civilité, noms, prénom, date et lieu de naissance), coordonnées, situation à l'inscription "
        "(statut, niveau de formation, financeur, employeur), objectifs, résultats des évaluations, formations suivies, "
        "décisions du jury, certificat et envois, documents déposés.",
        "Candidats à la certification.",
        "Organisme évaluateur et établissement du candidat, réseau, certificateur et membres du jury, Certif Pro ; "
        "prestataire d'impression des certificats.",
        "Dossier non certifié ou abandonné : anonymisé 5 ans après sa dernière modification. Dossier certifié : "
        "documents supprimés après 5 ans, preuve du certificat conservée. Journal des consultations : 1 an.",
        SECURITE,
    ),
    (
        2,
        "Habilitation des organismes évaluateurs",
        "Instruire les dossiers d'habilitation, les recours, les audits et les procédures de mise en conformité.",
        "Règlement de la certification CléA (exécution de la convention d'habilitation, RGPD art. 6-1-b).",
        "Identité et coordonnées des contacts, signataires et intervenants des organismes ; pièces du dossier.",
        "Représentants et intervenants des organismes candidats ou habilités.",
        "Certif Pro, certificateurs et instructeurs, membres de l'instance.",
        "Durée de l'habilitation et 5 ans après sa fin.",
        SECURITE,
    ),
    (
        3,
        "Comptes des utilisateurs et sécurité de la plateforme",
        "Authentifier les utilisateurs, gérer leurs droits, tracer les actions, les consultations de dossiers et les "
        "recherches nationales.",
        "Intérêt légitime (sécurité du système d'information, RGPD art. 6-1-f).",
        "Nom, prénom, email, identifiant, profil, structure ; dates de connexion ; journal des actions et des "
        "consultations.",
        "Utilisateurs de la plateforme.",
        "Certif Pro ; administrateurs des structures pour leurs utilisateurs.",
        "Compte : durée de l'activité et 1 an après sa désactivation. Journaux : 1 an.",
        SECURITE,
    ),
    (
        4,
        "Facturation des redevances",
        "Calculer et établir les relevés trimestriels des redevances dues par les organismes.",
        "Exécution de la convention d'habilitation (RGPD art. 6-1-b) ; obligations comptables.",
        "Contacts de facturation des organismes ; nombre de dossiers et de certificats par organisme.",
        "Contacts de facturation des organismes.",
        "Certif Pro ; l'organisme pour son propre relevé.",
        "10 ans (pièces comptables).",
        SECURITE,
    ),
    (
        5,
        "Annuaire public des organismes habilités",
        "Permettre au public de trouver un établissement habilité près de chez lui.",
        "Mission d'intérêt public (RGPD art. 6-1-e).",
        "Nom, email et téléphone du contact public de l'établissement.",
        "Contacts publics des établissements habilités.",
        "Le public (annuaire en ligne).",
        "Tant que l'établissement est habilité.",
        SECURITE,
    ),
]


def upgrade():
    op.create_table(
        "parametre",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cle", sa.String(60), nullable=False, unique=True),
        sa.Column("valeur", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("candidature_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("user_name", sa.String(200)),
        sa.Column("quoi", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(250)),
    )
    op.create_index("ix_consultation_candidature", "consultation", ["candidature_id", "created_at"])
    op.create_index("ix_consultation_created", "consultation", ["created_at"])
    op.create_table(
        "traitement",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ordre", sa.Integer, nullable=False),
        sa.Column("nom", sa.String(200), nullable=False),
        sa.Column("finalite", sa.Text, nullable=False),
        sa.Column("base_legale", sa.String(250), nullable=False),
        sa.Column("categories_donnees", sa.Text, nullable=False),
        sa.Column("categories_personnes", sa.Text, nullable=False),
        sa.Column("destinataires", sa.Text, nullable=False),
        sa.Column("duree_conservation", sa.Text, nullable=False),
        sa.Column("mesures_securite", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    # Plain ALTER TABLE (no batch copy of the table on SQLite: its counters' triggers stay).
    op.add_column("candidature", sa.Column("anonymise_le", sa.DateTime))
    op.add_column("candidature", sa.Column("documents_purges_le", sa.DateTime))
    traitement = sa.table("traitement", *(sa.column(name) for name in COLUMNS))
    op.bulk_insert(traitement, [dict(zip(COLUMNS, row, strict=True)) for row in REGISTRE])


def downgrade():
    op.drop_column("candidature", "documents_purges_le")
    op.drop_column("candidature", "anonymise_le")
    op.drop_table("traitement")
    op.drop_index("ix_consultation_created", "consultation")
    op.drop_index("ix_consultation_candidature", "consultation")
    op.drop_table("consultation")
    op.drop_table("parametre")
