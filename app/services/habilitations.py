"""Habilitations (domain.md §2, guide §12–13): who is habilitated today, who decides, renewal. The dossier and
its procedure are app/services/dossiers.py.

`habilitee_clause()` / `est_habilitee()` are the one place that says whether an establishment may evaluate
and train today (EVALUATIONS and FORMATIONS tabs).
"""

import datetime

from sqlalchemy import and_, exists, select

from app.domain import access
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Certificateur, DemandeHabilitation, Etablissement, Utilisateur
from app.models.habilitations import demande_etablissement
from app.security import perimeter
from app.services import notifications

ALREADY_DECIDED = "Cette demande a déjà été traitée."


def today() -> datetime.date:
    return datetime.date.today()


# --- "habilitée today" ---------------------------------------------------------------------------
def couvre_clause(jour: datetime.date | None = None):
    """SQL condition on DemandeHabilitation: validated, and its period covers `jour` (today by default)."""
    jour = jour or today()
    return and_(
        DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
        DemandeHabilitation.date_debut <= jour,
        DemandeHabilitation.date_fin >= jour,
    )


def habilitee_clause(jour: datetime.date | None = None):
    """SQL condition on Etablissement: a validated habilitation covers `jour`."""
    return exists(
        select(1)
        .select_from(
            demande_etablissement.join(
                DemandeHabilitation, DemandeHabilitation.id == demande_etablissement.c.demande_id
            )
        )
        .where(demande_etablissement.c.etablissement_id == Etablissement.id, couvre_clause(jour))
    )


def est_habilitee(etablissement: Etablissement, jour: datetime.date | None = None) -> bool:
    return (
        db.session.execute(
            select(Etablissement.id).where(Etablissement.id == etablissement.id, habilitee_clause(jour))
        ).first()
        is not None
    )


def habilitation_en_cours(etablissement: Etablissement, jour: datetime.date | None = None):
    return (
        db.session.execute(
            select(DemandeHabilitation)
            .join(demande_etablissement, demande_etablissement.c.demande_id == DemandeHabilitation.id)
            .where(demande_etablissement.c.etablissement_id == etablissement.id, couvre_clause(jour))
            .order_by(DemandeHabilitation.date_fin.desc())
        )
        .scalars()
        .first()
    )


def certif_pro() -> Certificateur:
    found = (
        db.session.execute(select(Certificateur).where(Certificateur.type == Certificateur.CERTIF_PRO))
        .scalars()
        .first()
    )
    if found is None:
        raise DomainError("Aucun certificateur Certif Pro n'est configuré.")
    return found


# --- Decide --------------------------------------------------------------------------------------
def deciders(demande) -> list:
    """Certif Pro administrators and, for a branch request, the users of the addressed certifiers."""
    cert_ids = [c.id for c in demande.certificateurs if c.type == Certificateur.BRANCHE]
    users = notifications.utilisateurs_avec_droit("decider_toute_habilitation")
    if cert_ids:
        users += (
            db.session.execute(
                select(Utilisateur).where(Utilisateur.certificateur_id.in_(cert_ids), Utilisateur.active.is_(True))
            )
            .scalars()
            .all()
        )
    return users


def adressee_a(user, demande) -> bool:
    """Certif Pro decides any request; a certifier only those addressed to it."""
    return access.may(user, "decider_toute_habilitation") or user.certificateur_id in [
        c.id for c in demande.certificateurs
    ]


def requesters(demande) -> list:
    """Who hears of a decision: the requester and the administrators of the organisation and network."""
    from flask_appbuilder.security.sqla.models import Role

    users = [demande.demandeur] if demande.demandeur else []
    admins = db.session.execute(
        select(Utilisateur)
        .join(Utilisateur.roles)
        .where(
            Utilisateur.active.is_(True),
            (
                (Role.name.in_(access.holders("recevoir_avis_organisme")))
                & (Utilisateur.organisme_id == demande.organisme_id)
            )
            | (
                (Role.name.in_(access.holders("recevoir_avis_reseau")))
                & (Utilisateur.reseau_id == demande.organisme.reseau_id)
                & (Utilisateur.reseau_id.isnot(None))
            ),
        )
    ).scalars()
    return users + list(admins)


def demandes_des_etablissements(etablissement_ids) -> list[DemandeHabilitation]:
    """The habilitation requests covering these establishments, newest first."""
    if not etablissement_ids:
        return []
    return list(
        db.session.execute(
            select(DemandeHabilitation)
            .join(demande_etablissement, demande_etablissement.c.demande_id == DemandeHabilitation.id)
            .where(demande_etablissement.c.etablissement_id.in_(etablissement_ids))
            .order_by(DemandeHabilitation.date_demande.desc(), DemandeHabilitation.id.desc())
            .distinct()
        ).scalars()
    )


def choix_de_demande(user, etab: Etablissement) -> tuple[list[Etablissement], list[Certificateur]]:
    """« Faire une demande »: the active establishments of the organisation (in the perimeter) and the branches."""
    etablissements = list(
        db.session.execute(
            perimeter.restrict(
                select(Etablissement).where(
                    Etablissement.organisme_id == etab.organisme_id, Etablissement.actif.is_(True)
                ),
                Etablissement,
                user,
            ).order_by(Etablissement.nom)
        ).scalars()
    )
    branches = list(
        db.session.execute(
            select(Certificateur)
            .where(Certificateur.type == Certificateur.BRANCHE, Certificateur.actif.is_(True))
            .order_by(Certificateur.nom)
        ).scalars()
    )
    return etablissements, branches


def perimetre_habilite(user) -> bool:
    """Does the user's perimeter hold at least one establishment habilitated today?"""
    query = perimeter.restrict(select(Etablissement.id), Etablissement, user).where(habilitee_clause())
    return db.session.execute(query.limit(1)).first() is not None
