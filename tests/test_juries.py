"""The certifier side (guide §7 « Onglet CERTIFICATION », §20): sessions, assignment, decisions, complement and
answer, certificate, mailing, change of certifier — API and UI, inside the certifier's perimeter."""

import datetime
import io

from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, Certificateur, Notification, Utilisateur
from tests.conftest import demo, page_text
from tests.test_users import smtp  # noqa: F401  (a real local SMTP server)

TODAY = datetime.date.today()


def pk_of(app, numero):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def statut(app, pk):
    with app.app_context():
        return db.session.get(Candidature, pk).statut


def unread(app, login, rubrique):
    with app.app_context():
        user = db.session.execute(select(Utilisateur).where(Utilisateur.username == login)).scalar_one()
        return db.session.query(Notification).filter_by(user_id=user.id, rubrique=rubrique, lue=False).count()


def session(api_client, when=TODAY, libelle="Jury - test - Certifications CLEA"):
    response = api_client.post("/api/v1/sessionjury/", json={"date": f"{when.isoformat()}T00:00", "libelle": libelle})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_jury_path_assign_complement_complete_assign_certify(app, api_as):
    certif = api_as("certif.idf")
    pk = pk_of(app, "2026000004")  # « En attente de jury », sent to Transitions Pro Île-de-France
    sid = session(certif)
    assigned = certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid})
    assert assigned.status_code == 200, assigned.get_json()
    assert assigned.get_json()["result"]["statut"] == "attente_certification"
    assert assigned.get_json()["result"]["session_jury"] == sid
    again = certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid})
    assert again.status_code == 409
    # A complement request needs its message; the OF hears about it.
    before = unread(app, "etab.user", "Décision du jury")
    no_message = certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "complement"})
    assert no_message.status_code == 422
    assert no_message.get_json()["message"]["commentaire"] == ["Précisez les compléments demandés à l'organisme."]
    jury = api_as("jury.idf")
    complement = jury.post(
        f"/api/v1/candidature/{pk}/decision",
        json={"decision": "complement", "commentaire": "Joindre l'attestation de formation."},
    )
    assert complement.status_code == 200 and statut(app, pk) == "attente_complement"
    assert unread(app, "etab.user", "Décision du jury") == before + 1
    # The OF answers and confirms the re-sending.
    org = api_as("etab.user")
    assert org.post(f"/api/v1/candidature/{pk}/completer", json={"message": " "}).status_code == 422
    completed = org.post(f"/api/v1/candidature/{pk}/completer", json={"message": "Attestation jointe."})
    assert completed.status_code == 200 and statut(app, pk) == "candidature_completee"
    assert org.post(f"/api/v1/candidature/{pk}/completer", json={"message": "x"}).status_code == 409
    # Assigned again, then certified: a certificate PDF with a unique number.
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    certified = certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "certifiee"})
    assert certified.status_code == 200 and statut(app, pk) == "certifiee"
    with app.app_context():
        from app.models.juries import Certificat

        certificat = db.session.execute(select(Certificat).where(Certificat.candidature_id == pk)).scalar_one()
        numero, document_id = certificat.numero, certificat.document_id
    assert numero == f"CLEA-{TODAY:%Y}-2026000004"
    pdf = org.get(f"/api/v1/document/{document_id}/download")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    for expected in (
        "CERTIFICAT CLÉA",
        "Lucas CHEVALIER",
        f"jury du {TODAY:%d/%m/%Y}",
        numero,
        "Transitions Pro Île-de-France",
    ):
        assert expected in text, expected
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "certifiee"}).status_code == 409


def test_list_shows_jury_and_mailing_columns(app, api_as, as_user):
    certif = api_as("certif.idf")
    pk = pk_of(app, "2026000005")  # « En attente de certification »
    with app.app_context():
        from app.models.juries import SessionJury

        idf = demo(Certificateur, nom="Transitions Pro Île-de-France").id
        jury = SessionJury(certificateur_id=idf, date=datetime.datetime(2026, 2, 24), libelle="Jury - 2026 FEVRIER")
        db.session.add(jury)
        db.session.flush()
        db.session.get(Candidature, pk).session_jury_id = jury.id
        db.session.commit()
    certified = pk_of(app, "2026000008")
    assert (
        certif.post(
            f"/api/v1/candidature/{certified}/envoi_certificat",
            json={"statut_lettre": "Envoyé", "date_traitement": TODAY.isoformat()},
        ).status_code
        == 201
    )
    text = page_text(as_user("org.admin").get("/candidatures/list/?_flt_0_numero_dossier=202600000"))
    assert "Jury Courrier envoyé Actif" in text
    assert "2026000005 Robin Manon Avenir Paris République En attente de certification Jury du 24/02/2026" in text
    past = (TODAY - datetime.timedelta(days=30)).strftime("%d/%m/%Y")
    assert f"Certifiée Jury du {past} Envoyé Oui" in text


