"""Trainings of a candidate file (domain.md §4.3): any number per file, each with its attestations."""

import datetime
import decimal

from sqlalchemy import delete, func, select

from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.extensions import db
from app.formatting import date_fr
from app.models import Candidature, Document, Domaine, Referentiel
from app.models.formations import Formation
from app.schemas import Input, shape_errors, text_fields
from app.security import perimeter
from app.services import audit, documents, habilitations
from app.services.candidatures import _date, peut_modifier
from app.services.evaluations import FINALISEE, emails_evaluateurs, evaluations_de
from app.services.validation import Errors, email_error

REQUIRED = (
    "date_debut",
    "date_fin",
    "duree_heures",
    "formateur_nom",
    "formateur_prenom",
    "formateur_email",
    "domaines",
)


def domaines_du_referentiel(candidature):
    return (
        db.session.execute(
            select(Domaine)
            .join(Referentiel)
            .where(Referentiel.certification == candidature.certification)
            .order_by(Domaine.ordre)
        )
        .scalars()
        .all()
    )


# The input's shape: the trainer's fields with their columns' lengths (the rules are in `creer`).
FORMATION_INPUT = Input.from_dict(
    text_fields(Formation, ["formateur_nom", "formateur_prenom", "formateur_email"]), name="FormationInput"
)()


def _valeurs(candidature, values: dict, formation=None) -> dict:
    """The training's fields as the form and the API give them, checked (the same rules for a new one and a
    correction); ValidationFailed with every refusal at once."""
    errors = Errors()
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    errors.required(data, *REQUIRED)
    for field, messages in shape_errors(FORMATION_INPUT, data).items():
        for message in messages:
            errors.add(field, message)
    errors.add(
        "formateur_email",
        email_error(data.get("formateur_email")) if isinstance(data.get("formateur_email"), str) else None,
    )
    if (
        isinstance(data.get("formateur_email"), str)
        and not errors.get("formateur_email")
        and data["formateur_email"].lower() in emails_evaluateurs(candidature.id)
    ):
        errors.add(
            "formateur_email",
            "Le formateur d'un candidat ne peut pas être l'un de ses évaluateurs : "
            "cette adresse email est celle d'un évaluateur de ce candidat.",
        )
    debut = _date(data.get("date_debut"), "date_debut", errors)
    fin = _date(data.get("date_fin"), "date_fin", errors)
    if debut and fin and fin < debut:
        errors.add("date_fin", "La date de fin doit être postérieure ou égale à la date de début.")
    if debut and debut > datetime.date.today():
        errors.add("date_debut", "Une formation enregistrée ne peut pas commencer dans le futur.")
    if formation is not None and fin and not errors.get("date_fin"):
        justifiee = evaluation_justifiee(formation)
        if justifiee is not None and fin < justifiee:
            errors.add(
                "date_fin",
                f"Cette formation justifie l'évaluation qui a suivi celle du {date_fr(justifiee)} : elle doit se "
                f"terminer le {date_fr(justifiee)} ou après.",
            )
    duree = data.get("duree_heures")
    if duree not in (None, ""):
        try:
            duree = decimal.Decimal(str(duree).replace(",", "."))
            if isinstance(data.get("duree_heures"), bool) or not (0 < duree <= 2000):
                raise ValueError
        except (ValueError, decimal.InvalidOperation):
            errors.add("duree_heures", "La durée doit être un nombre d'heures entre 0 et 2000.")
    valid = {d.id: d for d in domaines_du_referentiel(candidature)}
    chosen = data.get("domaines") or []
    if not isinstance(chosen, (list, tuple)):
        chosen = [chosen]
    domaines = []
    for raw in chosen:
        try:
            domaines.append(valid[int(raw)])
        except (KeyError, TypeError, ValueError):
            errors.add("domaines", "Domaine inconnu pour le référentiel de ce dossier.")
            break
    if errors:
        raise ValidationFailed(errors)
    return {
        "date_debut": debut,
        "date_fin": fin,
        "duree_heures": duree,
        "formateur_nom": data["formateur_nom"],
        "formateur_prenom": data["formateur_prenom"],
        "formateur_email": data["formateur_email"].lower(),
        "domaines": domaines,
    }


def creer(user, candidature_id, values: dict) -> Formation:
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if not peut_modifier(user, candidature):
        raise Forbidden("Vous ne pouvez pas ajouter de formation à cette candidature.")
    refus = habilitations.refus_du_dossier(candidature)
    if refus:
        raise DomainError(refus)
    data = _valeurs(candidature, values)
    audit.label("Ajout d'une formation")
    formation = Formation(candidature_id=candidature.id, cree_par_id=user.id, **data)
    db.session.add(formation)
    db.session.commit()
    return formation


