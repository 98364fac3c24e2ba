"""How the CANDIDATURE lists read at national scale (issue 13), for the page, the API and the exports alike:

- the status and certification filters compare codes (an equality the indexes serve), the name filter is the
  accent- and case-free prefix of the normalised name (« lefevre » finds « Lefèvre »);
- the list's count comes from the database's counters (app/services/compteurs.py) when only the perimeter and
  the status restrict it, and is counted otherwise;
- the rows of a page bring their establishment, jury session and last mailing in three queries, not three per row;
- in the list's order of « Dernière modification » (its default), « Page suivante » and « Page précédente »
  carry a cursor (`suite`) and read the rows after or before it through the order's index, without OFFSET, and a
  page in the list's second half (« Dernière page ») is read from its end (`CandidatureInterface.query`).
"""

import contextlib
import contextvars
import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterRelationOneToManyEqual,
    FilterStartsWith,
)
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import String, asc, case, desc, false, func, select, tuple_, type_coerce
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Candidature, Etablissement, Organisme
from app.models.juries import EnvoiCertificat, SessionJury
from app.security import perimeter
from app.services.ecritures import MemoFilterConverter, ServiceInterface


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


class CandidatureFilters(MemoFilterConverter):
    """FAB's filters of the candidature columns, with ours first where the lists use index 0."""

    EQUALITY_FIRST = ("statut", "certification")

    def make(self, col_name):
        if col_name == "reseau":  # not a column of the file: through its establishment
            return [FilterReseau(col_name, self.datamodel)]
        filters = super().make(col_name) or []
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
    """Load what the list columns show of a page's files in one statement: their establishments and jury sessions
    (then found as loaded relations) and the last letter status of each (« Courrier envoyé »). Three statements
    before, each with its ORM cost on every list page."""
    if not items:
        return
    last_letter = (
        select(EnvoiCertificat.statut_lettre)
        .where(EnvoiCertificat.candidature_id == Candidature.id)
        .order_by(EnvoiCertificat.date_traitement.desc(), EnvoiCertificat.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Candidature.id, Etablissement, SessionJury, last_letter)
        .select_from(Candidature)
        .outerjoin(Etablissement, Etablissement.id == Candidature.etablissement_id)
        .outerjoin(SessionJury, SessionJury.id == Candidature.session_jury_id)
        .where(Candidature.id.in_([c.id for c in items]))
    )
    found = {pk: (etablissement, session, letter) for pk, etablissement, session, letter in rows}
    for c in items:
        etablissement, session, letter = found.get(c.id, (None, None, None))
        # Set as loaded: the list's later reads (FAB reads each column more than once) need no query.
        set_committed_value(c, "etablissement", etablissement)
        set_committed_value(c, "session_jury", session)
        c.__dict__["_courrier_label"] = letter or ""


# Set while a list with a name search is read: its default order must not be taken from the order's index.
_NAME_SEARCH: contextvars.ContextVar[bool] = contextvars.ContextVar("clea_name_search", default=False)

SUIVANTE, PRECEDENTE = "suivante", "precedente"
_SEL_DU_CURSEUR = "clea.liste.suite"


def _cle_de_tri(sqlite: bool = False) -> tuple[Any, Any]:
    """The list's default order, `updated_at` then `id` (both NOT NULL: TimestampMixin and the migrations, so a
    cursor's row comparison never meets a NULL). With a name search, `updated_at` hidden in an expression that no
    index serves (see `CandidatureInterface.apply_order_by`): the cursor's comparison uses the same one.

    SQLite keeps a date as the text written: « 2026-01-02 03:04:05 » (SQL's now(), raw inserts) and the same
    instant written by SQLAlchemy, « 2026-01-02 03:04:05.000000 », would compare as two; the order and the cursor
    compare the second form of both there."""
    if sqlite:
        text = type_coerce(Candidature.updated_at, String)
        moment = case((func.length(text) == 19, text + ".000000"), else_=text)
        return type_coerce(moment, Candidature.updated_at.type), Candidature.id
    if _NAME_SEARCH.get():
        return func.coalesce(Candidature.updated_at, Candidature.updated_at), Candidature.id
    return Candidature.updated_at, Candidature.id


