"""Status changes of a candidate file through the candidature machine (app/domain/statuts.py), run by the one
engine (app/services/workflow.py): the file inside the perimeter (404) → row lock → the machine's verdict
(403 / 409 with the French reason) → the effect below with its audit line and notices → commit. A repeated
request finds the new status and is refused: no double transition.
"""

import datetime

from sqlalchemy import select

from app.domain import access, statuts
from app.domain.calendrier import meme_jour
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.statuts import CANDIDATURE
from app.extensions import db
from app.models import Candidature
from app.schemas import Input, Text
from app.services import audit, candidatures, lots, notifications, workflow
from app.services.candidatures import valeurs

MOTIF_AUTOMATIQUE = "Évaluation préalable de plus de 5 ans"
ANONYMISE = "Ce dossier est anonymisé : son parcours ne peut plus changer."  # donnees-personnelles.md §4
CONFLIT = workflow.CONFLIT
transition = workflow.guarded


def describe(candidature: Candidature) -> dict:
    """The file's words for audit lines, notices and the candidate's mails."""
    return {
        "numero_dossier": candidature.numero_dossier,
        "candidat": candidature.candidat,
        "etablissement": candidature.etablissement.nom if candidature.etablissement else "",
        "certification": candidature.certification_label,
    }


def _lien(candidature: Candidature) -> str:
    return f"/candidatures/show/{candidature.id}"


def _organisme(candidature, context) -> list:
    return notifications.utilisateurs_des_etablissements(candidature.etablissement)


def _certificateur(candidature, context) -> list:
    return notifications.utilisateurs_du_certificateur(candidature.certificateur_id)


def _ancien_certificateur(candidature, context) -> list:
    return notifications.utilisateurs_du_certificateur(context["ancien_certificateur_id"])


def _reaffectation(candidature, context) -> list:
    users = notifications.utilisateurs_du_certificateur(candidature.certificateur_id)
    if context.get("ancien_certificateur_id"):
        users += notifications.utilisateurs_du_certificateur(context["ancien_certificateur_id"])
    return users + _organisme(candidature, context)


workflow.bind(
    CANDIDATURE,
    workflow.Binding(
        model=Candidature,
        describe=describe,
        link=_lien,
        frozen=lambda c: ANONYMISE if c.anonymise_le is not None else None,
        person_mail=notifications.mail_au_candidat,
        audiences={
            "organisme": _organisme,
            "certificateur": _certificateur,
            "ancien_certificateur": _ancien_certificateur,
            "reaffectation": _reaffectation,
        },
    ),
)


def locked(user, candidature_id) -> Candidature:
    return workflow.locked(Candidature, user, candidature_id)


def check(event: str, candidature: Candidature, user) -> None:
    workflow.check(CANDIDATURE, event, candidature, user)


def run(event: str, user, candidature_id, **params) -> Candidature:
    """Any event of a candidate file (the page's buttons and the API's actions come here)."""
    return workflow.run(CANDIDATURE, event, user, candidature_id, **params)


# --- Abandon and reinstatement ------------------------------------------------------------------------------


def _motif(motif=None, precision=None) -> dict:
    """« Abandonner »: motif required (a person asked for confirmation in the UI)."""
    if not isinstance(motif, str) or not motif.strip():
        raise ValidationFailed({"motif": "Le motif d'abandon est obligatoire."})
    motif = motif.strip()
    if motif not in valeurs("motif_abandon") or motif == MOTIF_AUTOMATIQUE:
        raise ValidationFailed({"motif": "Motif d'abandon inconnu."})
    if motif == "Autre":
        if not isinstance(precision, str) or not precision.strip():
            raise ValidationFailed({"precision": "Précisez le motif d'abandon."})
        motif = f"Autre : {precision.strip()[:200]}"
    return {"motif": motif}


class AbandonInput(Input):
    motif = Text()
    precision = Text()


@workflow.effect(CANDIDATURE, "abandonner", schema=AbandonInput(), prepare=_motif)
def _abandonner(candidature, user, motif) -> None:
    _abandon(candidature, motif)


