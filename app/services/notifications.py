"""Notifications (domain.md §9) and outgoing mail, written in the caller's transaction.

Mail goes through the `mail_sortant` outbox: queued with the event, sent after the commit; a mail server
that is down never loses or blocks the change, and `flask clea mails` retries.
"""
import datetime
import logging
import socket

from flask import current_app
from flask_mail import Message
from sqlalchemy import select

from app.extensions import db, mail
from app.models import MailSortant, Notification
from app.models.base import utcnow

log = logging.getLogger(__name__)
MAX_TENTATIVES = 8


def notify(users, rubrique: str, titre: str, contenu: str, lien: str | None = None, email: bool = True):
    assert rubrique in Notification.RUBRIQUES, rubrique
    seen = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, rubrique=rubrique, titre=titre, contenu=contenu, lien=lien))
        if email:
            queue_mail(user.email, f"[Plateforme CléA] {titre}", contenu + _link_line(lien))


def _link_line(lien):
    if not lien:
        return ""
    return "\n\nPour consulter : " + current_app.config["PUBLIC_URL"].rstrip("/") + lien


def queue_mail(destinataire: str, sujet: str, corps: str) -> MailSortant:
    row = MailSortant(destinataire=destinataire, sujet=sujet, corps=corps)
    db.session.add(row)
    return row


def send_pending(limit: int = 100) -> dict:
    """Send what the outbox holds (after commit, and from `flask clea mails`). Safe on several servers:
    each row is claimed with a row lock (skip locked) on PostgreSQL."""
    sent = failed = 0
    now = utcnow()
    query = (select(MailSortant).where(MailSortant.statut == MailSortant.A_ENVOYER,
                                       MailSortant.prochain_essai <= now)
             .order_by(MailSortant.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.execute(query).scalars().all()
    for row in rows:
        try:
            _deliver(row)
        except Exception as exc:  # the server is down or refuses: retry later, with a growing delay
            row.tentatives += 1
            row.derniere_erreur = str(exc)[:1000]
            row.prochain_essai = now + datetime.timedelta(minutes=2 ** min(row.tentatives, 10))
            if row.tentatives >= MAX_TENTATIVES:
                row.statut = MailSortant.ECHEC
            failed += 1
        else:
            row.statut = MailSortant.ENVOYE
            row.sent_at = utcnow()
            row.tentatives += 1
            sent += 1
    db.session.commit()
    return {"envoyes": sent, "en_echec": failed}


def _deliver(row: MailSortant) -> None:
    if not current_app.config.get("MAIL_SERVER"):
        log.info("Mail (pas de serveur configuré) à %s — %s\n%s", row.destinataire, row.sujet, row.corps)
        return
    # Flask-Mail opens SMTP without a timeout: a server that accepts and never answers would hang the request.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(current_app.config.get("MAIL_TIMEOUT", 10))
    try:
        mail.send(Message(subject=row.sujet, recipients=[row.destinataire], body=row.corps,
                          sender=current_app.config["MAIL_DEFAULT_SENDER"]))
    finally:
        socket.setdefaulttimeout(previous)


def flush_outbox_quietly() -> None:
    """Called right after a commit that queued mails; never fails the request."""
    try:
        send_pending()
    except Exception:
        log.exception("Envoi des mails différé")
        db.session.rollback()
