"""marshmallow's validation messages in French (the API answers 422 with French messages per field)."""

from marshmallow import fields, validate
from marshmallow.schema import Schema

MESSAGES = {
    fields.Field: {
        "required": "Ce champ est obligatoire.",
        "null": "Ce champ ne peut pas être vide.",
        "validator_failed": "Valeur invalide.",
    },
    fields.String: {
        "invalid": "Une chaîne de caractères est attendue.",
        "invalid_utf8": "Texte invalide (UTF-8 attendu).",
    },
    fields.Integer: {"invalid": "Un nombre entier est attendu.", "too_large": "Nombre trop grand."},
    fields.Number: {"invalid": "Un nombre est attendu.", "too_large": "Nombre trop grand."},
    fields.Boolean: {"invalid": "Une valeur booléenne (true/false) est attendue."},
    fields.Date: {
        "invalid": "Date invalide (format AAAA-MM-JJ attendu).",
        "format": "Date invalide (format AAAA-MM-JJ attendu).",
    },
    fields.DateTime: {
        "invalid": "Date et heure invalides (format ISO attendu).",
        "format": "Date et heure invalides (format ISO attendu).",
    },
    fields.List: {"invalid": "Une liste est attendue."},
    fields.Nested: {"type": "Un objet est attendu."},
    fields.Email: {"invalid": "Adresse email invalide."},
}


ENGLISH_TO_FRENCH: dict[str, str] = {
    "Unknown field.": "Champ inconnu.",
    "Invalid input type.": "Un objet JSON est attendu.",
}


def install():
    for cls, messages in MESSAGES.items():
        english = getattr(cls, "default_error_messages", {})
        for key, french in messages.items():
            if isinstance(english.get(key), str):
                ENGLISH_TO_FRENCH[english[key]] = french
        cls.default_error_messages = {**english, **messages}
    Schema._default_error_messages = {
        "type": "Un objet JSON est attendu.",
        "unknown": "Champ inconnu.",
    }
    validate.Length.message_min = "Au moins {min} caractères."
    validate.Length.message_max = "Au plus {max} caractères."
    validate.Length.message_all = "Entre {min} et {max} caractères."
    validate.Length.message_equal = "Exactement {equal} caractères."
    validate.Range.message_min = "Doit être supérieur ou égal à {min}."
    validate.Range.message_max = "Doit être inférieur ou égal à {max}."
    validate.Range.message_all = "Doit être compris entre {min} et {max}."
    validate.OneOf.default_message = "Valeur non autorisée."


def translate(messages):
    """French for marshmallow messages produced by schemas built before install() (FAB's login payload)."""
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    if isinstance(messages, str):
        return ENGLISH_TO_FRENCH.get(messages, messages)
    return messages
