"""Référentiels CléA et listes de valeurs

Revision ID: 8112c4c07461
Revises: 43e759fa2520
Create Date: 2026-11-22 18:38:58.305034

"""

import sqlalchemy as sa
from alembic import op

# Initial content (referentiels.md). From now on the data lives in the database and Certif Pro edits it:
# this copy belongs to this migration only.
CLEA = (
    "clea",
    "CléA — Socle de connaissances et de compétences professionnelles",
    "RS2203",
    [
        (
            "1",
            "Communiquer en français",
            "FRANÇAIS",
            [
                ("1.1", "Écouter et comprendre"),
                ("1.2", "S'exprimer à l'oral"),
                ("1.3", "Lire"),
                ("1.4", "Écrire"),
                ("1.5", "Décrire – formuler"),
            ],
        ),
        (
            "2",
            "Utiliser les règles de base de calcul et du raisonnement mathématique",
            "MATHÉMATIQUE",
            [
                ("2.1", "Se repérer dans l'univers des nombres"),
                ("2.2", "Résoudre un problème mettant en jeu une ou plusieurs opérations"),
                ("2.3", "Lire et calculer les unités de mesures, de temps et des quantités"),
                ("2.4", "Se repérer dans l'espace"),
                ("2.5", "Restituer oralement un raisonnement mathématique"),
            ],
        ),
        (
            "3",
            "Utiliser les techniques usuelles de l'information et de la communication numérique",
            "INFORMATIQUE",
            [
                ("3.1", "Connaître son environnement et les fonctions de base pour utiliser un ordinateur"),
                ("3.2", "Saisir et mettre en forme du texte – gérer des documents"),
                ("3.3", "Se repérer dans l'environnement internet et effectuer une recherche sur le web"),
                ("3.4", "Utiliser la fonction de messagerie"),
            ],
        ),
        (
            "4",
            "Travailler dans le cadre de règles définies d'un travail en équipe",
            "TRAVAIL EN ÉQUIPE",
            [
                ("4.1", "Respecter les règles de vie collective"),
                ("4.2", "Travailler en équipe"),
                ("4.3", "Contribuer dans un groupe"),
                ("4.4", "Communiquer"),
            ],
        ),
        (
            "5",
            "Travailler en autonomie et réaliser un objectif individuel",
            "TRAVAIL EN INDIVIDUEL",
            [
                ("5.1", "Comprendre son environnement de travail"),
                ("5.2", "Réaliser des objectifs individuels dans le cadre d'une action simple ou d'un projet"),
                ("5.3", "Prendre des initiatives et être force de proposition"),
            ],
        ),
        (
            "6",
            "Apprendre à apprendre tout au long de la vie",
            "APPRENDRE À APPRENDRE",
            [
                ("6.1", "Accumuler de l'expérience et en tirer les leçons appropriées"),
                ("6.2", "Entretenir sa curiosité et sa motivation pour apprendre dans le champ professionnel"),
                ("6.3", "Optimiser les conditions d'apprentissage (de la formation à l'action)"),
            ],
        ),
        (
            "7",
            "Maîtriser les gestes et postures, et respecter des règles d'hygiène, de sécurité et "
            "environnementales élémentaires",
            "HYGIÈNE ET SÉCURITÉ",
            [
                ("7.1", "Respecter un règlement sécurité, hygiène, environnement, une procédure qualité"),
                ("7.2", "Avoir les bons gestes et réflexes afin d'éviter les risques"),
                ("7.3", "Être capable d'appliquer les gestes de premier secours"),
                ("7.4", "Contribuer à la préservation de l'environnement et aux économies d'énergie"),
            ],
        ),
    ],
)

CLEA_NUMERIQUE = (
    "clea_numerique",
    "CléA numérique — Socle de connaissances et de compétences numériques",
    "RS3936",
    [
        (
            "1",
            "Identifier son environnement et utiliser les outils associés",
            "ENVIRONNEMENT NUMÉRIQUE",
            [
                ("1.1", "Identifier son environnement numérique"),
                ("1.2", "Accéder aux outils de son environnement numérique"),
            ],
        ),
        (
            "2",
            "Acquérir et exploiter de l'information dans un environnement professionnel numérisé",
            "INFORMATION",
            [
                ("2.1", "Utiliser les outils de son environnement numérique pour trouver l'information recherchée"),
                (
                    "2.2",
                    "Collecter des informations relatives à son activité professionnelle dans un environnement "
                    "numérique",
                ),
            ],
        ),
        (
            "3",
            "Interagir en mode collaboratif",
            "COLLABORATION",
            [
                ("3.1", "Echanger de l'information"),
                ("3.2", "Réaliser/contribuer à une production commune à partir d'outils de travail collaboratif"),
                ("3.3", "Partager les bonnes pratiques"),
            ],
        ),
        (
            "4",
            "Appliquer les règles et bonnes pratiques de la sécurité numérique",
            "SÉCURITÉ NUMÉRIQUE",
            [
                ("4.1", "Veiller à la protection de ses outils, information/production et de ses données au quotidien"),
                ("4.2", "Identifier les risques de malveillance et mettre en place les moyens de s'en prémunir"),
                ("4.3", "Protéger son e-réputation et celle de son entreprise"),
            ],
        ),
    ],
)

REFERENTIELS = (CLEA, CLEA_NUMERIQUE)

