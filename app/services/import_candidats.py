"""« Importer des candidats » (issue 17, api.md « Bulk import »): an .xlsx template whose columns carry the form's
labels, and the import of a filled one — every row checked with the form's own rules (`candidatures.clean`), the
national duplicate rule and the duplicates inside the file, a report by line and column; a simulation creates
nothing; by default one invalid row means nothing is created, `partiel` keeps the valid rows."""

import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import delete, func, select, update

from app.answers import ANSWERED, as_domain_error, ui_message
from app.domain import access
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import ImportCandidats, Utilisateur
from app.models.base import utcnow
from app.models.referentiels import CERTIFICATIONS
from app.services import candidatures, donnees_personnelles

FEUILLE = "Candidats"
LIGNES_MAX = 5000
PAS_PROGRESSION = 25  # rows between two progress writes of a background import

Progress = Callable[[str, int], None]


def _silence(phase: str, done: int) -> None:
    """No one follows a small import's progress."""


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


def _verifier_droit(user, etablissement) -> None:
    if not access.may(user, "evaluations.creer"):
        raise Forbidden("Votre profil ne permet pas de créer une candidature.")
    if etablissement in (None, ""):
        raise ValidationFailed({"etablissement": "Choisissez l'établissement d'évaluation des candidats."})


def importer(
    user, contenu: bytes, etablissement, simulation=False, partiel=False, on_progress: Progress = _silence
) -> Rapport:
    """Check every row, then create the valid ones (all or nothing unless `partiel`); each file is created by the
    form's own service (`candidatures.creer`: its audit line and notices). `on_progress(phase, done)` is told
    every few rows (the background import's progress)."""
    _verifier_droit(user, etablissement)
    rapport = Rapport(simulation=bool(simulation), partiel=bool(partiel))
    lignes, rapport.erreurs = _lire(contenu)
    rapport.lignes = len(lignes)
    if not lignes and not rapport.erreurs:
        raise ValidationFailed({"file": "Le fichier ne contient aucun candidat (à partir de la ligne 2)."})
    vus: dict[tuple, int] = {}
    valides = []
    for done, (number, values) in enumerate(lignes, start=1):
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
        if done % PAS_PROGRESSION == 0:
            on_progress(ImportCandidats.VERIFICATION, done)
    rapport.valides = len(valides)
    if rapport.simulation or (rapport.erreurs and not rapport.partiel):
        return rapport
    for done, (number, values) in enumerate(valides, start=1):
        try:
            candidature = candidatures.creer(user, {**values, "etablissement": etablissement})
        except DomainError as refused:  # registered meanwhile elsewhere, the establishment just deactivated…
            db.session.rollback()
            rapport.erreurs.append({"ligne": number, "champ": None, "colonne": None, "message": refused.message})
        else:
            rapport.crees.append((number, candidature.numero_dossier, candidature.id))
        if done % PAS_PROGRESSION == 0:
            on_progress(ImportCandidats.CREATION, done)
    return rapport


