"""The certifier side (guide §7 « Onglet CERTIFICATION », §20; domain.md §6): jury sessions, assignment of
files, decisions (certifiée / non certifiée / complément demandé), the OF's answer, exchanges, certificates,
mailings, change of certifier. Each state change goes through the status machine in one transaction, with its
audit line and notifications.
"""
import datetime

from sqlalchemy import select

from app.domain import access, statuts
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Candidature, Certificateur, Utilisateur
from app.models.juries import Certificat, DecisionJury, Echange, EnvoiCertificat, SessionJury
from app.security import perimeter
from app.services import audit, documents, notifications
from app.services.candidatures import _date, valeurs
from app.services.transitions import check, locked, transition
from app.services.validation import Errors, blank

MESSAGE_MAX = 5000
CERTIFIER_PROFILES = (access.CERTIFICATEUR, access.MEMBRE_JURY)


# --- Who hears about what ---------------------------------------------------------------------------------------

def utilisateurs_of(candidature) -> list[Utilisateur]:
    return notifications.utilisateurs_des_etablissements(candidature.etablissement)


def _lien(candidature) -> str:
    return f"/candidatures/show/{candidature.id}"


# --- Sessions ---------------------------------------------------------------------------------------------------

def _parse_datetime(value, errors: Errors):
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"):
            try:
                return datetime.datetime.strptime(text, fmt)
            except ValueError:
                continue
    day = _date(value, "date", errors)
    return datetime.datetime.combine(day, datetime.time(9)) if day else None


def creer_session(user, values: dict) -> SessionJury:
    """Plan a session (date, label) for the caller's certifier (Certif Pro names the certifier)."""
    if not access.profile_allows(user.profil, access.CREATE, access.CERTIFICATION):
        raise Forbidden("Votre profil ne permet pas de planifier un jury.")
    errors = Errors()
    errors.required(values, "date", "libelle")
    libelle = values.get("libelle")
    if libelle is not None and not isinstance(libelle, str):
        errors.add("libelle", "Une chaîne de caractères est attendue.")
    elif isinstance(libelle, str) and len(libelle.strip()) > 200:
        errors.add("libelle", "Ce champ ne doit pas dépasser 200 caractères.")
    date = _parse_datetime(values.get("date"), errors) if not blank(values.get("date")) else None
    if date and date.date() < datetime.date.today():
        errors.add("date", "Un jury ne peut pas être planifié dans le passé.")
    if date and date.year > datetime.date.today().year + 5:
        errors.add("date", "Date trop lointaine.")
    certificateur_id = user.certificateur_id
    if user.profil == access.CERTIF_PRO:
        certificateur_id = values.get("certificateur")
        try:
            certificateur_id = int(certificateur_id)
            if isinstance(values.get("certificateur"), bool) or db.session.get(Certificateur, certificateur_id) is None:
                raise ValueError
        except (TypeError, ValueError):
            errors.add("certificateur", "Choisissez le certificateur du jury.")
    if errors:
        raise ValidationFailed(errors)
    session = SessionJury(certificateur_id=certificateur_id, date=date, libelle=libelle.strip(), cree_par_id=user.id)
    db.session.add(session)
    db.session.commit()
    return session


def sessions_a_venir(certificateur_id) -> list[SessionJury]:
    return db.session.execute(select(SessionJury).where(SessionJury.certificateur_id == certificateur_id,
                                                        SessionJury.date >= SessionJury.debut_du_jour())
                              .order_by(SessionJury.date)).scalars().all()


def _session_for(user, candidature, session_id) -> SessionJury:
    if isinstance(session_id, bool) or not isinstance(session_id, (int, str)):
        raise ValidationFailed({"session_jury_id": "Identifiant de session attendu."})
    try:
        session = perimeter.get_visible(SessionJury, session_id, user)
    except NotFound:
        raise ValidationFailed({"session_jury_id": "Cette session de jury n'existe pas ou n'est pas la vôtre."})
    if session.certificateur_id != candidature.certificateur_id:
        raise ValidationFailed({"session_jury_id": "Cette session n'est pas une session du certificateur de ce "
                                                   "dossier."})
    return session


