"""Audits of habilitations and compliance procedures (habilitation.md §4, issue 15 points 6–7): machines `AUDIT` and
`CONFORMITE` (app/domain/habilitations.py) run by the one engine; the daily job's automatic outcomes. A decision
of mise en conformité with suspension suspends the habilitation at once; a withdrawal withdraws it — both through
the habilitation's own machine, so its notices and audit lines are the same as a direct decision's."""

from __future__ import annotations

import datetime

from marshmallow import fields
from sqlalchemy import select

from app.domain import access, jours_ouvres
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.habilitations import (
    AUDIT,
    AVIS_AUDIT,
    CONFORMITE,
    DELAI_DECISION_CONFORMITE,
    DELAI_JUSTIFICATION,
    DELAI_OBSERVATIONS,
    HABILITATION,
    RECIDIVE_JOURS,
    TYPES_AUDIT,
)
from app.extensions import db
from app.formatting import date_fr
from app.models import DemandeHabilitation
from app.models.habilitations import AuditHabilitation, MiseEnConformite
from app.schemas import Day, Input, Text, fresh
from app.security import perimeter
from app.services import audit as trail, dossiers, notifications, vie_habilitation, workflow


def today() -> datetime.date:
    return dossiers.today()


def _describe(record) -> dict:
    habilitation = record.habilitation
    return {
        "organisme": habilitation.organisme.nom,
        "certification": habilitation.certification_label,
        "limite": "",
        "avis_label": "",
        "decision_label": "",
    }


def _binding(model):
    return workflow.Binding(
        model=model,
        describe=_describe,
        link=lambda r: f"/habilitations/show/{r.habilitation_id}",
        audiences={
            "organisation": lambda r, c: vie_habilitation.utilisateurs_de_l_organisme(r.habilitation),
            "instance": lambda r, c: dossiers.destinataires_instance(r.habilitation),
        },
    )


workflow.bind(AUDIT, _binding(AuditHabilitation))
workflow.bind(CONFORMITE, _binding(MiseEnConformite))

AUDIT_INPUT = Input.from_dict(
    {
        "habilitation": fields.Integer(
            allow_none=True, load_default=None, error_messages={"invalid": "Identifiant invalide."}
        ),
        "type": Text(max_length=20),
        "date": Day(),
        "auditeur": Text(max_length=200),
    },
    name="AuditInput",
)()


