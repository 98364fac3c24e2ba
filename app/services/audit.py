"""Audit trail written in the same flush as the change itself, whatever wrote it (UI, API, CLI, job).

A service may name the action (« Validation de l'habilitation ») with `audit.label(...)`; otherwise the
line says Création / Modification / Suppression with the old → new values.
"""

import datetime
import decimal
from collections.abc import Callable
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.formatting import date_fr, datetime_fr
from app.models import (
    Actualite,
    AuditLog,
    BaremeRedevance,
    Candidature,
    Certificateur,
    DemandeHabilitation,
    DemandeRattachement,
    Document,
    Echange,
    EnvoiCertificat,
    Etablissement,
    Evaluation,
    Formation,
    OffreCpf,
    Organisme,
    Parametre,
    Reseau,
    SessionJury,
    Traitement,
    Utilisateur,
)

# Records that belong to a candidate file are written in the file's own trail ("Parcours"), as one line
# naming what was added or removed (a document's content is never copied).
PARTS_OF_FILE: dict[type, tuple[str, Callable[[Any], str]]] = {
    Document: ("document", lambda d: d.nom),
    Formation: ("formation", str),
    Evaluation: ("evaluation", str),
    Echange: ("echange", str),
    EnvoiCertificat: ("envoi_certificat", str),
    DemandeRattachement: ("rattachement", str),
}
# Certif Pro's national settings are traced too: a barème prices past statements, news reach every user.
AUDITED = (
    Reseau,
    Organisme,
    Etablissement,
    Certificateur,
    DemandeHabilitation,
    Utilisateur,
    Candidature,
    SessionJury,
    BaremeRedevance,
    Actualite,
    Parametre,
    Traitement,
    OffreCpf,
) + tuple(PARTS_OF_FILE)
ENTITY_NAMES = {
    Reseau: "Réseau",
    Organisme: "Organisme",
    Etablissement: "Etablissement",
    Certificateur: "Certificateur",
    DemandeHabilitation: "Demande d'habilitation",
    Utilisateur: "Utilisateur",
    Candidature: "Candidature",
    Document: "Document",
    Formation: "Formation",
    Evaluation: "Evaluation",
    Echange: "Echange",
    EnvoiCertificat: "Envoi du certificat",
    DemandeRattachement: "Demande de rattachement",
    SessionJury: "Session de jury",
    BaremeRedevance: "Barème des redevances",
    Actualite: "Actualité",
    Parametre: "Paramètre",
    Traitement: "Registre des traitements",
    OffreCpf: "Offre de formation CPF",
}
# Never written into the trail.
SECRET_FIELDS = {
    "password",
    "version",
    "contenu",
    "cle_personne",
    "nom_recherche",
    "updated_at",
    "created_at",
    "changed_on",
    "created_on",
    "last_login",
    "login_count",
    "fail_login_count",
    "changed_by_fk",
    "created_by_fk",
    "password_changed_at",
    "session_epoch",
}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "__table__"):
        return str(value)
    return value


