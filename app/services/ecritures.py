"""One write path for the records that FAB's generic pages and REST resources edit (networks, organisations,
establishments, certifiers, news): FAB's data interface hands every add, edit and delete to the record's
service, which applies its rules; the write is one transaction with its audit line.

A service registers its rule with `@regle(Model, …)`: `rule(user, item, before)` receives the record as the
form or the API body left it and its values before the request (None for a new record), may complete it and
raises a domain error to refuse. Views and resources declare `datamodel = ServiceInterface(Model)`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import DomainError, StaleVersion
from app.extensions import db
from app.security import perimeter

INTEGRITE = "Cet enregistrement existe déjà ou entre en conflit avec un autre."
EN_USAGE = (
    "Cet enregistrement est utilisé ailleurs (historique, habilitations, utilisateurs…) : il ne peut pas "
    "être supprimé. Désactivez-le plutôt."
)

Rule = Callable[[Any, Any, dict | None], None]
RULES: dict[type, Rule] = {}


def regle(*models: type):
    """Register the rule that every write of these models goes through."""

    def register(rule: Rule) -> Rule:
        for model in models:
            RULES[model] = rule
        return rule

    return register


def valeurs(item) -> tuple[dict | None, dict]:
    """The record's values before this request's changes (None for a new record) and after them, columns and
    relationships alike."""
    state = inspect(item)
    after = {attr.key: getattr(item, attr.key) for attr in state.mapper.column_attrs}
    after.update({rel.key: getattr(item, rel.key) for rel in state.mapper.relationships})
    if not state.persistent:
        return None, after
    before = dict(after)
    for key in after:
        history = state.attrs[key].history
        if history.has_changes():
            before[key] = history.deleted[0] if history.deleted else None
    return before, after


def verifier_version(record, version) -> None:
    """Optimistic locking: a save made on `version` of the record (None: the caller did not say) is refused
    once someone else saved a newer one; nothing is overwritten and the refusal carries the saved record
    (the API answers it, the form shows what changed)."""
    if version is not None and version != record.version:
        raise StaleVersion(record)


def ecrire(item, user=None) -> None:
    """Add or edit `item` through its rule, in one transaction."""
    user = user if user is not None else perimeter.current_user()
    rule = RULES.get(type(item))
    if rule is not None:
        try:
            with db.session.no_autoflush:  # the rule's queries must not write a half-checked record
                before, _after = valeurs(item)
                rule(user, item, before)
        except DomainError:
            db.session.rollback()  # nothing of a refused change stays in the session
            raise
    db.session.add(item)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(INTEGRITE) from None
    except StaleDataError:  # saved by someone else between our read and our write (the version column)
        db.session.rollback()
        raise StaleVersion(item) from None


def effacer(item) -> None:
    db.session.delete(item)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(EN_USAGE) from None


class MemoFilterConverter(SQLAFilterConverter):
    """FAB's filters of a column, made once per data interface: FAB builds a new `Filters` of every column of the
    model several times per list request (the view's, the inner query's copy), ~7 % of a CANDIDATURE page.
    The filters hold no state of a request (column name and interface only); each call gets its own list, which
    FAB extends in place with a view's `search_filters`."""

    _made: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def convert(self, col_name):
        made = self._made.setdefault(self.datamodel, {})
        key = (type(self), col_name)
        if key not in made:
            made[key] = self.make(col_name)
        return None if made[key] is None else list(made[key])

    def make(self, col_name):
        return super().convert(col_name)


class ServiceInterface(SQLAInterface):
    """FAB's data interface whose writes go through the record's service (the reads stay FAB's)."""

    filter_converter_class = MemoFilterConverter

    def add(self, item, commit: bool = True) -> None:
        ecrire(item)

    def edit(self, item, commit: bool = True) -> None:
        ecrire(item)

    def delete(self, item, commit: bool = True) -> None:
        effacer(item)
