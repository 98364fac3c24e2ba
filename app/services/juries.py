"""The certifier side (guide §7 « Onglet CERTIFICATION », §20; domain.md §6): jury sessions, assignment of
files, decisions (certifiée / non certifiée / complément demandé), the OF's answer, exchanges, certificates,
mailings, change of certifier. Each state change goes through the status machine in one transaction, with its
audit line and notifications.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from marshmallow import fields
from sqlalchemy import or_, select

from app.domain import access, certificats, statuts
from app.domain.dates import parse_datetime
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.regions import MODALITES_PAR_PRESTATAIRE
from app.domain.statuts import CANDIDATURE
from app.extensions import db
from app.formatting import date_fr
from app.models import Candidature, Certificateur, Utilisateur
from app.models.juries import Certificat, DecisionJury, Echange, EnvoiCertificat, SessionJury
from app.models.referentiels import CERTIFICATIONS
from app.schemas import Input, Text, shape_errors, text_fields
from app.security import perimeter
from app.services import audit, documents, notifications, transitions, workflow
from app.services.candidatures import _date, valeurs
from app.services.validation import Errors, blank

MESSAGE_MAX = 5000
MESSAGE_TROP_LONG = f"Le message ne doit pas dépasser {MESSAGE_MAX} caractères."


# --- Who hears about what ---------------------------------------------------------------------------------------


def utilisateurs_of(candidature) -> list[Utilisateur]:
    return notifications.utilisateurs_des_etablissements(candidature.etablissement)


def _lien(candidature) -> str:
    return f"/candidatures/show/{candidature.id}"


# --- Sessions ---------------------------------------------------------------------------------------------------


def _parse_datetime(value, errors: Errors):
    """The jury's date and time (9:00 when only the day is given); the French message on `date` otherwise."""
    try:
        return parse_datetime(value, default_time=datetime.time(9))
    except ValueError as exc:
        errors.add("date", str(exc))
        return None


# Input shapes (app/schemas.py): types and lengths from the models; the rules are in the functions below.
SESSION_INPUT = Input.from_dict(text_fields(SessionJury, ["libelle"]), name="SessionInput")()
ENVOI_INPUT = Input.from_dict(text_fields(EnvoiCertificat, ["canal", "commentaire"]), name="EnvoiInput")()


def _add_shape_errors(errors: Errors, schema, values: dict) -> None:
    for field, messages in shape_errors(schema, values).items():
        for message in messages:
            errors.add(field, message)


def creer_session(user, values: dict) -> SessionJury:
    """Plan a session (date, label) for the caller's certifier (Certif Pro names the certifier)."""
    if not access.may(user, "certification.creer"):
        raise Forbidden("Votre profil ne permet pas de planifier un jury.")
    errors = Errors()
    errors.required(values, "date", "libelle")
    _add_shape_errors(errors, SESSION_INPUT, values)
    libelle = values.get("libelle")
    date = _parse_datetime(values.get("date"), errors) if not blank(values.get("date")) else None
    if date and date.date() < datetime.date.today():
        errors.add("date", "Un jury ne peut pas être planifié dans le passé.")
    if date and date.year > datetime.date.today().year + 5:
        errors.add("date", "Date trop lointaine.")
    certificateur_id = user.certificateur_id
    if access.may(user, "planifier_jury_tout_certificateur"):
        certificateur_id = perimeter.parse_pk(values.get("certificateur"))
        if certificateur_id is None or db.session.get(Certificateur, certificateur_id) is None:
            errors.add("certificateur", "Choisissez le certificateur du jury.")
    membres = []
    if values.get("membres") and certificateur_id is not None:
        membres = _membres(certificateur_id, values.get("membres"), errors)
    if errors:
        raise ValidationFailed(errors)
    session = SessionJury(
        certificateur_id=certificateur_id, date=date, libelle=str(libelle).strip(), cree_par_id=user.id
    )
    session.membres = membres
    db.session.add(session)
    db.session.commit()
    return session


# --- Members of a session ---------------------------------------------------------------------------------------


