"""Actualités (domain.md §7): news written by Certif Pro, shown on every dashboard and by the API.

A news item is « en vigueur » on a day when it is published, its publication date has come and its end
date (included) has not passed. News are national: no perimeter, only the right to write them.
"""

import datetime

from sqlalchemy import and_, or_, select

from app.domain import access
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.models.actualites import Actualite
from app.services import ecritures

TITRE_MAX = 200
DATE_FIN_AVANT = "La fin d'affichage ne peut pas précéder la date de publication."
OBLIGATOIRE = "Ce champ est obligatoire."


def peut_gerer(user) -> bool:
    return access.may(user, "gerer_actualites")


def en_vigueur(jour: datetime.date | None = None):
    """SQL condition on Actualite: shown on `jour` (today by default)."""
    jour = jour or datetime.date.today()
    return and_(
        Actualite.publiee.is_(True),
        Actualite.date_publication <= jour,
        or_(Actualite.date_fin.is_(None), Actualite.date_fin >= jour),
    )


def actualites_du_jour(jour: datetime.date | None = None, limite: int | None = 5) -> list[Actualite]:
    """The news in force on `jour`, latest first (at most `limite`; None: all of them)."""
    query = select(Actualite).where(en_vigueur(jour)).order_by(Actualite.date_publication.desc(), Actualite.id.desc())
    if limite is not None:
        query = query.limit(limite)
    return list(db.session.execute(query).scalars())


def erreurs(titre, contenu, date_publication, date_fin) -> dict[str, str]:
    """French message per field; the form and the API show them next to their field."""
    errors = {}
    if not isinstance(titre, str) or not titre.strip():
        errors["titre"] = OBLIGATOIRE
    elif len(titre.strip()) > TITRE_MAX:
        errors["titre"] = f"Au plus {TITRE_MAX} caractères."
    if not isinstance(contenu, str) or not contenu.strip():
        errors["contenu"] = OBLIGATOIRE
    if date_publication is None:
        errors["date_publication"] = OBLIGATOIRE
    if date_publication is not None and date_fin is not None and date_fin < date_publication:
        errors["date_fin"] = DATE_FIN_AVANT
    return errors


def verifier(actualite: Actualite) -> None:
    """Before saving (UI and API): the rules above, and surrounding spaces removed."""
    problems = erreurs(actualite.titre, actualite.contenu, actualite.date_publication, actualite.date_fin)
    if problems:
        raise ValidationFailed(problems)
    actualite.titre = actualite.titre.strip()
    actualite.contenu = actualite.contenu.strip()


@ecritures.regle(Actualite)
def _regles_d_actualite(user, actualite: Actualite, before: dict | None) -> None:
    """Every write of a news item (page or API): its author, then `verifier`."""
    if before is None:
        actualite.auteur_id = user.id
    verifier(actualite)
