"""Trainings of a candidate file (domain.md §4.3): any number per file, each with its attestations."""

import datetime
import decimal

from sqlalchemy import select

from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.extensions import db
from app.models import Candidature, Domaine, Referentiel
from app.models.formations import Formation
from app.schemas import Input, shape_errors, text_fields
from app.security import perimeter
from app.services import audit, documents, habilitations
from app.services.candidatures import _date, peut_modifier
from app.services.evaluations import emails_evaluateurs
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


def creer(user, candidature_id, values: dict) -> Formation:
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if not peut_modifier(user, candidature):
        raise Forbidden("Vous ne pouvez pas ajouter de formation à cette candidature.")
    refus = habilitations.refus_exercice(
        candidature.etablissement,
        candidature.certification,
        candidature.branche if candidature.socle_contextualise else None,
        inscrits=True,
    )
    if refus:
        raise DomainError(refus)
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
    audit.label("Ajout d'une formation")
    formation = Formation(
        candidature_id=candidature.id,
        date_debut=debut,
        date_fin=fin,
        duree_heures=duree,
        formateur_nom=data["formateur_nom"],
        formateur_prenom=data["formateur_prenom"],
        formateur_email=data["formateur_email"].lower(),
        cree_par_id=user.id,
    )
    formation.domaines = domaines
    db.session.add(formation)
    db.session.commit()
    return formation


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
