"""Evaluations of a candidate file (guide §17–18, domain.md §4.2).

One draft at a time per file (« Enregistrer et reprendre plus tard »), finalised when every sub-domain is
answered and the completed matrix is attached. Sub-domains acquired in an earlier finalised evaluation stay
acquired: a final evaluation covers only what was missing. Finalising and reopening move the file through the
status machine (app/domain/statuts.py), in one transaction with their audit line.
"""

import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.domain import access
from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.domain.statuts import CANDIDATURE
from app.extensions import db
from app.formatting import date_fr
from app.models import Document, Domaine, Referentiel, SousDomaine
from app.models.evaluations import EN_COURS, FINALISEE, NON_VALIDE, VALIDE, Evaluation, ResultatEvaluation
from app.models.formations import Formation
from app.schemas import DayText, Input, Text, shape_errors, text_fields
from app.security import perimeter
from app.services import audit, documents, habilitations, workflow
from app.services.candidatures import _date, peut_modifier, valeurs
from app.services.ecritures import verifier_version
from app.services.transitions import check, locked, transition
from app.services.validation import Errors, blank, email_error

FIELDS = ("evaluateur_nom", "evaluateur_prenom", "evaluateur_email", "date_evaluation", "conclusion", "commentaire")
# A draft needs its evaluator; its date may wait until it is finalised (issue 17).
REQUIRED = ("evaluateur_nom", "evaluateur_prenom", "evaluateur_email")
DATE_POUR_FINALISER = "La date d'évaluation est obligatoire pour finaliser l'évaluation."
FORMATION_ENTRE_EVALUATIONS = (
    "Vous devez fournir une formation ainsi qu'une attestation de formation dans "
    'l\'onglet "Formations CléA" entre chaque évaluation'
)
EVALUATEUR_FORMATEUR = (
    "L'évaluateur d'un candidat ne peut pas être l'un de ses formateurs : "
    "cette adresse email est celle d'un formateur de ce candidat."
)
COMMENTAIRE_MAX = 2000
DEJA_EN_COURS = "Une évaluation est déjà en cours de création : continuez-la."


# --- Reading ---------------------------------------------------------------------------------------------------


def referentiel(candidature) -> list[Domaine]:
    """Domains of the file's référentiel, each with its sub-domains loaded, in the référentiel's order."""
    return list(
        db.session.execute(
            select(Domaine)
            .join(Referentiel)
            .where(Referentiel.certification == candidature.certification)
            .options(selectinload(Domaine.sous_domaines))
            .order_by(Domaine.ordre)
        ).scalars()
    )


def sous_domaines(candidature) -> list[SousDomaine]:
    return [sd for domaine in referentiel(candidature) for sd in domaine.sous_domaines]


def evaluations_de(candidature_id) -> list[Evaluation]:
    return list(
        db.session.execute(
            select(Evaluation).where(Evaluation.candidature_id == candidature_id).order_by(Evaluation.id)
        ).scalars()
    )


def finalisees(candidature_id, sauf=None) -> list[Evaluation]:
    return [e for e in evaluations_de(candidature_id) if e.etat == FINALISEE and e.id != sauf]


def date_de(evaluation: Evaluation) -> datetime.date:
    """The date of a finalised evaluation (finalising asks for it: only a draft may lack one)."""
    if evaluation.date_evaluation is None:
        raise DomainError(DATE_POUR_FINALISER)
    return evaluation.date_evaluation


def acquis_anterieurs(candidature_id, sauf=None) -> dict[int, datetime.date]:
    """sub-domain id → date of the finalised evaluation (other than `sauf`) that acquired it."""
    acquired: dict[int, datetime.date] = {}
    for evaluation in finalisees(candidature_id, sauf):
        for resultat in evaluation.resultats:
            if resultat.acquis and not resultat.acquis_anterieurement:
                acquired.setdefault(resultat.sous_domaine_id, date_de(evaluation))
    return acquired


