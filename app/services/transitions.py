"""Status changes of a candidate file, one transaction each, through the status machine (app/domain/statuts.py).

Every change: the file inside the perimeter (404 otherwise) → row lock (PostgreSQL) → the machine's verdict
(409 with the French reason) → the change with its audit line → commit. A repeated request finds the new
status and is refused: no double transition.
"""
import datetime

from sqlalchemy import select

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


def check(event: str, candidature: Candidature, user) -> None:
    reason = statuts.refusal(event, candidature.statut, user.profil if user else None)
    if reason:
        raise DomainError(reason)


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
    return (candidature.statut == statuts.ATTENTE_EVALUATION_PREALABLE
            and candidature.date_evaluation_prealable is None)


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
    try:
        return today.replace(year=today.year - 5)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 5, day=28)


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