@workflow.effect(CANDIDATURE, "abandon_automatique")
def _abandon_automatique(candidature, user) -> None:
    _abandon(candidature, MOTIF_AUTOMATIQUE)


def _abandon(candidature, motif) -> None:
    candidature.statut_avant_abandon = candidature.statut
    candidature.motif_abandon = motif
    candidature.date_abandon = datetime.datetime.now()


@workflow.effect(CANDIDATURE, "reintegrer")
def _reintegrer(candidature, user) -> dict:
    """The green button: the file goes back to the status it had (the machine's rule reads it)."""
    context = {"statut_avant_abandon": candidature.statut_avant_abandon}
    candidature.statut_avant_abandon = None
    candidature.motif_abandon = None
    candidature.date_abandon = None
    return context


def abandonner(user, candidature_id, motif, precision=None) -> Candidature:
    return run("abandonner", user, candidature_id, motif=motif, precision=precision)


def reintegrer(user, candidature_id) -> Candidature:
    return run("reintegrer", user, candidature_id)


def supprimable(candidature: Candidature) -> bool:
    """« Supprimer » only while nothing was evaluated (guide §17: when the application has no follow-up)."""
    from app.models.evaluations import Evaluation

    return (
        candidature.statut == statuts.ATTENTE_EVALUATION_PREALABLE
        and candidature.date_evaluation_prealable is None
        and db.session.execute(
            select(Evaluation.id).where(Evaluation.candidature_id == candidature.id).limit(1)
        ).first()
        is None
    )


def supprimer(user, candidature_id) -> None:
    """« Supprimer », while nothing was evaluated; not a status change (the file is gone)."""
    candidature = locked(user, candidature_id)
    if not access.may(user, "evaluations.supprimer"):
        raise Forbidden("Votre profil ne permet pas de supprimer une candidature.")
    if not supprimable(candidature):
        raise DomainError(
            "Cette candidature a déjà été évaluée : elle ne peut plus être supprimée (vous pouvez l'abandonner)."
        )
    audit.label("Suppression de la candidature")
    db.session.delete(candidature)
    db.session.commit()


def limite_abandon_automatique(today: datetime.date) -> datetime.date:
    """Files whose évaluation préalable was recorded before this date are abandoned (5 years, guide §7)."""
    return meme_jour(today, today.year - 5)


def abandons_automatiques(today: datetime.date | None = None, batch: int = 500) -> int:
    """The daily job. Safe twice and on several servers at once: each file is locked (skip locked on
    PostgreSQL) and its status checked again under the lock."""
    today = today or datetime.date.today()
    limit = limite_abandon_automatique(today)
    done = 0
    while True:
        query = (
            select(Candidature.id)
            .where(
                Candidature.statut.in_(CANDIDATURE.group("avant_jury")), Candidature.date_evaluation_prealable < limit
            )
            .order_by(Candidature.id)
            .limit(batch)
        )
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = db.session.execute(query).scalars().all()
        if not ids:
            break
        for candidature in db.session.execute(select(Candidature).where(Candidature.id.in_(ids))).scalars():
            if not CANDIDATURE.can_happen("abandon_automatique", candidature.statut):
                continue
            workflow.apply(CANDIDATURE, "abandon_automatique", candidature, None, {})
            done += 1
        db.session.commit()
    return done


def certificateur_pour(candidature: Candidature):
    """Where a file is sent: the branch's certifier for a contextualised socle, else the Transitions Pro of
    the establishment's region (domain.md §4.1)."""
    from app.models import Certificateur

    if candidature.socle_contextualise and candidature.branche:
        found = (
            db.session.execute(
                select(Certificateur).where(
                    Certificateur.type == Certificateur.BRANCHE,
                    Certificateur.nom == candidature.branche,
                    Certificateur.actif.is_(True),
                )
            )
            .scalars()
            .first()
        )
        if found is None:
            raise DomainError(
                f"Aucun certificateur n'est configuré pour la branche « {candidature.branche} » : contactez Certif Pro."
            )
        return found
    region = candidature.etablissement.region
    found = (
        db.session.execute(
            select(Certificateur).where(
                Certificateur.type == Certificateur.TRANSITIONS_PRO,
                Certificateur.region == region,
                Certificateur.actif.is_(True),
            )
        )
        .scalars()
        .first()
    )
    if found is None:
        raise DomainError(
            f"Aucune association Transitions Pro n'est configurée pour la région {region} : contactez Certif Pro."
        )
    return found