def en_cours(candidature_id):
    return next((e for e in evaluations_de(candidature_id) if e.etat == EN_COURS), None)


def resultats_par_code(evaluation) -> list[dict]:
    """The API's view: one entry per sub-domain of the référentiel, in its order."""
    by_id = {r.sous_domaine_id: r for r in evaluation.resultats}
    return [
        {
            "sous_domaine": sd.code,
            "acquis": by_id[sd.id].acquis if sd.id in by_id else None,
            "commentaire": (by_id[sd.id].commentaire or "") if sd.id in by_id else "",
            "acquis_anterieurement": bool(by_id.get(sd.id) and by_id[sd.id].acquis_anterieurement),
        }
        for sd in sous_domaines(evaluation.candidature)
    ]


def documents_de(evaluation) -> list[Document]:
    return documents.documents_de(evaluation.candidature_id, "evaluation", evaluation.id)


# --- Rights ----------------------------------------------------------------------------------------------------


def peut_saisir(user, candidature) -> bool:
    """Write an evaluation of this file: whoever may edit the file and, once it is at the certifier, the
    profiles allowed to correct its evaluations there (Administrateur réseau)."""
    if peut_modifier(user, candidature):
        return True
    return access.may(user, "evaluations.modifier") and access.may(user, "rouvrir_evaluation_apres_envoi")


def refus_ajout(user, candidature) -> str | None:
    """Why « Ajouter une évaluation » is not possible now (None when it is)."""
    if not peut_saisir(user, candidature):
        return "Votre profil ne permet pas d'évaluer ce candidat."
    if not CANDIDATURE.in_group("evaluation_en_cours", candidature.statut):
        return (
            f"Une évaluation ne peut être ajoutée qu'à un dossier en attente d'évaluation ; ce dossier est au "
            f"statut « {candidature.statut_label} »."
        )
    if not candidature.actif:
        return "Cette candidature est désactivée : réactivez-la pour évaluer le candidat."
    refus = habilitations.refus_du_dossier(candidature)
    if refus:
        return refus
    if en_cours(candidature.id):
        return DEJA_EN_COURS
    previous = finalisees(candidature.id)
    if previous and not formation_attestee_depuis(candidature.id, date_de(previous[-1])):
        return f"{FORMATION_ENTRE_EVALUATIONS} : {condition_manquante(candidature.id, date_de(previous[-1]))}"
    return None


def condition_manquante(candidature_id, depuis: datetime.date) -> str:
    """Which condition of « a training with its attestation between two evaluations » is missing."""
    trainings = list(
        db.session.execute(
            select(Formation).where(Formation.candidature_id == candidature_id).order_by(Formation.date_fin.desc())
        ).scalars()
    )
    if not trainings:
        return f"aucune formation n'est enregistrée depuis l'évaluation du {date_fr(depuis)}."
    recent = [f for f in trainings if f.date_fin >= depuis]
    if not recent:
        last = trainings[0]
        return (
            f"la dernière formation (du {date_fr(last.date_debut)} au {date_fr(last.date_fin)}) se termine avant "
            f"l'évaluation du {date_fr(depuis)} ; enregistrez la formation suivie depuis."
        )
    last = recent[0]
    return (
        f"la formation du {date_fr(last.date_debut)} au {date_fr(last.date_fin)} n'a pas d'attestation : joignez-la "
        "à cette formation."
    )


def formation_attestee_depuis(candidature_id, depuis: datetime.date) -> bool:
    """A training that ended on or after `depuis` and has at least one attestation."""
    return (
        db.session.execute(
            select(Formation.id).where(
                Formation.candidature_id == candidature_id,
                Formation.date_fin >= depuis,
                select(Document.id).where(Document.objet == "formation", Document.objet_id == Formation.id).exists(),
            )
        ).first()
        is not None
    )


def emails_formateurs(candidature_id) -> set[str]:
    return {
        e.lower()
        for e in db.session.execute(
            select(Formation.formateur_email).where(Formation.candidature_id == candidature_id)
        ).scalars()
    }


