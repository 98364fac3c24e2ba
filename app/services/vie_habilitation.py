"""The life of an accorded habilitation (habilitation.md §4, issue 15): suspension, its lifting, withdrawal and
renunciation — events of the machine `HABILITATION` (app/domain/habilitations.py) run by the one engine — and the
daily job's outcomes (a renunciation reaching its effective date, the end of the period). Each decision is
immediate on the establishments' rights (`habilitations.refus_exercice` reads the status), notified to every user
of the organisation and to its network administrators, and sent as a PDF notice with acknowledgment."""

from __future__ import annotations

import datetime

from marshmallow import fields
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.domain import access
from app.domain.dates import parse_date
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.habilitations import (
    CHANGEMENT,
    DELAI_DECLARATION_JOURS,
    HABILITATION,
    NATURES_CHANGEMENT,
    RUBRIQUE,
    dans_trois_mois,
    date_fin,
)
from app.extensions import db
from app.formatting import date_fr
from app.models import ChangementSituation, DemandeHabilitation, Etablissement, Organisme, Utilisateur
from app.schemas import Day, Input, Text, fresh
from app.security import perimeter
from app.services import audit, choix, dossiers, habilitations, notifications, workflow
from app.services.habilitations import requesters


def today() -> datetime.date:
    return dossiers.today()  # one clock for the dossier and the habilitation (tests set it once)


def utilisateurs_de_l_organisme(dossier) -> list:
    """Every active user of the organisation (its own, its establishments') and its network administrators."""
    etab_ids = select(Etablissement.id).where(Etablissement.organisme_id == dossier.organisme_id)
    users = list(
        db.session.execute(
            select(Utilisateur).where(
                Utilisateur.active.is_(True),
                or_(Utilisateur.organisme_id == dossier.organisme_id, Utilisateur.etablissement_id.in_(etab_ids)),
            )
        ).scalars()
    )
    return users + [u for u in requesters(dossier) if u not in users]


def _describe(dossier) -> dict:
    return {**dossiers._describe(dossier), "jour": date_fr(today())}


workflow.bind(
    HABILITATION,
    workflow.Binding(
        model=DemandeHabilitation,
        describe=_describe,
        link=lambda d: f"/habilitations/show/{d.id}",
        audiences={
            "organisation_tous": lambda d, c: utilisateurs_de_l_organisme(d),
            "instance": lambda d, c: dossiers.destinataires_instance(d),
        },
    ),
)


def _accordee(dossier) -> None:
    if dossier.etat != "accordee":
        raise DomainError(
            f"Ce dossier n'est pas une habilitation accordée (statut « {dossier.etat_label} ») : "
            "aucune décision sur l'habilitation n'est possible."
        )


def _addressed(user, dossier) -> None:
    """A branch decides on the habilitations it granted; Certif Pro on all (and the platform's daily outcomes)."""
    _accordee(dossier)
    if user is None:
        return
    if not (
        access.may(user, "decider_toute_habilitation")
        or user.certificateur_id in [c.id for c in dossier.certificateurs]
    ):
        raise Forbidden("Seule l'instance qui a accordé l'habilitation en décide.")


def _motif(motif=None):
    if isinstance(motif, str) and motif.strip():
        if len(motif) > 5000:
            raise ValidationFailed({"motif": "Le motif ne doit pas dépasser 5000 caractères."})
        return {"motif": motif.strip()}
    if motif is not None and not isinstance(motif, str):
        raise ValidationFailed({"motif": "Une chaîne de caractères est attendue."})
    raise ValidationFailed({"motif": "Le motif de la décision est obligatoire."})


def _decision(dossier, user, motif) -> None:
    _addressed(user, dossier)
    dossier.statut_motif = motif
    dossier.statut_le = today()


@workflow.effect(HABILITATION, "suspendre", prepare=_motif)
def _suspendre(dossier, user, motif):
    _decision(dossier, user, motif)
    return {}


@workflow.after(HABILITATION, "suspendre")
def _avis_suspension(dossier, user, context):
    dossiers.envoyer_avis(
        dossier,
        "suspension",
        "Décision de suspension de l'habilitation",
        [
            f"L'instance ({dossier.instance_label}) suspend l'habilitation {dossier.certification_label} de "
            f"{dossier.organisme.nom} ({dossier.etablissements_label}) à compter du {context['jour']}.",
            f"Motif : {dossier.statut_motif}",
            "Pendant la suspension, aucune nouvelle candidature, évaluation ou formation n'est possible ; les "
            "dossiers déjà envoyés au jury continuent. La suspension ne prolonge pas la période d'habilitation.",
        ],
    )


@workflow.effect(HABILITATION, "lever_suspension")
def _lever(dossier, user):
    _addressed(user, dossier)
    dossier.statut_le = today()
    return {}


