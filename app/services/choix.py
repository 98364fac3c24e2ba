"""The quick pickers (issue 17): a field naming an establishment, an organisation, a network or a certifier is
chosen by typing a part of its name, never from a list of every record. A `Source` says which records a field
offers to a user — the perimeter's (`perimeter.related_clause`, as FAB's dropdowns had them) unless it says
more (active and habilitated establishments…) —; this module answers what was typed (`chercher`), names the
chosen record for the page (`choisis`), and finds the posted one among those offered (`parmi`).

The words typed are looked for in the name, accent- and case-free (`mots_contenus`, also the directory's)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import all_, false, func, literal_column, select
from sqlalchemy.dialects import postgresql

from app.domain import noms
from app.domain.noms import normalise
from app.extensions import db
from app.security import perimeter

PAR_PAGE = 20
TEXTE_MAX = 100
MOTS_MAX = 10


@dataclass(frozen=True)
class Source:
    """The records a field offers: `model`'s rows that `perimetre(model, user)` lets the user choose (by default
    those a form's related field may name: `perimeter.related_clause`), further limited by `offerts(user)` (WHERE
    clauses), shown as `libelle(record)`; `seulement_si(user)` false: the field offers nothing."""

    model: Any
    offerts: Callable[[Any], list] | None = None
    libelle: Callable[[Any], str] = str
    seulement_si: Callable[[Any], bool] | None = None
    perimetre: Callable[[Any, Any], Any] = perimeter.related_clause

    def query(self, user):
        query = select(self.model).where(self.perimetre(self.model, user))
        if self.seulement_si is not None and not self.seulement_si(user):
            return query.where(false())
        if self.offerts is not None:
            query = query.where(*self.offerts(user))
        return query


def chercher(source: Source, user, texte: str = "", page: int = 1) -> tuple[list[tuple[int, str]], bool]:
    """A page of the records offered whose name holds every word typed, by name; and whether more follow."""
    query = source.query(user).order_by(source.model.nom, source.model.id)
    query = query.where(*mots_contenus(source.model.nom, (texte or "")[:TEXTE_MAX]))
    page = min(max(page, 1), 1000)
    found = list(db.session.execute(query.offset((page - 1) * PAR_PAGE).limit(PAR_PAGE + 1)).scalars())
    return [(o.id, source.libelle(o)) for o in found[:PAR_PAGE]], len(found) > PAR_PAGE


def parmi(source: Source, user, valeur):
    """The record posted (its id) if the field offers it to the user, else None (unknown, outside the perimeter
    or not offered: the same answer)."""
    pk = perimeter.parse_pk(valeur)
    if pk is None:
        return None
    return db.session.execute(source.query(user).where(source.model.id == pk)).scalar_one_or_none()


def choisis(source: Source, user, valeur) -> list[tuple[int, str]]:
    """The option a page carries for a field's value (so that the form shows it again after an error): the
    record if offered; nothing otherwise."""
    record = parmi(source, user, valeur)
    return [] if record is None else [(record.id, source.libelle(record))]


def offre(source: Source, user) -> bool:
    """Whether the field offers the user anything at all (a page shows it only then)."""
    query = source.query(user).with_only_columns(source.model.id).limit(1)
    return db.session.execute(query).first() is not None


def seul(source: Source, user) -> int | None:
    """The id of the one record offered, when there is only one (chosen in advance, e.g. one's establishment)."""
    ids = list(db.session.execute(source.query(user).with_only_columns(source.model.id).limit(2)).scalars())
    return ids[0] if len(ids) == 1 else None


# --- Accent- and case-insensitive « contient » ------------------------------------------------------
def mots_contenus(expression, texte: str) -> list:
    """WHERE clauses: every word of `texte` appears in `expression` (a text column or a concatenation), whatever
    the accents and the case. No word: no clause."""
    mots = normalise(texte).split()[:MOTS_MAX]
    if not mots:
        return []
    patterns = ["%" + _escape(mot) + "%" for mot in mots]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Decomposed, then the accents (combining marks) removed; computed once a row for all the words
        # (LIKE ALL; backslash is PostgreSQL's default LIKE escape).
        expr = func.regexp_replace(func.normalize(expression, literal_column("NFKD")), r"[\u0300-\u036f]", "", "g")
        for lig, plain in noms.LIGATURES:
            expr = func.replace(expr, lig, plain)
        return [func.lower(expr).like(all_(postgresql.array(patterns)))]
    # SQLite has neither normalize() nor lower() beyond ASCII: it is given `normalise` itself.
    connection.connection.driver_connection.create_function(  # type: ignore[union-attr]  # pysqlite's
        "clea_sans_accents", 1, lambda value: None if value is None else normalise(value), deterministic=True
    )
    return [func.clea_sans_accents(expression).like(pattern, escape="\\") for pattern in patterns]


def _escape(texte: str) -> str:
    return texte.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
