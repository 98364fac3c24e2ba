"""Jours ouvrés (habilitation.md: every deadline of the règlement): Monday to Friday, except the public holidays
of metropolitan France, which come from the `holidays` library — never a list of ours."""

import datetime
import functools

import holidays


@functools.cache
def _feries(annee: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("FR", years=annee))


def est_ouvre(jour: datetime.date) -> bool:
    return jour.weekday() < 5 and jour not in _feries(jour.year)


def ajouter(jour: datetime.date, nombre: int) -> datetime.date:
    """The date `nombre` jours ouvrés after `jour` (before it when negative); `jour` itself is not counted."""
    pas = 1 if nombre >= 0 else -1
    restant = abs(nombre)
    while restant:
        jour += datetime.timedelta(days=pas)
        if est_ouvre(jour):
            restant -= 1
    return jour


def entre(debut: datetime.date, fin: datetime.date) -> int:
    """How many jours ouvrés from `debut` (excluded) to `fin` (included); negative when `fin` is before."""
    if fin < debut:
        return -entre(fin, debut)
    jours = 0
    jour = debut
    while jour < fin:
        jour += datetime.timedelta(days=1)
        if est_ouvre(jour):
            jours += 1
    return jours