LISTES = {
    "statut_inscription": [
        "Salarié",
        "Demandeur d'emploi",
        "Travailleur indépendant",
        "Agent de la fonction publique",
        "Jeune en insertion",
        "Autre",
    ],
    "type_public": [
        "Personne en situation de handicap",
        "Bénéficiaire du RSA",
        "Jeune de moins de 26 ans",
        "Senior (50 ans et plus)",
        "Personne détenue",
        "Résident QPV",
        "Aucun",
    ],
    "niveau_formation": [
        "Niveau 1 – maîtrise des savoirs de base",
        "Niveau 2 – ancien niveau V bis",
        "Niveau 3 – CAP, BEP (ancien niveau V)",
        "Niveau 4 – Baccalauréat (ancien niveau IV)",
        "Niveau 5 – Bac+2 (ancien niveau III)",
        "Niveau 6 – Bac+3/4 (ancien niveau II)",
        "Niveau 7 – Bac+5 (ancien niveau I)",
        "Niveau 8 – Doctorat",
    ],
    "financeur": [
        "CPF",
        "OPCO",
        "Entreprise",
        "France Travail (ex-Pôle emploi)",
        "Conseil régional",
        "État",
        "Transitions Pro",
        "Agefiph",
        "Fonds européens (FSE)",
        "Collectivité territoriale – autre",
        "Initiative individuelle",
        "Autre",
    ],
    "origine_demarche": [
        "Employeur",
        "OPCO",
        "France Travail (ex-Pôle emploi)",
        "Mission locale",
        "Région",
        "Conseil en évolution professionnelle (CEP)",
        "Cap emploi",
        "Démarche personnelle",
        "Autre",
    ],
    "branche": [
        "Aucune",
        "Centre National de la Fonction Publique Territoriale",
        "Chaussures",
        "Commerce de détail et de gros à prédominance alimentaire",
        "Cuirs et Peaux (Tannerie Mégisserie)",
        "Equipements thermiques et génie climatique",
        "Enseignement privé",
        "Grands magasins et magasins populaires",
        "Industrie de l'habillement",
    ],
    "motif_abandon": [
        "Évaluation préalable de plus de 5 ans",
        "Abandon du candidat",
        "Déménagement",
        "Reprise d'emploi incompatible",
        "Raisons de santé",
        "Autre",
    ],
    "motif_rattachement": [
        "Déménagement du candidat",
        "Fermeture de l'établissement",
        "Choix du bénéficiaire",
        "Autre",
    ],
    "conclusion_evaluation": ["Présentation du dossier devant le jury de certification", "Préconisation de formation"],
    "statut_lettre": ["À envoyer", "Envoyé", "Pli non distribué"],
    "civilite": ["Monsieur", "Madame"],
}


# revision identifiers, used by Alembic.
revision = "8112c4c07461"
down_revision = "43e759fa2520"
branch_labels = None
depends_on = None


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "referentiel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification", sa.String(length=20), nullable=False),
        sa.Column("nom", sa.String(length=100), nullable=False),
        sa.Column("code_rs", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("certification"),
    )
    op.create_table(
        "valeur_liste",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("liste", sa.String(length=40), nullable=False),
        sa.Column("libelle", sa.String(length=200), nullable=False),
        sa.Column("ordre", sa.Integer(), nullable=False),
        sa.Column("actif", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("liste", "libelle"),
    )
    with op.batch_alter_table("valeur_liste", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_valeur_liste_liste"), ["liste"], unique=False)

    op.create_table(
        "domaine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referentiel_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("libelle", sa.String(length=250), nullable=False),
        sa.Column("libelle_court", sa.String(length=60), nullable=True),
        sa.Column("ordre", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referentiel_id"],
            ["referentiel.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referentiel_id", "code"),
    )
    op.create_table(
        "sous_domaine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domaine_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("libelle", sa.String(length=250), nullable=False),
        sa.Column("ordre", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domaine_id"],
            ["domaine.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domaine_id", "code"),
    )
    # ### end Alembic commands ###
    seed()


def seed():
    conn = op.get_bind()
    meta = sa.MetaData()
    referentiel = sa.Table("referentiel", meta, autoload_with=conn)
    domaine = sa.Table("domaine", meta, autoload_with=conn)
    sous_domaine = sa.Table("sous_domaine", meta, autoload_with=conn)
    valeur = sa.Table("valeur_liste", meta, autoload_with=conn)
    for certification, nom, code_rs, domaines in REFERENTIELS:
        conn.execute(referentiel.insert().values(certification=certification, nom=nom, code_rs=code_rs))
        ref_id = conn.execute(
            sa.select(referentiel.c.id).where(referentiel.c.certification == certification)
        ).scalar_one()
        for d_order, (code, libelle, court, sous) in enumerate(domaines, 1):
            conn.execute(
                domaine.insert().values(
                    referentiel_id=ref_id, code=code, libelle=libelle, libelle_court=court, ordre=d_order
                )
            )
            dom_id = conn.execute(
                sa.select(domaine.c.id).where(domaine.c.referentiel_id == ref_id, domaine.c.code == code)
            ).scalar_one()
            conn.execute(
                sous_domaine.insert(),
                [dict(domaine_id=dom_id, code=c, libelle=l, ordre=i) for i, (c, l) in enumerate(sous, 1)],
            )
    conn.execute(
        valeur.insert(),
        [
            dict(liste=liste, libelle=libelle, ordre=i, actif=True)
            for liste, values in LISTES.items()
            for i, libelle in enumerate(values, 1)
        ],
    )


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("sous_domaine")
    op.drop_table("domaine")
    with op.batch_alter_table("valeur_liste", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_valeur_liste_liste"))

    op.drop_table("valeur_liste")
    op.drop_table("referentiel")
    # ### end Alembic commands ###
