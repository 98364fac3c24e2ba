"""Notifications (domain.md §9) and outgoing mail, written in the caller's transaction.

Mail goes through the `mail_sortant` outbox: queued with the event, sent after the commit by a background task
(app/tasks), never inside the request; a mail server that is down, refuses or hangs never loses or slows the change.
A mail that cannot go is retried with a growing delay (capped at MAIL_DELAI_MAX_MINUTES) for MAIL_ESSAIS_JOURS days,
then listed in ADMINISTRATION « Mails en échec » where Certif Pro sends it again: nothing is dropped silently.
"""

import datetime
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Message
from sqlalchemy import false, func, or_, select, union_all, update

from app.domain import access
from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db, mail
from app.models import MailSortant, Notification, Utilisateur
from app.models.base import utcnow

log = logging.getLogger(__name__)


# --- Who hears about what: active users, by profile or by attachment ---------------------------------------------


def utilisateurs_avec_droit(right: str, *conditions) -> list:
    """Active users whose profile holds `right` in the access matrix (and match `conditions`)."""
    from flask_appbuilder.security.sqla.models import Role

    return list(
        db.session.execute(
            select(Utilisateur)
            .join(Utilisateur.roles)
            .where(Role.name.in_(access.holders(right)), Utilisateur.active.is_(True), *conditions)
        ).scalars()
    )


def utilisateurs_du_certificateur(certificateur_id) -> list:
    return list(
        db.session.execute(
            select(Utilisateur).where(Utilisateur.certificateur_id == certificateur_id, Utilisateur.active.is_(True))
        ).scalars()
    )


def utilisateurs_des_etablissements(*etablissements) -> list:
    """The OF side: users attached to these establishments or to their organisations."""
    return list(
        db.session.execute(
            select(Utilisateur).where(
                Utilisateur.active.is_(True),
                or_(
                    Utilisateur.etablissement_id.in_({e.id for e in etablissements}),
                    Utilisateur.organisme_id.in_({e.organisme_id for e in etablissements}),
                ),
            )
        ).scalars()
    )


def notify(
    users,
    rubrique: str,
    titre: str,
    contenu: str,
    lien: str | None = None,
    email: bool = True,
    personne: str | None = None,
    mail: str | None = None,
):
    """A notification in the platform (its reader is inside the perimeter: it names the candidate) and, by
    default, its mail. A mail leaves the platform for mailboxes: it carries the file number and the link, not the
    candidate's name (`personne`, taken out of the text) nor free texts (`mail`: the mail's own wording)."""
    assert rubrique in Notification.RUBRIQUES, rubrique
    seen = set()
    corps = sans_personne(mail if mail is not None else contenu, personne) + _link_line(lien)
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, rubrique=rubrique, titre=titre, contenu=contenu, lien=lien))
        if email:
            queue_mail(user.email, f"[Plateforme CléA] {sans_personne(titre, personne)}", corps)


def sans_personne(text: str, personne: str | None) -> str:
    """`text` without the candidate's name: « Le dossier 123 (Jade Mercier) est… » → « Le dossier 123 est… »."""
    if not personne:
        return text
    for pattern in (f" ({personne})", f" — {personne}", f"Candidat : {personne} ", f"Candidat : {personne}"):
        text = text.replace(pattern, "" if not pattern.startswith("Candidat") else "Dossier ")
    return text.replace(personne, "le candidat")


def _link_line(lien):
    if not lien:
        return ""
    return "\n\nPour consulter : " + current_app.config["PUBLIC_URL"].rstrip("/") + lien


LIEN_RETIRE = "[lien retiré après envoi]"


def queue_mail(destinataire: str, sujet: str, corps: str, lien_a_usage_unique: str | None = None) -> MailSortant:
    """A mail of the outbox. A single-use link it carries (`lien_a_usage_unique`, found in `corps`) is kept only
    until the mail is sent or given up: the row then keeps « [lien retiré après envoi] » in its place."""
    apres_envoi = corps.replace(lien_a_usage_unique, LIEN_RETIRE) if lien_a_usage_unique else None
    row = MailSortant(destinataire=destinataire, sujet=sujet, corps=corps, corps_apres_envoi=apres_envoi)
    db.session.add(row)
    return row