def emails_evaluateurs(candidature_id) -> set[str]:
    return {
        e.lower()
        for e in db.session.execute(
            select(Evaluation.evaluateur_email).where(Evaluation.candidature_id == candidature_id)
        ).scalars()
    }


def refus_reouverture(user, evaluation) -> str | None:
    candidature = evaluation.candidature
    if evaluation.etat != FINALISEE:
        return "Cette évaluation est déjà en cours de modification."
    later = [e for e in evaluations_de(candidature.id) if e.id > evaluation.id]
    if later:
        return "Seule la dernière évaluation du dossier peut être modifiée."
    event = (
        "rouvrir_evaluation_apres_envoi"
        if CANDIDATURE.in_group("chez_certificateur", candidature.statut)
        else "rouvrir_evaluation"
    )
    if CANDIDATURE.in_group("termines", candidature.statut):
        return "Le jury a rendu sa décision sur ce dossier : ses évaluations ne peuvent plus être modifiées."
    if CANDIDATURE.in_group("abandonnee", candidature.statut):
        return "Cette candidature est abandonnée : réintégrez-la avant de modifier une évaluation."
    if not CANDIDATURE.may(event, user):
        if event == "rouvrir_evaluation_apres_envoi":
            return (
                "Ce dossier a été envoyé en certification : seuls l'administrateur réseau et Certif Pro peuvent "
                "modifier ses évaluations."
            )
        return "La modification d'une évaluation finalisée est réservée aux profils Administrateur organisme et plus."
    refusal = CANDIDATURE.refusal(event, candidature.statut, user)
    return refusal.message if refusal else None


# --- Writing ---------------------------------------------------------------------------------------------------

# The input's shape: the evaluator's fields with their columns' lengths; the date is checked by `_clean`.
EvaluationInput = Input.from_dict(
    {
        **text_fields(Evaluation, ("evaluateur_nom", "evaluateur_prenom", "evaluateur_email", "conclusion")),
        "commentaire": Text(max_length=COMMENTAIRE_MAX),
        "date_evaluation": DayText(),
    },
    name="EvaluationInput",
)
EVALUATION_INPUT = EvaluationInput()


def _clean(values: dict, candidature, errors: Errors, evaluation=None) -> dict:
    given = {field: values[field] for field in FIELDS if field in values}
    refused = shape_errors(EVALUATION_INPUT, given)
    for field, messages in refused.items():
        for message in messages:
            errors.add(field, message)
    data = {
        field: value.strip() if isinstance(value, str) else value
        for field, value in given.items()
        if field not in refused
    }
    if "evaluateur_email" in data and not errors.get("evaluateur_email"):
        errors.add("evaluateur_email", email_error(data["evaluateur_email"]))
        if not blank(data["evaluateur_email"]):
            data["evaluateur_email"] = data["evaluateur_email"].lower()
            if data["evaluateur_email"] in emails_formateurs(candidature.id):
                errors.add("evaluateur_email", EVALUATEUR_FORMATEUR)
    if "date_evaluation" in data and not errors.get("date_evaluation"):
        date = _date(data["date_evaluation"], "date_evaluation", errors)
        data["date_evaluation"] = date
        if date:
            if date > datetime.date.today():
                errors.add("date_evaluation", "La date d'évaluation ne peut pas être dans le futur.")
            previous = finalisees(candidature.id, sauf=evaluation.id if evaluation else None)
            previous = [e for e in previous if evaluation is None or e.id < evaluation.id]
            if previous and date < previous[-1].date_evaluation:
                errors.add(
                    "date_evaluation",
                    "La date d'évaluation doit être postérieure à celle de l'évaluation "
                    f"précédente ({date_fr(previous[-1].date_evaluation)}).",
                )
            if date < candidature.date_naissance:
                errors.add("date_evaluation", "La date d'évaluation est antérieure à la naissance du candidat.")
    conclusion = data.get("conclusion")
    if not blank(conclusion) and conclusion not in valeurs("conclusion_evaluation"):
        errors.add("conclusion", "Conclusion inconnue.")
    return data