def membres_possibles(certificateur_id) -> list[Utilisateur]:
    """Who may sit on a session of this certifier: its active users holding « sieger_au_jury »."""
    return sorted(
        (u for u in notifications.utilisateurs_du_certificateur(certificateur_id) if access.may(u, "sieger_au_jury")),
        key=lambda u: (u.last_name.casefold(), u.first_name.casefold()),
    )


def _membres(certificateur_id, ids, errors: Errors) -> list[Utilisateur]:
    if not isinstance(ids, (list, tuple)) or any(isinstance(i, bool) or perimeter.parse_pk(i) is None for i in ids):
        errors.add("membres", "Liste d'identifiants de membres du jury attendue.")
        return []
    possibles = {u.id: u for u in membres_possibles(certificateur_id)}
    chosen = {perimeter.parse_pk(i) for i in ids}
    if not chosen <= set(possibles):
        errors.add("membres", "Chaque membre doit être un membre de jury actif du certificateur de la session.")
        return []
    return [u for u in possibles.values() if u.id in chosen]


def definir_membres(user, session_id, ids) -> SessionJury:
    """The members who sit on the session (named on its minutes): the certifier or Certif Pro chooses them."""
    session = perimeter.get_visible(SessionJury, session_id, user)
    if not access.may(user, "certification.creer"):
        raise Forbidden("Votre profil ne permet pas de composer un jury.")
    errors = Errors()
    membres = _membres(session.certificateur_id, ids, errors)
    if errors:
        raise ValidationFailed(errors)
    audit.label("Composition du jury")
    session.membres = membres
    db.session.commit()
    return session


def sessions_a_venir(certificateur_id) -> list[SessionJury]:
    return list(
        db.session.execute(
            select(SessionJury)
            .where(SessionJury.certificateur_id == certificateur_id, SessionJury.date >= SessionJury.debut_du_jour())
            .order_by(SessionJury.date)
        ).scalars()
    )


def _session_for(user, candidature, session_id) -> SessionJury:
    try:
        session = perimeter.get_visible(SessionJury, session_id, user)
    except NotFound:
        raise ValidationFailed(
            {"session_jury_id": "Cette session de jury n'existe pas ou n'est pas la vôtre."}
        ) from None
    if session.certificateur_id != candidature.certificateur_id:
        raise ValidationFailed(
            {"session_jury_id": "Cette session n'est pas une session du certificateur de ce dossier."}
        )
    return session


# --- Assignment and decisions ----------------------------------------------------------------------------------


class AffectationInput(Input):
    session_jury_id = fields.Raw(load_default=None)


def _session_id(session_jury_id=None) -> dict:
    if isinstance(session_jury_id, bool) or not isinstance(session_jury_id, (int, str)):
        raise ValidationFailed({"session_jury_id": "Identifiant de session attendu."})
    return {"session_jury_id": session_jury_id}


@workflow.effect(CANDIDATURE, "affecter", schema=AffectationInput(), prepare=_session_id)
def _affecter(candidature, user, session_jury_id) -> dict:
    """« Affecter à un jury »: en attente de jury / candidature complétée → en attente de certification."""
    session = _session_for(user, candidature, session_jury_id)
    if not session.a_venir:
        raise DomainError(f"Le jury du {date_fr(session.date)} est passé : choisissez une session à venir.")
    candidature.session_jury_id = session.id
    return {"session": session.label}


def affecter(user, candidature_id, session_id) -> Candidature:
    return transitions.run("affecter", user, candidature_id, session_jury_id=session_id)


def affecter_plusieurs(user, candidature_ids, session_id) -> tuple[int, list[str]]:
    """The bulk action: each file in its own transaction; returns (assigned, French refusals)."""
    done, refusals = 0, []
    for candidature_id in candidature_ids:
        try:
            affecter(user, candidature_id, session_id)
            done += 1
        except ValidationFailed as exc:
            db.session.rollback()
            refusals.append(" ".join(m for msgs in exc.errors.values() for m in msgs))
        except DomainError as exc:
            db.session.rollback()
            refusals.append(exc.message)
    return done, refusals