PIED_CANDIDAT = (
    "\n\nPour toute question sur votre parcours, adressez-vous à votre organisme évaluateur.\n\n"
    "Ce mail vous est envoyé automatiquement par la plateforme CléA de Certif Pro, parce que votre adresse figure "
    "dans votre dossier de candidature. Merci de ne pas y répondre."
)


def mail_au_candidat(candidature, sujet: str, corps: str) -> MailSortant | None:
    """A mail to the candidate of a file, at the file's email (none on file: nothing is queued), in the caller's
    transaction; kept with the file, whose page lists it (« Mails au candidat »). The wording is the machine's
    (`PersonMail` of app/domain/statuts.py)."""
    adresse = (candidature.email or "").strip()
    if not adresse or candidature.anonymise_le is not None:
        return None
    row = queue_mail(adresse, f"[Plateforme CléA] {sujet}", corps + PIED_CANDIDAT)
    row.candidature_id = candidature.id
    return row


def mails_au_candidat(candidature_id) -> list[MailSortant]:
    """« Mails au candidat » of a file (its page checked the perimeter): newest first."""
    return list(
        db.session.execute(
            select(MailSortant)
            .where(MailSortant.candidature_id == candidature_id)
            .order_by(MailSortant.created_at.desc(), MailSortant.id.desc())
        ).scalars()
    )


def _next_try(row: MailSortant, now: datetime.datetime) -> None:
    """After a failure: try again in 1, 2, 4… minutes up to the cap; give up (« Mails en échec ») only once the
    mail has been tried for MAIL_ESSAIS_JOURS days since it was queued (or sent again by hand)."""
    config = current_app.config
    delay = min(2 ** min(row.tentatives, 20), config["MAIL_DELAI_MAX_MINUTES"])
    row.prochain_essai = now + datetime.timedelta(minutes=delay)
    since = row.relance_le or row.created_at
    if now - since >= datetime.timedelta(days=config["MAIL_ESSAIS_JOURS"]):
        row.statut = MailSortant.ECHEC


# While a worker sends a mail, the row is leased to it: no other worker takes it before this delay (a worker that
# dies meanwhile leaves the mail to be tried again once the lease is over).
BAIL = datetime.timedelta(minutes=5)


