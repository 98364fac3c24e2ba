"""Habilitation rules (domain.md §2, règlement seed 001 §III): 3 years, renewable once."""

import datetime

from app.domain import access
from app.domain.calendrier import meme_jour
from app.domain.machine import Event, Machine, Notice, register

DUREE_ANS = 3
RENOUVELLEMENTS_MAX = 1


def date_fin(date_debut: datetime.date) -> datetime.date:
    """Start + 3 years (29 February → 28 February)."""
    return meme_jour(date_debut, date_debut.year + DUREE_ANS)


def couvre(date_debut, date_fin_, jour: datetime.date) -> bool:
    return date_debut is not None and date_fin_ is not None and date_debut <= jour <= date_fin_


def dans_trois_mois(jour: datetime.date) -> datetime.date:
    """A renunciation takes effect 3 months after Certif Pro receives it (the same day, or the month's last)."""
    month = jour.month + 3
    year = jour.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (jour.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise ValueError(jour)


# --- The life of an accorded habilitation (habilitation.md §4): its own machine on `statut_habilitation` --------
ACTIVE, SUSPENDUE, RETIREE, RENONCEE, EXPIREE = "active", "suspendue", "retiree", "renoncee", "expiree"
STATUTS = {
    ACTIVE: "Active",
    SUSPENDUE: "Suspendue",
    RETIREE: "Retirée",
    RENONCEE: "Renoncée",
    EXPIREE: "Expirée",
}
RUBRIQUE = "Dossier d'habilitation"


def _all(title: str, text: str) -> tuple[Notice, ...]:
    return (Notice("organisation_tous", RUBRIQUE, title, text),)


HABILITATION = register(
    Machine(
        name="habilitation",
        noun="une habilitation",
        labels=STATUTS,
        initial=ACTIVE,
        attribute="statut_habilitation",
        groups={"en_vigueur": frozenset({ACTIVE, SUSPENDUE}), "active": frozenset({ACTIVE})},
        events={
            "suspendre": Event(
                frozenset({ACTIVE}),
                "suspendre_habilitation",
                "Suspendre l'habilitation",
                target=SUSPENDUE,
                audit="Suspension de l'habilitation : {motif}",
                decision=True,
                notices=_all(
                    "Suspension de l'habilitation",
                    "L'habilitation {certification} de {etablissements} est suspendue à compter du {jour}. "
                    "Motif : {motif}",
                ),
                success="L'habilitation est suspendue : l'organisme en est notifié.",
            ),
            "lever_suspension": Event(
                frozenset({SUSPENDUE}),
                "suspendre_habilitation",
                "Lever la suspension",
                target=ACTIVE,
                audit="Levée de la suspension de l'habilitation",
                decision=True,
                notices=_all(
                    "Levée de la suspension de l'habilitation",
                    "La suspension de l'habilitation {certification} de {etablissements} est levée le {jour}.",
                ),
                success="La suspension est levée.",
            ),
            "retirer": Event(
                frozenset({ACTIVE, SUSPENDUE}),
                "suspendre_habilitation",
                "Retirer l'habilitation",
                target=RETIREE,
                audit="Retrait de l'habilitation : {motif}",
                decision=True,
                notices=_all(
                    "Retrait de l'habilitation",
                    "L'habilitation {certification} de {etablissements} est retirée à compter du {jour}. "
                    "Motif : {motif}",
                ),
                success="L'habilitation est retirée : l'organisme en est notifié.",
            ),
            "renoncer": Event(
                frozenset({ACTIVE, SUSPENDUE}),
                "deposer_dossier_habilitation",
                "Renoncer à l'habilitation",
                audit="Renonciation à l'habilitation, effective le {effet} : {motif}",
                notices=(
                    Notice(
                        "instance",
                        RUBRIQUE,
                        "Renonciation à une habilitation",
                        "{organisme} renonce à son habilitation {certification} ({etablissements}) : effet le "
                        "{effet}. Motif : {motif}",
                    ),
                ),
                success="Votre renonciation est enregistrée : elle prend effet dans 3 mois.",
            ),
            # The daily job: the end of the period (no renewal), and a renunciation reaching its effective date.
            "expirer": Event(frozenset({ACTIVE, SUSPENDUE}), access.SYSTEM, "Expiration", target=EXPIREE),
            "clore_renonciation": Event(frozenset({ACTIVE, SUSPENDUE}), access.SYSTEM, "Renonciation", target=RENONCEE),
        },
    )
)


# --- Changes of situation (seed 001 §III.6): declared within 30 days; a maintien temporaire of 6 months ----------
DELAI_DECLARATION_JOURS = 30
NATURES_CHANGEMENT = {
    "ouverture_etablissement": "Ouverture d'un établissement (même SIREN)",
    "fermeture_etablissement": "Fermeture d'un établissement",
    "denomination": "Changement de dénomination",
    "statut_juridique": "Changement de statut juridique",
    "dirigeants": "Changement de dirigeants",
    "adresse_siege": "Changement d'adresse du siège social",
    "fusion": "Fusion",
    "scission": "Scission",
    "cession": "Cession d'activité",
    "cessation": "Cessation d'activité",
    "liquidation": "Liquidation judiciaire",
    "redressement": "Redressement judiciaire",
    "sauvegarde": "Procédure de sauvegarde",
    "numero_declaration": "Changement de numéro de déclaration d'activité",
    "perte_label": "Perte d'un label ou d'une certification qualité",
}
DECLARE, PRIS_EN_COMPTE, MAINTIEN_TEMPORAIRE, CLOS = "declare", "pris_en_compte", "maintien_temporaire", "clos"

CHANGEMENT = register(
    Machine(
        name="changement_situation",
        noun="un changement de situation",
        labels={
            DECLARE: "Déclaré",
            PRIS_EN_COMPTE: "Pris en compte",
            MAINTIEN_TEMPORAIRE: "Maintien temporaire de l'habilitation",
            CLOS: "Clos",
        },
        initial=DECLARE,
        attribute="etat",
        events={
            "prendre_acte": Event(
                frozenset({DECLARE}),
                "traiter_changement",
                "Prendre acte",
                target=PRIS_EN_COMPTE,
                audit="Changement de situation pris en compte : {nature}",
                notices=(
                    Notice(
                        "organisation",
                        RUBRIQUE,
                        "Changement de situation pris en compte",
                        "Certif Pro a pris en compte le changement déclaré par {organisme} : {nature}. {suite}",
                    ),
                ),
                success="Le changement est pris en compte.",
            ),
            "maintenir": Event(
                frozenset({DECLARE}),
                "traiter_changement",
                "Maintenir temporairement l'habilitation",
                target=MAINTIEN_TEMPORAIRE,
                audit="Maintien temporaire de l'habilitation jusqu'à la décision sur un nouveau dossier ({nature})",
                notices=(
                    Notice(
                        "organisation",
                        RUBRIQUE,
                        "Maintien temporaire de l'habilitation",
                        "Après le changement déclaré ({nature}), l'habilitation de {organisme} est maintenue "
                        "temporairement : un nouveau dossier d'habilitation doit être déposé avant le {limite} ; "
                        "le maintien court jusqu'à la décision de l'instance sur ce dossier.",
                    ),
                ),
                success="L'habilitation est maintenue temporairement : l'organisme en est notifié.",
            ),
            "clore": Event(
                frozenset({MAINTIEN_TEMPORAIRE}),
                "traiter_changement",
                "Clore le maintien temporaire",
                target=CLOS,
                audit="Maintien temporaire clos",
                success="Le maintien temporaire est clos.",
            ),
        },
    )
)


# --- Audits (habilitation.md §4): contradictory, sur pièces or sur place; three opinions ---------------------------
TYPES_AUDIT = {"pieces": "Sur pièces", "sur_place": "Sur place"}
AVIS_AUDIT = {
    "favorable_sans_reserve": "Favorable sans réserve",
    "favorable_avec_reserves": "Favorable avec réserves",
    "defavorable": "Défavorable",
}
DELAI_OBSERVATIONS = 15  # jours ouvrés for the audited body's written observations
DELAI_JUSTIFICATION = 30  # jours ouvrés to answer a mise en demeure
DELAI_DECISION_CONFORMITE = 30  # jours ouvrés for the instance to decide once justified
RECIDIVE_JOURS = 365  # a new failing within 12 months after a compliance procedure → withdrawal

AUDIT = register(
    Machine(
        name="audit_habilitation",
        noun="un audit",
        labels={
            "planifie": "Planifié",
            "rapport_rendu": "Rapport rendu",
            "observations_recues": "Observations reçues",
            "clos_maintien": "Clos : habilitation maintenue",
            "clos_conformite": "Clos : mise en conformité",
        },
        initial="planifie",
        attribute="etat",
        events={
            "rapport": Event(
                frozenset({"planifie"}),
                "auditer_habilitation",
                "Rendre le rapport d'audit",
                target="rapport_rendu",
                audit="Rapport d'audit : avis {avis_label}",
                notices=(
                    Notice(
                        "organisation",
                        RUBRIQUE,
                        "Rapport d'audit",
                        "Le rapport de l'audit de l'habilitation {certification} de {organisme} est rendu (avis "
                        "{avis_label}). Vos observations écrites sont attendues avant le {limite}.",
                    ),
                ),
                success="Le rapport est rendu : l'organisme dispose de 15 jours ouvrés pour ses observations.",
            ),
            "observations": Event(
                frozenset({"rapport_rendu"}),
                "deposer_dossier_habilitation",
                "Envoyer nos observations",
                target="observations_recues",
                audit="Observations de l'organisme audité",
                notices=(
                    Notice(
                        "instance",
                        RUBRIQUE,
                        "Observations sur un rapport d'audit",
                        "{organisme} a envoyé ses observations sur le rapport d'audit.",
                    ),
                ),
                success="Vos observations sont envoyées à l'instance.",
            ),
            "decider": Event(
                frozenset({"rapport_rendu", "observations_recues"}),
                "auditer_habilitation",
                "Décider à la suite de l'audit",
                rule=lambda audit, context: (
                    "clos_conformite" if context.get("decision") == "mise_en_conformite" else "clos_maintien"
                ),
                audit="Décision à la suite de l'audit : {decision_label}",
                decision=True,
                notices=(
                    Notice(
                        "organisation",
                        RUBRIQUE,
                        "Décision à la suite de l'audit",
                        "Décision de l'instance à la suite de l'audit de {organisme} : {decision_label}.",
                    ),
                ),
                success="La décision est notifiée à l'organisme.",
            ),
        },
    )
)

CONFORMITE = register(
    Machine(
        name="mise_en_conformite",
        noun="une mise en conformité",
        labels={
            "mise_en_demeure": "Mise en demeure",
            "justifiee": "Justification reçue",
            "retrait": "Retrait de l'habilitation",
            "maintien": "Habilitation maintenue",
            "periode_complementaire": "Période complémentaire accordée",
        },
        initial="mise_en_demeure",
        attribute="etat",
        groups={"en_cours": frozenset({"mise_en_demeure", "justifiee"})},
        events={
            "justifier": Event(
                frozenset({"mise_en_demeure"}),
                "deposer_dossier_habilitation",
                "Envoyer la justification",
                target="justifiee",
                audit="Justification de la mise en conformité",
                notices=(
                    Notice(
                        "instance",
                        RUBRIQUE,
                        "Justification d'une mise en conformité",
                        "{organisme} a répondu à la mise en demeure : la décision est attendue avant le {limite}.",
                    ),
                ),
                success="Votre justification est envoyée : l'instance décide dans les 30 jours ouvrés.",
            ),
            "decider": Event(
                frozenset({"justifiee"}),
                "auditer_habilitation",
                "Décider de la mise en conformité",
                rule=lambda conformite, context: context["decision"],
                audit="Décision sur la mise en conformité : {decision_label}",
                decision=True,
                notices=(
                    Notice(
                        "organisation",
                        RUBRIQUE,
                        "Décision sur la mise en conformité",
                        "Décision de l'instance sur la mise en conformité de {organisme} : {decision_label}.",
                    ),
                ),
                success="La décision est notifiée à l'organisme.",
            ),
            # The daily job's automatic outcomes (habilitation.md §4).
            "retrait_automatique": Event(
                frozenset({"mise_en_demeure"}), access.SYSTEM, "Retrait faute de justification", target="retrait"
            ),
            "maintien_automatique": Event(
                frozenset({"justifiee"}), access.SYSTEM, "Mesures réputées suffisantes", target="maintien"
            ),
        },
    )
)
