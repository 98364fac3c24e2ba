"""Names compared whatever their accents and case: the duplicate key and the search key of a candidate
(`sans_accents`: upper case), the typed words of a search (`normalise`: lower case, no ligature)."""

import unicodedata

LIGATURES = (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE"))


def sans_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().replace("-", " ").replace("'", " ").split())


def normalise(texte: str) -> str:
    """Lower case, no accent, no ligature; hyphens and apostrophes are spaces."""
    for lig, plain in LIGATURES:
        texte = texte.replace(lig, plain)
    return sans_accents(texte.replace("’", " ")).lower()
