"""« Importer des candidats » (issue 17, api.md « Bulk import »): an .xlsx template whose columns carry the form's
labels, and the import of a filled one — every row checked with the form's own rules (`candidatures.clean`), the
national duplicate rule and the duplicates inside the file, a report by line and column; a simulation creates
nothing; by default one invalid row means nothing is created, `partiel` keeps the valid rows."""

import datetime
import io
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.domain import access
from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.models.referentiels import CERTIFICATIONS
from app.services import candidatures, donnees_personnelles

FEUILLE = "Candidats"
LIGNES_MAX = 1000
OUI, NON = "Oui", "Non"
# The form's fields in its order, with its labels (candidature_form.html); « * »: required.
COLONNES: list[tuple[str, str]] = [
    ("certification", "Certification"),
    ("statut_inscription", "Statut à l'inscription"),
    ("branche", "Branche délégataire"),
    ("socle_contextualise", "Socle contextualisé"),
    ("siren_employeur", "Siren de l'employeur"),
    ("type_public", "Type de public"),
    ("niveau_formation", "Niveau de formation"),
    ("financeur_principal", "Financeur principal"),
    ("civilite", "Civilité"),
    ("nom_naissance", "Nom de naissance"),
    ("nom_usage", "Nom d'usage"),
    ("prenom", "Prénom"),
    ("date_naissance", "Date de naissance (jj/mm/aaaa)"),
    ("ne_etranger", "Né à l'étranger"),
    ("pays_naissance", "Pays de naissance"),
    ("ne_outre_mer", "Né en collectivité d'outre-mer"),
    ("ville_naissance", "Ville de naissance"),
    ("code_postal_naissance", "Code postal de naissance"),
    ("origine_demarche", "Origine de la démarche"),
    ("objectifs_professionnels", "Objectifs de projet professionnel"),
    ("objectifs_extra_professionnels", "Objectifs de projets extra-professionnels"),
    ("email", "Email"),
    ("telephone", "Téléphone"),
    ("adresse", "Adresse postale"),
    ("code_postal", "Code postal"),
    ("ville", "Ville"),
    ("certificat_papier", "Certificat au format papier"),
]
LIBELLES = dict(COLONNES)
OBLIGATOIRES = set(candidatures.REQUIRED) - {"etablissement"}
# Cells typed as numbers by a spreadsheet lose their leading zeros: given back by width.
LARGEURS = {"code_postal": 5, "code_postal_naissance": 5, "telephone": 10, "siren_employeur": 9}


def _entete(field_name: str) -> str:
    return LIBELLES[field_name] + (" *" if field_name in OBLIGATOIRES else "")


def _listes() -> dict[str, list[str]]:
    values = {field_name: candidatures.valeurs(liste) for field_name, liste in candidatures.LIST_FIELDS.items()}
    values["certification"] = list(CERTIFICATIONS.values())
    for field_name in candidatures.BOOLEAN_FIELDS:
        values[field_name] = [OUI, NON]
    return values