def _apply_resultats(evaluation, resultats, errors: Errors) -> None:
    """`resultats`: [{"sous_domaine": "1.1", "acquis": true|false|null, "commentaire": ""}, …] — only the
    sub-domains given are changed."""
    if resultats is None:
        return
    if not isinstance(resultats, (list, tuple)):
        errors.add("resultats", "Une liste de résultats est attendue.")
        return
    by_code = {sd.code: sd for sd in sous_domaines(evaluation.candidature)}
    rows = {r.sous_domaine_id: r for r in evaluation.resultats}
    for item in resultats:
        if not isinstance(item, dict) or not isinstance(item.get("sous_domaine"), str):
            errors.add("resultats", "Chaque résultat doit indiquer le code de son sous-domaine (ex. « 1.1 »).")
            return
        code = item["sous_domaine"].strip()
        sd = by_code.get(code)
        if sd is None:
            errors.add("resultats", f"Le sous-domaine « {code[:10]} » n'existe pas dans le référentiel de ce dossier.")
            continue
        acquis = item.get("acquis")
        if acquis is not None and not isinstance(acquis, bool):
            errors.add("resultats", f"Sous-domaine {code} : « acquis » vaut true, false ou null.")
            continue
        commentaire = item.get("commentaire")
        if commentaire is not None and not isinstance(commentaire, str):
            errors.add("resultats", f"Sous-domaine {code} : le commentaire doit être un texte.")
            continue
        if commentaire and len(commentaire) > COMMENTAIRE_MAX:
            errors.add(
                "resultats", f"Sous-domaine {code} : le commentaire ne doit pas dépasser {COMMENTAIRE_MAX} caractères."
            )
            continue
        row = rows.get(sd.id)
        if row is None:
            row = ResultatEvaluation(sous_domaine_id=sd.id)
            evaluation.resultats.append(row)
            rows[sd.id] = row
        if row.acquis_anterieurement:
            if acquis is False:
                errors.add(
                    "resultats",
                    f"Le sous-domaine {code} est déjà acquis lors d'une évaluation précédente : il reste acquis.",
                )
        elif "acquis" in item:
            row.acquis = acquis
        if commentaire is not None:
            row.commentaire = commentaire.strip() or None
    evaluation.synthese = synthese(evaluation)


def synthese(evaluation) -> str:
    acquired = sum(1 for r in evaluation.resultats if r.acquis is True)
    missing = sum(1 for r in evaluation.resultats if r.acquis is False)
    todo = len(evaluation.resultats) - acquired - missing
    return f"{acquired} acquis, {missing} non acquis, {todo} à renseigner"


def creer(user, candidature_id, values: dict, resultats=None) -> Evaluation:
    """« Ajouter une évaluation »: a draft with one row per sub-domain, those acquired earlier already acquired.
    One draft per file under any concurrency: the file's row is locked (PostgreSQL), so that a second request
    waits and then finds the draft; the partial unique index `uq_evaluation_un_brouillon` refuses it anyway."""
    candidature = locked(user, candidature_id)
    reason = refus_ajout(user, candidature)
    if reason:
        raise (Forbidden(reason) if reason.startswith("Votre profil") else DomainError(reason))
    errors = Errors()
    data = _clean(values, candidature, errors)
    errors.required(data, *(field for field in REQUIRED if field not in errors))
    if errors:
        raise ValidationFailed(errors)
    audit.label(f"Ajout d'une évaluation (évaluateur {data['evaluateur_prenom']} {data['evaluateur_nom']})")
    earlier = acquis_anterieurs(candidature.id)
    evaluation = Evaluation(
        candidature_id=candidature.id,
        cree_par_id=user.id,
        etat=EN_COURS,
        finale=bool(finalisees(candidature.id)),
        **{k: (v if not blank(v) else None) for k, v in data.items()},
    )
    evaluation.candidature = candidature
    evaluation.resultats = [
        ResultatEvaluation(
            sous_domaine_id=sd.id, acquis=True if sd.id in earlier else None, acquis_anterieurement=sd.id in earlier
        )
        for sd in sous_domaines(candidature)
    ]
    _apply_resultats(evaluation, resultats, errors)
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    db.session.add(evaluation)
    try:
        db.session.commit()
    except IntegrityError:  # another « Ajouter une évaluation » of the same file won the race
        db.session.rollback()
        raise DomainError(DEJA_EN_COURS) from None
    return evaluation