def _actor():
    if not has_app_context():
        return None, "Système"
    user = getattr(g, "user", None) or getattr(g, "clea_user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "id", None):
        return None, "Système"
    return user.id, f"{user.first_name} {user.last_name}"


def _scope(obj) -> dict:
    """Which pages show the line: establishment, organisation, user (every row has the three keys: the lines
    are inserted in one executemany)."""
    scope: dict[str, int | None] = {"etablissement_id": None, "organisme_id": None, "utilisateur_id": None}
    if isinstance(obj, Etablissement):
        scope.update(etablissement_id=obj.id, organisme_id=obj.organisme_id)
    elif isinstance(obj, Organisme):
        scope.update(organisme_id=obj.id)
    elif isinstance(obj, OffreCpf):
        etab = obj.etablissement
        scope.update(etablissement_id=obj.etablissement_id, organisme_id=etab.organisme_id if etab else None)
    elif isinstance(obj, DemandeHabilitation):
        scope.update(organisme_id=obj.organisme_id)
    elif isinstance(obj, Candidature):
        scope.update(etablissement_id=obj.etablissement_id, organisme_id=obj.organisme_id)
    elif isinstance(obj, Utilisateur):
        scope.update(utilisateur_id=obj.id, organisme_id=obj.organisme_id, etablissement_id=obj.etablissement_id)
    return scope


def _changes(obj, new: bool) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SECRET_FIELDS:
            continue
        hist = state.attrs[key].history
        if new:
            value = getattr(obj, key)
            if value not in (None, ""):
                changes[key] = [None, _plain(value)]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            value = hist.added[0] if hist.added else None
            if old != value:
                changes[key] = [_plain(old), _plain(value)]
    if not new:
        for rel in state.mapper.relationships:
            if rel.secondary is None:
                continue
            hist = state.attrs[rel.key].history
            if hist.added or hist.deleted:
                changes[rel.key] = [[str(x) for x in hist.deleted], [str(x) for x in hist.added]]
    return changes


def _on_before_flush(session: Session, flush_context, instances) -> None:
    user_id, user_name = _actor()
    label = session.info.pop("audit_label", None)
    pending: list[tuple[str, object, dict | None]] = []
    if label and label.get("resume") is not None:
        # One line per file changed, holding only the summary (an anonymisation: no erased value in the trail).
        files = {id(o): o for o in (*session.dirty, *session.new) if isinstance(o, Candidature)}
        session.info.setdefault("audit_pending", []).extend(
            ("update", obj, dict(label["resume"]), user_id, user_name, label) for obj in files.values()
        )
        return
    for obj in list(session.new):
        if isinstance(obj, AUDITED):
            pending.append(("create", obj, _changes(obj, True)))
    for obj in list(session.dirty):
        if isinstance(obj, AUDITED) and session.is_modified(obj, include_collections=True):
            changes = _changes(obj, False)
            if changes:
                pending.append(("update", obj, changes))
    for obj in list(session.deleted):
        if isinstance(obj, AUDITED):
            pending.append(("delete", obj, None))
    session.info.setdefault("audit_pending", []).extend(
        (action, obj, changes, user_id, user_name, label) for action, obj, changes in pending
    )


def _on_after_flush(session: Session, flush_context):
    # Ids of new rows are known only after the flush: write the lines now, in the same transaction.
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    rows = []
    for action, obj, changes, user_id, user_name, label in pending:
        if label and action == "update":
            action = "decision" if label.get("decision") else action
        scope = _scope(obj)
        entity_type, entity_id, entity_label = ENTITY_NAMES[type(obj)], obj.id, str(obj)[:250]
        if type(obj) in PARTS_OF_FILE:
            field, summary = PARTS_OF_FILE[type(obj)]
            # A part added with its candidature_id only has no loaded relationship yet during the flush.
            candidature = obj.candidature or session.get(Candidature, obj.candidature_id)
            entity_type, entity_id, entity_label = "Candidature", obj.candidature_id, str(candidature)[:250]
            if action == "create":
                changes = {field: [None, summary(obj)]}
            elif action == "delete":
                changes = {field: [summary(obj), None]}
            action = "update"
            scope = _scope(candidature)
        rows.append(
            dict(
                created_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
                user_id=user_id,
                user_name=user_name,
                action=action,
                libelle=(label or {}).get("text"),
                entity_type=entity_type,
                entity_id=entity_id,
                entity_label=entity_label,
                changes=changes,
                **scope,
            )
        )
        if isinstance(obj, DemandeHabilitation):
            # A request is shown on each establishment it covers (the organisation page has the main line).
            for etab in obj.etablissements:
                extra = dict(rows[-1])
                extra.update(etablissement_id=etab.id, organisme_id=None)
                rows.append(extra)
    session.execute(AuditLog.__table__.insert(), rows)


def label(text: str, decision: bool = False, resume: dict | None = None) -> None:
    """Name the action written by the next flush (« Validation de l'habilitation »). Call it before
    changing anything: a lazy load may flush early. It lasts until that flush, commit or rollback.
    With `resume` ({field: [old, new]}), that flush writes one line per changed file holding only `resume`
    (nothing of the other records it changes nor of the old values)."""
    db.session.info["audit_label"] = {"text": text, "decision": decision, "resume": resume}


def _forget_label(session, *args):
    session.info.pop("audit_label", None)
    session.info.pop("audit_pending", None)


def install(session) -> None:
    target = session if isinstance(session, type) else Session
    if not event.contains(target, "before_flush", _on_before_flush):
        event.listen(target, "before_flush", _on_before_flush)
        event.listen(target, "after_flush", _on_after_flush)
        event.listen(target, "after_commit", _forget_label)
        event.listen(target, "after_soft_rollback", _forget_label)


# French names of the fields, for the "Actions effectuées" tables.
FIELD_LABELS = {
    "nom": "Nom",
    "siren": "SIREN",
    "siret": "SIRET",
    "adresse": "Adresse",
    "complement_adresse": "Complément d'adresse",
    "ville": "Ville",
    "code_postal": "Code postal",
    "region": "Région",
    "site_web": "Site web",
    "actif": "Actif",
    "reseau_id": "Réseau",
    "organisme_id": "Organisme",
    "etablissement_id": "Etablissement",
    "certificateur_id": "Certificateur",
    "contact_nom": "Nom du contact",
    "contact_prenom": "Prénom du contact",
    "contact_email": "Email du contact",
    "email_facturation": "Email de facturation",
    "facturation_differente": "Adresse de facturation différente",
    "facturation_adresse": "Adresse de facturation",
    "facturation_complement_adresse": "Complément d'adresse de facturation",
    "facturation_ville": "Ville de facturation",
    "facturation_code_postal": "Code postal de facturation",
    "code_naf": "Code NAF",
    "numero_declaration_activite": "Numéro de déclaration d'activité",
    "qualiopi": "Qualiopi",
    "referent_nom": "Nom du contact référent",
    "referent_prenom": "Prénom du contact référent",
    "referent_email": "Email du contact référent",
    "public_nom": "Nom du contact public",
    "public_prenom": "Prénom du contact public",
    "public_email": "Email du contact public",
    "public_telephone": "Téléphone du contact public",
    "responsable_nom": "Nom du responsable",
    "responsable_prenom": "Prénom du responsable",
    "responsable_email": "Email du responsable",
    "notifier_creation_candidature": "Notifier lors de la création d'une candidature",
    "type": "Type",
    "modalite_envoi": "Modalité d'envoi",
    "certification": "Certification",
    "renouvelle_id": "Habilitation renouvelée",
    "date_demande": "Date de la demande",
    "etat": "Etat",
    "motif_rejet": "Motif du rejet",
    "date_debut": "Date de début",
    "date_fin": "Date de fin",
    "decide_par_id": "Décidé par",
    "decide_le": "Décidé le",
    "demandeur_id": "Demandeur",
    "etablissements": "Etablissements",
    "certificateurs": "Certificateurs",
    # The habilitation dossier (its cadre de réponse and its procedure)
    "type_candidature": "Type de candidature",
    "membres": "Membres du groupement",
    "activite_principale": "Activité principale",
    "date_creation": "Date de création",
    "effectif": "Effectif",
    "chiffres_affaires": "Chiffres d'affaires",
    "contact_telephone": "Téléphone du contact",
    "facturation_nom": "Contact facturation",
    "facturation_email": "Email du contact facturation",
    "label_qualite": "Label qualité",
    "premiere_demande": "Première demande",
    "historique": "Historique",
    "autres_habilitations": "Autres habilitations",
    "couverture": "Couverture",
    "regions": "Régions",
    "sites": "Sites sans SIRET",
    "motivation": "Motivation",
    "promotion": "Promotion de la certification",
    "processus_evaluation": "Processus d'évaluation",
    "accompagnement": "Accompagnement",
    "modalites_distance": "Evaluation à distance",
    "modalites": "Modalités par sous-domaine",
    "sequences": "Séquences d'évaluation",
    "intervenants": "Intervenants",
    "references": "Références",
    "engagement_lu": "Lu et approuvé",
    "engagement_signataire": "Signataire",
    "engagement_qualite": "Qualité du signataire",
    "engagement_lieu": "Lieu de signature",
    "engagement_date": "Date de signature",
    "date_depot": "Date de dépôt",
    "campagne_id": "Campagne",
    "reunion_id": "Réunion de l'instance",
    "instructeur_id": "Instructeur",
    "instruction_le": "Pris en instruction le",
    "complement_le": "Complément demandé le",
    "audition_le": "Audition",
    "audition_lieu": "Lieu de l'audition",
    "avis_favorable": "Avis favorable",
    "avis_motivation": "Motivation de l'avis",
    "avis_le": "Avis rendu le",
    "notifie_le": "Notifié le",
    "recours_note": "Note du recours",
    "recours_le": "Recours déposé le",
    "recours_accuse_le": "Recours reçu le",
    "motif_classement": "Motif du classement",
    "statut_habilitation": "Statut de l'habilitation",
    "statut_motif": "Motif",
    "statut_le": "Depuis le",
    "renonciation_recue_le": "Renonciation reçue le",
    "renonciation_effet": "Effet de la renonciation",
    "first_name": "Prénom",
    "last_name": "Nom",
    "username": "Login de connexion",
    "email": "Email",
    "email_pending": "Nouvel email (à confirmer)",
    "active": "Actif",
    "roles": "Rôle",
    "numero_dossier": "Numéro de dossier",
    # Personal data: settings, the register, the anonymisation's line
    "cle": "Paramètre",
    "valeur": "Valeur",
    "ordre": "Ordre",
    "finalite": "Finalité",
    "base_legale": "Base légale",
    "categories_donnees": "Catégories de données",
    "categories_personnes": "Catégories de personnes",
    "destinataires": "Destinataires",
    "duree_conservation": "Durée de conservation",
    "mesures_securite": "Mesures de sécurité",
    "motif_preuve": "Motif de l'effacement de la preuve du certificat",
    "champs": "Données effacées",
    "anonymise_le": "Anonymisé le",
    "documents_purges_le": "Documents supprimés le",
    "statut": "Statut",
    "statut_inscription": "Statut à l'inscription",
    "branche": "Branche délégataire",
    "socle_contextualise": "Socle contextualisé",
    "siren_employeur": "Siren de l'employeur",
    "type_public": "Type de public",
    "niveau_formation": "Niveau de formation",
    "financeur_principal": "Financeur principal",
    "civilite": "Civilité",
    "nom_naissance": "Nom de naissance",
    "nom_usage": "Nom d'usage",
    "prenom": "Prénom",
    "date_naissance": "Date de naissance",
    "ne_etranger": "Né à l'étranger",
    "pays_naissance": "Pays de naissance",
    "ne_outre_mer": "Né en outre-mer",
    "ville_naissance": "Ville de naissance",
    "code_postal_naissance": "Code postal de naissance",
    "origine_demarche": "Origine de la démarche",
    "objectifs_professionnels": "Objectifs professionnels",
    "objectifs_extra_professionnels": "Objectifs extra-professionnels",
    "telephone": "Téléphone",
    "certificat_papier": "Certificat papier",
    "motif_abandon": "Motif d'abandon",
    "statut_avant_abandon": "Statut avant abandon",
    "date_abandon": "Date d'abandon",
    "date_envoi_certification": "Date d'envoi en certification",
    "date_evaluation_prealable": "Date de l'évaluation préalable",
    "document": "Document",
    "formation": "Formation",
    "evaluation": "Evaluation",
    "evaluateur_nom": "Nom de l'évaluateur",
    "evaluateur_prenom": "Prénom de l'évaluateur",
    "evaluateur_email": "Email de l'évaluateur",
    "date_evaluation": "Date d'évaluation",
    "conclusion": "Conclusion",
    "commentaire": "Commentaire",
    "resultat": "Résultat",
    "synthese": "Synthèse",
    "date_finalisation": "Date de finalisation",
    "finale": "Evaluation finale",
    "echange": "Message",
    "envoi_certificat": "Envoi du certificat",
    "rattachement": "Demande de rattachement",
    "etablissement_destination_id": "Etablissement de destination",
    "etablissement_origine_id": "Etablissement d'origine",
    "commentaire_decision": "Commentaire de la décision",
    "motif": "Motif",
    "precision": "Précision",
    "session_jury_id": "Session de jury",
    "date_decision": "Date de la décision",
    "libelle": "Libellé",
    "date": "Date",
}


def readable_value(value) -> str:
    """None → ∅, booleans → Oui/Non, ISO dates → jj/mm/aaaa, status codes → labels."""
    from app.domain import statuts

    if value is None or value == "":
        return "∅"
    if value is True:
        return "Oui"
    if value is False:
        return "Non"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return f"{len(value)} ligne{'s' if len(value) > 1 else ''}"  # the rows of a dossier's table
    if isinstance(value, list):
        return ", ".join(readable_value(v) for v in value) or "∅"
    if isinstance(value, dict):
        return "…"
    text = str(value)
    from app.domain.dossiers import STATUTS_HABILITATION
    from app.models.evaluations import ETATS, RESULTATS

    for labels in (
        statuts.LABELS,
        DemandeHabilitation.ETATS,
        STATUTS_HABILITATION,
        DemandeRattachement.ETATS,
        ETATS,
        RESULTATS,
    ):
        if text in labels:
            return labels[text]
    if len(text) == 10:
        return date_fr(text)  # the text itself when it is not an ISO date
    if len(text) >= 16 and text[10] == "T":
        return datetime_fr(text)
    return text


def readable_changes(changes) -> list[tuple[str, str, str]]:
    if not changes:
        return []
    return [
        (FIELD_LABELS.get(key, key), readable_value(old), readable_value(new)) for key, (old, new) in changes.items()
    ]


def historique(entity_type: str, entity_id: int) -> list[AuditLog]:
    """A record's trail, newest first (« Parcours » of a candidate file)."""
    return list(
        db.session.execute(
            select(AuditLog)
            .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        ).scalars()
    )


def lignes(limit: int = 200, **scope) -> list[AuditLog]:
    """The trail shown on an establishment, organisation or user page (`etablissement_id=…`, …); a candidate
    file's own lines are on its « Parcours » tab."""
    column, value = next(iter(scope.items()))
    return list(
        db.session.execute(
            select(AuditLog)
            .where(getattr(AuditLog, column) == value, AuditLog.entity_type != "Candidature")
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(limit)
        ).scalars()
    )
