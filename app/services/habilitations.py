"""Habilitations (domain.md §2, guide §12–13): who is habilitated today, who decides, renewal. The dossier and
its procedure are app/services/dossiers.py.

`habilitee_clause()` / `est_habilitee()` are the one place that says whether an establishment may evaluate
and train today (EVALUATIONS and FORMATIONS tabs).
"""

import datetime

from sqlalchemy import and_, exists, or_, select

from app.domain import access
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Certificateur, DemandeHabilitation, Etablissement, Utilisateur
from app.models.habilitations import demande_certificateur, demande_etablissement
from app.models.referentiels import CERTIFICATIONS
from app.security import perimeter
from app.services import notifications

ALREADY_DECIDED = "Cette demande a déjà été traitée."


ACTIVE = "active"


def today() -> datetime.date:
    return datetime.date.today()


# --- "habilitée today" ---------------------------------------------------------------------------
def couvre_clause(jour: datetime.date | None = None, certification: str | None = None, inscrits: bool = False):
    """SQL condition on DemandeHabilitation: accorded, active (not suspended, withdrawn or renounced), its period
    covers `jour` (today by default), for `certification` when given. `inscrits`: for the files of candidates
    already registered, a renunciation does not stop them (they may be completed to the end)."""
    jour = jour or today()
    conditions = [
        DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
        DemandeHabilitation.date_debut <= jour,
        DemandeHabilitation.date_fin >= jour,
    ]
    if inscrits:
        conditions.append(DemandeHabilitation.statut_habilitation.in_((ACTIVE, "renoncee")))
    else:
        conditions += [
            DemandeHabilitation.statut_habilitation == ACTIVE,
            or_(DemandeHabilitation.renonciation_effet.is_(None), DemandeHabilitation.renonciation_effet > jour),
        ]
    if certification is not None:
        conditions.append(DemandeHabilitation.certification == certification)
    return and_(*conditions)


def habilitee_clause(
    jour: datetime.date | None = None,
    certification: str | None = None,
    branche_id: int | None = None,
    inscrits: bool = False,
):
    """SQL condition on Etablissement: an active habilitation covers `jour` (for `certification`, and granted by
    the branch `branche_id`, when given)."""
    query = (
        select(1)
        .select_from(
            demande_etablissement.join(
                DemandeHabilitation, DemandeHabilitation.id == demande_etablissement.c.demande_id
            )
        )
        .where(
            demande_etablissement.c.etablissement_id == Etablissement.id,
            couvre_clause(jour, certification, inscrits),
        )
    )
    if branche_id is not None:
        query = query.where(
            DemandeHabilitation.id.in_(
                select(demande_certificateur.c.demande_id).where(demande_certificateur.c.certificateur_id == branche_id)
            )
        )
    return exists(query)


def est_habilitee(
    etablissement: Etablissement,
    jour: datetime.date | None = None,
    certification: str | None = None,
    branche_id: int | None = None,
    inscrits: bool = False,
) -> bool:
    return (
        db.session.execute(
            select(Etablissement.id).where(
                Etablissement.id == etablissement.id, habilitee_clause(jour, certification, branche_id, inscrits)
            )
        ).first()
        is not None
    )


def refus_du_dossier(candidature) -> str | None:
    """The one rule for the work on a registered file (an evaluation, a training): its establishment, under its
    habilitation for the file's certification (the branch's, for a socle contextualisé)."""
    return refus_exercice(
        candidature.etablissement,
        candidature.certification,
        candidature.branche if candidature.socle_contextualise else None,
        inscrits=True,
    )


