"""A mail server that accepts the connection and never answers does not hang the platform."""

import socket
import time

from app.extensions import db, mail
from app.models import MailSortant
from app.services.notifications import queue_mail, send_pending


def test_a_silent_smtp_server_times_out_and_the_mail_waits_in_the_outbox(app):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)  # accepts, never greets
    port = server.getsockname()[1]
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT", "MAIL_SUPPRESS_SEND")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=1, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)
    try:
        with app.app_context():
            row = queue_mail("personne@example.org", "Essai", "Corps")
            db.session.commit()
            started = time.monotonic()
            result = send_pending()
            elapsed = time.monotonic() - started
            row = db.session.get(MailSortant, row.id)
            assert result["en_echec"] >= 1 and row.statut == MailSortant.A_ENVOYER and row.tentatives == 1
            assert elapsed < 8
            assert socket.getdefaulttimeout() is None
    finally:
        server.close()
        app.config.update(saved)
        mail.init_app(app)
