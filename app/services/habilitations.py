"""Habilitation requests: ask, validate, reject, renew (domain.md §2, guide §12–13).

`habilitee_clause()` / `est_habilitee()` are the one place that says whether an establishment may evaluate
and train today (EVALUATIONS and FORMATIONS tabs).
"""

import datetime

from sqlalchemy import and_, exists, select

from app.domain import access
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.habilitations import RENOUVELLEMENTS_MAX, date_fin
from app.extensions import db
from app.formatting import date_fr
from app.models import Certificateur, DemandeHabilitation, Etablissement, Utilisateur
from app.models.habilitations import demande_etablissement
from app.schemas import Ids, Input, fresh, shape_errors
from app.security import perimeter
from app.services import audit, notifications
from app.services.structures import check_active

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


# --- Ask -----------------------------------------------------------------------------------------
def _require(user, permission, message=None):
    if user is None or not access.profile_allows(user.profil, permission, access.HABILITATIONS):
        raise Forbidden(message or "Vous n'avez pas les droits nécessaires pour cette action.")


def demander(
    user, etablissement_ids, aupres: str = "certif_pro", certificateur_ids=(), certification: str = "clea"
) -> DemandeHabilitation:
    """ "Faire une demande": one or several establishments of one organisation, to Certif Pro or to
    one or several branch certifiers (CPNE)."""
    _require(user, access.CREATE)
    errors: dict[str, list[str]] = {}
    ids = _int_list(etablissement_ids, "etablissements", errors)
    cert_ids = _int_list(certificateur_ids, "certificateurs", errors)
    if errors:
        raise ValidationFailed(errors)
    if not ids:
        raise ValidationFailed({"etablissements": "Choisissez au moins un établissement."})
    etablissements = []
    for pk in dict.fromkeys(ids):
        try:
            etablissements.append(perimeter.get_visible(Etablissement, pk, user))
        except NotFound:
            raise ValidationFailed(
                {"etablissements": "Cet établissement n'existe pas ou n'est pas dans votre périmètre."}
            ) from None
    organismes = {e.organisme_id for e in etablissements}
    if len(organismes) > 1:
        raise ValidationFailed(
            {"etablissements": "Les établissements d'une demande doivent appartenir au même organisme."}
        )
    for etab in etablissements:
        check_active(etab)
    if not isinstance(certification, str) or certification not in DemandeHabilitation.CERTIFICATIONS:
        raise ValidationFailed({"certification": "Certification inconnue."})
    if aupres == "certif_pro":
        instance = [certif_pro()]
    elif aupres == "branche":
        if not cert_ids:
            raise ValidationFailed({"certificateurs": "Choisissez au moins une branche (CPNE)."})
        instance = []
        for pk in dict.fromkeys(cert_ids):
            cert = db.session.get(Certificateur, pk)
            if cert is None or cert.type != Certificateur.BRANCHE or not cert.actif:
                raise ValidationFailed({"certificateurs": "Cette branche n'existe pas."})
            instance.append(cert)
    else:
        raise ValidationFailed({"aupres": "Choisissez Certif Pro ou une ou plusieurs branches (CPNE)."})
    for etab in etablissements:
        if _pending_for(etab, certification):
            raise DomainError(f"Une demande est déjà en attente pour l'établissement « {etab.nom} ».")
    demande = DemandeHabilitation(
        organisme_id=etablissements[0].organisme_id,
        certification=certification,
        type=DemandeHabilitation.INITIALE,
        date_demande=today(),
        etat=DemandeHabilitation.EN_ATTENTE,
        demandeur_id=user.id,
    )
    audit.label("Demande d'habilitation")
    demande.etablissements = etablissements
    demande.certificateurs = instance
    return _save_request(demande)


def renouveler(user, demande_id) -> DemandeHabilitation:
    """Renewal of a validated habilitation: allowed once (3 + 3 years); then a new initial request."""
    _require(user, access.CREATE)
    previous = perimeter.get_visible(DemandeHabilitation, demande_id, user)
    if previous.etat != DemandeHabilitation.VALIDEE:
        raise DomainError("Seule une habilitation validée peut être renouvelée.")
    if _renewal_depth(previous) >= RENOUVELLEMENTS_MAX:
        raise DomainError(
            "Cette habilitation a déjà été renouvelée une fois : après 6 ans, une nouvelle "
            "demande initiale est nécessaire."
        )
    existing = db.session.execute(
        select(DemandeHabilitation.id).where(
            DemandeHabilitation.renouvelle_id == previous.id, DemandeHabilitation.etat != DemandeHabilitation.REJETEE
        )
    ).first()
    if existing:
        raise DomainError("Un renouvellement de cette habilitation a déjà été demandé.")
    for etab in previous.etablissements:
        check_active(etab)
    demande = DemandeHabilitation(
        organisme_id=previous.organisme_id,
        certification=previous.certification,
        type=DemandeHabilitation.RENOUVELLEMENT,
        renouvelle_id=previous.id,
        date_demande=today(),
        etat=DemandeHabilitation.EN_ATTENTE,
        demandeur_id=user.id,
    )
    audit.label("Demande de renouvellement d'habilitation")
    demande.etablissements = list(previous.etablissements)
    demande.certificateurs = list(previous.certificateurs)
    return _save_request(demande)