def modele() -> bytes:
    """The template: one sheet to fill (the lists of values as dropdowns), the personal-data notice on the second."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = FEUILLE
    sheet.append([_entete(f) for f, _label in COLONNES])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    for index, (_field_name, label) in enumerate(COLONNES, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(index)].width = max(14, min(40, len(label) + 4))
    sheet.freeze_panes = "A2"
    lists = workbook.create_sheet("Listes")
    every_list = _listes()
    for index, (field_name, _label) in enumerate(COLONNES, start=1):
        choices = every_list.get(field_name)
        if not choices:
            if field_name in ("date_naissance",):
                for row in range(2, LIGNES_MAX + 2):
                    sheet.cell(row=row, column=index).number_format = "DD/MM/YYYY"
            else:
                for row in range(2, LIGNES_MAX + 2):
                    sheet.cell(row=row, column=index).number_format = "@"  # text: no lost leading zero
            continue
        for row, choice in enumerate(choices, start=1):
            lists.cell(row=row, column=index, value=choice)
        column = get_column_letter(index)
        validation = DataValidation(
            type="list",
            formula1=f"=Listes!${column}$1:${column}${len(choices)}",
            allow_blank=field_name not in OBLIGATOIRES,
            showErrorMessage=True,
            errorTitle="Valeur inconnue",
            error="Choisissez une valeur de la liste.",
        )
        validation.add(f"{column}2:{column}{LIGNES_MAX + 1}")
        sheet.add_data_validation(validation)
    lists.sheet_state = "hidden"
    notice = workbook.create_sheet("Données personnelles")
    notice.column_dimensions["A"].width = 120
    notice["A1"] = "Informations sur les données personnelles des candidats (à leur communiquer)"
    notice["A1"].font = bold
    notice["A2"] = donnees_personnelles.notice()
    notice["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    notice.row_dimensions[2].height = 260
    aide = workbook.create_sheet("Aide")
    aide.column_dimensions["A"].width = 120
    for line in (
        "Une ligne par candidat, à partir de la ligne 2 de la feuille « Candidats » ; les colonnes marquées * sont "
        "obligatoires.",
        "Choisissez les valeurs des listes dans les menus déroulants ; Oui / Non pour les cases à cocher.",
        "Dates au format jj/mm/aaaa. Salarié : branche délégataire et Siren de l'employeur obligatoires.",
        "Né à l'étranger = Oui : pays de naissance obligatoire ; sinon code postal de naissance obligatoire.",
        f"Au plus {LIGNES_MAX} candidats par fichier. Les mêmes règles que le formulaire « Proposer une "
        "candidature » s'appliquent, y compris le refus des doublons.",
    ):
        aide.append([line])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@dataclass
class Rapport:
    simulation: bool
    partiel: bool
    lignes: int = 0
    valides: int = 0
    crees: list = field(default_factory=list)  # (ligne, numero_dossier, id)
    erreurs: list = field(default_factory=list)  # {"ligne", "champ", "colonne", "message"}

    @property
    def message(self) -> str:
        from app.formatting import nombre_fr

        if self.simulation:
            head = f"Simulation : {nombre_fr(self.valides)} ligne(s) valide(s) sur {nombre_fr(self.lignes)}"
            return head + (" ; aucune erreur." if not self.erreurs else f", {len(self.erreurs)} erreur(s).")
        if not self.crees and self.erreurs:
            return (
                f"Aucun candidat n'a été créé : {len(self.erreurs)} erreur(s) dans le fichier. Corrigez-les, ou "
                "choisissez « Importer les lignes valides »."
            )
        return f"{nombre_fr(len(self.crees))} candidat(s) créé(s)" + (
            f" ; {len(self.erreurs)} erreur(s) sur les autres lignes." if self.erreurs else "."
        )

    def as_json(self) -> dict:
        return {
            "simulation": self.simulation,
            "lignes": self.lignes,
            "valides": self.valides,
            "crees": len(self.crees),
            "dossiers": [{"ligne": ligne, "numero_dossier": numero, "id": pk} for ligne, numero, pk in self.crees],
            "erreurs": self.erreurs,
            "message": self.message,
        }


def _texte(field_name: str, value):
    """A cell as the form would have received it."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if field_name in candidatures.BOOLEAN_FIELDS:
        return "oui" if text.casefold() in ("oui", "o", "1", "true", "vrai", "x") else "non"
    if field_name in LARGEURS and text.isdigit() and len(text) < LARGEURS[field_name]:
        text = text.zfill(LARGEURS[field_name])
    return text or None


