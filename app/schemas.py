"""Input shape, once: marshmallow schemas (the library FAB's REST API already uses) describe the fields, their
types and lengths for the API bodies and the forms alike. Services load their input through a schema and keep
the business rules; a refused input is a `ValidationFailed` whose messages are French.

    class MessageInput(Input):
        message = Text(max_length=5000)

    MessageInput().load({"message": 12})  →  ValidationFailed({"message": ["Une chaîne de caractères est attendue."]})
"""

from __future__ import annotations

import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.domain.dates import DATE_INVALIDE, parse_date
from app.domain.errors import ValidationFailed

REQUIRED = "Ce champ est obligatoire."
NOT_TEXT = "Une chaîne de caractères est attendue."
TOO_LONG = "Ce champ ne doit pas dépasser {max} caractères."
BAD_DATE = DATE_INVALIDE
TRUE_WORDS = {"1", "true", "oui", "y", "on"}


class Text(fields.String):
    """A text, stripped; None and missing stay None. `max_length` is the column's length."""

    default_error_messages = {"invalid": NOT_TEXT, "required": REQUIRED, "null": REQUIRED, "invalid_utf8": NOT_TEXT}

    def __init__(
        self,
        max_length: int | None = None,
        too_long: str = TOO_LONG,
        not_text: str = NOT_TEXT,
        numbers: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        validators = [validate.Length(max=max_length, error=too_long)] if max_length else []
        super().__init__(validate=validators, **kwargs)
        self.error_messages = {**self.error_messages, "invalid": not_text}
        self.numbers = numbers  # a number typed for a code (postal code, SIREN…) is taken as its text

    def _deserialize(self, value, attr, data, **kwargs):
        if self.numbers and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Day(fields.Field):
    """A calendar day typed jj/mm/aaaa (forms) or aaaa-mm-jj (API), or a date object."""

    default_error_messages = {"invalid": BAD_DATE, "required": REQUIRED, "null": REQUIRED}

    def __init__(self, invalid: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(**kwargs)
        if invalid:
            self.error_messages = {**self.error_messages, "invalid": invalid}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not value.strip():
            return None
        try:
            return parse_date(value)
        except ValueError:
            raise self.make_error("invalid") from None


class DayText(fields.Field):
    """A date as typed (text) or as a date object, left for the service's date rule to read."""

    default_error_messages = {"invalid": NOT_TEXT}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (str, datetime.date)):
            return value
        raise self.make_error("invalid")


class Whole(fields.Field):
    """A whole number in [minimum, maximum] (a bound may be a function, e.g. next year), from an int or its
    digits: no bool, float or sign. `invalid` is the field's French message."""

    def __init__(self, minimum, maximum, invalid: str, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", False)  # a missing number is refused with the same message
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.error_messages = {**self.error_messages, "invalid": invalid, "null": invalid, "required": invalid}

    @staticmethod
    def _bound(bound) -> int:
        return bound() if callable(bound) else bound

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            text = value.strip()
            value = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        if not self._bound(self.minimum) <= value <= self._bound(self.maximum):
            raise self.make_error("invalid")
        return value


class Ids(fields.Field):
    """A list of record ids (one id alone is taken as a list of one); the service finds them in the perimeter."""

    default_error_messages = {"not_list": "Une liste d'identifiants est attendue.", "invalid": "Identifiant invalide."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", list)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        from app.security.perimeter import parse_pk

        if isinstance(value, (int, str)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise self.make_error("not_list")
        ids = [parse_pk(item) for item in value]  # no bool, float or number too large for the database
        if any(pk is None for pk in ids):
            raise self.make_error("invalid")
        return ids


class Ident(fields.Field):
    """The id of a related record, as a number or its digits (the service finds it inside the perimeter)."""

    default_error_messages = {"invalid": "Identifiant invalide."}

    def __init__(self, not_id: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("load_default", None)
        super().__init__(**kwargs)
        if not_id:
            self.error_messages = {**self.error_messages, "invalid": not_id}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.make_error("invalid")
        return value


class Flag(fields.Field):
    """A checkbox: « 1 », « oui », « on », « true » or a JSON boolean."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", False)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value.strip().lower() in TRUE_WORDS
        return bool(value)


class Input(Schema):
    """Base of the platform's input schemas: unknown keys are left to the caller (an API may refuse them),
    errors are raised as `ValidationFailed` with the field's French messages."""

    class Meta:
        unknown = EXCLUDE

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs):
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise ValidationFailed({field: _flat(msgs) for field, msgs in messages.items()})


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, (list, tuple)):
        return [m for value in messages for m in _flat(value)]
    return [str(messages)]


def fresh(schema: Schema) -> Schema:
    """A new instance of a module-level schema, for one call: requests served at the same time never share a
    schema's state (a schema instance is not meant to be shared between threads)."""
    return type(schema)(
        only=schema.only,
        exclude=schema.exclude,
        many=schema.many,
        load_only=schema.load_only,
        dump_only=schema.dump_only,
        partial=schema.partial,
        unknown=schema.unknown,
    )


def shape_errors(schema: Schema, values) -> dict[str, list[str]]:
    """The schema's French messages for `values`, without raising (for services that gather every error)."""
    try:
        fresh(schema).load(values)
    except ValidationFailed as exc:
        return exc.errors
    return {}


def text_fields(model, names, **kwargs: Any) -> dict[str, fields.Field]:
    """Text fields whose maximum lengths are the model's columns' (one source: the model)."""
    columns = model.__table__.columns
    return {name: Text(max_length=getattr(columns[name].type, "length", None), **kwargs) for name in names}