# --- Big files: in the background, with their progress ----------------------------------------------------------
def demander(user, contenu: bytes, nom_fichier: str, etablissement, simulation=False, partiel=False):
    """Import a filled template: at once when it is small (the report), in the background beyond
    IMPORT_DIRECT_LIGNES rows (the job, followed on its page). The file's own faults are answered at once."""
    _verifier_droit(user, etablissement)
    lignes, _errors = _lire(contenu)
    if len(lignes) <= current_app.config["IMPORT_DIRECT_LIGNES"]:
        return importer(user, contenu, etablissement, simulation=simulation, partiel=partiel)
    job = ImportCandidats(
        user_id=user.id,
        etablissement_id=etablissement,
        nom_fichier=(nom_fichier or "import.xlsx")[-200:],
        simulation=bool(simulation),
        partiel=bool(partiel),
        contenu=contenu,
        lignes_total=len(lignes),
        battement_le=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    _mettre_en_file(job.id)
    return job


def _mettre_en_file(job_id: int) -> None:
    from app import tasks

    tasks.enqueue("clea.importer_candidats", job_id)


def _ecrire(job_id: int, *conditions, **values) -> int:
    # Its own short transaction: the page polling the job sees it at once; it is also the worker's heartbeat.
    with db.engine.begin() as conn:
        return conn.execute(
            update(ImportCandidats).where(ImportCandidats.id == job_id, *conditions).values(**values)
        ).rowcount


def executer(job_id: int) -> None:
    """The worker's side: run a waiting import once (even if two workers try), then keep its report and erase
    the file."""
    en_attente = ImportCandidats.statut == ImportCandidats.EN_ATTENTE
    if not _ecrire(job_id, en_attente, statut=ImportCandidats.EN_COURS, battement_le=utcnow()):
        return
    job = db.session.get(ImportCandidats, job_id)
    if job is None:
        return
    contenu, etablissement = job.contenu or b"", job.etablissement_id
    simulation, partiel, user = job.simulation, job.partiel, db.session.get(Utilisateur, job.user_id)
    db.session.expunge(job)  # the rows' own commits and rollbacks must not touch the job

    def progress(phase: str, done: int) -> None:
        _ecrire(job_id, phase=phase, lignes_faites=done, battement_le=utcnow())

    try:
        rapport = importer(user, contenu, etablissement, simulation=simulation, partiel=partiel, on_progress=progress)
    except ANSWERED as refused:  # the right withdrawn meanwhile, an unreadable file…
        db.session.rollback()
        _finir(job_id, ImportCandidats.ECHEC, erreur=ui_message(as_domain_error(refused) or DomainError(INTERROMPU)))
        return
    except Exception:
        db.session.rollback()
        _finir(job_id, ImportCandidats.ECHEC, erreur=INTERROMPU)
        raise
    _finir(job_id, ImportCandidats.TERMINE, rapport=json.dumps(rapport.as_json()))


def _finir(job_id: int, statut: str, **values) -> None:
    _ecrire(job_id, statut=statut, contenu=None, termine_le=utcnow(), **values)


INTERROMPU = (
    "L'import s'est interrompu. Les candidats déjà créés figurent dans la liste des candidatures ; importez de "
    "nouveau le fichier : un candidat déjà inscrit n'est jamais créé une deuxième fois."
)
PERDU_APRES = datetime.timedelta(minutes=5)


def reprendre(limit: int = 50) -> int:
    """The sweep: an import waiting for long is queued again (its message may have been lost while the broker was
    down); one whose worker stopped beating is ended « En échec » — not run again, since all-or-nothing would then
    refuse the rows it already created — with a message saying how to go on."""
    last_sign = func.coalesce(ImportCandidats.battement_le, ImportCandidats.created_at)
    stale = last_sign < utcnow() - PERDU_APRES
    perdus = db.session.execute(
        update(ImportCandidats)
        .where(ImportCandidats.statut == ImportCandidats.EN_COURS, stale)
        .values(statut=ImportCandidats.ECHEC, erreur=INTERROMPU, contenu=None, termine_le=utcnow())
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
    oublies = list(
        db.session.execute(
            select(ImportCandidats.id)
            .where(ImportCandidats.statut == ImportCandidats.EN_ATTENTE, stale)
            .order_by(ImportCandidats.id)
            .limit(limit)
        ).scalars()
    )
    if oublies:
        db.session.execute(update(ImportCandidats).where(ImportCandidats.id.in_(oublies)).values(battement_le=utcnow()))
    db.session.commit()
    for job_id in oublies:
        _mettre_en_file(job_id)
    return perdus + len(oublies)


def purger(jours: int = 7) -> int:
    """Reports are kept a week, like the exports."""
    result = db.session.execute(
        delete(ImportCandidats).where(ImportCandidats.created_at < utcnow() - datetime.timedelta(days=jours))
    )
    db.session.commit()
    return result.rowcount  # type: ignore[attr-defined]  # a CursorResult for a DELETE


def visible(user, job_id) -> ImportCandidats:
    """One's own imports only: any other id answers 404."""
    from app.security import perimeter

    pk = perimeter.parse_pk(job_id)
    job = db.session.get(ImportCandidats, pk) if pk is not None and user is not None else None
    if job is None or job.user_id != user.id:
        raise NotFound()
    return job


def etat(job: ImportCandidats) -> dict:
    """What the API answers about a background import (its report once it is done)."""
    return {
        "id": job.id,
        "statut": job.statut,
        "statut_label": job.statut_label,
        "phase": job.phase,
        "lignes_total": job.lignes_total,
        "lignes_faites": job.lignes_faites,
        "progression": job.progression,
        "simulation": job.simulation,
        "partiel": job.partiel,
        "erreur": job.erreur,
        "rapport": json.loads(job.rapport) if job.rapport else None,
    }


def rapport_de(job: ImportCandidats) -> Rapport | None:
    """The report of a finished import, as the page shows it."""
    if not job.rapport:
        return None
    data = json.loads(job.rapport)
    return Rapport(
        simulation=data["simulation"],
        partiel=job.partiel,
        lignes=data["lignes"],
        valides=data["valides"],
        crees=[(d["ligne"], d["numero_dossier"], d["id"]) for d in data["dossiers"]],
        erreurs=data["erreurs"],
    )