def _lire(contenu: bytes) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(the rows: line number → values by field, the file's own errors)."""
    try:
        workbook = load_workbook(io.BytesIO(contenu), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error on a file that is not a workbook
        raise ValidationFailed(
            {"file": "Ce fichier n'est pas un classeur .xlsx lisible : partez du modèle à télécharger."}
        ) from None
    sheet = workbook[FEUILLE] if FEUILLE in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    by_label = {}
    for f, label in COLONNES:
        by_label[label.casefold()] = f
        by_label[_entete(f).casefold()] = f
    columns: dict[int, str] = {}
    errors = []
    for index, title in enumerate(header):
        if title in (None, ""):
            continue
        name = by_label.get(str(title).strip().casefold())
        if name is None:
            errors.append({"ligne": 1, "champ": None, "colonne": str(title), "message": "Colonne inconnue du modèle."})
        else:
            columns[index] = name
    missing = [LIBELLES[f] for f in sorted(OBLIGATOIRES, key=list(LIBELLES).index) if f not in columns.values()]
    for label in missing:
        errors.append({"ligne": 1, "champ": None, "colonne": label, "message": "Colonne obligatoire absente."})
    read = []
    for number, row in enumerate(rows, start=2):
        values = {columns[i]: _texte(columns[i], v) for i, v in enumerate(row) if i in columns}
        if not any(v not in (None, "") for v in values.values()):
            continue  # an empty line
        read.append((number, values))
        if len(read) > LIGNES_MAX:
            raise ValidationFailed(
                {"file": f"Le fichier contient plus de {LIGNES_MAX} candidats : découpez-le en plusieurs fichiers."}
            )
    workbook.close()
    return read, errors


def importer(user, contenu: bytes, etablissement, simulation=False, partiel=False) -> Rapport:
    """Check every row, then create the valid ones (all or nothing unless `partiel`); each file is created by the
    form's own service (`candidatures.creer`: its audit line and notices)."""
    if not access.may(user, "evaluations.creer"):
        raise Forbidden("Votre profil ne permet pas de créer une candidature.")
    if etablissement in (None, ""):
        raise ValidationFailed({"etablissement": "Choisissez l'établissement d'évaluation des candidats."})
    rapport = Rapport(simulation=bool(simulation), partiel=bool(partiel))
    lignes, rapport.erreurs = _lire(contenu)
    rapport.lignes = len(lignes)
    if not lignes and not rapport.erreurs:
        raise ValidationFailed({"file": "Le fichier ne contient aucun candidat (à partir de la ligne 2)."})
    vus: dict[tuple, int] = {}
    valides = []
    for number, values in lignes:
        row_errors = []
        try:
            data, _etab = candidatures.clean({**values, "etablissement": etablissement}, user)
        except ValidationFailed as refused:
            for name, messages in refused.errors.items():
                for message in messages:
                    row_errors.append((name, message))
        else:
            existing = candidatures.doublon(data, data["certification"])
            key = (
                candidatures.cle_personne(data["nom_naissance"], data["prenom"], data["date_naissance"]),
                data["certification"],
            )
            if existing is not None:
                row_errors.append(("nom_naissance", candidatures.DOUBLON.format(numero=existing.numero_dossier)))
            elif key in vus:
                row_errors.append(("nom_naissance", f"Ce candidat figure déjà à la ligne {vus[key]} du fichier."))
            else:
                vus[key] = number
        for name, message in row_errors:
            rapport.erreurs.append(
                {
                    "ligne": number,
                    "champ": name,
                    "colonne": LIBELLES.get(name, "Etablissement d'évaluation" if name == "etablissement" else name),
                    "message": message,
                }
            )
        if not row_errors:
            valides.append((number, values))
    rapport.valides = len(valides)
    if rapport.simulation or (rapport.erreurs and not rapport.partiel):
        return rapport
    for number, values in valides:
        try:
            candidature = candidatures.creer(user, {**values, "etablissement": etablissement})
        except DomainError as refused:  # registered meanwhile elsewhere, the establishment just deactivated…
            from app.extensions import db

            db.session.rollback()
            rapport.erreurs.append({"ligne": number, "champ": None, "colonne": None, "message": refused.message})
            continue
        rapport.crees.append((number, candidature.numero_dossier, candidature.id))
    return rapport
