"""Users: create and edit inside one's perimeter with an equal or lower role, invitation and reset links,
password policy, profile (domain.md §8, roles.md)."""

import datetime
import hashlib
import re
import secrets
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.domain import access
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Certificateur, Etablissement, JetonUtilisateur, Organisme, Reseau, Utilisateur
from app.models.base import utcnow
from app.schemas import Ident, Input, Text, shape_errors
from app.security import perimeter
from app.services import choix, notifications
from app.services.ecritures import verifier_version
from app.services.validation import Errors, blank, email_error

PASSWORD_RULE = (
    "Le mot de passe doit comporter au moins 12 caractères et au moins 3 types de caractères "
    "parmi : minuscules, majuscules, chiffres, caractères spéciaux."
)
LINK_INVALID = "Ce lien n'est plus valable (déjà utilisé ou expiré). Demandez un nouveau lien."
ATTACHMENT_FIELD = {
    access.RESEAU: "reseau",
    access.ORGANISME: "organisme",
    access.ETABLISSEMENT: "etablissement",
    access.CERTIFICATEUR_LEVEL: "certificateur",
}
ATTACHMENT_MODEL = {
    "reseau": Reseau,
    "organisme": Organisme,
    "etablissement": Etablissement,
    "certificateur": Certificateur,
}
ATTACHMENT_LABEL = {
    "reseau": "Le réseau",
    "organisme": "L'organisme",
    "etablissement": "L'établissement",
    "certificateur": "Le certificateur",
}