@dataclass
class Lecture:
    """One read of a list page: the cursor its URL carries (`suite`), then those of « Page suivante » and
    « Page précédente » (None: their links are plain page numbers)."""

    suite: str | None = None
    suivante: str | None = None
    precedente: str | None = None


_LECTURE: contextvars.ContextVar[Lecture | None] = contextvars.ContextVar("clea_lecture", default=None)


@contextlib.contextmanager
def lecture_par_curseur(suite: str | None) -> Iterator[Lecture]:
    """Around a list page's read (`CleaModelView._get_list_widget`): the lists of CandidatureInterface use the
    URL's cursor and give their neighbours' cursors; other lists leave the Lecture empty."""
    lecture = Lecture(suite=suite)
    token = _LECTURE.set(lecture)
    try:
        yield lecture
    finally:
        _LECTURE.reset(token)


def empreinte(filters) -> str:
    """The list's filters (not the perimeter's) in a few characters, whatever their order (FAB reads the URL's
    filters from a set): a cursor is only used on the list it came from."""
    parts = sorted(
        [type(flt).__name__, flt.column_name, str(value)]
        for flt, value in zip(filters.filters if filters else [], filters.values if filters else [], strict=False)
        if not isinstance(flt, perimeter.PerimeterFilter)
    )
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def curseur(
    sens: str,
    page: int,
    taille: int,
    ordre: str,
    filtres: str,
    utilisateur_id: int | None,
    updated_at: datetime.datetime,
    pk: int,
    cle: str | None = None,
) -> str:
    """The opaque `suite` of a link to page `page` (from 0) of `taille` rows: the rows after (`SUIVANTE`) or
    before (`PRECEDENTE`) the row (updated_at, pk) in the order `ordre`, for that list (`filtres`: its
    `empreinte`) and that user; signed with the application's key (`cle`: the same, given by a script)."""
    valeur = [sens, page, taille, ordre, filtres, utilisateur_id, updated_at.isoformat(), pk]
    return str(_serialiseur(cle).dumps(valeur))


def _serialiseur(cle: str | None = None) -> URLSafeSerializer:
    return URLSafeSerializer(cle or current_app.config["SECRET_KEY"], salt=_SEL_DU_CURSEUR)


def _lire_curseur(suite: str, attendu: list) -> tuple[str, datetime.datetime, int] | None:
    """The cursor of the URL when it was made for this very page (number, size, order, filters, user) and is
    unchanged; None otherwise (the page is then read by its number, as without a cursor)."""
    if not isinstance(suite, str) or len(suite) > 512:
        return None
    try:
        valeur = _serialiseur().loads(suite)
    except (BadData, ValueError, TypeError):
        return None
    if not isinstance(valeur, list) or len(valeur) != 8:
        return None
    sens, *contexte, quand, pk = valeur
    if sens not in (SUIVANTE, PRECEDENTE) or contexte != attendu or not isinstance(quand, str):
        return None
    if type(pk) is not int or not 0 < pk < 2**63:
        return None
    try:
        moment = datetime.datetime.fromisoformat(quand)
    except ValueError:
        return None
    return (sens, moment, pk) if moment.tzinfo is None else None


def _sens_contraire(ordre: str) -> str:
    return "asc" if ordre == "desc" else "desc"


