"""Field checks shared by the forms and the API: each returns a French message or None."""

import re

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .\-()]{10,20}$")
URL_RE = re.compile(r"^https?://[^\s]+\.[^\s]+$", re.IGNORECASE)
REQUIRED = "Ce champ est obligatoire."
# FAB's own messages about a list's filters, order and columns (REST `q`, exports of a list), in French.
FAB_MESSAGES = [
    (re.compile(r"^Filter column: (.*) not allowed to filter"), r"Filtre impossible sur la colonne « \1 »."),
    (
        re.compile(r"^Filter operation: (.*) not allowed on column: (.*)"),
        r"Opération de filtre « \1 » impossible sur la colonne « \2 ».",
    ),
    (re.compile(r"^Invalid order by column: (.*)"), r"Tri impossible sur la colonne « \1 »."),
    (re.compile(r"^Invalid select column: (.*)"), r"Colonne inconnue : « \1 »."),
]


def fab_message_fr(message):
    """FAB's message in French, or None when it is not one of FAB_MESSAGES."""
    if isinstance(message, str):
        for pattern, french in FAB_MESSAGES:
            if pattern.match(message):
                return pattern.sub(french, message)
    return None


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def email_error(value):
    if blank(value):
        return None
    if len(value) > 254 or not EMAIL_RE.match(value.strip()):
        return "Adresse email invalide."
    return None


def phone_error(value):
    if blank(value):
        return None
    if not PHONE_RE.match(value.strip()):
        return "Numéro de téléphone invalide."
    return None


def url_error(value):
    if blank(value):
        return None
    if not URL_RE.match(value.strip()):
        return "Adresse de site web invalide (elle doit commencer par http:// ou https://)."
    return None


class Errors(dict):
    """field → [messages]; `add` keeps the first problem of each kind."""

    def add(self, field, message):
        if message:
            self.setdefault(field, []).append(message)

    def required(self, values, *fields):
        for field in fields:
            if blank(values.get(field)):
                self.add(field, REQUIRED)

    def max_lengths(self, values, model):
        for column in model.__table__.columns:
            length = getattr(column.type, "length", None)
            value = values.get(column.key)
            if length and isinstance(value, str) and len(value) > length:
                self.add(column.key, f"Ce champ ne doit pas dépasser {length} caractères.")