# --- Assignment and decisions ----------------------------------------------------------------------------------

@transition
def affecter(user, candidature_id, session_id) -> Candidature:
    """« Affecter à un jury »: en attente de jury / candidature complétée → en attente de certification."""
    candidature = locked(user, candidature_id)
    check("affecter", candidature, user)
    session = _session_for(user, candidature, session_id)
    if not session.a_venir:
        raise DomainError(f"Le jury du {session.date:%d/%m/%Y} est passé : choisissez une session à venir.")
    audit.label(f"Affectation au jury « {session.label} »")
    candidature.statut = statuts.ATTENTE_CERTIFICATION
    candidature.session_jury_id = session.id
    db.session.commit()
    return candidature


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


def delivrer_certificat(candidature, session, auteur_id=None) -> Certificat:
    """The certificate of a certified file: its number and its PDF, attached to the file."""
    from app.exports.certificat import certificat_pdf
    numero = numero_certificat(candidature, session)
    document = documents.joindre(candidature.id, f"certificat-{numero}.pdf", "application/pdf",
                                 certificat_pdf(candidature, numero, session), "certificat", None, auteur_id)
    db.session.flush()
    certificat = Certificat(candidature_id=candidature.id, numero=numero, session_jury_id=session.id,
                            document_id=document.id)
    db.session.add(certificat)
    return certificat


@transition
def decider(user, candidature_id, decision, commentaire=None) -> Candidature:
    """The jury's decision on an assigned file; a complement request needs its message."""
    if decision not in statuts.DECISIONS:
        raise ValidationFailed({"decision": "Décision inconnue : certifiee, non_certifiee ou complement."})
    if commentaire is not None and not isinstance(commentaire, str):
        raise ValidationFailed({"commentaire": "Une chaîne de caractères est attendue."})
    commentaire = (commentaire or "").strip()
    if decision == DecisionJury.COMPLEMENT and not commentaire:
        raise ValidationFailed({"commentaire": "Précisez les compléments demandés à l'organisme."})
    if len(commentaire) > MESSAGE_MAX:
        raise ValidationFailed({"commentaire": f"Le message ne doit pas dépasser {MESSAGE_MAX} caractères."})
    candidature = locked(user, candidature_id)
    check("decider", candidature, user)
    session = candidature.session_jury
    if session is None:
        raise DomainError("Ce dossier n'est affecté à aucun jury.")
    if not session.tenue:
        raise DomainError(f"Le jury du {session.date:%d/%m/%Y} n'a pas encore eu lieu : la décision sera "
                          "enregistrée après sa tenue.")
    label = DecisionJury.LABELS[decision]
    audit.label(f"Décision du jury : {label}", decision=True)
    db.session.add(DecisionJury(candidature_id=candidature.id, session_jury_id=session.id, decision=decision,
                                commentaire=commentaire or None, decide_par_id=user.id))
    candidature.statut = statuts.DECISIONS[decision]
    candidature.date_decision = datetime.datetime.now()
    if decision == DecisionJury.COMPLEMENT:
        db.session.add(Echange(candidature_id=candidature.id, cote=Echange.CERTIFICATEUR, message=commentaire,
                               auteur_id=user.id))
    elif decision == DecisionJury.CERTIFIEE:
        delivrer_certificat(candidature, session, user.id)
    db.session.flush()
    texts = {
        DecisionJury.CERTIFIEE: f"Le dossier {candidature.numero_dossier} ({candidature.candidat}) est certifié "
                                f"par le jury du {session.date:%d/%m/%Y}. Le certificat est disponible.",
        DecisionJury.NON_CERTIFIEE: f"Le dossier {candidature.numero_dossier} ({candidature.candidat}) n'est pas "
                                    f"certifié par le jury du {session.date:%d/%m/%Y}.",
        DecisionJury.COMPLEMENT: f"Le jury du {session.date:%d/%m/%Y} demande des compléments pour le dossier "
                                 f"{candidature.numero_dossier} ({candidature.candidat}) : {commentaire}",
    }
    notifications.notify(utilisateurs_of(candidature), "Décision du jury", f"Décision du jury : {label}",
                         texts[decision], _lien(candidature))
    db.session.commit()
    notifications.flush_outbox_quietly()
    return candidature


