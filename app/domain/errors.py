"""Domain errors carry a French message for a person; views flash it, the API returns it."""


class DomainError(Exception):
    """A rule refused the request (API 409)."""

    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Input does not satisfy a rule; `errors` maps field name → list of French messages (API 422)."""

    status = 422

    def __init__(self, errors: dict):
        self.errors = {
            field: list(msgs) if isinstance(msgs, (list, tuple)) else [msgs] for field, msgs in errors.items()
        }
        first = next(iter(self.errors.values()))[0] if self.errors else "Données invalides."
        super().__init__(first)


class NotFound(DomainError):
    """The record does not exist or lies outside the user's perimeter (always 404)."""

    status = 404

    def __init__(self, message: str = "Élément introuvable."):
        super().__init__(message)


class Forbidden(DomainError):
    """The user's profile does not allow this kind of action (403)."""

    status = 403

    def __init__(self, message: str = "Vous n'avez pas les droits nécessaires pour cette action."):
        super().__init__(message)


class TooManyAttempts(DomainError):
    """Too many failed logins for an account or from an address: refused until the time the message says (429)."""

    status = 429


MODIFIEE = (
    "Cette fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte : vos modifications n'ont pas "
    "été enregistrées. Ses valeurs actuelles sont affichées ; refaites votre modification à partir d'elles."
)


class StaleVersion(DomainError):
    """A save made on an old version of a record (optimistic locking, API 409): nothing is overwritten. `record`
    is the record as saved meanwhile (the API answers it, the form shows what changed)."""

    def __init__(self, record=None, message: str = MODIFIEE):
        super().__init__(message)
        self.record = record
