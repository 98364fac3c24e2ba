"""`GET /sante` (no login): what an operator or a load balancer needs to know — the database answers, the task
queue answers (and how deep it is), how much mail waits and since when. Nothing personal, nothing slow: counts on
indexed columns and one ping each, every one bounded by the connection timeouts."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import func, select, text

from app.extensions import db
from app.formatting import datetime_fr
from app.models import FichierExport, MailSortant

log = logging.getLogger(__name__)
OK, PANNE, ABSENTE = "ok", "panne", "absente"


def _base(result: dict) -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        waiting, oldest = db.session.execute(
            select(func.count(), func.min(MailSortant.created_at)).where(MailSortant.statut == MailSortant.A_ENVOYER)
        ).one()
        failed = db.session.execute(
            select(func.count()).select_from(MailSortant).where(MailSortant.statut == MailSortant.ECHEC)
        ).scalar_one()
        exports = db.session.execute(
            select(func.count())
            .select_from(FichierExport)
            .where(FichierExport.statut.in_((FichierExport.EN_ATTENTE, FichierExport.EN_COURS)))
        ).scalar_one()
    except Exception:
        log.exception("Santé : la base ne répond pas")
        db.session.rollback()
        result["base"] = PANNE
        return False
    result.update(
        base=OK,
        mails_en_attente=waiting,
        plus_ancien_mail_en_attente=datetime_fr(oldest) or None,
        mails_en_echec=failed,
        exports_en_cours=exports,
    )
    return True


def _file_attente(result: dict) -> bool:
    from app import tasks

    if current_app.config["TASKS_RUNNER"] != tasks.CELERY:
        result["file_attente"] = ABSENTE  # the tasks run in the web process itself
        return True
    try:
        with tasks.celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            declared = connection.default_channel.queue_declare(queue=current_app.config["CELERY_QUEUE"], passive=True)
            result.update(file_attente=OK, taches_en_file=declared.message_count)
    except Exception as exc:  # noqa: BLE001
        if "NOT_FOUND" in str(exc) or "no queue" in str(exc).lower():  # nothing was ever queued on it
            result.update(file_attente=OK, taches_en_file=0)
            return True
        log.warning("Santé : la file d'attente ne répond pas (%s)", exc)
        result["file_attente"] = PANNE
        return False
    return True


def etat() -> tuple[dict, bool]:
    """The report and whether everything needed answers (200) or not (503)."""
    result: dict = {}
    base_ok = _base(result)
    queue_ok = _file_attente(result)
    return result, base_ok and queue_ok
