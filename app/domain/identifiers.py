"""SIREN / SIRET / NAF / numéro de déclaration d'activité checks (domain.md §1).

Each check returns None when the value is valid, or the French message to show.
"""
import re

LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def clean_digits(value) -> str:
    """Spaces are tolerated in input (« 123 456 789 »)."""
    return re.sub(r"\s+", "", str(value or ""))


def siren_error(value) -> str | None:
    siren = clean_digits(value)
    if not re.fullmatch(r"\d{9}", siren):
        return "Le SIREN doit comporter exactement 9 chiffres."
    if not luhn_valid(siren):
        return "Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte)."
    return None


def siret_error(value) -> str | None:
    siret = clean_digits(value)
    if not re.fullmatch(r"\d{14}", siret):
        return "Le SIRET doit comporter exactement 14 chiffres."
    if siret.startswith(LA_POSTE_SIREN):
        # La Poste: its establishments do not follow Luhn; the digits sum to a multiple of 5.
        if sum(int(c) for c in siret) % 5 == 0:
            return None
        return "Ce numéro SIRET de La Poste n'est pas valide."
    if not luhn_valid(siret):
        return "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte)."
    return None


def siret_matches_siren_error(siret, siren) -> str | None:
    if clean_digits(siret)[:9] != clean_digits(siren):
        return "Le SIRET doit commencer par le SIREN de l'organisme (%s)." % clean_digits(siren)
    return None


def naf_error(value) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{2}\.?\d{2}[A-Za-z]", str(value).strip()):
        return "Le code NAF doit comporter 4 chiffres et une lettre (ex. 85.59A)."
    return None


def normalise_naf(value) -> str | None:
    """8559a → 85.59A"""
    if not value:
        return None
    raw = str(value).strip().replace(".", "").upper()
    return raw[:2] + "." + raw[2:]


def declaration_activite_error(value) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"\d{11}", clean_digits(value)):
        return "Le numéro de déclaration d'activité doit comporter 11 chiffres."
    return None


def code_postal_error(value) -> str | None:
    if not re.fullmatch(r"\d{5}", str(value or "").strip()):
        return "Le code postal doit comporter 5 chiffres."
    return None
