"""The quarterly fee statement as .xlsx: a sheet « Relevé » (one row per organisation and a total) and a sheet
« Détail » (every line). openpyxl write-only: the detail lines are written as they are read."""
import datetime
import tempfile
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.exports.xlsx import send_file

EUROS = '#,##0.00 "€"'
DATE = "DD/MM/YYYY"

RELEVE_COLONNES = [("Organisme", 45), ("SIREN", 12), ("Demandes d'habilitation (nombre)", 16),
                   ("Demandes d'habilitation (montant HT)", 18), ("Sites habilités (nombre)", 14),
                   ("Sites habilités (montant HT)", 16), ("Certificats délivrés (nombre)", 16),
                   ("Certificats délivrés (montant HT)", 18), ("Total HT", 16)]
DETAIL_COLONNES = [("Organisme", 45), ("SIREN", 12), ("Type", 32), ("Date", 12), ("Référence", 50),
                   ("Certification", 16), ("Montant HT", 14)]


def _cell(sheet, value, bold=False):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal):
        cell.number_format = EUROS
    elif isinstance(value, datetime.date):
        cell.number_format = DATE
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet(workbook, title, colonnes, rows, bold_last=False):
    sheet = workbook.create_sheet(title=title)
    for index, (_, width) in enumerate(colonnes):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.append([_cell(sheet, name, bold=True) for name, _ in colonnes])
    previous = None
    for row in rows:
        if previous is not None:
            sheet.append([_cell(sheet, v) for v in previous])
        previous = row
    if previous is not None:
        sheet.append([_cell(sheet, v, bold=bold_last) for v in previous])


def _compte_row(c, nom=None):
    return [nom or c.nom, c.siren, c.demandes, c.montant_demandes, c.sites, c.montant_sites, c.certificats,
            c.montant_certificats, c.total]


def classeur(releve, lignes) -> tempfile.SpooledTemporaryFile:
    """`releve`: app.services.redevances.Releve; `lignes`: its detail lines (an iterator)."""
    workbook = Workbook(write_only=True)
    rows = [_compte_row(c) for c in releve.organismes] + [_compte_row(releve.total, "Total")]
    _sheet(workbook, "Relevé", RELEVE_COLONNES, rows, bold_last=True)
    _sheet(workbook, "Détail", DETAIL_COLONNES,
           ([l.organisme, l.siren, l.type_label, l.date, l.reference, l.certification_label, l.montant]
            for l in lignes))
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    return output


def telechargement(filename: str, releve, lignes) -> Response:
    return send_file(classeur(releve, lignes), filename)


def nom_fichier(releve, siren: str | None = None) -> str:
    suffixe = f"-{siren}" if siren else ""
    return f"redevances-{releve.annee}-T{releve.trimestre}{suffixe}.xlsx"
