"""Habilitation rules (domain.md §2, règlement seed 001 §III): 3 years, renewable once."""
import datetime

DUREE_ANS = 3
RENOUVELLEMENTS_MAX = 1


def date_fin(date_debut: datetime.date) -> datetime.date:
    """Start + 3 years (29 February → 28 February)."""
    try:
        return date_debut.replace(year=date_debut.year + DUREE_ANS)
    except ValueError:
        return date_debut.replace(year=date_debut.year + DUREE_ANS, day=28)


def couvre(date_debut, date_fin_, jour: datetime.date) -> bool:
    return date_debut is not None and date_fin_ is not None and date_debut <= jour <= date_fin_
