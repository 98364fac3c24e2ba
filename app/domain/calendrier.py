"""Dates counted in whole years (habilitations of 3 years, abandon after 5 years, yearly fees)."""

import datetime


def meme_jour(jour: datetime.date, annee: int) -> datetime.date:
    """The same day and month in another year; 29 February becomes 28 February in a common year."""
    try:
        return jour.replace(year=annee)
    except ValueError:
        return jour.replace(year=annee, day=28)