def _claim(row_id: int, now: datetime.datetime) -> bool:
    """Take the mail for this worker: one atomic UPDATE, so two workers (or two beats) never both send it."""
    claimed = db.session.execute(
        update(MailSortant)
        .where(MailSortant.id == row_id, MailSortant.statut == MailSortant.A_ENVOYER, MailSortant.prochain_essai <= now)
        .values(prochain_essai=now + BAIL)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
    db.session.commit()
    return claimed == 1


def _scrub(row: MailSortant) -> None:
    if row.corps_apres_envoi is not None:
        row.corps, row.corps_apres_envoi = row.corps_apres_envoi, None


def send_pending(limit: int = 100) -> dict:
    """Send what the outbox holds and is due (the background task, after a commit and every minute; `flask clea
    mails`). Safe on several workers and beats at once: each mail is claimed before it is sent (`_claim`), and
    no transaction stays open while the mail server is talked to."""
    sent = failed = 0
    now = utcnow()
    due = (
        db.session.execute(
            select(MailSortant.id)
            .where(MailSortant.statut == MailSortant.A_ENVOYER, MailSortant.prochain_essai <= now)
            .order_by(MailSortant.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    for row_id in due:
        if not _claim(row_id, now):
            continue
        row = db.session.get_one(MailSortant, row_id)
        try:
            _deliver(row)
        except Exception as exc:  # noqa: BLE001 - the server is down or refuses: retry later, with a growing delay
            row.tentatives += 1
            row.derniere_erreur = str(exc)[:1000] or type(exc).__name__
            _next_try(row, now)
            if row.statut == MailSortant.ECHEC:
                _scrub(row)
            failed += 1
        else:
            row.statut = MailSortant.ENVOYE
            row.sent_at = utcnow()
            row.tentatives += 1
            _scrub(row)
            sent += 1
        db.session.commit()
    return {"envoyes": sent, "en_echec": failed}


def _deliver(row: MailSortant) -> None:
    if not current_app.config.get("MAIL_SERVER"):
        # Never a single-use link in a log line: the body as the outbox keeps it once sent.
        body = row.corps_apres_envoi if row.corps_apres_envoi is not None else row.corps
        log.info("Mail (pas de serveur configuré) à %s — %s\n%s", row.destinataire, row.sujet, body)
        return
    # Flask-Mail opens SMTP without a timeout: a server that accepts and never answers would hang the request.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(current_app.config.get("MAIL_TIMEOUT", 10))
    try:
        mail.send(
            Message(
                subject=row.sujet,
                recipients=[row.destinataire],
                body=row.corps,
                sender=current_app.config["MAIL_DEFAULT_SENDER"],
            )
        )
    finally:
        socket.setdefaulttimeout(previous)


def flush_outbox_quietly() -> None:
    """Called right after a commit that queued mails: the sending is asked of the background (app/tasks), never
    done here, so that the request takes the same time whatever the mail server does. Never fails the caller."""
    from app import tasks

    tasks.enqueue("clea.envoyer_mails")


MAILS_PAR_PAGE = 50


def mails_en_echec(user, page: int = 0) -> tuple[list[MailSortant], int]:
    """ADMINISTRATION « Mails en échec »: newest first, a page at a time, and how many there are."""
    if not access.may(user, "gerer_mails"):
        raise NotFound()
    where = MailSortant.statut == MailSortant.ECHEC
    total = db.session.execute(select(func.count()).select_from(MailSortant).where(where)).scalar_one()
    rows = db.session.execute(
        select(MailSortant)
        .where(where)
        .order_by(MailSortant.id.desc())
        .offset(max(page, 0) * MAILS_PAR_PAGE)
        .limit(MAILS_PAR_PAGE)
    ).scalars()
    return list(rows), total


def renvoyer(user, pk) -> MailSortant:
    """« Renvoyer » (ADMINISTRATION « Mails en échec »): the mail goes back to the outbox for a new round of tries,
    once — a second click finds it no longer in failure. The outbox is Certif Pro's: for anyone else it does not
    exist (404, like anything outside one's perimeter)."""
    from app.security.perimeter import parse_pk

    key = parse_pk(pk)
    query = select(MailSortant).where(MailSortant.id == key)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    allowed = key is not None and access.may(user, "gerer_mails")
    row = db.session.execute(query).scalar_one_or_none() if allowed else None
    if row is None:
        raise NotFound("Ce mail n'existe pas.")
    if row.statut != MailSortant.ECHEC:
        raise DomainError("Ce mail n'est plus en échec : il est déjà en file d'envoi ou envoyé.")
    now = utcnow()
    row.statut, row.tentatives, row.prochain_essai, row.relance_le = MailSortant.A_ENVOYER, 0, now, now
    row.derniere_erreur = None
    db.session.commit()
    flush_outbox_quietly()
    return row


# --- Reading and marking one's notifications (bell, NOTIFICATIONS page, API) -------------------------
# Every query starts with `user_id = …` so that it stays on the (user_id, lue, created_at) index: there are
# about 10 million notifications nationally, a few hundred per user.
PAGE_SIZE = 20
LATEST = 5
MAX_IDS = 1000  # one "Marquer comme lu" at most (a page holds 20; the API may send more)
LUE_CHOICES = (("", "Toutes"), ("non", "Non"), ("oui", "Oui"))


def unread_count(user) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.lue == false())
        )
        or 0
    )


def bell(user, limit: int = LATEST) -> tuple[int, list]:
    """The navbar's bell on every page: the unread count and the `limit` newest notifications, read or not (the
    columns the bell shows: id, titre, created_at, lue — no ORM object to build on every request), in
    one statement. Each branch of the union walks the index backwards (user_id, lue = x, created_at desc) and
    stops after `limit` rows (no sort of the user's whole history); the count is a scalar subquery beside each
    row, and no row means no notification at all, so none unread."""

    def newest(lue):
        return (
            select(Notification.id)
            .where(Notification.user_id == user.id, Notification.lue == lue)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )

    ids = union_all(select(newest(False).subquery().c.id), select(newest(True).subquery().c.id))
    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == user.id, Notification.lue == false())
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Notification.id, Notification.titre, Notification.created_at, Notification.lue, unread.label("unread"))
        .where(Notification.user_id == user.id, Notification.id.in_(ids))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return (rows[0].unread if rows else 0), list(rows)