def password_error(password) -> str | None:
    if not isinstance(password, str) or len(password) < 12 or len(password) > 128:
        return PASSWORD_RULE
    classes = sum(bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return None if classes >= 3 else PASSWORD_RULE


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"))


def grantable_profiles(user) -> list[str]:
    return access.grantable_profiles(user.profil) if user is not None else []


# --- Create / edit ---------------------------------------------------------------------------------
TEXT_FIELDS = ("role", "username", "first_name", "last_name", "email")
NOT_TEXT = "Valeur invalide : du texte est attendu."
NOT_ID = "Valeur invalide : l'identifiant (nombre entier) est attendu."
NOT_BOOLEAN = "Une valeur booléenne (true/false) est attendue."


# The input's shape: the API sends any JSON; names are text of a bounded length, attachments an id.
UtilisateurInput = Input.from_dict(
    {
        "role": Text(not_text=NOT_TEXT),
        "username": Text(max_length=128, not_text=NOT_TEXT),
        "first_name": Text(max_length=64, not_text=NOT_TEXT),
        "last_name": Text(max_length=64, not_text=NOT_TEXT),
        "email": Text(max_length=254, not_text=NOT_TEXT),
        **{field: Ident(not_id=NOT_ID) for field in ("reseau", "organisme", "etablissement", "certificateur")},
    },
    name="UtilisateurInput",
)
UTILISATEUR_INPUT = UtilisateurInput()
PROFIL_INPUT = UtilisateurInput(only=("first_name", "last_name", "email"))


def _check_types(values: dict) -> None:
    """A value of the wrong type stops everything; the lengths are reported with the other rules."""
    wrong = {
        field: messages
        for field, messages in shape_errors(UTILISATEUR_INPUT, values).items()
        if NOT_TEXT in messages or NOT_ID in messages
    }
    if wrong:
        raise ValidationFailed(wrong)


def _attachment(creator, profile, values, errors):
    """The organisation / establishment / network / certifier the new user's perimeter applies to."""
    level = access.PERIMETER_LEVEL[profile]
    field = ATTACHMENT_FIELD.get(level)
    if field is None:
        return {}
    raw = values.get(field)
    if raw in (None, ""):
        # An OF user created by someone of the same level gets the creator's own attachment.
        own = getattr(creator, field + "_id", None)
        if own and access.PERIMETER_LEVEL.get(creator.profil) == level:
            raw = own
    if raw in (None, ""):
        errors.add(field, f"{ATTACHMENT_LABEL[field]} est obligatoire pour le rôle « {profile} ».")
        return {}
    model = ATTACHMENT_MODEL[field]
    try:
        if model is Certificateur:
            # Every profile reads the certifiers: attaching a user to one is Certif Pro's alone.
            pk = perimeter.parse_pk(raw)
            target = (
                db.session.get(Certificateur, pk)
                if pk is not None and access.may(creator, "gerer_tous_utilisateurs")
                else None
            )
            if target is None:
                raise NotFound()
        else:
            target = perimeter.get_visible(model, raw, creator)
    except NotFound:
        errors.add(field, f"{ATTACHMENT_LABEL[field]} choisi n'existe pas ou n'est pas dans votre périmètre.")
        return {}
    return {field + "_id": target.id}


def _check_values(actor, values, current=None) -> tuple[str, dict]:
    _check_types(values)
    errors = Errors()
    profile = values.get("role")
    errors.required(values, "role", "first_name", "last_name", "email")
    allowed = grantable_profiles(actor)
    if not blank(profile) and profile not in allowed:
        errors.add("role", "Vous ne pouvez attribuer qu'un rôle égal ou inférieur au vôtre.")
    for field, messages in shape_errors(UTILISATEUR_INPUT, values).items():
        for message in messages:
            errors.add(field, message)
    email = (values.get("email") or "").strip()
    errors.add("email", email_error(email))
    username = (values.get("username") or "").strip() or email
    if username and not errors.get("username"):
        if not re.fullmatch(r"[\w.@+\-]{3,128}", username):
            errors.add(
                "username", "Le login ne peut contenir que des lettres, chiffres et . @ + - _ (3 caractères au moins)."
            )
        elif _exists(username, current):
            errors.add("username", "Ce login est déjà utilisé.")
    if email and not errors.get("email") and _exists(email, current):
        errors.add("email", "Un utilisateur avec cet email existe déjà.")
    attachment = {}
    if not errors.get("role") and not blank(profile):
        attachment = _attachment(actor, profile, values, errors)
    if errors:
        raise ValidationFailed(errors)
    fields: dict[str, Any] = {
        "reseau_id": None,
        "organisme_id": None,
        "etablissement_id": None,
        "certificateur_id": None,
    }
    fields.update(attachment)
    fields.update(
        first_name=values["first_name"].strip(), last_name=values["last_name"].strip(), email=email, username=username
    )
    return profile, fields


def _exists(value, current) -> bool:
    """A login or an email already used by another user — as a login or as an email, since both are
    accepted to log in and to ask for a new password."""
    value = value.lower()
    query = select(Utilisateur.id).where(
        (func.lower(Utilisateur.username) == value) | (func.lower(Utilisateur.email) == value)
    )
    if current is not None:
        query = query.where(Utilisateur.id != current.id)
    return db.session.execute(query).first() is not None


def _require_manage(actor):
    if actor is None or not access.profile_allows(actor.profil, access.CREATE, access.UTILISATEURS):
        raise Forbidden("Vous n'avez pas les droits pour gérer les utilisateurs.")


def creer(actor, values: dict) -> Utilisateur:
    """« Créer un utilisateur »: the new user gets an invitation mail with a single-use link."""
    _require_manage(actor)
    profile, fields = _check_values(actor, values)
    # No usable password until the invitation link is used (FAB's login cannot check an empty hash).
    user = Utilisateur(active=True, password=hash_password(secrets.token_urlsafe(32)), **fields)
    user.roles = [db.session.execute(select(Role).where(Role.name == profile)).scalar_one()]
    db.session.add(user)
    db.session.flush()
    token = _issue_token(user, JetonUtilisateur.INVITATION, current_app.config["INVITATION_LINK_HOURS"])
    _queue_link_mail(user, token, invitation=True)
    db.session.commit()
    notifications.flush_outbox_quietly()
    return user


def get_managed(actor, user_id) -> Utilisateur:
    """A user the actor may edit: inside the perimeter and with a role the actor may grant."""
    target = perimeter.get_visible(Utilisateur, user_id, actor)
    if not access.may(actor, "gerer_tous_utilisateurs") and target.profil not in grantable_profiles(actor):
        raise Forbidden("Vous ne pouvez pas modifier un utilisateur dont le rôle est supérieur au vôtre.")
    return target


UNCHANGED = object()


def modifier(actor, user_id, values: dict, active=UNCHANGED, version: int | None = None) -> Utilisateur:
    """Edit a user and/or (de)activate them: everything is checked before anything is written. `version`: the
    version the caller read (API `version` / `If-Match`); a stale one is refused (409) with the saved record."""
    _require_manage(actor)
    if active is not UNCHANGED and not isinstance(active, bool):
        raise ValidationFailed({"active": NOT_BOOLEAN})
    target = get_managed(actor, user_id)
    if db.engine.dialect.name == "postgresql":  # two edits at once: one after the other
        db.session.execute(select(Utilisateur.id).where(Utilisateur.id == target.id).with_for_update())
        db.session.refresh(target)
    verifier_version(target, version)
    if values:
        merged = {
            "role": target.profil,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": target.email,
            "username": target.username,
            "reseau": target.reseau_id,
            "organisme": target.organisme_id,
            "etablissement": target.etablissement_id,
            "certificateur": target.certificateur_id,
        }
        merged.update({k: v for k, v in values.items() if k in merged})
        profile, fields = _check_values(actor, merged, current=target)
    if active is not UNCHANGED:
        _check_actif(actor, target, active)
    asked = None
    if values:
        asked = _new_address(target, fields.pop("email"))
        for key, value in fields.items():
            setattr(target, key, value)
        if target.profil != profile:
            target.roles = [db.session.execute(select(Role).where(Role.name == profile)).scalar_one()]
    if active is not UNCHANGED:
        target.active = active
    if asked:
        _ask_confirmation(target, asked, by=actor)
    target.version = (target.version or 1) + 1
    db.session.commit()
    if asked:
        notifications.flush_outbox_quietly()
    return target


def _check_actif(actor, target, active):
    if target.id == actor.id and not active:
        raise DomainError("Vous ne pouvez pas désactiver votre propre compte.")


def changer_actif(actor, user_id, active: bool) -> Utilisateur:
    target = get_managed(actor, user_id)
    if target.active == bool(active):
        raise DomainError(
            "Ce compte est déjà actif : rien n'a changé."
            if active
            else "Ce compte est déjà désactivé : rien n'a changé."
        )
    return modifier(actor, user_id, {}, active=bool(active))


# --- Links (invitation, forgotten password) --------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_token(user, objet, hours, email=None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        JetonUtilisateur(
            user_id=user.id,
            objet=objet,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + datetime.timedelta(hours=hours),
            email=email,
        )
    )
    return token


