"""The quarterly fee statement as .xlsx: a sheet « Relevé » (one row per organisation and a total) and a sheet
« Détail » (every line), written by app/exports/xlsx.py as the detail lines are read."""

from flask import Response
from openpyxl.utils import get_column_letter

from app.exports import xlsx

RELEVE_COLONNES = [
    ("Organisme", 45),
    ("SIREN", 12),
    ("Demandes d'habilitation (nombre)", 16),
    ("Demandes d'habilitation (montant HT)", 18),
    ("Sites habilités (nombre)", 14),
    ("Sites habilités (montant HT)", 16),
    ("Certificats délivrés (nombre)", 16),
    ("Certificats délivrés (montant HT)", 18),
    ("Total HT", 16),
]
DETAIL_COLONNES = [
    ("Organisme", 45),
    ("SIREN", 12),
    ("Type", 32),
    ("Date", 12),
    ("Référence", 50),
    ("Certification", 16),
    ("Montant HT", 14),
]


def _sheet(title, colonnes, rows, bold_last=False) -> xlsx.Sheet:
    return xlsx.Sheet(
        title,
        [name for name, _ in colonnes],
        rows,
        bold_last=bold_last,
        widths={get_column_letter(i + 1): width for i, (_, width) in enumerate(colonnes)},
    )


def _compte_row(c, nom=None):
    return [
        nom or c.nom,
        c.siren,
        c.demandes,
        c.montant_demandes,
        c.sites,
        c.montant_sites,
        c.certificats,
        c.montant_certificats,
        c.total,
    ]


def feuilles(releve, lignes) -> list[xlsx.Sheet]:
    """`releve`: app.services.redevances.Releve; `lignes`: its detail lines (an iterator)."""
    rows = [_compte_row(c) for c in releve.organismes] + [_compte_row(releve.total, "Total")]
    return [
        _sheet("Relevé", RELEVE_COLONNES, rows, bold_last=True),
        _sheet(
            "Détail",
            DETAIL_COLONNES,
            (
                [x.organisme, x.siren, x.type_label, x.date, x.reference, x.certification_label, x.montant]
                for x in lignes
            ),
        ),
    ]


def telechargement(filename: str, releve, lignes) -> Response:
    return xlsx.download_sheets(filename, feuilles(releve, lignes))


def nom_fichier(releve, siren: str | None = None) -> str:
    suffixe = f"-{siren}" if siren else ""
    return f"redevances-{releve.annee}-T{releve.trimestre}{suffixe}.xlsx"
