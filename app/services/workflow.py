"""The one service that runs an event of any state machine (app/domain/machine.py), in one transaction:

    the event's right (403) → load in the perimeter (404, before any validation) → lock the row → the input's
    schema and rules (422) → refusal from the table (409) → the event's effect → the status the table gives
    → audit line → flush → notices (notifications + outbox mails), mails to the person the record is about → commit
    → the outbox is flushed.

A machine is bound to its model with `bind()`; what an event does beyond changing the status (set the certifier,
record a decision…) is its *effect*, registered with `@effect(machine, "event")`. Effects shape their input
(`schema`) and check it (`prepare`) before the record changes, change the record without flushing (`apply`,
which returns the words the audit line and notices need) and may finish after the flush (`after`, e.g. a
certificate that needs the ids).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy import Date, DateTime, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app.answers import CONFLIT
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.machine import Machine, PersonMail
from app.extensions import db
from app.models.audit import AuditLog
from app.models.base import utcnow
from app.schemas import fresh
from app.security import perimeter
from app.services import audit, notifications

Context = dict[str, Any]


@dataclass(frozen=True)
class Binding:
    model: type
    describe: Callable[[Any], Context]  # the record's words for audit lines and notices
    link: Callable[[Any], str | None]  # where a notification leads
    audiences: Mapping[str, Callable[[Any, Context], list]]  # Notice.recipients → users
    # Why the record takes no event at all, whatever its status (None: it may) — e.g. an anonymised file.
    frozen: Callable[[Any], str | None] = lambda record: None
    # How an event's `PersonMail` reaches the person the record is about: (record, subject, text) → queued or not.
    person_mail: Callable[[Any, str, str], Any] | None = None


@dataclass
class Effect:
    schema: Schema | None = None  # the input's shape (app/schemas.py): names, types, lengths
    prepare: Callable[..., dict] | None = None  # the input's rules → cleaned parameters (before any load)
    apply: Callable[..., Context | None] | None = None  # (record, user, **params) → context; no flush
    after: Callable[..., None] | None = None  # (record, user, context) after the flush


BINDINGS: dict[str, Binding] = {}
EFFECTS: dict[tuple[str, str], Effect] = {}


def bind(machine: Machine, binding: Binding) -> None:
    BINDINGS[machine.name] = binding


def effect(machine: Machine, event: str, schema: Schema | None = None, prepare: Callable[..., dict] | None = None):
    """Register the `apply` step of an event (the decorated function); its input is loaded through `schema`,
    then `prepare` applies the input's rules, before anything is loaded."""
    if event not in machine.events:
        raise ValueError(f"{machine.name} n'a pas d'événement {event}")

    def register(function):
        current = EFFECTS.get((machine.name, event), Effect())
        EFFECTS[(machine.name, event)] = dataclasses.replace(current, schema=schema, prepare=prepare, apply=function)
        return function

    return register


def after(machine: Machine, event: str):
    """Register the `after` step of an event."""

    def register(function):
        current = EFFECTS.get((machine.name, event), Effect())
        EFFECTS[(machine.name, event)] = dataclasses.replace(current, after=function)
        return function

    return register


def parameters(machine: Machine, event: str) -> tuple[str, ...]:
    """The input an event takes (the names its `prepare` accepts): the API body's keys, the form's fields."""
    steps = EFFECTS.get((machine.name, event), Effect())
    if steps.schema is not None:
        return tuple(steps.schema.fields)
    if steps.prepare is None:
        return ()
    return tuple(inspect.signature(steps.prepare).parameters)


# How long a record that left a user's perimeter through someone else's action is still explained, not hidden.
JUST_NOW = datetime.timedelta(minutes=10)
PARTI = (
    "Ce dossier vient de changer pendant votre action : « {action} », par {qui}. Il n'est plus dans votre "
    "périmètre : votre action n'a pas été faite."
)


def just_left(model: Any, user, pk) -> str | None:
    """Why a record the user cannot see *now* was theirs a moment ago (None: it never was, or not lately, and
    the answer stays the 404 of any record outside the perimeter). Two people acting on the same file at the
    same time — a certifier's « Affecter à un jury » and the organisation's « Annuler l'envoi » — the loser is
    told what happened (409) instead of being told the file does not exist.

    The audit trail says what the recent changes of the record were; the perimeter's own clause is asked about
    the record as it was before them (its old values put back inside a SAVEPOINT that is rolled back), so the
    rule stays the perimeter's, whatever the model. Call it where a 404 is about to be answered (the engine's
    `locked`, a perimeter-first hook)."""
    pk = perimeter.parse_pk(pk)
    entity = audit.ENTITY_NAMES.get(model)
    if pk is None or entity is None or user is None:
        return None
    if db.session.execute(select(model.id).where(model.id == pk)).first() is None:
        return None  # no such record: nothing to explain
    since = utcnow() - JUST_NOW
    lines = db.session.execute(
        select(AuditLog)
        .where(AuditLog.entity_type == entity, AuditLog.entity_id == pk, AuditLog.created_at >= since)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(10)
    ).scalars()
    columns = model.__table__.columns
    before: dict[str, Any] = {}
    for line in lines:  # newest first: going back in time, one change after the other
        for key, change in (line.changes or {}).items():
            column = columns.get(key)
            if column is None or key in ("id", "version") or not isinstance(change, list) or len(change) != 2:
                continue
            if isinstance(column.type, (Date, DateTime)):
                continue  # no perimeter rule reads a date; the trail keeps them as text
            before[key] = change[0]
        if before and _was_visible(model, pk, before, user):
            return PARTI.format(action=line.action_label, qui=line.user_name or "un autre utilisateur")
    return None


