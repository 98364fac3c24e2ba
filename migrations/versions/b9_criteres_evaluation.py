"""The assessment of each sub-domain in the evaluation matrix (issue 17): its « modalités d'évaluation » and
« critères associés » as data that Certif Pro edits (ADMINISTRATION > Sous-domaines). CléA numérique's are those of
the règlement's annex 1 (référentiel de certification RS3936); the 106 criteria of CléA's socle are not in the
source documents of the platform and are entered by Certif Pro.

Revision ID: b9_criteres_evaluation
Revises: b8_tri_francais
"""

import sqlalchemy as sa
from alembic import op

revision = "b9_criteres_evaluation"
down_revision = "b8_tri_francais"
branch_labels = None
depends_on = None

# code → (modalités d'évaluation, critères associés: one per line) — règlement, annex 1, « Référentiel de
# certification » column.
CLEA_NUMERIQUE = {
    "1.1": (
        "Le candidat répond à un questionnement sur son environnement numérique professionnel.",
        [
            "Les différents outils/supports utilisés au sein de l'entreprise sont identifiés et nommés",
            "Les principaux objectifs et fonctionnalités/services des outils sont cités",
            "Les avantages et limites des outils numériques utilisés sont précisés au regard des usages",
            "L'organisation de l'environnement de travail est décrite et cohérente avec l'activité professionnelle",
            "Les données sont stockées et classées de façon pertinente dans l'environnement numérique",
            "Les différents modes de connexion sont identifiés et sélectionnés à bon escient",
        ],
    ),
    "1.2": (
        "Le candidat exploite les outils qu'il utilise dans le cadre de son travail.",
        [
            "Une à deux applications professionnelles sont utilisées en situation",
            "Un compte utilisateur est créé sur les plateformes ou services numériques utilisés au sein de "
            "l'entreprise",
            "Les profils sont renseignés de manière pertinente : sélection des informations et actualisation",
            "Les abonnements et alertes sont configurés avec des filtres pertinents",
            "Les fonctions simples de logiciels usuels sont maîtrisées",
        ],
    ),
    "2.1": (
        "Le candidat recherche une information à l'aide des outils numériques de son choix.",
        [
            "Le choix des outils est adapté à la recherche d'information et leurs fonctions de base maîtrisées",
            "L'utilisation des outils permet d'obtenir l'information demandée",
        ],
    ),
    "2.2": (
        "Le candidat recherche une information liée à son environnement professionnel.",
        [
            "Les outils de recherche sont sélectionnés en fonction des résultats attendus",
            "Les sources d'information professionnelles choisies sont fiables et répondent aux besoins du domaine "
            "d'activité ou du métier",
            "Les personnes ressources sont sélectionnées au regard de leurs publications et de leurs réseaux "
            "professionnels",
        ],
    ),
    "3.1": (
        "Le candidat partage une information avec sa communauté professionnelle.",
        [
            "Les réseaux professionnels/communautaires sont identifiés",
            "Les membres de la communauté sont alertés de la mise à disposition de nouvelles productions sur "
            "différents espaces (messageries, réseaux sociaux, forums, etc.)",
            "L'information partagée est pertinente au regard des activités de l'entreprise",
            "Le support de communication choisi pour diffuser l'information est adapté au message et à l'audience",
            "La charte graphique et éditoriale de l'entreprise est respectée",
        ],
    ),
    "3.2": (
        "Le candidat contribue à une production commune sur un espace collaboratif et informe les différents "
        "acteurs de l'avancement de la production.",
        [
            "Les outils de travail collaboratifs sont choisis à bon escient",
            "La contribution est repérable",
            "L'information est synthétisée et classée dans l'espace collaboratif dédié",
            "Les acteurs du projet sont informés en temps réel de l'avancement de la production",
        ],
    ),
    "3.3": (
        "Le candidat partage des bonnes pratiques avec sa communauté professionnelle.",
        [
            "Les suggestions sur le mode de travail sont argumentées",
            "Les contributions apportent une valeur ajoutée à la communauté",
        ],
    ),
    "4.1": (
        "Le candidat élabore et applique une procédure qui sécurise son matériel, ses données et celles de son "
        "environnement de travail.",
        [
            "Les procédures de sécurité des matériels et des données sont connues et appliquées selon les règles "
            "en vigueur dans l'entreprise",
            "Les sauvegardes des données sont effectuées régulièrement",
            "Les équipements sont correctement entretenus, protégés et sécurisés",
        ],
    ),
    "4.2": (
        "Le candidat répond à un questionnement sur ses pratiques et sur les principaux risques de malveillance.",
        [
            "Les pratiques à risque et les principales infections, fraudes et attaques sont identifiées",
            "Le service en charge de la sécurité informatique ou les interlocuteurs spécialisés dans l'entreprise "
            "sont identifiés",
            "Les mots de passe créés sont forts",
        ],
    ),
    "4.3": (
        "Le candidat énonce les principes fondamentaux de la communication de son entreprise. Il décrit ses "
        "pratiques en matière de diffusion de l'information à l'externe.",
        [
            "La charte de communication de l'entreprise est connue",
            "La confidentialité des données de l'entreprise est respectée",
        ],
    ),
}


def upgrade():
    with op.batch_alter_table("sous_domaine") as batch:
        batch.add_column(sa.Column("modalites_evaluation", sa.Text()))
        batch.add_column(sa.Column("criteres", sa.Text()))
    bind = op.get_bind()
    ids = dict(
        bind.execute(
            sa.text(
                "SELECT s.code, s.id FROM sous_domaine s JOIN domaine d ON d.id = s.domaine_id "
                "JOIN referentiel r ON r.id = d.referentiel_id WHERE r.certification = 'clea_numerique'"
            )
        ).all()
    )
    for code, (modalites, criteres) in CLEA_NUMERIQUE.items():
        if code in ids:
            bind.execute(
                sa.text("UPDATE sous_domaine SET modalites_evaluation = :m, criteres = :c WHERE id = :id"),
                {"m": modalites, "c": "\n".join(criteres), "id": ids[code]},
            )


def downgrade():
    with op.batch_alter_table("sous_domaine") as batch:
        batch.drop_column("criteres")
        batch.drop_column("modalites_evaluation")