def _message(value, field="message") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({field: "Le message est obligatoire."})
    if len(value) > MESSAGE_MAX:
        raise ValidationFailed({field: f"Le message ne doit pas dépasser {MESSAGE_MAX} caractères."})
    return value.strip()


@transition
def completer(user, candidature_id, message) -> Candidature:
    """The OF answers the complement request and confirms the re-sending (« Candidature complétée »)."""
    message = _message(message)
    candidature = locked(user, candidature_id)
    check("completer", candidature, user)
    audit.label("Candidature complétée et renvoyée au jury")
    db.session.add(Echange(candidature_id=candidature.id, cote=Echange.ORGANISME, message=message,
                           auteur_id=user.id))
    candidature.statut = statuts.CANDIDATURE_COMPLETEE
    db.session.flush()
    notifications.notify(notifications.utilisateurs_du_certificateur(candidature.certificateur_id), "Envoi en certification",
                         "Candidature complétée",
                         f"L'organisme a complété le dossier {candidature.numero_dossier} ({candidature.candidat}) : "
                         "il peut être affecté à un nouveau jury.", _lien(candidature))
    db.session.commit()
    notifications.flush_outbox_quietly()
    return candidature


# --- Exchanges --------------------------------------------------------------------------------------------------

def cote_de(user) -> str | None:
    if user.profil in CERTIFIER_PROFILES or user.profil == access.CERTIF_PRO:
        return Echange.CERTIFICATEUR
    if user.profil in access.OF_PROFILES and access.profile_allows(user.profil, access.EDIT, access.EVALUATIONS):
        return Echange.ORGANISME
    return None


def peut_echanger(user, candidature) -> bool:
    return candidature.statut in statuts.CHEZ_CERTIFICATEUR and cote_de(user) is not None


def echanger(user, candidature_id, message) -> Echange:
    """A message on the « Echanges » tab, from either side, once the file is at the certifier."""
    message = _message(message)
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if not peut_echanger(user, candidature):
        raise DomainError("Les échanges avec le certificateur sont ouverts une fois le dossier envoyé en "
                          "certification.")
    cote = cote_de(user)
    echange = Echange(candidature_id=candidature.id, cote=cote, message=message, auteur_id=user.id)
    db.session.add(echange)
    db.session.flush()
    if cote == Echange.CERTIFICATEUR:
        destinataires, titre = utilisateurs_of(candidature), "Nouveau message du certificateur"
    else:
        destinataires, titre = notifications.utilisateurs_du_certificateur(candidature.certificateur_id), "Nouveau message de l'organisme"
    notifications.notify(destinataires, "Dossier de candidature", titre,
                         f"Message sur le dossier {candidature.numero_dossier} : {message[:300]}", _lien(candidature))
    db.session.commit()
    notifications.flush_outbox_quietly()
    return echange


def echanges_de(candidature_id) -> list[Echange]:
    return db.session.execute(select(Echange).where(Echange.candidature_id == candidature_id)
                              .order_by(Echange.created_at, Echange.id)).scalars().all()


def decisions_de(candidature_id) -> list[DecisionJury]:
    return db.session.execute(select(DecisionJury).where(DecisionJury.candidature_id == candidature_id)
                              .order_by(DecisionJury.created_at.desc(), DecisionJury.id.desc())).scalars().all()


def certificat_de(candidature_id):
    return db.session.execute(select(Certificat).where(Certificat.candidature_id == candidature_id)
                              ).scalar_one_or_none()


# --- Mailing of certificates ------------------------------------------------------------------------------------