def _explain_departure(model: Any, user, pk) -> None:
    """Perimeter first (app/security/perimeter.py): before a route answers 404, the record that just left the
    user's perimeter through a concurrent change is explained (409), as the engine does for its events."""
    reason = just_left(model, user, pk)
    if reason is not None:
        raise DomainError(reason)


perimeter.EXPLANATIONS.append(_explain_departure)


def _was_visible(model: Any, pk: int, values: dict, user) -> bool:
    """Would the perimeter show the record with these values? Asked inside a SAVEPOINT rolled back at once."""
    table = model.__table__
    nested = db.session.begin_nested()
    try:
        db.session.execute(update(table).where(table.c.id == pk).values(**values))
        found = db.session.execute(select(model.id).where(model.id == pk).where(perimeter.clause(model, user)))
        return found.first() is not None
    except SQLAlchemyError:
        return False
    finally:
        nested.rollback()


def locked(model: Any, user, pk):
    """The record inside the user's perimeter (404 otherwise — or 409 saying why, when it has just left the
    perimeter through someone else's action), locked for the transaction on PostgreSQL."""
    try:
        record = perimeter.get_visible(model, pk, user)
    except NotFound:
        reason = just_left(model, user, pk)
        if reason is not None:
            raise DomainError(reason) from None
        raise
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(model.id).where(model.id == record.id).with_for_update())
        db.session.refresh(record)
    return record


def _with_tab(link: str | None, tab: str) -> str | None:
    """The record's page, opened on the notice's tab (« #decision »)."""
    return f"{link}#{tab}" if link and tab else link


def check(machine: Machine, event: str, record, user) -> None:
    frozen = BINDINGS[machine.name].frozen(record)
    if frozen:
        raise DomainError(frozen)
    refusal = machine.refusal(event, getattr(record, machine.attribute), user)
    if refusal is not None:
        raise Forbidden(refusal.message) if refusal.by_right else DomainError(refusal.message)


def guarded(function):
    """A concurrent change of the same record (the version check, where no row lock exists) becomes a French
    refusal, whether it shows at a flush or at the commit."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise DomainError(CONFLIT) from None

    return call


@guarded
def run(machine: Machine, event: str, user, pk, **params):
    """Run `event` on the record `pk` for `user`; returns the record after the commit."""
    return _run(machine, event, user, pk, params)


def _run(machine: Machine, event: str, user, pk, params: dict):
    binding = BINDINGS[machine.name]
    if not machine.may(event, user):  # the right first: a profile that may not gets no say on its input
        raise Forbidden(f"Votre profil ne permet pas l'action « {machine.event(event).label} ».")
    record = locked(binding.model, user, pk)  # outside the perimeter: 404, before any validation
    params = prepared(machine, event, params)
    check(machine, event, record, user)
    apply(machine, event, record, user, params)
    db.session.commit()
    notifications.flush_outbox_quietly()
    return record


def prepared(machine: Machine, event: str, params: dict) -> dict:
    """The event's input through its schema and its rules (a refusal raises ValidationFailed)."""
    steps = EFFECTS.get((machine.name, event), Effect())
    if steps.schema is not None:
        params = fresh(steps.schema).load(params)  # one instance per request: nothing shared between threads
    if steps.prepare is not None:
        params = steps.prepare(**params)
    return params


def apply(machine: Machine, event: str, record, user, params: Mapping[str, Any]) -> Context:
    """Everything of an event but loading and committing (the daily job applies events to locked batches)."""
    binding = BINDINGS[machine.name]
    definition = machine.event(event)
    steps = EFFECTS.get((machine.name, event), Effect())
    context: Context = dict(binding.describe(record))
    context.update(params)
    if steps.apply is not None:
        # No autoflush: the effect's changes reach the database in the flush that carries the audit label.
        with db.session.no_autoflush:
            context.update(steps.apply(record, user, **params) or {})
    target = definition.target_for(record, context)
    audit.label((definition.audit or definition.label).format(**context), decision=definition.decision)
    if target is not None:
        setattr(record, machine.attribute, target)
    db.session.flush()
    if steps.after is not None:
        steps.after(record, user, context)
        db.session.flush()
    for notice in definition.notices:
        users = binding.audiences[notice.recipients](record, context)
        notifications.notify(
            users,
            notice.rubrique,
            notice.title.format(**context),
            notice.text.format(**context),
            _with_tab(binding.link(record), notice.tab),
            personne=context.get("candidat"),  # a candidate file (its describe()): its mails do not name the person
        )
    for person_mail in definition.mails:
        send_person_mail(machine, record, person_mail, context)
    return context


def send_person_mail(machine: Machine, record, person_mail: PersonMail, context: Mapping[str, Any]) -> None:
    """Queue a `PersonMail` (in the caller's transaction) when the context matches it; a service's own use case (not
    an event of the machine) calls it too, with its own wording."""
    binding = BINDINGS[machine.name]
    if binding.person_mail is None or not person_mail.applies(context):
        return
    binding.person_mail(record, person_mail.subject.format(**context), person_mail.text.format(**context))
