"""The notices of a habilitation dossier reach a real local SMTP server (issue 14): the récépissé, the request for
corrections, the convocation, the decision and the refusal with its recourse, each with a single-use
acknowledgment link that records the acknowledgment once and is scrubbed from the outbox once sent."""

import re

from sqlalchemy import select

from app.domain import jours_ouvres
from app.extensions import db
from app.models import DemandeHabilitation, MailSortant
from app.models.habilitations import AvisDossier
from tests.conftest import page_text
from tests.test_dossiers import TODAY, act, body, deposited, travel  # noqa: F401  (the body fixture)
from tests.test_users import smtp  # noqa: F401  (a real local SMTP server)

CONTACT = "contact.dossier@of.example"


def test_every_notice_is_mailed_with_its_acknowledgment_link(app, api, body, smtp, monkeypatch):  # noqa: F811
    pk = deposited(api, {**body, "contact_email": CONTACT})
    [(subject, text)] = smtp.to(CONTACT, "Récépissé de dépôt")
    assert subject == f"[Plateforme CléA] Récépissé de dépôt du dossier d'habilitation — dossier n°{pk:06d}"
    assert f"Le dossier d'habilitation n°{pk:06d} de Organisme A1 — Avenir Paris pour la certification CléA" in text
    assert "Merci d'en accuser réception en ouvrant ce lien (une seule fois)" in text
    code = re.search(r"/compte/lien#(\S+)", text).group(1)
    # Sent: the outbox no longer keeps the link.
    with app.app_context():
        row = db.session.execute(select(MailSortant).where(MailSortant.sujet == subject)).scalar_one()
        assert code not in (row.corps_apres_envoi or "") and row.statut == MailSortant.ENVOYE
    # Opening the link acknowledges once.
    client = app.test_client()
    first = page_text(client.post("/compte/lien", data={"jeton": code}, follow_redirects=True))
    assert "la réception du courrier « Récépissé de dépôt du dossier d'habilitation » est enregistrée" in first
    second = page_text(client.post("/compte/lien", data={"jeton": code}, follow_redirects=True))
    assert "est enregistrée" not in second and "n'est plus valable" in second
    with app.app_context():
        receipt = db.session.execute(
            select(AvisDossier).where(AvisDossier.dossier_id == pk, AvisDossier.nature == "recepisse")
        ).scalar_one()
        assert receipt.accuse_le is not None and receipt.jeton_sha256 is None

    act(api, "certifpro", pk, "instruire")
    act(api, "certifpro", pk, "demander_complement", message="Joignez le CV de votre second évaluateur.")
    [(subject, text)] = smtp.to(CONTACT, "Demande de complément")
    assert "Joignez le CV de votre second évaluateur." in text and "cliquez sur « Répondre »" in text
    act(api, "org.admin", pk, "repondre", message="Joint.")
    day = jours_ouvres.ajouter(TODAY, 9)
    act(api, "certifpro", pk, "convoquer", date=f"{day.isoformat()}T14:30", lieu="Certif Pro, 75008 Paris")
    [(subject, text)] = smtp.to(CONTACT, "Convocation à une audition")
    text = " ".join(text.split())
    assert f"convoqué à une audition le {day:%d/%m/%Y} à 14:30, lieu : Certif Pro, 75008 Paris" in text
    act(api, "certifpro", pk, "avis", favorable=False, motivation="Critères non remplis.")
    with app.app_context():
        meeting = db.session.get(DemandeHabilitation, pk).reunion.date
    travel(monkeypatch, meeting)
    act(api, "certifpro", pk, "rejeter", motif="Evaluateurs non qualifiés.")
    [(subject, text)] = smtp.to(CONTACT, "Décision de refus")
    assert "Motifs : Evaluateurs non qualifiés." in text
    assert "Un recours peut être déposé sur la plateforme dans les 30 jours ouvrés" in text