def _editable(user, evaluation_id) -> Evaluation:
    evaluation = perimeter.get_visible(Evaluation, evaluation_id, user)
    if not peut_saisir(user, evaluation.candidature):
        raise Forbidden("Votre profil ne permet pas de modifier cette évaluation.")
    if evaluation.etat != EN_COURS:
        raise DomainError("Cette évaluation est finalisée : utilisez « Modifier l'évaluation » pour la rouvrir.")
    return evaluation


@transition
def enregistrer(user, evaluation_id, values: dict, resultats=None, version: int | None = None) -> Evaluation:
    """« Enregistrer et reprendre plus tard »: the draft's fields and any of its results. `version`: the
    version the person edited (API `version` / `If-Match`); a stale one is refused with the saved draft."""
    evaluation = _editable(user, evaluation_id)
    verifier_version(evaluation, version)
    errors = Errors()
    data = _clean(values, evaluation.candidature, errors, evaluation)
    for field in REQUIRED:
        if field in data and blank(data[field]):
            errors.add(field, "Ce champ est obligatoire.")
    audit.label(f"Enregistrement de l'évaluation {evaluation.date_label}")
    _apply_resultats(evaluation, resultats, errors)
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    for key, value in data.items():
        setattr(evaluation, key, None if blank(value) else value)
    db.session.commit()
    return evaluation


def _finalisable(evaluation, candidature, apres_envoi: bool) -> bool:
    """Every sub-domain answered, the conclusion given, at least one document; after the sending every
    sub-domain must stay acquired. Returns whether every sub-domain is acquired."""
    if evaluation.etat != EN_COURS:
        raise DomainError("Cette évaluation est déjà finalisée.")
    errors = Errors()
    missing = [r.sous_domaine.code for r in evaluation.resultats if r.acquis is None]
    expected = {sd.id for sd in sous_domaines(candidature)}
    if missing or {r.sous_domaine_id for r in evaluation.resultats} != expected:
        errors.add(
            "resultats",
            # every missing one, at once (issue 17): at most the 28 sub-domains of the référentiel
            f"Renseignez acquis ou non acquis pour chaque sous-domaine ({len(missing)} restant"
            f"{'s' if len(missing) > 1 else ''} : {', '.join(missing)}).",
        )
    if evaluation.date_evaluation is None:
        errors.add("date_evaluation", DATE_POUR_FINALISER)
    if blank(evaluation.conclusion):
        errors.add("conclusion", "La conclusion est obligatoire pour finaliser l'évaluation.")
    if not documents_de(evaluation):
        errors.add("file", "Déposez au moins un document (la matrice d'évaluation complétée) avant de finaliser.")
    all_acquired = all(r.acquis for r in evaluation.resultats)
    if apres_envoi and not errors and not all_acquired:
        errors.add(
            "resultats",
            "Ce dossier est en certification : tous les sous-domaines doivent rester acquis. "
            "Annulez l'envoi pour revenir en évaluation.",
        )
    if errors:
        raise ValidationFailed(errors)
    return all_acquired


