"""TABLEAU DE BORD (guide §5–6): what the dashboard shows, read inside the user's perimeter."""

import datetime
import functools

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
    labels = (
        "Etablissements",
        "Etablissements habilités",
        "Dossiers d'habilitation en cours",
        "Habilitations arrivant à échéance sous 90 jours",
    )
    # The four counts in one statement: one round trip on every dashboard, not four.
    counts = db.session.execute(select(*(q.scalar_subquery() for q in (etabs, habilitees, pending, expiring)))).one()
    return [(label, n or 0) for label, n in zip(labels, counts, strict=True)]


def candidatures(user, statut: str | None = None) -> dict:
    """The guide's three counters of the perimeter and the latest changes (guide §6), those of one status when
    « Dernières modifications ▾ » names one (« Tous » otherwise)."""
    statut = statut if statut in statuts.CANDIDATURE.labels else None

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
    if statut:
        latest = latest.where(Candidature.statut == statut)
    return {
        # (label, number, the list of exactly those files)
        "candidature_counters": [
            (
                "En attente d'évaluation initiale",
                count(statuts.ATTENTE_EVALUATION_PREALABLE),
                _liste(statut=statuts.ATTENTE_EVALUATION_PREALABLE),
            ),
            (
                "En attente d'évaluation finale",
                count(statuts.ATTENTE_EVALUATION_FINALE),
                _liste(statut=statuts.ATTENTE_EVALUATION_FINALE),
            ),
            (
                "En attente d'affectation à un jury",  # « Candidature complétée » waits for a jury too
                sum(count(s) for s in statuts.CANDIDATURE.group("a_affecter")),
                _liste(groupe="a_affecter"),
            ),
        ],
        "liste_certifiees": _liste(statut=statuts.CERTIFIEE, actif=False),
        "dernieres_modifications": list(db.session.execute(latest.limit(LATEST)).scalars()),
        "modifications_statut": statut,
        "modifications_choix": list(statuts.CANDIDATURE.labels.items()),
        "modifications_liste": _liste(statut=statut, actif=False) if statut else "/candidatures/list/",
        "dernieres_certifiees": list(db.session.execute(certified.limit(LATEST)).scalars()),
    }


@functools.cache  # the same few links on every dashboard: built once per process
def _liste(statut: str | None = None, groupe: str | None = None, actif: bool = True) -> str:
    """The CANDIDATURE list filtered as a counter counts (active files of a status or of a group)."""
    from urllib.parse import urlencode

    from flask_appbuilder.models.sqla.filters import FilterEqual

    from app.services.listes import CandidatureInterface, FilterStatutDuGroupe, filtre_liste

    model = CandidatureInterface(Candidature)
    args = {}
    if statut:
        args[filtre_liste(model, "statut", FilterEqual)] = statut
    if groupe:
        args[filtre_liste(model, "statut", FilterStatutDuGroupe)] = groupe
    if actif:
        args[filtre_liste(model, "actif", FilterEqual)] = "y"
    return "/candidatures/list/?" + urlencode(args)