@workflow.after(HABILITATION, "lever_suspension")
def _avis_levee(dossier, user, context):
    dossiers.envoyer_avis(
        dossier,
        "levee_suspension",
        "Levée de la suspension de l'habilitation",
        [
            f"La suspension de l'habilitation {dossier.certification_label} de {dossier.organisme.nom} est levée "
            f"le {context['jour']} : l'habilitation court jusqu'au {date_fr(dossier.date_fin)}."
        ],
    )


def _prepare_retrait(motif=None, date=None):
    cleaned = _motif(motif)
    if date in (None, ""):
        return {**cleaned, "date": None}
    try:
        jour = date if isinstance(date, datetime.date) else parse_date(date)
    except (TypeError, ValueError):
        raise ValidationFailed({"date": "Date invalide : utilisez le format jj/mm/aaaa (ou AAAA-MM-JJ)."}) from None
    return {**cleaned, "date": jour}


@workflow.effect(HABILITATION, "retirer", prepare=_prepare_retrait)
def _retirer(dossier, user, motif, date=None):
    if date is not None and date > today():
        raise ValidationFailed({"date": "Le retrait est immédiat : sa date ne peut pas être dans le futur."})
    _decision(dossier, user, motif)
    if date is not None:
        dossier.statut_le = date
    return {"jour": date_fr(dossier.statut_le)}


@workflow.after(HABILITATION, "retirer")
def _avis_retrait(dossier, user, context):
    dossiers.envoyer_avis(
        dossier,
        "retrait",
        "Décision de retrait de l'habilitation",
        [
            f"L'instance ({dossier.instance_label}) retire l'habilitation {dossier.certification_label} de "
            f"{dossier.organisme.nom} ({dossier.etablissements_label}) à compter du {context['jour']}.",
            f"Motif : {dossier.statut_motif}",
            "Les candidats déjà inscrits sont informés ; les dossiers déjà envoyés au jury continuent. La décision "
            "est publiée dans l'annuaire.",
        ],
    )


@workflow.effect(HABILITATION, "renoncer", prepare=_motif)
def _renoncer(dossier, user, motif):
    _accordee(dossier)
    if dossier.renonciation_recue_le is not None:
        raise DomainError(
            f"La renonciation à cette habilitation est déjà enregistrée : elle prend effet le "
            f"{date_fr(dossier.renonciation_effet)}."
        )
    dossier.renonciation_recue_le = today()
    dossier.renonciation_effet = dans_trois_mois(today())
    dossier.statut_motif = motif
    return {"effet": date_fr(dossier.renonciation_effet)}


@workflow.after(HABILITATION, "renoncer")
def _avis_renonciation(dossier, user, context):
    dossiers.envoyer_avis(
        dossier,
        "renonciation",
        "Accusé de réception de la renonciation",
        [
            f"Certif Pro a reçu le {date_fr(dossier.renonciation_recue_le)} la renonciation de "
            f"{dossier.organisme.nom} à son habilitation {dossier.certification_label}.",
            f"Elle prend effet le {context['effet']} (3 mois après sa réception) : aucune nouvelle candidature "
            "n'est possible après cette date ; les dossiers des candidats déjà inscrits peuvent être menés à leur "
            "terme.",
        ],
    )


# --- The daily job ------------------------------------------------------------------------------------------------
def quotidien(jour: datetime.date | None = None) -> dict:
    """Renunciations reaching their effective date become `renoncee`; habilitations past their end `expiree`.
    Each change is one transaction with its audit line (the engine's `apply`)."""
    jour = jour or today()
    done = {"renoncees": 0, "expirees": 0}
    done["renouvelees"] = 0
    rules = (
        ("clore_renonciation", "renoncees", DemandeHabilitation.renonciation_effet <= jour),
        ("expirer", "expirees", DemandeHabilitation.date_fin < jour),
    )
    for event, key, condition in rules:
        ids = db.session.execute(
            select(DemandeHabilitation.id).where(
                DemandeHabilitation.etat == "accordee",
                DemandeHabilitation.statut_habilitation.in_(HABILITATION.group("en_vigueur")),
                condition,
            )
        ).scalars()
        for pk in list(ids):
            query = select(DemandeHabilitation).where(DemandeHabilitation.id == pk)
            if db.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            dossier = db.session.execute(query).scalar_one_or_none()
            if dossier is None or dossier.statut_habilitation not in HABILITATION.group("en_vigueur"):
                db.session.rollback()
                continue
            dossier.statut_le = jour
            renewed = event == "expirer" and habilitations.issue_du_terme(dossier) == "renouvellement"
            workflow.apply(HABILITATION, event, dossier, None, {})
            if renewed:
                _renouveler_automatiquement(dossier)
                done["renouvelees"] += 1
            elif event == "expirer":
                _avis_fin(dossier)
                done[key] += 1
            else:
                done[key] += 1
            db.session.commit()
    return done