def ouvrir(user, values: dict) -> AuditHabilitation:
    """Certif Pro or the branch that granted it opens an audit of an accorded habilitation."""
    if not access.may(user, "auditer_habilitation"):
        raise Forbidden("Vous n'avez pas les droits nécessaires pour cette action.")
    data = fresh(AUDIT_INPUT).load(values or {})
    errors = {}
    if data.get("type") not in TYPES_AUDIT:
        errors["type"] = "Type d'audit inconnu : pieces ou sur_place."
    if data.get("date") is None:
        errors["date"] = "La date prévue de l'audit est obligatoire."
    if data.get("habilitation") is None:
        errors["habilitation"] = "Indiquez l'habilitation auditée."
    if errors:
        raise ValidationFailed(errors)
    try:
        habilitation = perimeter.get_visible(DemandeHabilitation, data["habilitation"], user)
    except NotFound:
        raise ValidationFailed(
            {"habilitation": "Cette habilitation n'existe pas ou n'est pas dans votre périmètre."}
        ) from None
    vie_habilitation._addressed(user, habilitation)
    if habilitation.statut_habilitation not in HABILITATION.group("en_vigueur"):
        raise DomainError(
            f"L'habilitation est {habilitation.statut_habilitation_label.lower()} : elle ne s'audite plus."
        )
    record = AuditHabilitation(
        habilitation_id=habilitation.id,
        type=data["type"],
        date_prevue=data["date"],
        auditeur=data.get("auditeur") or f"{user.first_name} {user.last_name}".strip(),
        etat=AUDIT.initial,
    )
    trail.label("Ouverture d'un audit de l'habilitation")
    db.session.add(record)
    db.session.flush()
    notifications.notify(
        vie_habilitation.utilisateurs_de_l_organisme(habilitation),
        "Dossier d'habilitation",
        "Audit de l'habilitation",
        f"Un audit {TYPES_AUDIT[record.type].lower()} de l'habilitation {habilitation.certification_label} est prévu "
        f"le {date_fr(record.date_prevue)} (auditeur : {record.auditeur}).",
        f"/habilitations/show/{habilitation.id}",
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return record


def _texte(value, field, label):
    if isinstance(value, str) and value.strip():
        return value.strip()[:10000]
    raise ValidationFailed({field: f"{label} est obligatoire."})


def _prepare_rapport(avis=None, anomalies=None):
    if avis not in AVIS_AUDIT:
        raise ValidationFailed(
            {"avis": "Avis inconnu : favorable_sans_reserve, favorable_avec_reserves ou defavorable."}
        )
    if avis != "favorable_sans_reserve":
        anomalies = _texte(anomalies, "anomalies", "Les anomalies constatées sont obligatoires : elles")
    return {"avis": avis, "anomalies": anomalies if isinstance(anomalies, str) else None}


@workflow.effect(AUDIT, "rapport", prepare=_prepare_rapport)
def _rapport(record, user, avis, anomalies=None):
    vie_habilitation._addressed(user, record.habilitation)
    record.avis, record.anomalies, record.rapport_le = avis, anomalies, today()
    limite = jours_ouvres.ajouter(today(), DELAI_OBSERVATIONS)
    return {"avis_label": AVIS_AUDIT[avis].lower(), "limite": date_fr(limite)}


@workflow.after(AUDIT, "rapport")
def _avis_rapport(record, user, context):
    dossiers.envoyer_avis(
        record.habilitation,
        "rapport_audit",
        "Rapport d'audit",
        [
            f"L'audit {TYPES_AUDIT[record.type].lower()} de l'habilitation {record.habilitation.certification_label} "
            f"conclut à un avis {context['avis_label']}.",
            f"Anomalies constatées : {record.anomalies}" if record.anomalies else "Aucune anomalie constatée.",
            f"Vos observations écrites sont attendues au plus tard le {context['limite']} (15 jours ouvrés).",
        ],
    )


def _prepare_message(message=None):
    return {"message": _texte(message, "message", "Le texte des observations")}


@workflow.effect(AUDIT, "observations", prepare=_prepare_message)
def _observations(record, user, message):
    limite = jours_ouvres.ajouter(record.rapport_le, DELAI_OBSERVATIONS)
    if today() > limite:
        raise DomainError(f"Le délai de 15 jours ouvrés pour vos observations a expiré le {date_fr(limite)}.")
    record.observations, record.observations_le = message, today()
    return {}


DECISIONS_AUDIT = {"maintien": "maintien de l'habilitation", "mise_en_conformite": "mise en conformité"}


def _prepare_decision_audit(decision=None, suspension=False):
    if decision not in DECISIONS_AUDIT:
        raise ValidationFailed({"decision": "Décision inconnue : maintien ou mise_en_conformite."})
    if isinstance(suspension, str):
        suspension = suspension.strip().lower() in ("1", "true", "oui", "on")
    return {"decision": decision, "suspension": bool(suspension) and decision == "mise_en_conformite"}


@workflow.effect(AUDIT, "decider", prepare=_prepare_decision_audit)
def _decider_audit(record, user, decision, suspension=False):
    vie_habilitation._addressed(user, record.habilitation)
    if record.etat == "rapport_rendu":
        limite = jours_ouvres.ajouter(record.rapport_le, DELAI_OBSERVATIONS)
        if today() <= limite:
            raise DomainError(
                f"Les observations de l'organisme audité sont attendues jusqu'au {date_fr(limite)} : la décision "
                "suit ce délai."
            )
    record.decision, record.suspension, record.decision_le = decision, suspension, today()
    label = DECISIONS_AUDIT[decision] + (" avec suspension" if suspension else "")
    return {"decision_label": label}


@workflow.after(AUDIT, "decider")
def _suite_audit(record, user, context):
    if record.decision == "mise_en_conformite":
        ouvrir_conformite(
            record.habilitation, user, record.anomalies or "Voir le rapport d'audit.", record.suspension, record
        )


def ouvrir_conformite(habilitation, user, manquements: str, suspension: bool, audit=None) -> MiseEnConformite:
    """The mise en demeure (inside the caller's transaction): a new failing within 12 months after a closed
    procedure is a withdrawal at once; serious failings suspend the habilitation for the whole procedure."""
    recent = db.session.execute(
        select(MiseEnConformite.id).where(
            MiseEnConformite.habilitation_id == habilitation.id,
            MiseEnConformite.etat.notin_(CONFORMITE.group("en_cours")),
            MiseEnConformite.decision_le >= today() - datetime.timedelta(days=RECIDIVE_JOURS),
        )
    ).first()
    notifiee = today()
    limite = jours_ouvres.ajouter(notifiee, DELAI_JUSTIFICATION)
    conformite = MiseEnConformite(
        habilitation_id=habilitation.id,
        audit_id=audit.id if audit else None,
        manquements=manquements,
        notifiee_le=notifiee,
        limite=limite,
        suspension=suspension,
        etat=CONFORMITE.initial,
    )
    db.session.add(conformite)
    db.session.flush()
    if recent is not None:
        conformite.etat, conformite.decision_le = "retrait", today()
        workflow.apply(
            HABILITATION,
            "retirer",
            habilitation,
            user,
            {"motif": "Nouveau manquement dans les 12 mois suivant une procédure de mise en conformité.", "date": None},
        )
        return conformite
    if suspension and habilitation.statut_habilitation == "active":
        workflow.apply(HABILITATION, "suspendre", habilitation, user, {"motif": f"Mise en conformité : {manquements}"})
    dossiers.envoyer_avis(
        habilitation,
        "mise_en_demeure",
        "Mise en demeure",
        [
            f"L'instance met en demeure {habilitation.organisme.nom} de se mettre en conformité pour son habilitation "
            f"{habilitation.certification_label}.",
            f"Manquements : {manquements}",
            f"Une justification écrite est attendue au plus tard le {date_fr(limite)} (30 jours ouvrés) ; à défaut, "
            f"l'habilitation sera retirée à cette date."
            + (" L'habilitation est suspendue pendant toute la procédure." if suspension else ""),
        ],
    )
    return conformite


@workflow.effect(CONFORMITE, "justifier", prepare=_prepare_message)
def _justifier(conformite, user, message):
    if today() > conformite.limite:
        raise DomainError(f"Le délai de justification a expiré le {date_fr(conformite.limite)}.")
    conformite.justification, conformite.justifiee_le = message, today()
    return {"limite": date_fr(jours_ouvres.ajouter(today(), DELAI_DECISION_CONFORMITE))}


DECISIONS_CONFORMITE = {
    "retrait": "retrait de l'habilitation",
    "periode_complementaire": "période complémentaire",
    "maintien": "maintien de l'habilitation",
}


def _prepare_decision(decision=None):
    if decision not in DECISIONS_CONFORMITE:
        raise ValidationFailed({"decision": "Décision inconnue : retrait, periode_complementaire ou maintien."})
    return {"decision": decision}


@workflow.effect(CONFORMITE, "decider", prepare=_prepare_decision)
def _decider(conformite, user, decision):
    vie_habilitation._addressed(user, conformite.habilitation)
    conformite.decision_le = today()
    return {"decision_label": DECISIONS_CONFORMITE[decision]}


@workflow.after(CONFORMITE, "decider")
def _suite(conformite, user, context):
    _outcome(conformite, user, context["decision"])


def _outcome(conformite, user, decision: str) -> None:
    habilitation = conformite.habilitation
    if decision == "retrait" and habilitation.statut_habilitation in HABILITATION.group("en_vigueur"):
        workflow.apply(HABILITATION, "retirer", habilitation, user, {"motif": conformite.manquements, "date": None})
    elif decision == "maintien" and habilitation.statut_habilitation == "suspendue" and conformite.suspension:
        workflow.apply(HABILITATION, "lever_suspension", habilitation, user, {})
    elif decision == "periode_complementaire":
        suite = ouvrir_conformite(habilitation, user, conformite.manquements, False)
        suite.precedente_id = conformite.id


def quotidien(jour: datetime.date | None = None) -> dict:
    """The automatic outcomes: no justification by the deadline → withdrawal at the stated date; no decision within
    30 jours ouvrés of the justification → measures deemed sufficient (suspension lifted)."""
    jour = jour or today()
    done = {"retraits": 0, "maintiens": 0}
    for event, key, condition in (
        (
            "retrait_automatique",
            "retraits",
            (MiseEnConformite.etat == "mise_en_demeure") & (MiseEnConformite.limite < jour),
        ),
        ("maintien_automatique", "maintiens", MiseEnConformite.etat == "justifiee"),
    ):
        for record in list(db.session.execute(select(MiseEnConformite).where(condition)).scalars()):
            if (
                key == "maintiens"
                and jours_ouvres.ajouter(record.justifiee_le or jour, DELAI_DECISION_CONFORMITE) >= jour
            ):
                continue
            record.decision_le = jour
            workflow.apply(CONFORMITE, event, record, None, {})
            _outcome(record, None, "retrait" if key == "retraits" else "maintien")
            db.session.commit()
            done[key] += 1
    return done


def de_l_habilitation(habilitation_id: int) -> tuple[list[AuditHabilitation], list[MiseEnConformite]]:
    audits = list(
        db.session.execute(
            select(AuditHabilitation)
            .where(AuditHabilitation.habilitation_id == habilitation_id)
            .order_by(AuditHabilitation.id)
        ).scalars()
    )
    procedures = list(
        db.session.execute(
            select(MiseEnConformite)
            .where(MiseEnConformite.habilitation_id == habilitation_id)
            .order_by(MiseEnConformite.id)
        ).scalars()
    )
    return audits, procedures


# --- Certif Pro's view of the procedures in progress (issue 15 point 9) ------------------------------------------
PROCEDURES = {
    "audit": "Audit",
    "conformite": "Mise en conformité",
    "renonciation": "Renonciation",
    "suspension": "Suspension",
    "changement": "Changement de situation",
}


def procedures_en_cours(user, genre: str | None = None, en_retard: bool = False) -> list[dict]:
    """Every procedure in progress in the perimeter with its next deadline: {genre, libelle, organisme,
    habilitation, etat, echeance, date, jours, lien}, the most urgent first."""
    from app.models import ChangementSituation

    jour = today()
    rows: list[dict] = []

    def add(kind, record_label, organisme, habilitation_id, etat, echeance, date):
        rows.append(
            {
                "genre": kind,
                "genre_label": PROCEDURES[kind],
                "libelle": record_label,
                "organisme": organisme,
                "lien": f"/habilitations/show/{habilitation_id}" if habilitation_id else "/changements/",
                "etat": etat,
                "echeance": echeance,
                "date": date,
                "jours": jours_ouvres.entre(jour, date) if date else None,
            }
        )

    for a in db.session.execute(
        perimeter.restrict(select(AuditHabilitation), AuditHabilitation, user).where(
            AuditHabilitation.etat.in_(("planifie", "rapport_rendu", "observations_recues"))
        )
    ).scalars():
        if a.etat == "planifie":
            echeance, date = "Audit prévu", a.date_prevue
        elif a.etat == "rapport_rendu" and a.rapport_le:
            echeance, date = "Observations de l'organisme", jours_ouvres.ajouter(a.rapport_le, DELAI_OBSERVATIONS)
        else:
            echeance, date = "Décision de l'instance", a.observations_le or jour
        add(
            "audit",
            f"Audit n°{a.id}",
            a.habilitation.organisme.nom,
            a.habilitation_id,
            AUDIT.label(a.etat),
            echeance,
            date,
        )
    for c in db.session.execute(
        perimeter.restrict(select(MiseEnConformite), MiseEnConformite, user).where(
            MiseEnConformite.etat.in_(CONFORMITE.group("en_cours"))
        )
    ).scalars():
        if c.etat == "mise_en_demeure":
            echeance, date = "Justification (sinon retrait)", c.limite
        else:
            echeance = "Décision (sinon mesures réputées suffisantes)"
            date = jours_ouvres.ajouter(c.justifiee_le or jour, DELAI_DECISION_CONFORMITE)
        label = CONFORMITE.label(c.etat)
        add(
            "conformite",
            f"Mise en conformité n°{c.id}",
            c.habilitation.organisme.nom,
            c.habilitation_id,
            label,
            echeance,
            date,
        )
    accorded = perimeter.restrict(select(DemandeHabilitation), DemandeHabilitation, user).where(
        DemandeHabilitation.etat == "accordee", DemandeHabilitation.statut_habilitation.in_(("active", "suspendue"))
    )
    for h in db.session.execute(accorded).scalars():
        if h.renonciation_effet and h.renonciation_effet >= jour:
            add(
                "renonciation", str(h), h.organisme.nom, h.id, "Reçue", "Effet de la renonciation", h.renonciation_effet
            )
        if h.statut_habilitation == "suspendue":
            add("suspension", str(h), h.organisme.nom, h.id, "Suspendue", "Fin de l'habilitation", h.date_fin)
    for ch in db.session.execute(
        perimeter.restrict(select(ChangementSituation), ChangementSituation, user).where(
            ChangementSituation.etat.in_(("declare", "maintien_temporaire"))
        )
    ).scalars():
        if ch.etat == "declare":
            add(
                "changement",
                ch.nature_label,
                ch.organisme.nom,
                None,
                ch.etat_label,
                "A prendre en compte",
                ch.declare_le,
            )
        else:
            add(
                "changement",
                ch.nature_label,
                ch.organisme.nom,
                None,
                ch.etat_label,
                "Nouveau dossier",
                ch.maintien_jusqu_au,
            )
    if genre:
        rows = [r for r in rows if r["genre"] == genre]
    if en_retard:
        rows = [r for r in rows if r["jours"] is not None and r["jours"] < 0]
    return sorted(rows, key=lambda r: (r["date"] is None, r["date"] or jour))


def audits_par_avis(user) -> list[tuple[str, int]]:
    from sqlalchemy import func

    counts = dict(
        db.session.execute(
            perimeter.restrict(
                select(AuditHabilitation.avis, func.count()).group_by(AuditHabilitation.avis),
                AuditHabilitation,
                user,
            ).where(AuditHabilitation.avis.isnot(None))
        ).all()
    )
    return [(label, counts.get(code, 0)) for code, label in AVIS_AUDIT.items()]