def _contains(column, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


@dataclass
class Page:
    rows: list
    total: int
    page: int
    pages: int


def search(
    user,
    rubrique: str = "",
    titre: str = "",
    contenu: str = "",
    lue: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    """The NOTIFICATIONS page: filters (case-insensitive « contient »), newest first, one page."""
    where = [Notification.user_id == user.id]
    if lue in ("oui", "non"):
        where.append(Notification.lue == (lue == "oui"))
    if rubrique:
        where.append(Notification.rubrique == rubrique)
    if titre:
        where.append(_contains(Notification.titre, titre))
    if contenu:
        where.append(_contains(Notification.contenu, contenu))
    total = db.session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = (
        db.session.execute(
            select(Notification)
            .where(*where)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        .scalars()
        .all()
    )
    return Page(list(rows), total, page, pages)


def mark_read(user, pk) -> Notification:
    """Someone else's notification, or an unknown one, is NotFound (404)."""
    from app.security import perimeter

    notification = perimeter.get_visible(Notification, pk, user)
    if not notification.lue:
        notification.lue = True
        db.session.commit()
    return notification


def check_ids(ids, strict: bool = False) -> list[int]:
    """A list of notification ids as sent by a form (texts) or, `strict`, by the API (JSON integers only);
    refusals in French (422)."""
    from app.security import perimeter

    if not isinstance(ids, list):
        raise ValidationFailed({"ids": "Une liste d'identifiants de notifications est attendue."})
    if not ids:
        raise ValidationFailed({"ids": "Sélectionnez au moins une notification."})
    if len(ids) > MAX_IDS:
        raise ValidationFailed({"ids": f"Au plus {MAX_IDS} notifications à la fois."})
    parsed = []
    for value in ids:
        accepted = (int,) if strict else (int, str)
        pk = perimeter.parse_pk(value) if isinstance(value, accepted) and not isinstance(value, bool) else None
        if pk is None:
            raise ValidationFailed({"ids": "Identifiant de notification invalide."})
        parsed.append(pk)
    return sorted(set(parsed))


def mark_many(user, ids, strict: bool = False) -> int:
    """Marks the user's notifications `ids` as read; all or nothing: one that is not theirs is NotFound.
    Returns how many were still unread."""
    ids = check_ids(ids, strict)
    mine = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.id.in_(ids))
    )
    if mine != len(ids):
        raise NotFound("Notification introuvable.")
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.id.in_(ids), Notification.lue == false())
        .values(lue=True)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount  # type: ignore[attr-defined]  # a CursorResult for an UPDATE


def mark_all(user) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.lue == false())
        .values(lue=True)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount  # type: ignore[attr-defined]  # a CursorResult for an UPDATE


def safe_link(lien) -> str | None:
    """A notification's link is followed only inside the platform: a path starting with one "/".
    "//host", "/\\host", "https://host", "javascript:", control characters or spaces (browsers drop tabs
    and newlines, so "/\t/host" would become "//host") are never followed."""
    if not isinstance(lien, str) or not lien.startswith("/") or lien[1:2] in ("/", "\\"):
        return None
    if any(ch <= " " or ch == "\\" or ch == "\x7f" for ch in lien):
        return None
    parts = urlsplit(lien)
    if parts.scheme or parts.netloc:
        return None
    return lien


def open_notification(user, pk) -> str | None:
    """The arrow: marks it read and gives where to go (None: no safe link, stay on the list)."""
    return safe_link(mark_read(user, pk).lien)