# --- Corrections and deletions, while the file may be edited ----------------------------------------------------
def _attestee(formation_id: int) -> bool:
    return (
        db.session.execute(
            select(Document.id).where(Document.objet == "formation", Document.objet_id == formation_id)
        ).first()
        is not None
    )


def evaluation_justifiee(formation) -> datetime.date | None:
    """The date of the finalised evaluation after which this training is the only proof (a training with an
    attestation ending on or after it) of the evaluation added next; None when nothing rests on it."""
    evaluations = evaluations_de(formation.candidature_id)
    others = [
        f
        for f in db.session.execute(
            select(Formation).where(Formation.candidature_id == formation.candidature_id, Formation.id != formation.id)
        ).scalars()
        if _attestee(f.id)
    ]
    for index, previous in enumerate(evaluations):
        if previous.etat != FINALISEE or previous.date_evaluation is None or index == len(evaluations) - 1:
            continue  # no evaluation was added after it
        depuis = previous.date_evaluation
        if any(f.date_fin >= depuis for f in others):
            continue  # another attested training proves it
        if formation.date_fin >= depuis and _attestee(formation.id):
            return depuis
    return None


def visible(user, formation_id) -> Formation:
    return perimeter.get_visible(Formation, formation_id, user)


def _modifiable(user, formation_id) -> Formation:
    formation = visible(user, formation_id)
    if not peut_modifier(user, formation.candidature):
        raise Forbidden("Ce dossier ne peut plus être modifié : ses formations non plus.")
    return formation


def modifier(user, formation_id, values: dict) -> Formation:
    """« Corriger » a training: the same rules as its creation; a training that proves an evaluation keeps an end
    on or after the evaluation before it. The fields not given keep their value (the API's partial PUT)."""
    formation = _modifiable(user, formation_id)
    current = {
        "date_debut": formation.date_debut.isoformat(),
        "date_fin": formation.date_fin.isoformat(),
        "duree_heures": str(formation.duree_heures),
        "formateur_nom": formation.formateur_nom,
        "formateur_prenom": formation.formateur_prenom,
        "formateur_email": formation.formateur_email,
        "domaines": [d.id for d in formation.domaines],
    }
    data = _valeurs(formation.candidature, {**current, **values}, formation)
    audit.label(f"Correction de la formation du {date_fr(formation.date_debut)}")
    for key, value in data.items():
        setattr(formation, key, value)
    db.session.commit()
    return formation


def supprimer(user, formation_id) -> None:
    """« Supprimer » a training and its attestations, unless it is the proof of an evaluation added after it."""
    formation = _modifiable(user, formation_id)
    justifiee = evaluation_justifiee(formation)
    if justifiee is not None:
        raise DomainError(
            f"Cette formation justifie l'évaluation qui a suivi celle du {date_fr(justifiee)} : elle ne peut pas "
            "être supprimée (corrigez-la si besoin)."
        )
    audit.label(f"Suppression de la formation du {date_fr(formation.date_debut)} au {date_fr(formation.date_fin)}")
    db.session.execute(delete(Document).where(Document.objet == "formation", Document.objet_id == formation.id))
    db.session.delete(formation)
    db.session.commit()


def formations_de(candidature_id):
    return (
        db.session.execute(
            select(Formation).where(Formation.candidature_id == candidature_id).order_by(Formation.date_debut.desc())
        )
        .scalars()
        .all()
    )


@documents.upload_policy("formation")
def _documents_de_formation(user, candidature, objet_id, ajout: bool) -> None:
    """A training's attestations follow « Editer la fiche »."""
    if not peut_modifier(user, candidature):
        raise Forbidden(documents.refus(ajout))
    formation = db.session.get(Formation, objet_id) if isinstance(objet_id, int) else None
    if formation is None or formation.candidature_id != candidature.id:
        raise ValidationFailed({"formation": "Cette formation n'appartient pas à ce dossier."})
    if not ajout:
        attestations = db.session.execute(
            select(func.count(Document.id)).where(Document.objet == "formation", Document.objet_id == formation.id)
        ).scalar()
        justifiee = evaluation_justifiee(formation) if attestations == 1 else None  # its last attestation
        if justifiee is not None:
            raise DomainError(
                f"Cette attestation prouve la formation suivie après l'évaluation du {date_fr(justifiee)} : "
                "elle ne peut pas être supprimée (joignez d'abord l'attestation qui la remplace)."
            )