def enregistrer_envoi(user, candidature_id, values: dict) -> EnvoiCertificat:
    """A line of « Historique des envois »; an undelivered letter warns the OF (« Plis non distribués »)."""
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if user.profil not in (access.CERTIFICATEUR, access.CERTIF_PRO):
        raise Forbidden("Seul le certificateur enregistre les envois de certificats.")
    if candidature.statut != statuts.CERTIFIEE:
        raise DomainError("Seul le certificat d'une candidature certifiée peut être envoyé.")
    errors = Errors()
    errors.required(values, "statut_lettre", "date_traitement")
    statut_lettre = values.get("statut_lettre")
    if not blank(statut_lettre) and statut_lettre not in valeurs("statut_lettre"):
        errors.add("statut_lettre", "Statut de la lettre inconnu.")
    date = _date(values.get("date_traitement"), "date_traitement", errors) if not blank(
        values.get("date_traitement")) else None
    if date and date > datetime.date.today():
        errors.add("date_traitement", "La date de traitement ne peut pas être dans le futur.")
    for field, size in (("canal", 100), ("commentaire", 250)):
        value = values.get(field)
        if value is not None and not isinstance(value, str):
            errors.add(field, "Une chaîne de caractères est attendue.")
        elif isinstance(value, str) and len(value.strip()) > size:
            errors.add(field, f"Ce champ ne doit pas dépasser {size} caractères.")
    if errors:
        raise ValidationFailed(errors)
    envoi = EnvoiCertificat(candidature_id=candidature.id, statut_lettre=statut_lettre, date_traitement=date,
                            canal=(values.get("canal") or "").strip() or None,
                            commentaire=(values.get("commentaire") or "").strip() or None, cree_par_id=user.id)
    db.session.add(envoi)
    db.session.flush()
    if statut_lettre == "Pli non distribué":
        notifications.notify(utilisateurs_of(candidature), "Plis non distribués", "Certificat non distribué",
                             f"Le certificat du dossier {candidature.numero_dossier} ({candidature.candidat}) n'a pas "
                             "pu être distribué : vérifiez l'adresse postale du candidat.", _lien(candidature))
    db.session.commit()
    notifications.flush_outbox_quietly()
    return envoi


def envois_de(candidature_id) -> list[EnvoiCertificat]:
    return db.session.execute(select(EnvoiCertificat).where(EnvoiCertificat.candidature_id == candidature_id)
                              .order_by(EnvoiCertificat.date_traitement.desc(), EnvoiCertificat.id.desc())
                              ).scalars().all()


# --- Change of certifier ----------------------------------------------------------------------------------------

@transition
def changer_certificateur(user, candidature_id, certificateur_id, commentaire) -> Candidature:
    """Certif Pro re-assigns a file at the certifier; a file waiting for its session goes back to « En attente
    de jury » for the new certifier."""
    if not statuts.profile_may("changer_certificateur", user.profil):
        raise Forbidden("Seul Certif Pro peut changer le certificateur d'un dossier.")
    commentaire = _message(commentaire, "commentaire")
    candidature = locked(user, candidature_id)
    check("changer_certificateur", candidature, user)
    try:
        nouveau = None if isinstance(certificateur_id, bool) else db.session.get(Certificateur, int(certificateur_id))
    except (TypeError, ValueError):
        nouveau = None
    if nouveau is None or not nouveau.actif or nouveau.type == Certificateur.CERTIF_PRO:
        raise ValidationFailed({"certificateur": "Certificateur inconnu ou inactif."})
    if nouveau.id == candidature.certificateur_id:
        raise ValidationFailed({"certificateur": "Ce dossier est déjà chez ce certificateur."})
    ancien = candidature.certificateur
    audit.label(f"Changement de certificateur : {ancien.nom if ancien else '∅'} → {nouveau.nom} ({commentaire[:150]})")
    candidature.certificateur_id = nouveau.id
    if candidature.statut == statuts.ATTENTE_CERTIFICATION:
        candidature.statut = statuts.ATTENTE_JURY
        candidature.session_jury_id = None
    db.session.flush()
    text = (f"Une réaffectation vient d'être créée : le dossier {candidature.numero_dossier} ({candidature.candidat}) "
            f"passe de {ancien.nom if ancien else '∅'} à {nouveau.nom}. Motif : {commentaire}")
    users = notifications.utilisateurs_du_certificateur(nouveau.id) + (notifications.utilisateurs_du_certificateur(ancien.id) if ancien else [])
    notifications.notify(users + utilisateurs_of(candidature), "Changement de certificateur",
                         "Une réaffectation vient d'être créée", text, _lien(candidature))
    db.session.commit()
    notifications.flush_outbox_quietly()
    return candidature