def link_for(token: str) -> str:
    """The mailed link. The token travels after « # »: a browser never sends that part to a server, so it is
    in no access log (ours, a proxy's) nor in a Referer; the page posts it (app/static/clea/lien.js)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/compte/lien#" + token


def empreinte(token) -> str | None:
    """What identifies a link on the server (its hash), None for anything that cannot be a token."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    return _hash(token)


def _queue_link_mail(user, token, invitation: bool):
    hours = current_app.config["INVITATION_LINK_HOURS" if invitation else "RESET_LINK_HOURS"]
    if invitation:
        subject = "[Plateforme CléA] Bienvenue : activez votre compte"
        body = (
            f"Bonjour {user.first_name} {user.last_name},\n\n"
            f"Un compte « {user.profil} » vient d'être créé pour vous sur la Plateforme CléA.\n"
            f"Votre identifiant de connexion : {user.username}\n\n"
            f"Pour choisir votre mot de passe et activer votre accès, ouvrez ce lien "
            f"(valable {hours} heures, une seule fois) :\n{link_for(token)}\n\n"
            "Si vous n'attendiez pas ce message, ignorez-le.\n\nLe support CléA — Certif Pro"
        )
    else:
        subject = "[Plateforme CléA] Réinitialisation de votre mot de passe"
        body = (
            f"Bonjour {user.first_name} {user.last_name},\n\n"
            f"Une demande de réinitialisation du mot de passe a été faite pour l'identifiant {user.username}.\n"
            f"Pour choisir un nouveau mot de passe, ouvrez ce lien (valable {hours} heures, une seule fois) :\n"
            f"{link_for(token)}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe "
            "reste inchangé.\n\nLe support CléA — Certif Pro"
        )
    notifications.queue_mail(user.email, subject, body, lien_a_usage_unique=link_for(token))