def test_non_certification_and_decision_rules(app, api_as):
    certif = api_as("certif.idf")
    pk = pk_of(app, "2026000007")  # « Candidature complétée »
    future = session(certif, TODAY + datetime.timedelta(days=30), "Jury futur")
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": future}).status_code == 200
    early = certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "non_certifiee"})
    assert early.status_code == 409 and "n'a pas encore eu lieu" in early.get_json()["message"]
    # Not assigned: no decision.
    other = pk_of(app, "2026000003")
    assert (
        api_as("certifpro").post(f"/api/v1/candidature/{other}/decision", json={"decision": "certifiee"}).status_code
        == 409
    )
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "peut-être"}).status_code == 422
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json=["x"]).status_code == 422


def test_assignment_refuses_past_and_foreign_sessions(app, api_as):
    certif = api_as("certif.idf")
    target = pk_of(app, "2026000004")
    assert statut(app, target) == "attente_jury"
    with app.app_context():
        from app.models.juries import SessionJury

        idf = demo(Certificateur, nom="Transitions Pro Île-de-France").id
        paca = demo(Certificateur, nom="Transitions Pro Provence-Alpes-Côte d'Azur").id
        past = SessionJury(certificateur_id=idf, date=datetime.datetime(2025, 1, 10, 9), libelle="Jury passé")
        foreign = SessionJury(
            certificateur_id=paca,
            date=datetime.datetime.combine(TODAY + datetime.timedelta(days=10), datetime.time(9)),
            libelle="Jury PACA",
        )
        db.session.add_all([past, foreign])
        db.session.commit()
        past_id, foreign_id = past.id, foreign.id
    late = certif.post(f"/api/v1/candidature/{target}/affecter", json={"session_jury_id": past_id})
    assert late.status_code == 409 and "est passé" in late.get_json()["message"]
    foreign_response = certif.post(f"/api/v1/candidature/{target}/affecter", json={"session_jury_id": foreign_id})
    assert foreign_response.status_code == 422
    assert certif.post(f"/api/v1/candidature/{target}/affecter", json={"session_jury_id": "abc"}).status_code == 422
    # Sessions in the past cannot be planned; the calendar shows in the CERTIFICATION tab.
    bad = certif.post("/api/v1/sessionjury/", json={"date": "2020-01-01", "libelle": "Trop tard"})
    assert bad.status_code == 422 and bad.get_json()["message"]["date"] == [
        "Un jury ne peut pas être planifié dans le passé."
    ]
    assert certif.post("/api/v1/sessionjury/", json={"libelle": ""}).status_code == 422
    assert (
        api_as("org.admin").post("/api/v1/sessionjury/", json={"date": "2030-01-01", "libelle": "x"}).status_code == 403
    )
    # A certifier sees only the files sent to it.
    b_file = pk_of(app, "2026000014")  # network B, PACA, « En attente de jury »
    assert certif.get(f"/api/v1/candidature/{b_file}").status_code == 404
    assert (
        certif.post(f"/api/v1/candidature/{b_file}/affecter", json={"session_jury_id": foreign_id}).status_code == 404
    )
    assert certif.get(f"/api/v1/candidature/{pk_of(app, '2026000003')}").status_code == 404


def new_sent_file(app, api_as, numero="2026999999"):
    """A fresh file sent to Transitions Pro Île-de-France, « En attente de jury »."""
    with app.app_context():
        from app.domain import statuts

        source = demo(Candidature, numero_dossier="2026000004")
        idf = demo(Certificateur, nom="Transitions Pro Île-de-France").id
        clone = Candidature(
            **{
                c.key: getattr(source, c.key)
                for c in Candidature.__table__.columns
                if c.key
                not in (
                    "id",
                    "numero_dossier",
                    "cle_personne",
                    "version",
                    "session_jury_id",
                    "created_at",
                    "updated_at",
                )
            },
            numero_dossier=numero,
            cle_personne=f"CLONE|JURY|{numero}",
        )
        clone.statut, clone.certificateur_id = statuts.ATTENTE_JURY, idf
        db.session.add(clone)
        db.session.commit()
        return clone.id


def test_mailing_and_undelivered_letter_notification(app, api_as):
    certif = api_as("certif.idf")
    pk = pk_of(app, "2026000008")  # « Certifiée »
    before = unread(app, "etab.user", "Plis non distribués")
    sent = certif.post(
        f"/api/v1/candidature/{pk}/envoi_certificat",
        json={
            "statut_lettre": "Pli non distribué",
            "date_traitement": TODAY.isoformat(),
            "canal": "La Poste",
            "commentaire": "N° suivi 1A2B3C",
        },
    )
    assert sent.status_code == 201, sent.get_json()
    assert unread(app, "etab.user", "Plis non distribués") == before + 1
    bad = certif.post(
        f"/api/v1/candidature/{pk}/envoi_certificat", json={"statut_lettre": "Perdu", "date_traitement": "2999-01-01"}
    )
    assert bad.status_code == 422
    assert bad.get_json()["message"]["statut_lettre"] == ["Statut de la lettre inconnu."]
    assert (
        api_as("etab.user")
        .post(f"/api/v1/candidature/{pk}/envoi_certificat", json={"statut_lettre": "Envoyé"})
        .status_code
        == 403
    )


