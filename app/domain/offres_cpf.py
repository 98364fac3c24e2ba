"""The CPF catalogue offer of an establishment (issue 18 §6, seed 004 « Créer une formation Cléa » in EDOF): what
EDOF needs to describe a CléA or CléA numérique training, and how it reads in LHÉO (the French standard of
training-offer exchange, github.com/lheo/lheo-schema, version 2.3). Pure data: no Flask, no database."""

# The two certifications of the Répertoire spécifique (seed 004) and their titles as EDOF imports them.
CODES_RS = {"clea": "RS2203", "clea_numerique": "RS3936"}
INTITULES_CERTIFICATION = {
    "clea": "Socle de connaissances et de compétences professionnelles (CléA)",
    "clea_numerique": "Socle de connaissances et de compétences professionnelles numérique (CléA Numérique)",
}
# Pre-filled by EDOF for both (seed 004, step 5): FORMACODE 15041, NSF 100, « Sans niveau spécifique » at the exit.
FORMACODE = "15041"
NSF = "100"

# « Type de parcours de formation » (seed 004, step 12): EDOF's codes and labels.
TYPES_PARCOURS = {
    "96211": "Individualisé",
    "96212": "Modulaire",
    "96213": "Collectif",
    "96214": "Mixte",
}
# The same in LHÉO's dictionary dict-type-parcours (1 en groupe, 2 individualisé, 3 modularisé, 4 mixte).
PARCOURS_LHEO = {"96211": "2", "96212": "3", "96213": "1", "96214": "4"}

# Field limits: EDOF's counters (points forts 0 / 255, résultats attendus 0 / 3000, seed 004 step 11) and
# LHÉO's lengths (intitulé 255, objectif and contenu 3000, an address line 50, a town 50, a postal code 5).
LIMITES = {
    "numero_interne": 50,
    "intitule_formation": 255,
    "points_forts": 255,
    "objectif_formation": 3000,
    "resultats_attendus": 3000,
    "contenu_formation": 3000,
}
LIMITES_SESSION = {"adresse": 50, "ville": 50}
SESSIONS_MAX = 50

LIBELLES = {
    "certification": "Certification",
    "numero_interne": "Numéro interne de l'action",
    "intitule_formation": "Intitulé de la formation",
    "points_forts": "Les points forts de la formation",
    "objectif_formation": "Objectifs de la formation",
    "resultats_attendus": "Résultats attendus de la formation",
    "contenu_formation": "Contenu de la formation",
    "type_parcours": "Type de parcours de formation",
    "debut": "Date de début",
    "fin": "Date de fin",
    "adresse": "Adresse",
    "code_postal": "Code postal",
    "ville": "Ville",
}


def libelle_parcours(code: str | None) -> str:
    return f"{code} - {TYPES_PARCOURS[code]}" if code in TYPES_PARCOURS else (code or "")