def demander_reinitialisation(login: str) -> None:
    """« Mot de passe oublié ? »: always the same answer, whether the login exists or not."""
    login = (login or "").strip()[:254]
    if not login:
        raise ValidationFailed({"login": "Saisissez votre identifiant de connexion."})
    user = (
        db.session.execute(
            select(Utilisateur).where(
                (func.lower(Utilisateur.username) == login.lower()) | (func.lower(Utilisateur.email) == login.lower())
            )
        )
        .scalars()
        .first()
    )
    if user is not None and user.active:
        token = _issue_token(user, JetonUtilisateur.REINITIALISATION, current_app.config["RESET_LINK_HOURS"])
        _queue_link_mail(user, token, invitation=False)
        db.session.commit()
        notifications.flush_outbox_quietly()


PASSWORD_LINKS = (JetonUtilisateur.INVITATION, JetonUtilisateur.REINITIALISATION)
ALL_LINKS = PASSWORD_LINKS + (JetonUtilisateur.EMAIL,)


def jeton_valide(empreinte_: str | None, objets=PASSWORD_LINKS) -> JetonUtilisateur | None:
    """The unspent, unexpired link of an active user with this hash (see `empreinte`), of one of `objets`."""
    if not empreinte_:
        return None
    row = db.session.execute(
        select(JetonUtilisateur).where(JetonUtilisateur.token_hash == empreinte_)
    ).scalar_one_or_none()
    if row is None or row.objet not in objets or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row if row.user.active else None