def test_change_of_certifier_by_certif_pro_only(app, api_as):
    pk = pk_of(app, "2026000006")  # « En attente de complément »
    with app.app_context():
        branche = db.session.execute(
            select(Utilisateur.certificateur_id).where(Utilisateur.username == "branche.commerce")
        ).scalar_one()
    assert (
        api_as("certif.idf")
        .post(f"/api/v1/candidature/{pk}/changer_certificateur", json={"certificateur": branche, "commentaire": "x"})
        .status_code
        == 403
    )
    assert (
        api_as("certifpro")
        .post(f"/api/v1/candidature/{pk}/changer_certificateur", json={"certificateur": branche})
        .status_code
        == 422
    )
    done = api_as("certifpro").post(
        f"/api/v1/candidature/{pk}/changer_certificateur",
        json={"certificateur": branche, "commentaire": "Socle contextualisé commerce"},
    )
    assert done.status_code == 200 and done.get_json()["result"]["certificateur"] == branche
    assert unread(app, "branche.commerce", "Changement de certificateur") == 1
    assert api_as("branche.commerce").get(f"/api/v1/candidature/{pk}").status_code == 200
    # The former certifier no longer sees it.
    assert api_as("certif.idf").get(f"/api/v1/candidature/{pk}").status_code == 404


def test_certification_ui(app, as_user):
    certif = as_user("certif.idf")
    listing = page_text(certif.get("/certificateurs/list/"))
    assert "Dernier jury" in listing and "Prochains jurys" in listing and "Aucun jury" in listing
    planned = certif.post(
        "/certificateurs/jurys/planifier",
        data={
            "date": (TODAY + datetime.timedelta(days=7)).strftime("%d/%m/%Y"),
            "heure": "14:00",
            "libelle": "Jury - UI - Certifications CLEA",
        },
        follow_redirects=True,
    )
    text = page_text(planned)
    assert "est planifié" in text and "Dossiers en attente d'affectation à un jury" in text
    assert (TODAY + datetime.timedelta(days=7)).strftime("%d/%m/%Y") in page_text(
        certif.get("/certificateurs/list/?_flt_0_nom=Transitions Pro Île")
    )
    past = certif.post("/certificateurs/jurys/planifier", data={"date": "01/01/2020", "libelle": "x"})
    assert "Un jury ne peut pas être planifié dans le passé." in page_text(past)
    # The candidate page of a file at the certifier shows the three tabs of the guide.
    pk = pk_of(app, "2026000009")  # « Non certifiée »
    page = page_text(certif.get(f"/candidatures/show/{pk}"))
    for tab in ("Echanges", "Décision du jury", "Historique des envois"):
        assert tab in page
    message = certif.post(
        f"/certificateurs/jurys/candidature/{pk}/echanges",
        data={"message": "Le jury reste à votre disposition."},
        follow_redirects=True,
    )
    assert "Le message est envoyé." in page_text(message)
    file_page = page_text(as_user("etab.user").get(f"/candidatures/show/{pk}"))
    assert "Le jury reste à votre disposition." in file_page
    # The message is in the file's « Parcours », and the planned session in the audit trail.
    assert f"Message : ∅ → Message du {TODAY:%d/%m/%Y}" in file_page
    with app.app_context():
        from app.models import AuditLog

        assert (
            db.session.query(AuditLog)
            .filter_by(
                entity_type="Session de jury",
                action="create",
                entity_label=f"Jury - UI - Certifications CLEA - du "
                f"{TODAY + datetime.timedelta(days=7):%d/%m/%Y} 14:00",
            )
            .count()
            == 1
        )
    empty = certif.post(f"/certificateurs/jurys/candidature/{pk}/echanges", data={"message": ""}, follow_redirects=True)
    assert "Le message est obligatoire." in page_text(empty)
    assert (
        as_user("org2.admin")
        .post(f"/certificateurs/jurys/candidature/{pk}/echanges", data={"message": "x"})
        .status_code
        == 404
    )


def test_a_jury_decision_reaches_the_of_by_mail(app, api_as, smtp):  # noqa: F811
    pk = new_sent_file(app, api_as, "2026999998")
    certif = api_as("certif.idf")
    sid = session(certif, libelle="Jury - mail")
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    assert (
        certif.post(
            f"/api/v1/candidature/{pk}/decision",
            json={"decision": "complement", "commentaire": "Merci de joindre la matrice signée."},
        ).status_code
        == 200
    )
    with app.app_context():
        address = db.session.execute(select(Utilisateur.email).where(Utilisateur.username == "etab.user")).scalar_one()
    received = smtp.to(address, "Décision du jury")
    assert received, "aucun mail « Décision du jury » reçu par l'établissement"
    subject, body = received[-1]
    assert "Complément demandé" in subject and "Merci de joindre la matrice signée." in body
    assert f"/candidatures/show/{pk}" in body
