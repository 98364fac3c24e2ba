"""The verification of a certificate (api.md "Certificate verification"): its code and what the public page shows.

The code is printed on the PDF with a QR code leading to `/verifier/<code>`. It is drawn by `secrets` (120 bits:
not guessable, nor found by trying codes, the page being rate-limited too) and written with the URL-safe alphabet
(letters, digits, « - », « _ »). The page confirms the certificate's number, certification and date and the
holder's initials and birth year — nothing more: neither the names, nor the birth day, nor the establishment.
"""

import re
import secrets

CODE_OCTETS = 15  # 120 bits of randomness; token_urlsafe writes them as 20 characters
CODE_LONGUEUR = 20
CODE_RE = re.compile(rf"[A-Za-z0-9_-]{{{CODE_LONGUEUR}}}")


def nouveau_code() -> str:
    return secrets.token_urlsafe(CODE_OCTETS)


def code_valide(code) -> bool:
    """A code of the platform's shape (anything else names no certificate: 404 without asking the database)."""
    return isinstance(code, str) and CODE_RE.fullmatch(code) is not None


def chemin_de_verification(code: str) -> str:
    return f"/verifier/{code}"


def _initiale_du_prenom(prenom: str) -> str:
    """« Jean-Pierre » → « J.-P. », « Marie Claire » → « M. C. »."""
    return " ".join("-".join(f"{s[0].upper()}." for s in mot.split("-") if s) for mot in prenom.split())


def initiales(prenom: str | None, nom: str | None) -> str:
    """The holder's initials, as the certificate names them (first name, birth name): « Lucas CHEVALIER » → « L. C. »,
    « Jean-Pierre DE LA TOUR » → « J.-P. D. » (one letter for the birth name)."""
    nom = (nom or "").strip()
    return " ".join(i for i in (_initiale_du_prenom(prenom or ""), f"{nom[0].upper()}." if nom else "") if i)
