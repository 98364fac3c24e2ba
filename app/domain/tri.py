"""French alphabetical order (issue 17: « Île-de-France » among the I's, « Établissement » among the E's): accents,
case and ligatures do not move a name; the text itself breaks ties, so that two different names never compare
equal. PostgreSQL has it from ICU (the `fr` collation of migration b8); SQLite is given `compare_fr` under the
same name (app/extensions.py)."""

import unicodedata

COLLATION = "fr"
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'"})


def cle_fr(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def compare_fr(a: str, b: str) -> int:
    left, right = (cle_fr(a), a), (cle_fr(b), b)
    return (left > right) - (left < right)