def _save_request(demande):
    db.session.add(demande)
    db.session.flush()
    notifications.notify(
        deciders(demande),
        "Demande d'habilitation",
        "Nouvelle demande d'habilitation",
        f"{demande.organisme.nom} demande une habilitation {demande.certification_label} "
        f"({demande.type_label.lower()}) pour : {demande.etablissements_label}.",
        f"/habilitations/show/{demande.id}",
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return demande


def _renewal_depth(demande) -> int:
    depth = 0
    while demande.renouvelle is not None:
        depth += 1
        demande = demande.renouvelle
    return depth


def _pending_for(etab, certification) -> bool:
    return (
        db.session.execute(
            select(DemandeHabilitation.id)
            .join(demande_etablissement, demande_etablissement.c.demande_id == DemandeHabilitation.id)
            .where(
                demande_etablissement.c.etablissement_id == etab.id,
                DemandeHabilitation.certification == certification,
                DemandeHabilitation.etat == DemandeHabilitation.EN_ATTENTE,
            )
        ).first()
        is not None
    )


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


def _locked(user, demande_id) -> DemandeHabilitation:
    _require(
        user,
        "can_decider_habilitation",
        "Seul Certif Pro ou la branche sollicitée peut décider d'une demande d'habilitation.",
    )
    demande = perimeter.get_visible(DemandeHabilitation, demande_id, user)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(DemandeHabilitation.id).where(DemandeHabilitation.id == demande.id).with_for_update())
        db.session.refresh(demande)
    if not adressee_a(user, demande):
        raise NotFound()
    if demande.etat != DemandeHabilitation.EN_ATTENTE:
        raise DomainError(ALREADY_DECIDED)
    return demande


def valider(user, demande_id, date_debut: datetime.date | None = None) -> DemandeHabilitation:
    demande = _locked(user, demande_id)
    audit.label("Validation de l'habilitation", decision=True)
    # A renewal follows the renewed period without a gap.
    previous = demande.renouvelle
    continuation = (
        previous.date_fin + datetime.timedelta(days=1)
        if previous is not None and previous.date_fin and previous.date_fin >= today()
        else None
    )
    if date_debut is None:
        date_debut = continuation or today()
    if not isinstance(date_debut, datetime.date):
        raise ValidationFailed({"date_debut": "Date de début invalide."})
    if date_debut < demande.date_demande - datetime.timedelta(days=365 * 3):
        raise ValidationFailed({"date_debut": "La date de début est trop ancienne."})
    latest = max(today() + datetime.timedelta(days=366), continuation or today())
    if date_debut > latest:
        raise ValidationFailed(
            {
                "date_debut": "La date de début ne peut pas dépasser d'un an la date du jour "
                "(ou la fin de l'habilitation renouvelée)."
            }
        )
    demande.etat = DemandeHabilitation.VALIDEE
    demande.date_debut = date_debut
    demande.date_fin = date_fin(date_debut)
    demande.decide_par_id = user.id
    demande.decide_le = datetime.datetime.now()
    return _save_decision(
        demande,
        "Validation de l'habilitation",
        f"L'habilitation {demande.certification_label} de {demande.etablissements_label} est "
        f"validée du {date_fr(date_debut)} au {date_fr(demande.date_fin)}.",
    )


def rejeter(user, demande_id, motif: str) -> DemandeHabilitation:
    if motif is None or (isinstance(motif, str) and not motif.strip()):
        raise ValidationFailed({"motif": "Le motif du rejet est obligatoire."})
    if not isinstance(motif, str):
        raise ValidationFailed({"motif": "Le motif doit être un texte."})
    if len(motif) > 2000:
        raise ValidationFailed({"motif": "Le motif ne doit pas dépasser 2000 caractères."})
    demande = _locked(user, demande_id)
    audit.label("Rejet de l'habilitation", decision=True)
    demande.etat = DemandeHabilitation.REJETEE
    demande.motif_rejet = str(motif).strip()
    demande.decide_par_id = user.id
    demande.decide_le = datetime.datetime.now()
    return _save_decision(
        demande,
        "Rejet de l'habilitation",
        f"La demande d'habilitation {demande.certification_label} de "
        f"{demande.etablissements_label} est rejetée. Motif : {demande.motif_rejet}",
    )


def _save_decision(demande, text, message):
    db.session.flush()
    notifications.notify(
        requesters(demande),
        "Dossier d'habilitation",
        text,
        message,
        f"/etablissements/show/{demande.etablissements[0].id}" if demande.etablissements else None,
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return demande


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


# The input's shape: the establishments and the certifiers asked, as ids.
DEMANDE_INPUT = Input.from_dict({"etablissements": Ids(), "certificateurs": Ids()}, name="DemandeInput")()


def _int_list(values, field, errors) -> list[int]:
    refused = shape_errors(DEMANDE_INPUT, {field: values})
    if refused:
        errors[field] = refused[field][0]
        return []
    return fresh(DEMANDE_INPUT).load({field: values})[field] or []


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
