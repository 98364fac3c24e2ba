"""How the CANDIDATURE lists read at national scale (issue 13), for the page, the API and the exports alike:

- the status and certification filters compare codes (an equality the indexes serve), the name filter is the
  accent- and case-free prefix of the normalised name (« lefevre » finds « Lefèvre »);
- the list's count comes from the database's counters (app/services/compteurs.py) when only the perimeter and
  the status restrict it, and is counted otherwise;
- the rows of a page bring their establishment, jury session and last mailing in three queries, not three per row.
"""

import contextvars
from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterRelationOneToManyEqual,
    FilterStartsWith,
    SQLAFilterConverter,
)
from sqlalchemy import asc, desc, false, func, select
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Candidature, Etablissement, Organisme
from app.models.juries import EnvoiCertificat, SessionJury
from app.security import perimeter
from app.services.ecritures import ServiceInterface


class FilterNomSansAccents(FilterStartsWith):
    """« Commence par » on a name, whatever its accents and case: the prefix of `nom_recherche` (birth name
    first), which an index serves."""

    def apply(self, query, value):
        from app.services.candidatures import sans_accents

        return query.filter(Candidature.nom_recherche.startswith(sans_accents(str(value or "")), autoescape=True))


class FilterStatutDuGroupe(BaseFilter):
    """« Statut parmi » a group of the machine (`a_affecter`: waiting for a jury, completed files included) — the
    dashboard's counters open the list they count."""

    name = "Statut parmi"
    arg_name = "groupe"

    def apply(self, query, value):
        from app.domain.statuts import CANDIDATURE

        statuses = CANDIDATURE.groups.get(str(value or ""))
        return query.filter(Candidature.statut.in_(tuple(statuses)) if statuses else false())


class FilterReseau(BaseFilter):
    """« Réseau » of the FORMATIONS list: the files whose establishment's organisation belongs to that network."""

    name = "Égal à"
    arg_name = "reseau"

    def apply(self, query, value):
        pk = perimeter.parse_pk(value)
        if pk is None:
            return query.filter(false())
        return query.filter(
            Candidature.etablissement_id.in_(
                select(Etablissement.id)
                .join(Organisme, Organisme.id == Etablissement.organisme_id)
                .where(Organisme.reseau_id == pk)
            )
        )


class CandidatureFilters(SQLAFilterConverter):
    """FAB's filters of the candidature columns, with ours first where the lists use index 0."""

    EQUALITY_FIRST = ("statut", "certification")

    def convert(self, col_name):
        if col_name == "reseau":  # not a column of the file: through its establishment
            return [FilterReseau(col_name, self.datamodel)]
        filters = super().convert(col_name) or []
        if col_name == "nom_naissance":
            return [FilterNomSansAccents(col_name, self.datamodel), *filters[1:]]
        if col_name in self.EQUALITY_FIRST:
            equal = [f for f in filters if isinstance(f, FilterEqual) and type(f) is FilterEqual]
            # The group filter second: FAB reads one digit of `_flt_<index>_` in the address.
            groups = [FilterStatutDuGroupe(col_name, self.datamodel)] if col_name == "statut" else []
            return equal + groups + [f for f in filters if f not in equal]
        return filters


def filtre_liste(datamodel, column: str, filter_class) -> str:
    """The list's URL argument of one filter (`_flt_<index>_<column>`), for links that open a filtered list."""
    for index, flt in enumerate(CandidatureFilters(datamodel).convert(column)):
        if type(flt) is filter_class:
            return f"_flt_{index}_{column}"
    raise LookupError(f"{column}: {filter_class.__name__}")


def _counted_by_counters(filters) -> int | None:
    """The number of files of a list restricted by the perimeter and at most a status (and « actif »), from
    the counters; None when other filters apply."""
    from app.services import compteurs

    statut = actif = etablissement = None
    for flt, given in zip(filters.filters if filters else [], filters.values if filters else [], strict=False):
        if isinstance(flt, perimeter.PerimeterFilter):
            continue
        # The pages' filters come as the URL argument's list of values (FAB applies each), the API's as one value.
        if isinstance(given, list) and len(given) != 1:
            return None
        value = given[0] if isinstance(given, list) else given
        if type(flt) is FilterEqual and flt.column_name == "statut" and isinstance(value, str) and statut is None:
            statut = value
            continue
        if type(flt) is FilterRelationOneToManyEqual and flt.column_name == "etablissement" and etablissement is None:
            etablissement = perimeter.parse_pk(value)
            if etablissement is None:
                return None
            continue
        if type(flt) is FilterEqual and flt.column_name == "actif" and actif is None:
            actif = str(value).lower() in ("1", "true", "y", "on", "oui")
            continue
        return None
    user = perimeter.current_user()
    if user is None:
        return None
    return compteurs.nombre(user, statut=statut, actif=actif, etablissement_id=etablissement)