class CandidatureInterface(ServiceInterface):
    filter_converter_class = CandidatureFilters

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        """With a name search, PostgreSQL's planner takes the default order's index and walks it backwards, looking
        for the few matches of a perimeter (3 s and more at 1,000,000 files when a perimeter holds none: the
        planner assumes names and perimeters are independent). Ordering by an expression that no index serves makes
        it read the name's matches first (its own index), then sort them: bounded by how many files bear the name."""
        if self.obj is Candidature and _NAME_SEARCH.get() and order_column == "updated_at":
            direction = asc if order_direction == "asc" else desc
            moment, pk = _cle_de_tri(self._sqlite())
            return query.order_by(direction(moment), direction(pk))
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

    def query(
        self,
        filters=None,
        order_column: str = "",
        order_direction: str = "",
        page: int | None = None,
        page_size: int | None = None,
        select_columns: list[str] | None = None,
        outer_default_load: bool = False,
    ):
        searching = any(isinstance(f, FilterNomSansAccents) for f in (filters.filters if filters else []))
        token = _NAME_SEARCH.set(searching and self.obj is Candidature)
        try:
            read = self._par_la_cle(filters, order_column, order_direction, page, page_size, select_columns)
            if read is None:
                read = super().query(
                    filters, order_column, order_direction, page, page_size, select_columns, outer_default_load
                )
        finally:
            _NAME_SEARCH.reset(token)
        count, items = read
        # The API's list reads only its columns (select_columns): none of what precharger loads, whose reads of
        # the unloaded session_jury_id would cost one query per row.
        if self.obj is Candidature and not select_columns:
            precharger(items)
        return count, items

    def _par_la_cle(self, filters, order_column, order_direction, page, page_size, select_columns):
        """A page of the list in the order of « Dernière modification » read without a big OFFSET: after or before
        the row of the URL's cursor, `(updated_at, id) < cursor ORDER BY updated_at DESC, id DESC LIMIT n` (or the
        other way round, rows reversed); a page of the list's second half from its end (« Dernière page »: the
        last rows read in the other order, reversed); the others by their OFFSET. None: not this list's default
        order, FAB reads it."""
        if self.obj is not Candidature or order_column != "updated_at" or not page_size:
            return None
        if select_columns and self.exists_col_to_many(select_columns):
            return None
        page = page or 0
        ordre = "asc" if order_direction == "asc" else "desc"
        lecture = _LECTURE.get()
        user = perimeter.current_user()
        contexte = [page, page_size, ordre, empreinte(filters), user.id if user else None]
        base = self.session.query(self.obj)
        count = self.query_count(base, filters, select_columns)
        # The filters (the perimeter's among them) and the API's columns, as FAB's own read.
        query = self._apply_inner_all(base, filters, select_columns=select_columns, aliases_mapping={})
        cle = _cle_de_tri(self._sqlite())
        lu = _lire_curseur(lecture.suite, contexte) if lecture and lecture.suite else None
        inverse = False
        if lu is not None:
            sens, moment, pk = lu
            inverse = sens == PRECEDENTE
            lecture_ordre = _sens_contraire(ordre) if inverse else ordre
            position = tuple_(*cle)
            query = query.where(
                position < tuple_(moment, pk) if lecture_ordre == "desc" else position > tuple_(moment, pk)
            )
            query = self._ordonner(query, cle, lecture_ordre).limit(page_size)
        else:
            reste = count - page * page_size  # this page's rows and those after it
            depuis_la_fin = max(reste - page_size, 0)
            if page and reste > 0 and depuis_la_fin < page * page_size:
                inverse = True
                query = self._par_offset(
                    query, filters, cle, _sens_contraire(ordre), depuis_la_fin, min(page_size, reste)
                )
            else:
                query = self._par_offset(query, filters, cle, ordre, page * page_size, page_size)
        rows = query.all()
        if inverse:
            rows.reverse()
        items = (
            [getattr(row, self.obj.__name__) for row in rows] if rows and hasattr(rows[0], self.obj.__name__) else rows
        )
        if lecture is not None and items:
            _, taille, ordre, filtres, uid = contexte
            last, first = items[-1], items[0]
            lecture.suivante = curseur(SUIVANTE, page + 1, taille, ordre, filtres, uid, last.updated_at, last.id)
            # Page 1 is read by its number: from it, nothing newer is out of reach.
            if page > 1:
                lecture.precedente = curseur(
                    PRECEDENTE, page - 1, taille, ordre, filtres, uid, first.updated_at, first.id
                )
        return count, items

    def _par_offset(self, query, filters, cle, ordre: str, offset: int, limit: int):
        """A page read by its OFFSET: the ids of its rows first, then the rows (a deferred join). Skipping 20,000
        rows costs little while they are index entries (the key, the perimeter's columns: an index-only scan) and
        much when each is a whole row read from the table: a network's page 1 000 took 630 ms of SQL, 33 ms so."""
        if not offset:
            return self._ordonner(query, cle, ordre).limit(limit)
        ids = self._apply_inner_all(self.session.query(self.obj.id), filters, aliases_mapping={})
        ids = self._ordonner(ids, cle, ordre).offset(offset).limit(limit).subquery()
        return self._ordonner(query.filter(self.obj.id.in_(select(ids.c.id))), cle, ordre)

    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    @staticmethod
    def _ordonner(query, cle, ordre: str):
        direction = asc if ordre == "asc" else desc
        return query.order_by(*(direction(part) for part in cle))
