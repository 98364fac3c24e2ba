"""SIREN / SIRET / NAF / numéro de déclaration d'activité checks (domain.md §1).

Each check returns None when the value is valid, or the French message to show. The SIREN and SIRET keys are
checked by python-stdnum (`stdnum.fr.siren`, `stdnum.fr.siret`: Luhn, and a SIRET's first 9 digits must be a
valid SIREN); La Poste's exception is a rule of ours (`la_poste_siret_valid`).
"""

import re

from stdnum import luhn
from stdnum.fr import siren as stdnum_siren, siret as stdnum_siret

LA_POSTE_SIREN = "356000000"
# La Poste's head office is the one establishment of La Poste whose SIRET follows Luhn (INSEE).
LA_POSTE_SIEGE_SIRET = "35600000000048"


def luhn_valid(digits: str) -> bool:
    """The Luhn key of a string of digits (python-stdnum); the demo data builds its numbers with it."""
    return luhn.is_valid(digits)


def la_poste_siret_valid(siret: str) -> bool:
    """La Poste (SIREN 356000000): its establishments do not follow Luhn, their 14 digits add up to a multiple
    of 5; only the head office follows Luhn."""
    return siret == LA_POSTE_SIEGE_SIRET or sum(int(c) for c in siret) % 5 == 0


def clean_digits(value) -> str:
    """Spaces are tolerated in input (« 123 456 789 »)."""
    return re.sub(r"\s+", "", str(value or ""))


def siren_error(value) -> str | None:
    siren = clean_digits(value)
    if not re.fullmatch(r"[0-9]{9}", siren):
        return "Le SIREN doit comporter exactement 9 chiffres."
    if not stdnum_siren.is_valid(siren):
        return "Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte)."
    return None


def siret_format_valid(value) -> bool:
    """14 digits (spaces tolerated), whatever the key."""
    return bool(re.fullmatch(r"[0-9]{14}", clean_digits(value)))


def siret_error(value) -> str | None:
    siret = clean_digits(value)
    if not siret_format_valid(siret):
        return "Le SIRET doit comporter exactement 14 chiffres."
    if siret.startswith(LA_POSTE_SIREN):
        return None if la_poste_siret_valid(siret) else "Ce numéro SIRET de La Poste n'est pas valide."
    if not stdnum_siret.is_valid(siret):
        return "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte)."
    return None


def siret_matches_siren_error(siret, siren) -> str | None:
    if clean_digits(siret)[:9] != clean_digits(siren):
        return f"Le SIRET doit commencer par le SIREN de l'organisme ({clean_digits(siren)})."
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
