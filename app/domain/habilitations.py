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