def _close(evaluation, all_acquired: bool) -> None:
    evaluation.etat = FINALISEE
    evaluation.resultat = VALIDE if all_acquired else NON_VALIDE
    evaluation.date_finalisation = datetime.datetime.now()
    evaluation.synthese = synthese(evaluation)


@workflow.effect(CANDIDATURE, "finaliser_evaluation")
def _finaliser(candidature, user, evaluation) -> dict:
    """Before the sending, finalising moves the file on (the machine's rule reads « tous_acquis »)."""
    all_acquired = _finalisable(evaluation, candidature, apres_envoi=False)
    _close(evaluation, all_acquired)
    if not evaluation.finale:
        candidature.date_evaluation_prealable = evaluation.date_evaluation
    return {"tous_acquis": all_acquired, "date": f"{date_fr(evaluation.date_evaluation)}"}


@workflow.effect(CANDIDATURE, "rouvrir_evaluation")
def _rouvrir(candidature, user, evaluation) -> dict:
    """Before the sending the file goes back to the evaluation it was waiting for (the machine's rule)."""
    _reopen(evaluation)
    if not evaluation.finale:
        candidature.date_evaluation_prealable = None
    return {"finale": evaluation.finale, "date": f"{date_fr(evaluation.date_evaluation)}"}


@workflow.effect(CANDIDATURE, "rouvrir_evaluation_apres_envoi")
def _rouvrir_apres_envoi(candidature, user, evaluation) -> dict:
    _reopen(evaluation)
    return {"date": f"{date_fr(evaluation.date_evaluation)}"}


def _reopen(evaluation) -> None:
    evaluation.etat = EN_COURS
    evaluation.resultat = None
    evaluation.date_finalisation = None


@transition
def finaliser(user, evaluation_id) -> Evaluation:
    """« Finaliser l'évaluation »: before the sending, an event of the file's machine; after it (a correction
    by the network), the evaluation alone, which must keep every sub-domain acquired."""
    evaluation = _editable(user, evaluation_id)
    candidature = locked(user, evaluation.candidature_id)
    db.session.refresh(evaluation)
    if not CANDIDATURE.in_group("chez_certificateur", candidature.statut):
        check("finaliser_evaluation", candidature, user)
        workflow.apply(CANDIDATURE, "finaliser_evaluation", candidature, user, {"evaluation": evaluation})
    else:
        _close(evaluation, _finalisable(evaluation, candidature, apres_envoi=True))
        audit.label(f"Finalisation de l'évaluation du {date_fr(evaluation.date_evaluation)}")
    db.session.commit()
    return evaluation


@transition
def rouvrir(user, evaluation_id) -> Evaluation:
    """« Modifier l'évaluation »: the last finalised evaluation goes back to a draft."""
    evaluation = perimeter.get_visible(Evaluation, evaluation_id, user)
    candidature = locked(user, evaluation.candidature_id)
    db.session.refresh(evaluation)
    reason = refus_reouverture(user, evaluation)
    if reason:
        raise DomainError(reason)
    event = (
        "rouvrir_evaluation_apres_envoi"
        if CANDIDATURE.in_group("chez_certificateur", candidature.statut)
        else "rouvrir_evaluation"
    )
    workflow.apply(CANDIDATURE, event, candidature, user, {"evaluation": evaluation})
    db.session.commit()
    return evaluation


@documents.upload_policy("evaluation")
def _documents_d_evaluation(user, candidature, objet_id, ajout: bool) -> None:
    """A draft evaluation's documents: its evaluators (also the network correcting it after the sending)."""
    if not peut_saisir(user, candidature):
        raise Forbidden(documents.refus(ajout))
    evaluation = db.session.get(Evaluation, objet_id) if isinstance(objet_id, int) else None
    if evaluation is None or evaluation.candidature_id != candidature.id:
        raise ValidationFailed({"evaluation": "Cette évaluation n'appartient pas à ce dossier."})
    if evaluation.etat != EN_COURS:
        raise DomainError("Cette évaluation est finalisée : rouvrez-la pour modifier ses documents.")
