"""Habilitation rules (domain.md §2, règlement seed 001 §III): 3 years, renewable once."""

import datetime

from app.domain.calendrier import meme_jour

DUREE_ANS = 3
RENOUVELLEMENTS_MAX = 1


def date_fin(date_debut: datetime.date) -> datetime.date:
    """Start + 3 years (29 February → 28 February)."""
    return meme_jour(date_debut, date_debut.year + DUREE_ANS)


def couvre(date_debut, date_fin_, jour: datetime.date) -> bool:
    return date_debut is not None and date_fin_ is not None and date_debut <= jour <= date_fin_