def _renouveler_automatiquement(previous) -> DemandeHabilitation:
    """The renewal (once, 3 years more, from the day after the end): the same establishments and instance."""
    debut = previous.date_fin + datetime.timedelta(days=1)
    renewal = DemandeHabilitation(
        organisme_id=previous.organisme_id,
        certification=previous.certification,
        type=DemandeHabilitation.RENOUVELLEMENT,
        renouvelle_id=previous.id,
        date_demande=debut,
        etat="accordee",
        statut_habilitation="active",
        statut_le=debut,
        date_debut=debut,
        date_fin=date_fin(debut),
        decide_le=datetime.datetime.combine(debut, datetime.time(0)),
        type_candidature=previous.type_candidature,
    )
    renewal.etablissements = list(previous.etablissements)
    renewal.certificateurs = list(previous.certificateurs)
    audit.label("Renouvellement automatique de l'habilitation", decision=True)
    db.session.add(renewal)
    db.session.flush()
    text = (
        f"L'habilitation {previous.certification_label} de {previous.etablissements_label} a été utilisée : elle est "
        f"renouvelée automatiquement du {date_fr(renewal.date_debut)} au {date_fr(renewal.date_fin)}. Ce "
        "renouvellement est le seul possible : à son terme, un nouveau dossier d'habilitation sera nécessaire."
    )
    notifications.notify(
        utilisateurs_de_l_organisme(previous),
        RUBRIQUE,
        "Renouvellement automatique de l'habilitation",
        text,
        f"/habilitations/show/{renewal.id}",
    )
    dossiers.envoyer_avis(renewal, "renouvellement", "Renouvellement automatique de l'habilitation", [text])
    return renewal


def _avis_fin(dossier) -> None:
    text = (
        f"L'habilitation {dossier.certification_label} de {dossier.etablissements_label} a pris fin le "
        f"{date_fr(dossier.date_fin)}. "
        + (
            "Elle avait déjà été renouvelée une fois : un nouveau dossier d'habilitation est nécessaire."
            if habilitations.issue_du_terme(dossier) == "nouveau_dossier"
            else "Elle n'est pas renouvelée (aucune évaluation sous cette habilitation, ou une suspension en cours) : "
            "un nouveau dossier d'habilitation est nécessaire pour continuer."
        )
    )
    notifications.notify(
        utilisateurs_de_l_organisme(dossier),
        RUBRIQUE,
        "Fin de l'habilitation",
        text,
        f"/habilitations/show/{dossier.id}",
    )
    dossiers.envoyer_avis(dossier, "expiration", "Fin de l'habilitation", [text])


def decisions_publiques(limit: int = 50) -> list[DemandeHabilitation]:
    """The public decisions of the directory: withdrawals and suspensions in force, newest first."""
    return list(
        db.session.execute(
            select(DemandeHabilitation)
            .options(
                selectinload(DemandeHabilitation.organisme),
                selectinload(DemandeHabilitation.etablissements),
                selectinload(DemandeHabilitation.certificateurs),
            )
            .where(
                DemandeHabilitation.etat == "accordee",
                DemandeHabilitation.statut_habilitation.in_(("retiree", "suspendue")),
            )
            .order_by(DemandeHabilitation.statut_le.desc(), DemandeHabilitation.id.desc())
            .limit(limit)
        ).scalars()
    )


# --- Changes of situation (seed 001 §III.6) -----------------------------------------------------------------------
CHANGEMENT_INPUT = Input.from_dict(
    {
        "organisme": fields.Integer(
            allow_none=True, load_default=None, error_messages={"invalid": "Identifiant invalide."}
        ),
        "nature": Text(max_length=30),
        "date": Day(),
        "description": Text(max_length=5000),
        "etablissement": fields.Integer(
            allow_none=True, load_default=None, error_messages={"invalid": "Identifiant invalide."}
        ),
    },
    name="ChangementInput",
)()


