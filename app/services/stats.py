"""STATS tab (guide §7 « Onglet STATS », domain.md §7): the counters, monthly series and breakdowns of the
caller's perimeter. Every figure is one aggregate query over the perimeter's files (app/security/perimeter.py),
so the page, the API, the .xlsx and the tests read the same numbers.
"""

import datetime
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, select

from app.domain import access, statuts
from app.domain.errors import Forbidden, ValidationFailed
from app.extensions import cache, db
from app.formatting import date_fr
from app.models import Candidature, Etablissement, Organisme
from app.schemas import Day, Input, fresh, shape_errors
from app.security import perimeter

# The guide's five figures: « Dossiers de candidature » and how they split.
COMPTEURS = (
    ("dossiers", "Dossiers de candidature"),
    ("certificats", "Certificats délivrés"),
    ("en_cours", "Dossiers en cours"),
    ("non_certifies", "Dossiers non certifiés"),
    ("abandonnes", "Dossiers abandonnés"),
)
TERMINAL = {statuts.CERTIFIEE: "certificats", statuts.NON_CERTIFIEE: "non_certifies", statuts.ABANDONNEE: "abandonnes"}
PREMIERE_ANNEE = 2000
MOIS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def categorie(statut: str) -> str:
    """Which counter a file's status feeds (every status not terminal is « en cours »)."""
    return TERMINAL.get(statut, "en_cours")


@dataclass(frozen=True)
class Periode:
    """Files registered (created) between `du` and `au`, both included; None: no bound."""

    du: datetime.date | None = None
    au: datetime.date | None = None

    def clauses(self):
        where = []
        if self.du:
            where.append(Candidature.created_at >= datetime.datetime.combine(self.du, datetime.time.min))
        if self.au:
            where.append(
                Candidature.created_at
                < datetime.datetime.combine(self.au + datetime.timedelta(days=1), datetime.time.min)
            )
        return where

    def as_params(self) -> dict:
        return {"du": self.du.isoformat() if self.du else "", "au": self.au.isoformat() if self.au else ""}

    @property
    def label(self) -> str:
        if self.du and self.au:
            return f"du {date_fr(self.du)} au {date_fr(self.au)}"
        if self.du:
            return f"depuis le {date_fr(self.du)}"
        if self.au:
            return f"jusqu'au {date_fr(self.au)}"
        return "depuis le début"


# The input's shape: two optional days, typed jj/mm/aaaa (the page) or AAAA-MM-JJ (the API).
DATE_INVALIDE = "Date invalide : attendu jj/mm/aaaa (ou AAAA-MM-JJ dans l'API)."
PERIODE_INPUT = Input.from_dict(
    {"du": Day(invalid=DATE_INVALIDE), "au": Day(invalid=DATE_INVALIDE)}, name="PeriodeInput"
)()


def _jour(value, field: str, errors: dict) -> datetime.date | None:
    """One day of the period through the schema, then within the platform's years."""
    refused = shape_errors(PERIODE_INPUT, {field: value})
    if refused:
        errors[field] = refused[field][0]
        return None
    day = fresh(PERIODE_INPUT).load({field: value})[field]
    limite = datetime.date.today().year + 1
    if day is not None and not PREMIERE_ANNEE <= day.year <= limite:
        errors[field] = f"Date hors limites : choisissez une date entre {PREMIERE_ANNEE} et {limite}."
        return None
    return day


def periode(du=None, au=None) -> Periode:
    """The period of a stats request, checked: French messages per field, never an exception of Python's."""
    errors: dict[str, str] = {}
    start, end = _jour(du, "du", errors), _jour(au, "au", errors)
    if start and end and start > end:
        errors["au"] = "La date de fin doit être postérieure ou égale à la date de début."
    if errors:
        raise ValidationFailed(errors)
    return Periode(start, end)


def peut_consulter(user) -> bool:
    return access.may(user, "stats.lire")


def _require(user):
    if not peut_consulter(user):
        raise Forbidden("Les statistiques ne sont pas disponibles pour votre profil.")