def refus_exercice(
    etablissement: Etablissement,
    certification: str,
    branche: str | None = None,
    jour: datetime.date | None = None,
    inscrits: bool = False,
) -> str | None:
    """The one rule (habilitation.md §4): an establishment registers candidates and records evaluations or
    trainings only when it and its organisation are active and an active habilitation for that certification
    covers the day — for a socle contextualisé, a habilitation granted by that branch. None: it may; otherwise the
    French reason. `inscrits`: the work is on a file already registered (an evaluation, a training), which a
    renunciation lets complete to the end."""
    if not etablissement.actif:
        return f"L'établissement « {etablissement.nom} » est inactif : aucune activité n'est possible."
    if not etablissement.organisme.actif:
        return f"L'organisme « {etablissement.organisme.nom} » est inactif : aucune activité n'est possible."
    label = CERTIFICATIONS.get(certification, certification)
    if not est_habilitee(etablissement, jour, certification, inscrits=inscrits):
        blocked = _habilitation_bloquee(etablissement, certification, jour)
        if blocked is not None and blocked.renonciation_effet and blocked.renonciation_effet <= (jour or today()):
            return (
                f"L'habilitation {label} de l'établissement « {etablissement.nom} » a pris fin par renonciation le "
                f"{blocked.renonciation_effet:%d/%m/%Y} : aucune nouvelle candidature n'est possible ; les "
                "dossiers des candidats déjà inscrits peuvent être menés à leur terme."
            )
        if blocked is not None:
            return (
                f"L'habilitation {label} de l'établissement « {etablissement.nom} » est "
                f"{blocked.statut_habilitation_label.lower()} : aucune nouvelle candidature, évaluation ou "
                "formation n'est possible."
            )
        return f"L'établissement « {etablissement.nom} » n'a pas d'habilitation {label} valide aujourd'hui."
    if branche:
        branch = db.session.execute(
            select(Certificateur).where(Certificateur.type == Certificateur.BRANCHE, Certificateur.nom == branche)
        ).scalar_one_or_none()
        if branch is None or not est_habilitee(etablissement, jour, certification, branch.id, inscrits):
            return (
                f"Un socle contextualisé de la branche « {branche} » suppose une habilitation {label} accordée par "
                f"cette branche : l'établissement « {etablissement.nom} » ne l'a pas."
            )
    return None


def _habilitation_bloquee(etablissement, certification, jour):
    """The habilitation that would cover the day but is suspended, withdrawn or renounced (for the message)."""
    jour = jour or today()
    return (
        db.session.execute(
            select(DemandeHabilitation)
            .join(demande_etablissement, demande_etablissement.c.demande_id == DemandeHabilitation.id)
            .where(
                demande_etablissement.c.etablissement_id == etablissement.id,
                DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
                DemandeHabilitation.certification == certification,
                DemandeHabilitation.date_debut <= jour,
                DemandeHabilitation.date_fin >= jour,
                or_(
                    DemandeHabilitation.statut_habilitation != ACTIVE,
                    DemandeHabilitation.renonciation_effet <= jour,
                ),
            )
            .order_by(DemandeHabilitation.date_fin.desc())
        )
        .scalars()
        .first()
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
    users = [demande.demandeur] if demande.demandeur else []
    return users + [u for u in administrateurs(demande.organisme) if u not in users]


def administrateurs(organisme) -> list:
    """The administrators of the organisation and of its network (who hear of its habilitation's decisions)."""
    from flask_appbuilder.security.sqla.models import Role

    admins = db.session.execute(
        select(Utilisateur)
        .join(Utilisateur.roles)
        .where(
            Utilisateur.active.is_(True),
            ((Role.name.in_(access.holders("recevoir_avis_organisme"))) & (Utilisateur.organisme_id == organisme.id))
            | (
                (Role.name.in_(access.holders("recevoir_avis_reseau")))
                & (Utilisateur.reseau_id == organisme.reseau_id)
                & (Utilisateur.reseau_id.isnot(None))
            ),
        )
    ).scalars()
    return list(admins)


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


# --- Renewal (habilitation.md §4): automatic once, for 3 years, when the habilitation was used ---------------------
def utilisee(demande) -> bool:
    """At least one candidature evaluated under it: a finalised evaluation of a file of its establishments, for
    its certification, during its period."""
    from app.models import Candidature
    from app.models.evaluations import FINALISEE, Evaluation

    if demande.date_debut is None or demande.date_fin is None or not demande.etablissements:
        return False
    return (
        db.session.execute(
            select(Evaluation.id)
            .join(Candidature, Candidature.id == Evaluation.candidature_id)
            .where(
                Candidature.etablissement_id.in_([e.id for e in demande.etablissements]),
                Candidature.certification == demande.certification,
                Evaluation.etat == FINALISEE,
                Evaluation.date_evaluation >= demande.date_debut,
                Evaluation.date_evaluation <= demande.date_fin,
            )
            .limit(1)
        ).first()
        is not None
    )


def issue_du_terme(demande) -> str:
    """What the end of the period will bring: `renouvellement` (used, active, never renewed), `nouveau_dossier`
    (renewed once already: 6 years), or `expiration` (not used, or suspended)."""
    if demande.type == DemandeHabilitation.RENOUVELLEMENT or demande.renouvelle_id is not None:
        return "nouveau_dossier"
    if demande.statut_habilitation == ACTIVE and utilisee(demande):
        return "renouvellement"
    return "expiration"