def avertissements_envoi(candidature: Candidature) -> list[str]:
    """What the jury may find too thin (guide §14)."""
    from app.services.candidatures import OBJECTIFS_MIN

    text = (candidature.objectifs_professionnels or "") + (candidature.objectifs_extra_professionnels or "")
    if len(text.strip()) < OBJECTIFS_MIN:
        return [
            "Les objectifs de projet du candidat sont peu renseignés : le jury pourra demander des compléments "
            "ou refuser la certification."
        ]
    return []


@workflow.effect(CANDIDATURE, "envoyer_certification")
def _envoyer(candidature, user) -> dict:
    """« Envoyer en certification »: à envoyer → en attente de jury; the file then is read-only for the OF."""
    from app.services.structures import check_active

    check_active(candidature.etablissement)
    certificateur = certificateur_pour(candidature)
    candidature.certificateur_id = certificateur.id
    candidature.date_envoi_certification = datetime.datetime.now()
    return {"nom_certificateur": certificateur.nom}


@workflow.effect(CANDIDATURE, "annuler_envoi")
def _annuler_envoi(candidature, user) -> dict:
    """Retour arrière (Administrateur réseau, Certif Pro): en attente de jury → à envoyer."""
    context = {"ancien_certificateur_id": candidature.certificateur_id}
    candidature.certificateur_id = None
    candidature.date_envoi_certification = None
    return context


def envoyer_certification(user, candidature_id) -> Candidature:
    return run("envoyer_certification", user, candidature_id)


def annuler_envoi(user, candidature_id) -> Candidature:
    return run("annuler_envoi", user, candidature_id)


# --- Bulk actions of the CANDIDATURE list (« Pour la sélection ») ---------------------------------------------


# The events offered « Pour la sélection » (the list's menu and `POST /api/v1/candidature/lot`).
LOT_EVENTS = ("envoyer_certification", "abandonner")


def selection(user, ids) -> list[int]:
    """The ids of a selection sent by the API: a list of file ids, all inside the perimeter (else 404, like one
    file's route)."""
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValidationFailed({"ids": "Donnez la liste des identifiants des dossiers (au moins un)."})
    if len(ids) > lots.LOT_MAX:
        raise ValidationFailed({"ids": f"Au plus {lots.LOT_MAX} dossiers par lot."})
    wanted = list(dict.fromkeys(ids))
    visible = {c.id for c in candidatures.visibles(user, wanted)}
    if set(wanted) - visible:
        raise NotFound()
    return wanted


def par_lot(event: str, user, pks, **params) -> list[lots.ResultatLot]:
    """Run `event` on each selected file through the state machine (one transaction each, as from its page): what
    was done, and what was refused and why. The input is the same for every file: refused once, before any."""
    if CANDIDATURE.may(event, user):  # the right first (else each file says it below)
        workflow.prepared(CANDIDATURE, event, dict(params))
    ids = list(dict.fromkeys(int(pk) for pk in pks))[: lots.LOT_MAX]
    files = {c.id: c for c in db.session.execute(select(Candidature).where(Candidature.id.in_(ids))).scalars()}
    return lots.chacun(
        [files[pk] for pk in ids if pk in files],
        lambda candidature: run(event, user, candidature.id, **params),
        lambda candidature: f"n°{candidature.numero_dossier}",
        lambda candidature: candidature.candidat,
        CANDIDATURE.event(event).success or "Fait.",
    )
