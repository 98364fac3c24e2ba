"""An establishment's CPF offers as .xlsx: a sheet « Offres » (one row per offer, EDOF's fields) and a sheet
« Sessions » (one row per session, with its offer's internal id)."""

from flask import Response

from app.domain import offres_cpf as domaine
from app.exports import xlsx

OFFRES_COLONNES = [
    "Numéro interne de l'action",
    "Certification",
    "Code RS",
    "Code FORMACODE",
    "Code NSF",
    "Intitulé de la formation",
    "Les points forts de la formation",
    "Objectifs de la formation",
    "Résultats attendus de la formation",
    "Contenu de la formation",
    "Type de parcours de formation",
    "Etablissement",
    "SIRET",
    "Nombre de sessions",
]
SESSIONS_COLONNES = ["Numéro interne de l'action", "Date de début", "Date de fin", "Adresse", "Code postal", "Ville"]


def feuilles(offres) -> list[xlsx.Sheet]:
    return [
        xlsx.Sheet(
            "Offres",
            OFFRES_COLONNES,
            [
                [
                    o.numero_interne,
                    o.certification_label,
                    o.code_rs,
                    domaine.FORMACODE,
                    domaine.NSF,
                    o.intitule_formation,
                    o.points_forts,
                    o.objectif_formation,
                    o.resultats_attendus,
                    o.contenu_formation,
                    o.parcours_label,
                    o.etablissement.nom,
                    o.etablissement.siret,
                    len(o.sessions),
                ]
                for o in offres
            ],
            widths={"A": 22, "B": 16, "F": 40, "G": 40, "H": 50, "I": 50, "J": 50, "K": 22, "L": 30, "M": 16},
        ),
        xlsx.Sheet(
            "Sessions",
            SESSIONS_COLONNES,
            [[o.numero_interne, s.debut, s.fin, s.adresse, s.code_postal, s.ville] for o in offres for s in o.sessions],
            widths={"A": 22, "B": 14, "C": 14, "D": 40, "E": 12, "F": 30},
        ),
    ]


def telechargement(etab, offres) -> Response:
    return xlsx.download_sheets(f"offre-cpf-{etab.siret}.xlsx", feuilles(offres))