def precharger(items) -> None:
    """Load what the list columns show of a page's files in one query each: the establishments and jury
    sessions (then found in the session's identity map) and the last letter status of the certified ones."""
    if not items:
        return
    related: tuple[tuple[str, Any, str], ...] = (
        ("etablissement", Etablissement, "etablissement_id"),
        ("session_jury", SessionJury, "session_jury_id"),
    )
    for relation, model, key in related:
        wanted = {getattr(c, key) for c in items} - {None}
        found: dict[int, Any] = {}
        if wanted:
            found = {o.id: o for o in db.session.execute(select(model).where(model.id.in_(wanted))).scalars()}
        for c in items:
            # Set as loaded: the list's later reads (FAB reads each column more than once) need no query.
            set_committed_value(c, relation, found.get(getattr(c, key)))
    ids = [c.id for c in items]
    last: dict[int, str] = {}
    rows = db.session.execute(
        select(EnvoiCertificat.candidature_id, EnvoiCertificat.statut_lettre)
        .where(EnvoiCertificat.candidature_id.in_(ids))
        .order_by(EnvoiCertificat.candidature_id, EnvoiCertificat.date_traitement, EnvoiCertificat.id)
    )
    for candidature_id, statut_lettre in rows:
        last[candidature_id] = statut_lettre  # ordered: the last one wins
    for c in items:
        c.__dict__["_courrier_label"] = last.get(c.id, "")


# Set while a list with a name search is read: its default order must not be taken from the order's index.
_NAME_SEARCH: contextvars.ContextVar[bool] = contextvars.ContextVar("clea_name_search", default=False)


class CandidatureInterface(ServiceInterface):
    filter_converter_class = CandidatureFilters

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        """With a name search, PostgreSQL's planner takes the default order's index and walks it backwards, looking
        for the few matches of a perimeter (3 s and more at 1,000,000 files when a perimeter holds none: the
        planner assumes names and perimeters are independent). Ordering by an expression that no index serves makes
        it read the name's matches first (its own index), then sort them: bounded by how many files bear the name."""
        if self.obj is Candidature and _NAME_SEARCH.get() and order_column == "updated_at":
            direction = asc if order_direction == "asc" else desc
            hidden = func.coalesce(Candidature.updated_at, Candidature.updated_at)
            return query.order_by(direction(hidden), direction(Candidature.id))
        return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)

    # FAB makes the related models' interfaces from this class too (`get_related_interface`): they stay FAB's.

    def get_filters(self, search_columns=None, search_filters=None):
        filters = super().get_filters(search_columns, search_filters)
        # « Réseau » is no column of the file: FAB finds the URL's filters among the columns' (`_all_filters`).
        if "reseau" in filters.get_search_filters():
            filters._all_filters = {**filters._all_filters, "reseau": filters.get_search_filters()["reseau"]}
        return filters

    def query_count(self, query, filters=None, select_columns=None) -> int:
        counted = _counted_by_counters(filters) if self.obj is Candidature else None
        if counted is not None:
            return counted
        return super().query_count(query, filters, select_columns)

    def query(self, filters=None, *args, **kwargs):
        searching = any(isinstance(f, FilterNomSansAccents) for f in (filters.filters if filters else []))
        token = _NAME_SEARCH.set(searching and self.obj is Candidature)
        try:
            count, items = super().query(filters, *args, **kwargs)
        finally:
            _NAME_SEARCH.reset(token)
        # The API's list reads only its columns (select_columns): none of what precharger loads, whose reads of
        # the unloaded session_jury_id would cost one query per row.
        if self.obj is Candidature and not kwargs.get("select_columns"):
            precharger(items)
        return count, items