def declarer(user, values: dict) -> ChangementSituation:
    """The organisation declares a change (within 30 days of it; a late one is recorded and flagged)."""
    if not access.may(user, "declarer_changement"):
        raise Forbidden("Vous n'avez pas les droits nécessaires pour cette action.")
    data = fresh(CHANGEMENT_INPUT).load(values or {})
    errors: dict[str, str] = {}
    if data.get("nature") not in NATURES_CHANGEMENT:
        errors["nature"] = "Nature inconnue : choisissez-la dans la liste du règlement."
    if data.get("date") is None:
        errors["date"] = "La date du changement est obligatoire."
    elif data["date"] > today():
        errors["date"] = "Un changement se déclare une fois survenu : sa date ne peut pas être dans le futur."
    if not data.get("description"):
        errors["description"] = "Décrivez le changement."
    organisme_id = data.get("organisme") or user.organisme_id
    if organisme_id is None:
        errors["organisme"] = "Choisissez l'organisme concerné."
    if errors:
        raise ValidationFailed(errors)
    try:
        organisme = perimeter.get_visible(Organisme, organisme_id, user)
    except NotFound:
        raise ValidationFailed({"organisme": "Cet organisme n'existe pas ou n'est pas dans votre périmètre."}) from None
    etablissement = None
    if data.get("etablissement") is not None:
        try:
            etablissement = perimeter.get_visible(Etablissement, data["etablissement"], user)
        except NotFound:
            raise ValidationFailed(
                {"etablissement": "Cet établissement n'existe pas ou n'est pas dans votre périmètre."}
            ) from None
        if etablissement.organisme_id != organisme.id:
            raise ValidationFailed({"etablissement": "Cet établissement n'appartient pas à l'organisme (même SIREN)."})
    if data["nature"] == "ouverture_etablissement" and etablissement is None:
        raise ValidationFailed({"etablissement": "Indiquez le nouvel établissement (créé sous le même SIREN)."})
    changement = ChangementSituation(
        organisme_id=organisme.id,
        nature=data["nature"],
        date_changement=data["date"],
        description=data["description"],
        etablissement_id=etablissement.id if etablissement else None,
        declare_le=today(),
        declare_par_id=user.id,
        hors_delai=(today() - data["date"]).days > DELAI_DECLARATION_JOURS,
        etat=CHANGEMENT.initial,
    )
    audit.label("Déclaration d'un changement de situation")
    db.session.add(changement)
    db.session.flush()
    notifications.notify(
        notifications.utilisateurs_avec_droit("traiter_changement"),
        RUBRIQUE,
        "Changement de situation déclaré",
        f"{organisme.nom} déclare : {changement.nature_label} au {date_fr(changement.date_changement)}"
        + (" (déclaré après le délai de 30 jours)." if changement.hors_delai else "."),
        "/changements/",
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return changement


def _describe_changement(changement) -> dict:
    return {"organisme": changement.organisme.nom, "nature": changement.nature_label, "suite": "", "limite": ""}


workflow.bind(
    CHANGEMENT,
    workflow.Binding(
        model=ChangementSituation,
        describe=_describe_changement,
        link=lambda c: "/changements/",
        audiences={"organisation": lambda c, ctx: _declarant_et_administrateurs(c)},
    ),
)


def _declarant_et_administrateurs(changement) -> list:
    users = [changement.declare_par] if changement.declare_par else []
    return users + [u for u in habilitations.administrateurs(changement.organisme) if u not in users]


def habilitations_en_vigueur(organisme_id: int) -> list[DemandeHabilitation]:
    return list(
        db.session.execute(
            select(DemandeHabilitation).where(
                DemandeHabilitation.organisme_id == organisme_id, habilitations.couvre_clause(today())
            )
        ).scalars()
    )


@workflow.effect(CHANGEMENT, "prendre_acte")
def _prendre_acte(changement, user):
    suite = ""
    if changement.nature == "ouverture_etablissement" and changement.etablissement is not None:
        added = []
        for habilitation in habilitations_en_vigueur(changement.organisme_id):
            if changement.etablissement not in habilitation.etablissements:
                habilitation.etablissements.append(changement.etablissement)
                added.append(habilitation.certification_label)
        if added:
            suite = (
                f"L'établissement « {changement.etablissement.nom} » rejoint l'habilitation "
                f"{', '.join(added)} en cours, sans nouveau dossier."
            )
    return {"suite": suite}


@workflow.effect(CHANGEMENT, "maintenir")
def _maintenir(changement, user):
    changement.maintien_jusqu_au = dans_trois_mois(dans_trois_mois(today()))
    return {"limite": date_fr(changement.maintien_jusqu_au)}


def changements(user) -> list[ChangementSituation]:
    return list(
        db.session.execute(
            perimeter.restrict(select(ChangementSituation), ChangementSituation, user).order_by(
                ChangementSituation.declare_le.desc(), ChangementSituation.id.desc()
            )
        ).scalars()
    )


# The declaration form's organisation and establishment, chosen by typing (quick pickers, app/services/choix.py);
# `declarer` refuses an establishment of another organisation.
DECLARANTS = {
    "organisme": choix.Source(Organisme, perimetre=perimeter.clause),
    "etablissement": choix.Source(
        Etablissement, perimetre=perimeter.clause, libelle=lambda e: f"{e.organisme.nom} — {e.nom}"
    ),
}