def _files(user, periode_: Periode, *columns):
    query = perimeter.restrict(select(*columns), Candidature, user)
    return query.where(*periode_.clauses())


def _counts_by_category(statut_column):
    return [func.count()] + [
        func.coalesce(func.sum(case((statut_column == statut, 1), else_=0)), 0) for statut in TERMINAL
    ]


def _counts_by_status(user, periode_: Periode) -> dict:
    if not periode_.clauses():  # every file of the perimeter: the database's counters, when they express it
        from app.services import compteurs as kept

        counted = kept.par_statut(user)
        if counted is not None:
            return counted
    query = _files(user, periode_, Candidature.statut, func.count()).group_by(Candidature.statut)
    return {statut: int(n) for statut, n in db.session.execute(query)}


def _fold(counts: dict) -> dict:
    """The five counters from the per-status counts."""
    result = {key: 0 for key, _ in COMPTEURS}
    for statut, n in counts.items():
        result["dossiers"] += n
        result[categorie(statut)] += n
    return result


def compteurs(user, periode_: Periode = Periode()) -> dict:
    """{"dossiers", "certificats", "en_cours", "non_certifies", "abandonnes"} for the perimeter: one query."""
    _require(user)
    return _fold(_counts_by_status(user, periode_))


def _by_status_rows(counts: dict) -> list[tuple[str, str, int]]:
    return [(code, statuts.label(code), counts.get(code, 0)) for code in statuts.STATUTS]


def par_statut(user, periode_: Periode = Periode()) -> list[tuple[str, str, int]]:
    """(code, French label, count) for every status, in the order of the status machine."""
    _require(user)
    return _by_status_rows(_counts_by_status(user, periode_))


