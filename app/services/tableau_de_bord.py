"""TABLEAU DE BORD (guide §5–6): what the dashboard shows, read inside the user's perimeter."""

import datetime

from sqlalchemy import func, select

from app.domain import dossiers, statuts
from app.extensions import db
from app.models import Candidature, DemandeHabilitation, Etablissement
from app.security import perimeter
from app.services import compteurs, habilitations

LATEST = 5


def compteurs_habilitations(user, today: datetime.date | None = None) -> list[tuple[str, int]]:
    today = today or datetime.date.today()
    soon = today + datetime.timedelta(days=90)
    etabs = perimeter.restrict(select(func.count(Etablissement.id)), Etablissement, user)
    habilitees = etabs.where(habilitations.habilitee_clause(today))
    demandes = perimeter.restrict(select(func.count(DemandeHabilitation.id)), DemandeHabilitation, user)
    pending = demandes.where(DemandeHabilitation.etat.in_(dossiers.EN_COURS))
    expiring = demandes.where(
        DemandeHabilitation.etat == DemandeHabilitation.VALIDEE, DemandeHabilitation.date_fin.between(today, soon)
    )
    return [
        ("Etablissements", db.session.scalar(etabs) or 0),
        ("Etablissements habilités", db.session.scalar(habilitees) or 0),
        ("Dossiers d'habilitation en cours", db.session.scalar(pending) or 0),
        ("Habilitations arrivant à échéance sous 90 jours", db.session.scalar(expiring) or 0),
    ]


def candidatures(user) -> dict:
    """The guide's three counters of the perimeter and the latest changes (guide §6)."""

    counted = compteurs.par_statut(user, actif=True)  # the database's counters, when the perimeter allows

    def count(statut: str) -> int:
        if counted is not None:
            return counted.get(statut, 0)
        query = perimeter.restrict(select(func.count(Candidature.id)), Candidature, user)
        return db.session.scalar(query.where(Candidature.statut == statut, Candidature.actif.is_(True))) or 0

    latest = perimeter.restrict(select(Candidature), Candidature, user).order_by(
        Candidature.updated_at.desc(), Candidature.id.desc()
    )
    certified = latest.where(Candidature.statut.in_(statuts.CANDIDATURE.group("certifiee")))
    return {
        "candidature_counters": [
            ("En attente d'évaluation initiale", count(statuts.ATTENTE_EVALUATION_PREALABLE)),
            ("En attente d'évaluation finale", count(statuts.ATTENTE_EVALUATION_FINALE)),
            ("En attente d'affectation à un jury", count(statuts.ATTENTE_JURY)),
        ],
        "dernieres_modifications": list(db.session.execute(latest.limit(LATEST)).scalars()),
        "dernieres_certifiees": list(db.session.execute(certified.limit(LATEST)).scalars()),
    }
