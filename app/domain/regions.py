"""The 18 French regions (referentiels.md): one Transitions Pro certifier each."""

REGIONS = [
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Guadeloupe",
    "Guyane",
    "Hauts-de-France",
    "Île-de-France",
    "La Réunion",
    "Martinique",
    "Mayotte",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
]

MODALITES_ENVOI = ["Prestataire par candidat", "Prestataire par certificateur", "N/C"]
# The modalities whose certificates are printed and mailed by the printing provider (the session's batch PDF).
MODALITES_PAR_PRESTATAIRE = ("Prestataire par candidat", "Prestataire par certificateur")
