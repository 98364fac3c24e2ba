"""« Télécharger la matrice » (guide §17): the evaluation matrix of one candidate, as .xlsx — every domain and
sub-domain of the file's référentiel, with room for the results, the date and both signatures. Sub-domains
acquired in an earlier evaluation are already marked."""

import datetime
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from app.formatting import date_fr
from app.services import evaluations

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
DOMAIN_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADERS = ("Code", "Sous-domaine", "Critères d'évaluation", "Acquis", "Non acquis", "Commentaire")
ACQUIS, NON_ACQUIS, COMMENTAIRE = 4, 5, 6  # their columns


def evaluation_du_sous_domaine(sd) -> str:
    """The third column: how the sub-domain is assessed and its criteria, as Certif Pro keeps them."""
    lines = [f"Modalités : {sd.modalites_evaluation}"] if sd.modalites_evaluation else []
    lines += [f"– {critere}" for critere in sd.liste_criteres]
    return "\n".join(lines)


def matrice_xlsx(candidature) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Matrice d'évaluation"
    certification = candidature.certification_label
    sheet["A1"] = f"Matrice d'évaluation {certification}"
    sheet["A1"].font = Font(bold=True, size=14)
    identity = [
        ("Numéro de dossier", candidature.numero_dossier),
        ("Candidat", f"{candidature.civilite} {candidature.nom_naissance.upper()} {candidature.prenom}"),
        ("Nom d'usage", candidature.nom_usage or ""),
        ("Date de naissance", date_fr(candidature.date_naissance)),
        ("Etablissement d'évaluation", candidature.etablissement.nom),
        ("Matrice éditée le", date_fr(datetime.date.today())),
    ]
    row = 3
    for label, value in identity:
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=value)
        row += 1
    row += 1
    for column, title in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=row, column=column, value=title)
        cell.font = Font(bold=True)
        cell.border = BOX
    first_result_row = row + 1
    acquired = evaluations.acquis_anterieurs(candidature.id)
    for domaine in evaluations.referentiel(candidature):
        row += 1
        sheet.cell(row=row, column=1, value=f"Domaine {domaine.code}")
        sheet.cell(row=row, column=2, value=domaine.libelle)
        for column in range(1, len(HEADERS) + 1):
            sheet.cell(row=row, column=column).fill = DOMAIN_FILL
            sheet.cell(row=row, column=column).font = Font(bold=True)
            sheet.cell(row=row, column=column).border = BOX
        for sd in domaine.sous_domaines:
            row += 1
            sheet.cell(row=row, column=1, value=sd.code)
            sheet.cell(row=row, column=2, value=sd.libelle)
            sheet.cell(row=row, column=3, value=evaluation_du_sous_domaine(sd) or None)
            if sd.id in acquired:
                sheet.cell(row=row, column=ACQUIS, value="X")
                sheet.cell(
                    row=row, column=COMMENTAIRE, value=f"Acquis lors de l'évaluation du {date_fr(acquired[sd.id])}"
                )
            for column in range(1, len(HEADERS) + 1):
                sheet.cell(row=row, column=column).border = BOX
                sheet.cell(row=row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
    choice = DataValidation(type="list", formula1='"X"', allow_blank=True)
    choice.error, choice.errorTitle = "Cochez avec un X.", "Valeur refusée"
    sheet.add_data_validation(choice)
    choice.add(f"D{first_result_row}:E{row}")
    row += 2
    for label in ("Date de l'évaluation :", "Nom et signature de l'évaluateur :", "Signature du bénéficiaire :"):
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        row += 3
    for column, width in zip("ABCDEF", (12, 40, 60, 9, 11, 35), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
