"""The one mapping from errors to answers: what the API returns and what a page flashes, for every error a
service may raise. Views and the API do not catch domain errors themselves: Flask's error handlers
(app/web.py) and FAB's `@safe` (through `FrenchResponses.response_500`, app/api/base.py) both end here.

API bodies have one shape: `{"message": "…"}`, or `{"message": {field: [messages]}}` for a 422.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import MODIFIEE, DomainError, StaleVersion, ValidationFailed

CONFLIT = "Ce dossier vient d'être modifié par quelqu'un d'autre : rechargez la page pour voir son nouvel état."
# A save made on an old version (a stale `version`, `If-Match`, or a concurrent write caught by the version column).
PERIME = MODIFIEE
INTEGRITE = "Cet enregistrement existe déjà ou entre en conflit avec un autre."
ANSWERED = (DomainError, StaleDataError, IntegrityError)
# The database does not answer (down, cut, black-holed past the timeouts, pool exhausted): a French 503, nothing
# half-written (the transaction never committed), and a page that does not need the database to be drawn.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
ERREUR_INTERNE = "Une erreur interne est survenue."
INDISPONIBLE = (
    "Le service est momentanément indisponible. Aucune modification n'a été enregistrée ; veuillez réessayer."
)


def is_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, UNAVAILABLE)


def as_domain_error(exc: BaseException) -> DomainError | None:
    """The domain error an exception stands for (None: not one of ours, a real server error)."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, StaleDataError):
        return StaleVersion()
    if isinstance(exc, IntegrityError):
        return DomainError(INTEGRITE)
    return None


def api_answer(exc: DomainError, dump=None) -> tuple[dict, int]:
    """The body and status of a refusal; a stale save also answers the record as saved meanwhile (`dump` is
    the resource's way of showing a record), so that the caller sees the other person's values."""
    if isinstance(exc, ValidationFailed):
        return {"message": exc.errors}, 422
    if isinstance(exc, StaleVersion) and exc.record is not None and dump is not None:
        from sqlalchemy import inspect

        from app.extensions import db

        record = exc.record
        try:
            if inspect(record).persistent:
                db.session.refresh(record)  # the values committed by the other person, not ours
            return {"message": exc.message, "result": dump(record)}, exc.status
        except Exception:  # noqa: BLE001 - e.g. deleted meanwhile: the message alone says it
            db.session.rollback()
    return {"message": exc.message}, exc.status


def ui_message(exc: DomainError) -> str:
    """One line for a flash: a validation failure's messages, joined."""
    if isinstance(exc, ValidationFailed):
        return " ".join(message for messages in exc.errors.values() for message in messages)
    return exc.message


def field_errors(action) -> tuple[Any, dict]:
    """Run a service call whose input may be refused field by field: (result, {}) or (None, field errors),
    the refused change rolled back, for a page or an answer that shows each message with its field. Any other
    refusal is left to the handlers above, as everywhere."""
    try:
        return action(), {}
    except ValidationFailed as exc:
        from app.extensions import db

        db.session.rollback()
        return None, exc.errors