def _months(debut: datetime.date, fin: datetime.date) -> list[tuple[int, int]]:
    months, year, month = [], debut.year, debut.month
    while (year, month) <= (fin.year, fin.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def par_mois(user, periode_: Periode = Periode(), today: datetime.date | None = None) -> list[dict]:
    """Registrations (files created) and certifications (decision « Certifiée ») per month: the period asked,
    or the last 12 months; at most 36 months are drawn (the most recent ones)."""
    _require(user)
    today = today or datetime.date.today()
    fin = periode_.au or max(today, periode_.du or today)
    debut = periode_.du or (fin.replace(day=1) - datetime.timedelta(days=335)).replace(day=1)
    months = _months(debut, fin)[-36:]
    debut = datetime.date(months[0][0], months[0][1], 1)
    since = datetime.datetime.combine(debut, datetime.time.min)

    def monthly(date_column, *where):
        year, month = func.extract("year", date_column), func.extract("month", date_column)
        query = (
            _files(user, periode_, year, month, func.count()).where(date_column >= since, *where).group_by(year, month)
        )
        return {(int(y), int(m)): int(n) for y, m, n in db.session.execute(query)}

    inscriptions = monthly(Candidature.created_at)
    certifications = monthly(Candidature.date_decision, Candidature.statut == statuts.CERTIFIEE)
    return [
        {
            "annee": y,
            "mois": m,
            "libelle": f"{MOIS[m - 1]} {y}",
            "inscriptions": inscriptions.get((y, m), 0),
            "certifications": certifications.get((y, m), 0),
        }
        for y, m in months
    ]


def par_etablissement(user, periode_: Periode = Periode(), limite: int | None = 10) -> list[dict]:
    """Per establishment of the perimeter: its files and how they split, the busiest first."""
    _require(user)
    counts = _counts_by_category(Candidature.statut)
    query = (
        _files(user, periode_, Etablissement.nom, Organisme.nom, Etablissement.region, *counts)
        .join(Etablissement, Etablissement.id == Candidature.etablissement_id)
        .join(Organisme, Organisme.id == Etablissement.organisme_id)
        .group_by(Etablissement.id, Etablissement.nom, Organisme.nom, Etablissement.region)
        .order_by(func.count().desc(), Etablissement.nom)
    )
    if limite:
        query = query.limit(limite)
    rows = []
    for nom, organisme, region, total, *terminal in db.session.execute(query):
        row = {"etablissement": nom, "organisme": organisme, "region": region, "dossiers": int(total)}
        row.update({key: int(value or 0) for key, value in zip(TERMINAL.values(), terminal, strict=True)})
        row["en_cours"] = row["dossiers"] - sum(int(v or 0) for v in terminal)
        rows.append(row)
    return rows


def tableau(user, periode_: Periode = Periode()) -> dict:
    """Everything the STATS page shows (the counters and the per-status chart share one query), computed at most
    once every STATS_CACHE_SECONDES per perimeter and period: `generated_at` says when (the page shows it)."""
    _require(user)
    seconds = current_app.config.get("STATS_CACHE_SECONDES", 0)
    if not seconds:
        return _tableau(user, periode_)
    key = f"stats:{perimeter.cle(user)}:{periode_.du}:{periode_.au}"
    found = cache.get(key)
    if found is None:
        found = _tableau(user, periode_)
        cache.set(key, found, timeout=seconds)
    return found


def _tableau(user, periode_: Periode) -> dict:
    counts = _counts_by_status(user, periode_)
    return {
        "generated_at": datetime.datetime.now(),
        "compteurs": _fold(counts),
        "par_statut": _by_status_rows(counts),
        "par_mois": par_mois(user, periode_),
        "par_etablissement": par_etablissement(user, periode_),
        "habilitation": dossiers_habilitation(user)
        if access.profile_allows(user.profil, access.READ, access.HABILITATIONS)
        else None,
        "periode": periode_,
    }


def dossiers_habilitation(user) -> dict:
    """The habilitation figures (issue 14): dossiers of the perimeter by state and by campaign, and the average
    instruction time in jours ouvrés (deposit → decision) of the decided ones."""
    from app.domain import dossiers, jours_ouvres
    from app.models import DemandeHabilitation
    from app.models.habilitations import CampagneHabilitation

    visible = perimeter.clause(DemandeHabilitation, user)
    by_state = dict(
        db.session.execute(
            select(DemandeHabilitation.etat, func.count()).where(visible).group_by(DemandeHabilitation.etat)
        ).all()
    )
    by_campaign = db.session.execute(
        select(CampagneHabilitation.libelle, CampagneHabilitation.certification, func.count(DemandeHabilitation.id))
        .join(DemandeHabilitation, DemandeHabilitation.campagne_id == CampagneHabilitation.id)
        .where(visible)
        .group_by(CampagneHabilitation.id, CampagneHabilitation.libelle, CampagneHabilitation.certification)
        .order_by(CampagneHabilitation.libelle)
    ).all()
    decided = db.session.execute(
        select(DemandeHabilitation.date_depot, DemandeHabilitation.decide_le).where(
            visible,
            DemandeHabilitation.date_depot.isnot(None),
            DemandeHabilitation.decide_le.isnot(None),
            DemandeHabilitation.etat.in_((dossiers.ACCORDEE, dossiers.REFUSEE)),
        )
    ).all()
    durations = [jours_ouvres.entre(depot, decided_at.date()) for depot, decided_at in decided if depot and decided_at]
    accorded = dict(
        db.session.execute(
            select(DemandeHabilitation.statut_habilitation, func.count())
            .where(visible, DemandeHabilitation.etat == dossiers.ACCORDEE)
            .group_by(DemandeHabilitation.statut_habilitation)
        ).all()
    )
    from app.services.controles import audits_par_avis

    return {
        "audits_par_avis": audits_par_avis(user),
        "habilitations_par_statut": [
            (code, label, accorded.get(code, 0)) for code, label in dossiers.STATUTS_HABILITATION.items()
        ],
        "par_etat": [(code, label, by_state.get(code, 0)) for code, label in dossiers.LABELS.items()],
        "par_campagne": [
            (f"{libelle} ({statuts_certification(certification)})", n) for libelle, certification, n in by_campaign
        ],
        "duree_moyenne": round(sum(durations) / len(durations), 1) if durations else None,
        "decides": len(durations),
    }


def statuts_certification(code: str) -> str:
    from app.models.referentiels import CERTIFICATIONS

    return CERTIFICATIONS.get(code, code)