def numero_certificat(candidature, session) -> str:
    prefix = "CLEANUM" if candidature.certification == "clea_numerique" else "CLEA"
    return f"{prefix}-{session.date:%Y}-{candidature.numero_dossier}"


def url_de_verification(code: str) -> str:
    """The public page's absolute address (the QR code's, the candidate's mail's): PUBLIC_URL, as mailed links."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + certificats.chemin_de_verification(code)


def delivrer_certificat(candidature, session, auteur_id=None) -> Certificat:
    """The certificate of a certified file: its number, its verification code and its PDF, attached to the file."""
    from app.exports.certificat import certificat_pdf

    numero = numero_certificat(candidature, session)
    code = certificats.nouveau_code()
    document = documents.joindre(
        candidature.id,
        f"certificat-{numero}.pdf",
        "application/pdf",
        certificat_pdf(candidature, numero, session, code, url_de_verification(code)),
        "certificat",
        None,
        auteur_id,
    )
    db.session.flush()
    certificat = Certificat(
        candidature_id=candidature.id,
        numero=numero,
        session_jury_id=session.id,
        document_id=document.id,
        code_verification=code,
    )
    db.session.add(certificat)
    return certificat


@dataclass(frozen=True)
class Verification:
    """What the public page shows of a certificate (api.md "Certificate verification") — nothing more."""

    numero: str
    certification: str
    date: datetime.date
    initiales: str
    annee_naissance: int


def verifier(code) -> Verification | None:
    """The public page `/verifier/<code>` (no login); None: no certificate has this code (the page answers its 404,
    saying so, not the platform's « hors périmètre » one). An anonymised
    file keeps its certificate verifiable as long as its proof is kept (name, birth date: the initials and the
    year shown are the person's); Certif Pro erasing the proof erases the code too."""
    if not certificats.code_valide(code):
        return None
    row = db.session.execute(
        select(
            Certificat.numero,
            SessionJury.date,
            Candidature.certification,
            Candidature.prenom,
            Candidature.nom_naissance,
            Candidature.date_naissance,
        )
        .join(Candidature, Candidature.id == Certificat.candidature_id)
        .join(SessionJury, SessionJury.id == Certificat.session_jury_id)
        .where(Certificat.code_verification == code)
    ).first()
    if row is None:
        return None
    numero, date, certification, prenom, nom, naissance = row
    return Verification(
        numero=numero,
        certification=CERTIFICATIONS.get(certification, certification),
        date=date.date(),
        initiales=certificats.initiales(prenom, nom),
        annee_naissance=naissance.year,
    )


class DecisionInput(Input):
    decision = fields.Raw(load_default=None)
    commentaire = Text(max_length=MESSAGE_MAX, too_long=MESSAGE_TROP_LONG)


def _decision(decision=None, commentaire=None) -> dict:
    if decision not in statuts.DECISIONS:
        raise ValidationFailed({"decision": "Décision inconnue : certifiee, non_certifiee ou complement."})
    commentaire = commentaire or ""
    if decision == DecisionJury.COMPLEMENT and not commentaire:
        raise ValidationFailed({"commentaire": "Précisez les compléments demandés à l'organisme."})
    return {"decision": decision, "commentaire": commentaire}


@workflow.effect(CANDIDATURE, "decider", schema=DecisionInput(), prepare=_decision)
def _decider(candidature, user, decision, commentaire) -> dict:
    """The jury's decision on an assigned file; a complement request needs its message."""
    session = candidature.session_jury
    if session is None:
        raise DomainError("Ce dossier n'est affecté à aucun jury.")
    if not session.tenue:
        raise DomainError(
            f"Le jury du {date_fr(session.date)} n'a pas encore eu lieu : la décision sera enregistrée après sa tenue."
        )
    db.session.add(
        DecisionJury(
            candidature_id=candidature.id,
            session_jury_id=session.id,
            decision=decision,
            commentaire=commentaire or None,
            decide_par_id=user.id,
        )
    )
    candidature.date_decision = datetime.datetime.now()
    if decision == DecisionJury.COMPLEMENT:
        db.session.add(
            Echange(candidature_id=candidature.id, cote=Echange.CERTIFICATEUR, message=commentaire, auteur_id=user.id)
        )
    texts = {
        DecisionJury.CERTIFIEE: f"Le dossier {candidature.numero_dossier} ({candidature.candidat}) est certifié "
        f"par le jury du {date_fr(session.date)}. Le certificat est disponible.",
        DecisionJury.NON_CERTIFIEE: f"Le dossier {candidature.numero_dossier} ({candidature.candidat}) n'est pas "
        f"certifié par le jury du {date_fr(session.date)}.",
        DecisionJury.COMPLEMENT: f"Le jury du {date_fr(session.date)} demande des compléments pour le dossier "
        f"{candidature.numero_dossier} ({candidature.candidat}) : {commentaire}",
    }
    return {
        "decision_label": DecisionJury.LABELS[decision],
        "texte_decision": texts[decision],
        "date_jury": date_fr(session.date),
    }


@workflow.after(CANDIDATURE, "decider")
def _certificat(candidature, user, context) -> None:
    """A certified file gets its certificate; its number and verification address go in the candidate's mail."""
    if context["decision"] == DecisionJury.CERTIFIEE:
        certificat = delivrer_certificat(candidature, candidature.session_jury, user.id)
        context["numero_certificat"] = certificat.numero
        context["url_verification"] = url_de_verification(certificat.code_verification or "")


def decider(user, candidature_id, decision, commentaire=None) -> Candidature:
    return transitions.run("decider", user, candidature_id, decision=decision, commentaire=commentaire)


def _message(value, field="message") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({field: "Le message est obligatoire."})
    if len(value) > MESSAGE_MAX:
        raise ValidationFailed({field: f"Le message ne doit pas dépasser {MESSAGE_MAX} caractères."})
    return value.strip()


class MessageInput(Input):
    message = Text(max_length=MESSAGE_MAX, too_long=MESSAGE_TROP_LONG)


@workflow.effect(
    CANDIDATURE, "completer", schema=MessageInput(), prepare=lambda message=None: {"message": _message(message)}
)
def _completer(candidature, user, message) -> None:
    """The OF answers the complement request and confirms the re-sending (« Candidature complétée »)."""
    db.session.add(Echange(candidature_id=candidature.id, cote=Echange.ORGANISME, message=message, auteur_id=user.id))


def completer(user, candidature_id, message) -> Candidature:
    return transitions.run("completer", user, candidature_id, message=message)


# --- Exchanges --------------------------------------------------------------------------------------------------


def cote_de(user) -> str | None:
    if access.may(user, "echanger_cote_certificateur"):
        return Echange.CERTIFICATEUR
    if access.may(user, "echanger_cote_organisme"):
        return Echange.ORGANISME
    return None


def peut_echanger(user, candidature) -> bool:
    return CANDIDATURE.in_group("chez_certificateur", candidature.statut) and cote_de(user) is not None


def echanger(user, candidature_id, message) -> Echange:
    """A message on the « Echanges » tab, from either side, once the file is at the certifier."""
    message = _message(message)
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if not peut_echanger(user, candidature):
        raise DomainError(
            "Les échanges avec le certificateur sont ouverts une fois le dossier envoyé en certification."
        )
    cote = cote_de(user)
    echange = Echange(candidature_id=candidature.id, cote=cote, message=message, auteur_id=user.id)
    db.session.add(echange)
    db.session.flush()
    if cote == Echange.CERTIFICATEUR:
        destinataires, titre = utilisateurs_of(candidature), "Nouveau message du certificateur"
    else:
        destinataires, titre = (
            notifications.utilisateurs_du_certificateur(candidature.certificateur_id),
            "Nouveau message de l'organisme",
        )
    notifications.notify(
        destinataires,
        "Dossier de candidature",
        titre,
        f"Message sur le dossier {candidature.numero_dossier} : {message[:300]}",
        _lien(candidature) + "#echanges",
        mail=f"Un nouveau message sur le dossier {candidature.numero_dossier} vous attend sur la plateforme.",
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return echange


def echanges_de(candidature_id) -> list[Echange]:
    return list(
        db.session.execute(
            select(Echange).where(Echange.candidature_id == candidature_id).order_by(Echange.created_at, Echange.id)
        ).scalars()
    )


def decisions_de(candidature_id) -> list[DecisionJury]:
    return list(
        db.session.execute(
            select(DecisionJury)
            .where(DecisionJury.candidature_id == candidature_id)
            .order_by(DecisionJury.created_at.desc(), DecisionJury.id.desc())
        ).scalars()
    )


def certificat_de(candidature_id):
    return db.session.execute(
        select(Certificat).where(Certificat.candidature_id == candidature_id)
    ).scalar_one_or_none()


# --- Mailing of certificates ------------------------------------------------------------------------------------


ENVOYE = "Envoyé"  # the « Statut de la lettre » of a posted certificate: its candidate is told


def enregistrer_envoi(user, candidature_id, values: dict) -> EnvoiCertificat:
    """A line of « Historique des envois »; a posted certificate is announced to its candidate (when their file
    holds an email); an undelivered letter warns the OF (« Plis non distribués »)."""
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if not access.may(user, "enregistrer_envoi_certificat"):
        raise Forbidden("Seul le certificateur enregistre les envois de certificats.")
    if not CANDIDATURE.in_group("certifiee", candidature.statut):
        raise DomainError("Seul le certificat d'une candidature certifiée peut être envoyé.")
    errors = Errors()
    errors.required(values, "statut_lettre", "date_traitement")
    statut_lettre = values.get("statut_lettre")
    if not blank(statut_lettre) and statut_lettre not in valeurs("statut_lettre"):
        errors.add("statut_lettre", "Statut de la lettre inconnu.")
    date = (
        _date(values.get("date_traitement"), "date_traitement", errors)
        if not blank(values.get("date_traitement"))
        else None
    )
    if date and date > datetime.date.today():
        errors.add("date_traitement", "La date de traitement ne peut pas être dans le futur.")
    _add_shape_errors(errors, ENVOI_INPUT, values)
    if errors:
        raise ValidationFailed(errors)
    envoi = EnvoiCertificat(
        candidature_id=candidature.id,
        statut_lettre=statut_lettre,
        date_traitement=date,
        canal=(values.get("canal") or "").strip() or None,
        commentaire=(values.get("commentaire") or "").strip() or None,
        cree_par_id=user.id,
    )
    db.session.add(envoi)
    db.session.flush()
    if statut_lettre == ENVOYE:
        certificat = certificat_de(candidature.id)
        workflow.send_person_mail(
            CANDIDATURE,
            candidature,
            statuts.CERTIFICAT_ENVOYE,
            {
                **transitions.describe(candidature),
                "numero_certificat": certificat.numero if certificat else "",
                "date_envoi": date_fr(date),
                "par_canal": f" ({envoi.canal})" if envoi.canal else "",
            },
        )
    if statut_lettre == "Pli non distribué":
        notifications.notify(
            utilisateurs_of(candidature),
            "Plis non distribués",
            "Certificat non distribué",
            f"Le certificat du dossier {candidature.numero_dossier} ({candidature.candidat}) n'a pas "
            "pu être distribué : vérifiez l'adresse postale du candidat.",
            _lien(candidature) + "#envois",
            personne=candidature.candidat,
        )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return envoi


def envois_de(candidature_id) -> list[EnvoiCertificat]:
    return list(
        db.session.execute(
            select(EnvoiCertificat)
            .where(EnvoiCertificat.candidature_id == candidature_id)
            .order_by(EnvoiCertificat.date_traitement.desc(), EnvoiCertificat.id.desc())
        ).scalars()
    )


# --- Change of certifier ----------------------------------------------------------------------------------------


class ReaffectationInput(Input):
    certificateur = fields.Raw(load_default=None)
    commentaire = Text(max_length=MESSAGE_MAX, too_long=MESSAGE_TROP_LONG)


def _nouveau_certificateur(certificateur=None, commentaire=None) -> dict:
    return {"certificateur_id": certificateur, "commentaire": _message(commentaire, "commentaire")}


@workflow.effect(CANDIDATURE, "changer_certificateur", schema=ReaffectationInput(), prepare=_nouveau_certificateur)
def _changer_certificateur(candidature, user, certificateur_id, commentaire) -> dict:
    """Certif Pro re-assigns a file at the certifier; a file waiting for its session goes back to « En attente
    de jury » for the new certifier (the machine's rule)."""
    try:
        nouveau = None if isinstance(certificateur_id, bool) else db.session.get(Certificateur, int(certificateur_id))
    except (TypeError, ValueError):
        nouveau = None
    if nouveau is None or not nouveau.actif or nouveau.type == Certificateur.CERTIF_PRO:
        raise ValidationFailed({"certificateur": "Certificateur inconnu ou inactif."})
    if nouveau.id == candidature.certificateur_id:
        raise ValidationFailed({"certificateur": "Ce dossier est déjà chez ce certificateur."})
    ancien = candidature.certificateur
    context = {
        "ancien": ancien.nom if ancien else "∅",
        "nouveau": nouveau.nom,
        "ancien_certificateur_id": ancien.id if ancien else None,
        "commentaire_court": commentaire[:150],
    }
    candidature.certificateur_id = nouveau.id
    if CANDIDATURE.in_group("attente_certification", candidature.statut):
        candidature.session_jury_id = None
    return context


def changer_certificateur(user, candidature_id, certificateur_id, commentaire) -> Candidature:
    return transitions.run(
        "changer_certificateur", user, candidature_id, certificateur=certificateur_id, commentaire=commentaire
    )


@documents.upload_policy("echange")
def _documents_d_echange(user, candidature, objet_id, ajout: bool) -> None:
    """A message's attachments: either side, once the file is at the certifier."""
    echange = db.session.get(Echange, objet_id) if isinstance(objet_id, int) else None
    if echange is None or echange.candidature_id != candidature.id:
        raise ValidationFailed({"echange": "Ce message n'appartient pas à ce dossier."})
    if not peut_echanger(user, candidature):
        raise Forbidden(documents.refus(ajout))


@documents.upload_policy("certificat")
def _documents_du_certificat(user, candidature, objet_id, ajout: bool) -> None:
    raise Forbidden("Le certificat est produit par la décision du jury : il ne se dépose ni ne se supprime.")


def certificateurs_de_dossiers() -> list[Certificateur]:
    """The certifiers a file may be sent or re-assigned to (Certif Pro's own record is not one)."""
    return list(
        db.session.execute(
            select(Certificateur)
            .where(Certificateur.actif.is_(True), Certificateur.type != Certificateur.CERTIF_PRO)
            .order_by(Certificateur.nom)
        ).scalars()
    )


def contenu_de_session(user, session: SessionJury, avec_attente: bool, limit: int = 500):
    """A session's page: its files, the files of its certifier waiting for a jury (for the bulk assignment),
    and the decisions already taken (file id → decision)."""
    files = perimeter.restrict(select(Candidature), Candidature, user)
    assigned = list(
        db.session.execute(
            files.where(Candidature.session_jury_id == session.id).order_by(Candidature.numero_dossier)
        ).scalars()
    )
    waiting = []
    if avec_attente:
        waiting = list(
            db.session.execute(
                files.where(
                    Candidature.certificateur_id == session.certificateur_id,
                    Candidature.statut.in_(CANDIDATURE.group("a_affecter")),
                )
                .order_by(Candidature.date_envoi_certification)
                .limit(limit)
            ).scalars()
        )
    decisions = dict(
        db.session.execute(
            select(DecisionJury.candidature_id, DecisionJury.decision).where(DecisionJury.session_jury_id == session.id)
        ).all()
    )
    return assigned, waiting, decisions


# --- A session's outputs: minutes, list of files, batch of certificates (issue 18) ------------------------------


@dataclass
class LigneDeSession:
    """A file of the session's minutes: its latest decision in this session and its certificate, if any."""

    candidature: Candidature
    decision: DecisionJury | None
    certificat: Certificat | None

    @property
    def decision_label(self) -> str:
        return self.decision.decision_label if self.decision else "Sans décision"


SANS_DECISION = "Sans décision"


def session_des_sorties(user, session_id) -> SessionJury:
    """The session, when the user may take its outputs: out of the perimeter 404 first, then the right (403)."""
    session = perimeter.get_visible(SessionJury, session_id, user)
    if not access.may(user, "sorties_session_jury"):
        raise Forbidden("Votre profil ne permet pas de télécharger les documents d'une session de jury.")
    return session


def lignes_de_session(user, session: SessionJury) -> list[LigneDeSession]:
    """The files assigned to the session or decided by it (a complement asked by this session, the file
    re-assigned since), inside the user's perimeter, by file number."""
    decided = select(DecisionJury.candidature_id).where(DecisionJury.session_jury_id == session.id)
    candidatures = list(
        db.session.execute(
            perimeter.restrict(select(Candidature), Candidature, user)
            .where(or_(Candidature.session_jury_id == session.id, Candidature.id.in_(decided)))
            .order_by(Candidature.numero_dossier)
        ).scalars()
    )
    decisions: dict[int, DecisionJury] = {}
    for decision in db.session.execute(
        select(DecisionJury)
        .where(DecisionJury.session_jury_id == session.id)
        .order_by(DecisionJury.created_at, DecisionJury.id)
    ).scalars():
        decisions[decision.candidature_id] = decision  # the latest one stays
    certificats = {
        c.candidature_id: c
        for c in db.session.execute(select(Certificat).where(Certificat.session_jury_id == session.id)).scalars()
    }
    return [LigneDeSession(c, decisions.get(c.id), certificats.get(c.id)) for c in candidatures]


def totaux(lignes: list[LigneDeSession]) -> list[tuple[str, int]]:
    """How many files per decision, in the decisions' order, then those without one."""
    counts = Counter(line.decision_label for line in lignes)
    order = [*DecisionJury.LABELS.values(), SANS_DECISION]
    return [(label, counts[label]) for label in order if counts[label] or label != SANS_DECISION]


def _nom(session: SessionJury, quoi: str, extension: str) -> str:
    return f"{quoi}-jury-{session.date:%Y-%m-%d}-{session.id}.{extension}"


def proces_verbal(user, session_id) -> tuple[bytes, str]:
    """The minutes of the session as a PDF: date, certifier, members, each file with its decision, totals,
    room for the signatures."""
    from app.exports.jury import proces_verbal_pdf

    session = session_des_sorties(user, session_id)
    lignes = lignes_de_session(user, session)
    return proces_verbal_pdf(session, session.membres, lignes, totaux(lignes)), _nom(session, "proces-verbal", "pdf")


def liste_de_session(user, session_id):
    """The session's files as .xlsx (an open temporary file, to be streamed) and its name."""
    from app.exports import xlsx
    from app.exports.jury import liste_sheets

    session = session_des_sorties(user, session_id)
    return xlsx.build_sheets(liste_sheets(session, lignes_de_session(user, session))), _nom(session, "dossiers", "xlsx")


def par_prestataire(certificateur: Certificateur) -> bool:
    return certificateur.modalite_envoi in MODALITES_PAR_PRESTATAIRE


def certificats_de_session(user, session_id) -> tuple[bytes, str]:
    """The batch of the session's certificates as one PDF for the printing provider (one page each), for the
    certifiers whose « Modalité d'envoi » is by provider."""
    from app.exports.certificat import certificats_pdf

    session = session_des_sorties(user, session_id)
    if not par_prestataire(session.certificateur):
        raise DomainError(
            f"Les certificats de {session.certificateur.nom} ne sont pas imprimés par le prestataire "
            f"(modalité d'envoi : « {session.certificateur.modalite_envoi} ») : il n'y a pas de lot à imprimer."
        )
    certificats = [
        (
            line.candidature,
            line.certificat.numero,
            line.certificat.code_verification or "",
            url_de_verification(line.certificat.code_verification or ""),
        )
        for line in lignes_de_session(user, session)
        if line.certificat is not None and line.candidature.anonymise_le is None
    ]
    if not certificats:
        raise DomainError(f"Le jury du {date_fr(session.date)} n'a délivré aucun certificat à imprimer.")
    return certificats_pdf(session, certificats), _nom(session, "certificats", "pdf")
