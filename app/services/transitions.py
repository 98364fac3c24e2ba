"""Status changes of a candidate file, one transaction each, through the status machine (app/domain/statuts.py).

Every change: the file inside the perimeter (404 otherwise) → row lock (PostgreSQL) → the machine's verdict
(409 with the French reason) → the change with its audit line → commit. A repeated request finds the new
status and is refused: no double transition.
"""
import datetime
import functools

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.domain.calendrier import meme_jour
from app.domain import statuts
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models import Candidature
from app.security import perimeter
from app.services import audit
from app.services.candidatures import valeurs

MOTIF_AUTOMATIQUE = "Évaluation préalable de plus de 5 ans"


def locked(user, candidature_id) -> Candidature:
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Candidature.id).where(Candidature.id == candidature.id).with_for_update())
        db.session.refresh(candidature)
    return candidature


CONFLIT = "Ce dossier vient d'être modifié par quelqu'un d'autre : rechargez la page pour voir son nouvel état."


def transition(function):
    """A concurrent change of the same file (the version check, where no row lock exists) answers 409 with a
    French message, never 500, whether it shows at a flush or at the commit."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise DomainError(CONFLIT)
    return run


def check(event: str, candidature: Candidature, user) -> None:
    reason = statuts.refusal(event, candidature.statut, user.profil if user else None)
    if reason:
        raise DomainError(reason)


@transition
def abandonner(user, candidature_id, motif, precision=None) -> Candidature:
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
    candidature = locked(user, candidature_id)
    check("abandonner", candidature, user)
    audit.label("Abandon de la candidature")
    candidature.statut_avant_abandon = candidature.statut
    candidature.statut = statuts.ABANDONNEE
    candidature.motif_abandon = motif
    candidature.date_abandon = datetime.datetime.now()
    db.session.commit()
    return candidature


@transition
def reintegrer(user, candidature_id) -> Candidature:
    """The green button: the file goes back to the status it had."""
    candidature = locked(user, candidature_id)
    check("reintegrer", candidature, user)
    audit.label("Réintégration de la candidature")
    candidature.statut = candidature.statut_avant_abandon or statuts.ATTENTE_EVALUATION_PREALABLE
    candidature.statut_avant_abandon = None
    candidature.motif_abandon = None
    candidature.date_abandon = None
    db.session.commit()
    return candidature


def supprimable(candidature: Candidature) -> bool:
    """« Supprimer » only while nothing was evaluated (guide §17: when the application has no follow-up)."""
    from app.models.evaluations import Evaluation
    return (candidature.statut == statuts.ATTENTE_EVALUATION_PREALABLE
            and candidature.date_evaluation_prealable is None
            and db.session.execute(select(Evaluation.id).where(Evaluation.candidature_id == candidature.id)
                                   .limit(1)).first() is None)


@transition
def supprimer(user, candidature_id) -> None:
    from app.domain import access
    candidature = locked(user, candidature_id)
    if not access.profile_allows(user.profil, access.DELETE, access.EVALUATIONS):
        raise DomainError("Votre profil ne permet pas de supprimer une candidature.")
    if not supprimable(candidature):
        raise DomainError("Cette candidature a déjà été évaluée : elle ne peut plus être supprimée "
                          "(vous pouvez l'abandonner).")
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
        query = (select(Candidature.id).where(Candidature.statut.in_(statuts.AVANT_JURY),
                                              Candidature.date_evaluation_prealable < limit)
                 .order_by(Candidature.id).limit(batch))
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = db.session.execute(query).scalars().all()
        if not ids:
            break
        for candidature in db.session.execute(select(Candidature).where(Candidature.id.in_(ids))).scalars():
            if not statuts.can_happen("abandon_automatique", candidature.statut):
                continue
            audit.label(statuts.TRANSITIONS["abandon_automatique"].label)
            candidature.statut_avant_abandon = candidature.statut
            candidature.statut = statuts.ABANDONNEE
            candidature.motif_abandon = MOTIF_AUTOMATIQUE
            candidature.date_abandon = datetime.datetime.now()
            db.session.flush()
            done += 1
        db.session.commit()
    return done


def certificateur_pour(candidature: Candidature):
    """Where a file is sent: the branch's certifier for a contextualised socle, else the Transitions Pro of
    the establishment's region (domain.md §4.1)."""
    from app.models import Certificateur
    if candidature.socle_contextualise and candidature.branche:
        found = db.session.execute(select(Certificateur).where(
            Certificateur.type == Certificateur.BRANCHE, Certificateur.nom == candidature.branche,
            Certificateur.actif.is_(True))).scalars().first()
        if found is None:
            raise DomainError(f"Aucun certificateur n'est configuré pour la branche « {candidature.branche} » : "
                              "contactez Certif Pro.")
        return found
    region = candidature.etablissement.region
    found = db.session.execute(select(Certificateur).where(
        Certificateur.type == Certificateur.TRANSITIONS_PRO, Certificateur.region == region,
        Certificateur.actif.is_(True))).scalars().first()
    if found is None:
        raise DomainError(f"Aucune association Transitions Pro n'est configurée pour la région {region} : "
                          "contactez Certif Pro.")
    return found


def avertissements_envoi(candidature: Candidature) -> list[str]:
    """What the jury may find too thin (guide §14)."""
    from app.services.candidatures import OBJECTIFS_MIN
    text = (candidature.objectifs_professionnels or "") + (candidature.objectifs_extra_professionnels or "")
    if len(text.strip()) < OBJECTIFS_MIN:
        return ["Les objectifs de projet du candidat sont peu renseignés : le jury pourra demander des compléments "
                "ou refuser la certification."]
    return []


@transition
def envoyer_certification(user, candidature_id) -> Candidature:
    """« Envoyer en certification »: à envoyer → en attente de jury; the file then is read-only for the OF."""
    from app.services import notifications
    from app.services.structures import check_active
    candidature = locked(user, candidature_id)
    check("envoyer_certification", candidature, user)
    check_active(candidature.etablissement)
    certificateur = certificateur_pour(candidature)
    audit.label("Envoi en certification")
    candidature.statut = statuts.ATTENTE_JURY
    candidature.certificateur_id = certificateur.id
    candidature.date_envoi_certification = datetime.datetime.now()
    db.session.flush()
    notifications.notify(notifications.utilisateurs_du_certificateur(certificateur.id), "Envoi en certification",
                         "Nouveau dossier envoyé en certification",
                         f"Le dossier {candidature.numero_dossier} ({candidature.candidat}) a été envoyé en "
                         f"certification par {candidature.etablissement.nom}.",
                         f"/candidatures/show/{candidature.id}")
    db.session.commit()
    notifications.flush_outbox_quietly()
    return candidature


@transition
def annuler_envoi(user, candidature_id) -> Candidature:
    """Retour arrière (Administrateur réseau, Certif Pro): en attente de jury → à envoyer."""
    from app.services import notifications
    candidature = locked(user, candidature_id)
    check("annuler_envoi", candidature, user)
    certificateur_id = candidature.certificateur_id
    audit.label("Annulation de l'envoi en certification")
    candidature.statut = statuts.A_ENVOYER_CERTIFICATION
    candidature.certificateur_id = None
    candidature.date_envoi_certification = None
    db.session.flush()
    notifications.notify(notifications.utilisateurs_du_certificateur(certificateur_id), "Envoi en certification",
                         "Envoi en certification annulé",
                         f"L'envoi du dossier {candidature.numero_dossier} ({candidature.candidat}) a été annulé.")
    db.session.commit()
    notifications.flush_outbox_quietly()
    return candidature