def _claim(row) -> None:
    """Spend a link atomically: a second use (or a double click) finds it spent."""
    claimed = db.session.execute(
        JetonUtilisateur.__table__.update()
        .where(JetonUtilisateur.id == row.id, JetonUtilisateur.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult
    if claimed != 1:
        db.session.rollback()
        raise DomainError(LINK_INVALID)


def definir_mot_de_passe(empreinte_: str | None, password: str, confirmation: str) -> Utilisateur:
    """Use a link once: set the password; the link (and every older link of the user) is spent, and every
    session and API token of the user is over."""
    row = jeton_valide(empreinte_)
    if row is None:
        raise DomainError(LINK_INVALID)
    _check_new_password(password, confirmation)
    _claim(row)
    user = row.user
    _set_password(user, password)
    db.session.commit()
    return user


def _set_password(user, password: str) -> None:
    user.password = hash_password(password)
    user.password_changed_at = utcnow()
    # Every web session and API token opened before is refused from now on (app/security/connexions.py).
    user.session_epoch = (user.session_epoch or 0) + 1
    _spend_links(user, PASSWORD_LINKS)


def _check_new_password(password, confirmation):
    errors = Errors()
    errors.add("password", password_error(password))
    if password != confirmation:
        errors.add("confirmation", "Les deux mots de passe ne sont pas identiques.")
    if errors:
        raise ValidationFailed(errors)


# --- Mon profil ---------------------------------------------------------------------------------
def modifier_profil(user, values: dict) -> Utilisateur:
    errors = Errors()
    errors.required(values, "first_name", "last_name", "email")
    email = (values.get("email") or "").strip()
    errors.add("email", email_error(email))
    for field, messages in shape_errors(PROFIL_INPUT, values).items():
        for message in messages:
            errors.add(field, message)
    if email and not errors.get("email") and _exists(email, user):
        errors.add("email", "Un utilisateur avec cet email existe déjà.")
    if errors:
        raise ValidationFailed(errors)
    user.first_name = values["first_name"].strip()
    user.last_name = values["last_name"].strip()
    asked = _new_address(user, email)
    if asked:
        _ask_confirmation(user, asked, by=user)
    db.session.commit()
    if asked:
        notifications.flush_outbox_quietly()
    return user


def changer_mot_de_passe(user, actuel: str, nouveau: str, confirmation: str) -> None:
    from werkzeug.security import check_password_hash

    if not user.password or not check_password_hash(user.password, actuel or ""):
        raise ValidationFailed({"actuel": "Le mot de passe actuel est incorrect."})
    _check_new_password(nouveau, confirmation)
    _set_password(user, nouveau)
    db.session.commit()


def _spend_links(user, objets):
    """A new password makes every pending password link of the user useless (a new confirmed address, every
    link of the older ones)."""
    db.session.execute(
        JetonUtilisateur.__table__.update()
        .where(
            JetonUtilisateur.user_id == user.id,
            JetonUtilisateur.objet.in_(objets),
            JetonUtilisateur.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


# --- A new email address: the old one is told, the new one confirms ------------------------------------------
EMAIL_TAKEN = "Cette adresse est désormais celle d'un autre compte : le changement n'a pas été fait."


def _new_address(user, email: str) -> str | None:
    """The address to confirm when `email` is not the account's own (a change of case only is no new address)."""
    if (user.email or "").lower() == email.lower():
        user.email = email
        return None
    return email


def _masked(address: str) -> str:
    """« c…@exemple.fr »: enough for the owner to recognise it, not to give it away."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def _ask_confirmation(user, address: str, by) -> None:
    """Keep `address` as pending (mails still go to the old one), send it a single-use confirmation link and
    tell the old address. An older pending address's links are spent."""
    _spend_links(user, (JetonUtilisateur.EMAIL,))
    user.email_pending = address
    hours = current_app.config["EMAIL_LINK_HOURS"]
    token = _issue_token(user, JetonUtilisateur.EMAIL, hours, email=address)
    link = link_for(token)
    who = "vous-même" if by is None or by.id == user.id else f"{by.first_name} {by.last_name}"
    notifications.queue_mail(
        user.email,
        "[Plateforme CléA] Changement de l'adresse email de votre compte",
        f"Bonjour {user.first_name} {user.last_name},\n\n"
        f"Le remplacement de l'adresse email de votre compte {user.username} par {_masked(address)} a été "
        f"demandé par {who}.\n"
        "La nouvelle adresse doit être confirmée par le lien qui vient de lui être envoyé ; d'ici là, les "
        "messages de la plateforme (dont les liens de mot de passe) restent envoyés à cette adresse-ci.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, prévenez sans attendre votre administrateur ou le "
        "support (support-clea@certif-pro.fr).\n\nLe support CléA — Certif Pro",
    )
    notifications.queue_mail(
        address,
        "[Plateforme CléA] Confirmez votre nouvelle adresse email",
        f"Bonjour {user.first_name} {user.last_name},\n\n"
        f"Cette adresse a été indiquée comme nouvelle adresse email du compte {user.username} sur la "
        "Plateforme CléA.\n"
        f"Pour la confirmer, ouvrez ce lien (valable {hours} heures, une seule fois) :\n{link}\n\n"
        "Si vous n'attendiez pas ce message, ignorez-le : rien ne change.\n\nLe support CléA — Certif Pro",
        lien_a_usage_unique=link,
    )


def confirmer_email(empreinte_: str | None) -> Utilisateur:
    """Use a confirmation link once: its address becomes the account's. An account that never chose its
    password gets a new invitation there (the older links went to the old address)."""
    row = jeton_valide(empreinte_, (JetonUtilisateur.EMAIL,))
    user = row.user if row is not None else None
    if row is None or user is None or not row.email or row.email != user.email_pending:
        raise DomainError(LINK_INVALID)
    if _exists(row.email, user):
        raise DomainError(EMAIL_TAKEN)
    _claim(row)
    user.email, user.email_pending = row.email, None
    _spend_links(user, ALL_LINKS)
    if user.password_changed_at is None:
        token = _issue_token(user, JetonUtilisateur.INVITATION, current_app.config["INVITATION_LINK_HOURS"])
        _queue_link_mail(user, token, invitation=True)
    db.session.commit()
    notifications.flush_outbox_quietly()
    return user


# The attachments of the user form, chosen by typing (quick pickers, app/services/choix.py): what a new user may be
# attached to, inside the creator's perimeter (the certifiers are Certif Pro's to attach).
RATTACHEMENTS = {
    "reseau": choix.Source(Reseau, perimetre=perimeter.clause),
    "organisme": choix.Source(Organisme, perimetre=perimeter.clause),
    "etablissement": choix.Source(Etablissement, perimetre=perimeter.clause),
    "certificateur": choix.Source(
        Certificateur,
        perimetre=perimeter.clause,
        seulement_si=lambda actor: access.may(actor, "gerer_tous_utilisateurs"),
    ),
}
