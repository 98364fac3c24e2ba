"""Verifiable certificates and the candidate informed (issue 18 §1, §2): the verification code on the PDF (text
and QR code, read back from the PDF) and in the API, the public page `/verifier/<code>` (what it shows and what it
never shows, 404, 429, noindex), the anonymised file's certificate; the candidate's mails, received by a real local
SMTP server, and « Mails au candidat » on the file's page."""

import datetime
import io
import re
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.graphics.barcode.qr import QrCodeWidget
from sqlalchemy import select

from app import tasks
from app.domain import statuts
from app.extensions import db
from app.models import Candidature, Certificateur, MailSortant
from app.models.juries import Certificat
from tests.conftest import demo, page_text
from tests.test_juries import session
from tests.test_migrations import demo_database_url, run_ok, scalar  # noqa: F401  (a database of its own)
from tests.test_users import smtp  # noqa: F401  (a real local SMTP server)

ROOT = Path(__file__).resolve().parent.parent
TODAY = datetime.date.today()
NOINDEX = "noindex, nofollow"


def clone(app, source_numero, numero, statut, email):
    """A fresh file copied from a demo file (same person data, same establishment), at `statut`."""
    with app.app_context():
        source = demo(Candidature, numero_dossier=source_numero)
        skip = ("id", "numero_dossier", "cle_personne", "version", "session_jury_id", "created_at", "updated_at")
        copy = Candidature(
            **{c.key: getattr(source, c.key) for c in Candidature.__table__.columns if c.key not in skip},
            numero_dossier=numero,
            cle_personne=f"CLONE|CERTIF|{numero}",
        )
        copy.statut, copy.email = statut, email
        if statut == statuts.ATTENTE_JURY:
            copy.certificateur_id = demo(Certificateur, nom="Transitions Pro Île-de-France").id
        else:
            copy.certificateur_id, copy.date_envoi_certification = None, None
        db.session.add(copy)
        db.session.commit()
        return copy.id


def certify(app, api_as, numero="2026999901", email=None):
    """A file of Lucas CHEVALIER (born 13/01/1979, Avenir Paris République) certified today; its certificate."""
    pk = clone(app, "2026000004", numero, statuts.ATTENTE_JURY, email)
    certif = api_as("certif.idf")
    sid = session(certif, libelle="Jury - vérification")
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    decided = certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "certifiee"})
    assert decided.status_code == 200, decided.get_json()
    with app.app_context():
        certificat = db.session.execute(select(Certificat).where(Certificat.candidature_id == pk)).scalar_one()
        return pk, certificat.code_verification, certificat.numero, certificat.document_id


def assert_not_indexed(response):
    assert response.headers["X-Robots-Tag"] == NOINDEX
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)


# --- The public page ----------------------------------------------------------------------------------------------


def test_the_page_confirms_the_certificate_and_nothing_personal_beyond_initials_and_birth_year(app, api_as, client):
    _pk, code, numero, _ = certify(app, api_as)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", code), code  # 120 random bits, URL-safe
    answer = client.get(f"/verifier/{code}")  # nobody logged in
    assert answer.status_code == 200
    assert_not_indexed(answer)
    html = answer.get_data(as_text=True)
    assert html.count('<h1 class="clea-title">') == 1 and '<html lang="fr">' in html
    text = page_text(answer)
    for expected in (
        "Vérification d'un certificat",
        "Ce certificat a bien été délivré par Certif Pro",
        f"Numéro du certificat {numero}",
        "Certification CléA",
        f"Date de la décision du jury {TODAY:%d/%m/%Y}",
        "Initiales du titulaire L. C.",
        "Année de naissance du titulaire 1979",
    ):
        assert expected in text, expected
    for never in ("Lucas", "Chevalier", "CHEVALIER", "13/01", "Avenir Paris", "Transitions Pro", "Monsieur"):
        assert never not in text, never


def test_an_unknown_code_answers_a_french_404_not_indexed(client):
    for code in ("A" * 20, "x", "A" * 200, "%C3%A9" * 5, "abc.def"):
        answer = client.get(f"/verifier/{code}")
        assert answer.status_code == 404, code
        assert answer.headers["X-Robots-Tag"] == NOINDEX
    text = page_text(client.get(f"/verifier/{'B' * 20}"))
    assert "Aucun certificat ne correspond à ce code de vérification." in text
    assert_not_indexed(client.get(f"/verifier/{'B' * 20}"))


def test_the_page_is_rate_limited_with_a_french_429(app):
    """The tests' application runs without Flask-Limiter (RATELIMIT_ENABLED off); another application on the same
    database, with the limiter on and a limit of 3 per minute, answers the 4th request 429 in French. Built in a
    subprocess: FAB's AppBuilder is one per process."""
    script = (
        "import sys\n"
        "from app import create_app\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': sys.argv[1], 'RATELIMIT_ENABLED': True,\n"
        "    'RATELIMIT_STORAGE_URI': 'memory://', 'VERIFICATION_RATE_LIMIT': '3 per minute',\n"
        "    'LOAD_DEMO_ON_EMPTY_DB': False, 'TASKS_RUNNER': 'manual', 'AUTH_RATE_LIMITED': False})\n"
        "client = app.test_client()\n"
        "for _ in range(4):\n"
        "    answer = client.get('/verifier/' + 'C' * 20)\n"
        "    print(answer.status_code, answer.headers.get('X-Robots-Tag'))\n"
        "print(answer.get_data(as_text=True))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "tests-only-secret-key-long-enough-for-jwt-hmac",
        "PUBLIC_URL": "http://clea.test",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, app.config["SQLALCHEMY_DATABASE_URI"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[:4] == [f"404 {NOINDEX}"] * 3 + [f"429 {NOINDEX}"], done.stdout[:500]
    assert "Trop de tentatives : veuillez patienter quelques secondes avant de réessayer." in done.stdout


# --- The PDF and the API ------------------------------------------------------------------------------------------


def qr_modules_drawn(page) -> set[tuple[int, int]]:
    """The dark modules of the QR code the page draws, read from its content stream: the rectangles of one
    module's height, each a run of dark modules of a row, as (row, column) from the code's top left corner."""
    rects = [
        [float(v) for v in operands]
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations
        if operator == b"re"
    ]
    module = min(h for _x, _y, _w, h in rects if h > 0)
    runs = [(x, y, w) for x, y, w, h in rects if abs(h - module) < 1e-6]
    left, top = min(x for x, _y, _w in runs), max(y for _x, y, _w in runs)
    cells = set()
    for x, y, w in runs:
        row, col = round((top - y) / module), round((x - left) / module)
        cells |= {(row, col + i) for i in range(round(w / module))}
    return cells


def qr_modules_of(payload: str) -> set[tuple[int, int]]:
    """The dark modules of the QR code (level M) encoding `payload`."""
    qr = QrCodeWidget(payload, barLevel="M").qr
    qr.make()
    return {(r, c) for r, row in enumerate(qr.modules) for c, dark in enumerate(row) if dark}


def test_the_pdf_prints_the_code_and_a_qr_code_of_the_verification_address(app, api_as):
    _pk, code, numero, document_id = certify(app, api_as)
    pdf = api_as("etab.user").get(f"/api/v1/document/{document_id}/download")
    assert pdf.status_code == 200
    page = PdfReader(io.BytesIO(pdf.data)).pages[0]
    text = " ".join(page.extract_text().split())
    address = f"http://clea.test/verifier/{code}"
    assert f"Code de vérification : {code}" in text
    assert f"Vérifier ce certificat : {address}" in text
    assert numero in text
    drawn = qr_modules_drawn(page)
    assert drawn == qr_modules_of(address), "le QR code du PDF ne code pas l'adresse de vérification"
    assert drawn != qr_modules_of(f"http://clea.test/verifier/{'A' * 20}")


def test_the_api_gives_the_code_once_certified(app, api_as):
    org = api_as("org.admin")
    before = org.get(f"/api/v1/candidature/{demo_pk(app, '2026000005')}")
    assert before.status_code == 200 and before.get_json()["result"]["code_verification"] is None
    pk, code, _, _ = certify(app, api_as)
    answer = org.get(f"/api/v1/candidature/{pk}")
    assert answer.status_code == 200 and answer.get_json()["result"]["code_verification"] == code
    assert answer.headers.get("ETag"), "la version reste dans l'ETag"
    assert api_as("org2.admin").get(f"/api/v1/candidature/{pk}").status_code == 404


def demo_pk(app, numero):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def test_an_anonymised_file_keeps_its_certificate_verifiable_unless_the_proof_is_erased(app, api_as, client):
    pk, code, numero, _ = certify(app, api_as, "2026999902", email="lucas.verif@test.clea.example")
    tasks.run_pending()  # the decision's mail is sent (no mail server: logged)
    certifpro = api_as("certifpro")
    done = certifpro.post(
        f"/api/v1/candidature/{pk}/anonymiser", json={"motif": "Demande de la personne", "confirmation": True}
    )
    assert done.status_code == 200, done.get_json()
    text = page_text(client.get(f"/verifier/{code}"))
    assert "Initiales du titulaire L. C." in text and "Année de naissance du titulaire 1979" in text
    assert numero in text and "Chevalier" not in text
    with app.app_context():
        mails = db.session.execute(select(MailSortant).where(MailSortant.candidature_id == pk)).scalars().all()
        assert [m.statut for m in mails] == [MailSortant.ENVOYE], "le mail de la décision, envoyé"
        assert mails[0].destinataire == "adresse effacée" and "lucas.verif" not in mails[0].corps
        assert mails[0].sujet == "[Plateforme CléA] Félicitations : vous obtenez la certification CléA"

    pk, code, _, _ = certify(app, api_as, "2026999903")
    erased = certifpro.post(
        f"/api/v1/candidature/{pk}/anonymiser",
        json={
            "motif": "Demande de la personne",
            "confirmation": True,
            "effacer_preuve": True,
            "motif_preuve": "Décision du délégué à la protection des données",
        },
    )
    assert erased.status_code == 200, erased.get_json()
    assert client.get(f"/verifier/{code}").status_code == 404
    assert certifpro.get(f"/api/v1/candidature/{pk}").get_json()["result"]["code_verification"] is None


# --- The candidate informed -----------------------------------------------------------------------------------------


def test_the_candidate_receives_each_mail_in_french(app, api_as, as_user, smtp):  # noqa: F811
    address = "ines.candidate@test.clea.example"
    pk = clone(app, "2026000003", "2026999911", statuts.A_ENVOYER_CERTIFICATION, address)  # Inès FONTAINE
    org, certif = api_as("etab.user"), api_as("certif.idf")
    assert org.post(f"/api/v1/candidature/{pk}/envoyer_certification").status_code == 200
    (subject, body), *_ = smtp.to(address)
    assert subject == "[Plateforme CléA] Votre dossier CléA est envoyé en certification"
    assert "Votre organisme évaluateur, Avenir Paris République, a envoyé votre dossier n°2026999911" in body
    assert "Transitions Pro Île-de-France" in body and "vous recevrez un mail dès sa décision" in body
    assert "Merci de ne pas y répondre." in body

    sid = session(certif, libelle="Jury - mails au candidat")
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    message = "Joindre la matrice d'évaluation signée par l'évaluateur."
    asked = certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "complement", "commentaire": message})
    assert asked.status_code == 200
    subject, body = smtp.to(address, "compléments")[-1]
    assert subject == "[Plateforme CléA] Votre dossier CléA : le jury demande des compléments"
    assert f"Le jury du {TODAY:%d/%m/%Y} a examiné votre dossier n°2026999911" in body
    assert "demande des compléments à votre organisme évaluateur, Avenir Paris République" in body
    assert f"« {message} »" in body and "Votre organisme va compléter votre dossier" in body

    assert org.post(f"/api/v1/candidature/{pk}/completer", json={"message": "Matrice jointe."}).status_code == 200
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "certifiee"}).status_code == 200
    with app.app_context():
        certificat = db.session.execute(select(Certificat).where(Certificat.candidature_id == pk)).scalar_one()
        numero, code = certificat.numero, certificat.code_verification
    subject, body = smtp.to(address, "Félicitations")[-1]
    assert subject == "[Plateforme CléA] Félicitations : vous obtenez la certification CléA"
    assert f"Votre certificat porte le n°{numero}" in body
    assert f"http://clea.test/verifier/{code}" in body

    posted = certif.post(
        f"/api/v1/candidature/{pk}/envoi_certificat",
        json={"statut_lettre": "Envoyé", "date_traitement": TODAY.isoformat(), "canal": "La Poste"},
    )
    assert posted.status_code == 201
    subject, body = smtp.to(address, "courrier")[-1]
    assert subject == "[Plateforme CléA] Votre certificat CléA vous est envoyé par courrier"
    assert f"n°{numero} (dossier n°2026999911) vous a été envoyé par courrier le {TODAY:%d/%m/%Y} (La Poste)" in body
    received = smtp.to(address)
    assert len(received) == 4, [s for s, _ in received]
    for _subject, body in received:
        assert "Fontaine" not in body and "FONTAINE" not in body  # the person is not named in the outbox

    # The OF sees them on the file: « Mails au candidat » (subject, date, delivery status).
    page = page_text(as_user("etab.user").get(f"/candidatures/show/{pk}"))
    assert "Mails au candidat (4)" in page
    assert f"Votre dossier CléA est envoyé en certification {TODAY:%d/%m/%Y}" in page
    assert page.count("Envoyé le ") >= 4
    assert "Votre certificat CléA vous est envoyé par courrier" in page


def test_a_non_certification_is_announced_to_the_candidate(app, api_as, smtp):  # noqa: F811
    address = "lucas.non@test.clea.example"
    pk = clone(app, "2026000004", "2026999912", statuts.ATTENTE_JURY, address)
    certif = api_as("certif.idf")
    sid = session(certif, libelle="Jury - non certifié")
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "non_certifiee"}).status_code == 200
    (subject, body), *_ = smtp.to(address)
    assert subject == "[Plateforme CléA] Décision du jury sur votre dossier CléA"
    assert f"Le jury du {TODAY:%d/%m/%Y} ne vous a pas délivré la certification CléA (dossier n°2026999912)" in body
    assert "peut vous expliquer cette décision" in body


def test_no_mail_when_the_file_has_no_email(app, api_as, as_user, smtp):  # noqa: F811
    pk = clone(app, "2026000003", "2026999913", statuts.A_ENVOYER_CERTIFICATION, None)
    with app.app_context():
        outbox = db.session.query(MailSortant).count()
    assert api_as("etab.user").post(f"/api/v1/candidature/{pk}/envoyer_certification").status_code == 200
    certif = api_as("certif.idf")
    sid = session(certif, libelle="Jury - sans email")
    assert certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": sid}).status_code == 200
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "certifiee"}).status_code == 200
    with app.app_context():
        assert db.session.query(MailSortant).filter_by(candidature_id=pk).count() == 0
        mails = db.session.query(MailSortant).order_by(MailSortant.id).all()[outbox:]
    assert mails, "les professionnels sont notifiés par mail"
    assert not any("Votre dossier" in m.sujet or "Félicitations" in m.sujet for m in mails)
    smtp.to("nobody")  # the outbox is sent
    assert not any("Félicitations" in str(m[1]["Subject"]) for m in smtp.messages)
    assert "Aucun mail adressé au candidat." in page_text(as_user("etab.user").get(f"/candidatures/show/{pk}"))


# --- The migration --------------------------------------------------------------------------------------------------


def test_the_migration_gives_existing_certificates_a_code(demo_database_url):  # noqa: F811
    """Certificates issued before c1: each gets its own code on upgrade; the outbox's rows survive the rebuild.
    (The database: upgraded to head, then the demo.)"""
    database_url = demo_database_url
    run_ok(database_url, "downgrade", "b9_criteres_evaluation")
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    before = scalar(database_url, "SELECT COUNT(*) FROM certificat")  # the demo's, issued by the jury service
    engine = create_engine(normalise_database_url(database_url))
    with engine.begin() as connection:
        session_id = connection.execute(text("SELECT MIN(id) FROM session_jury")).scalar()
        files = (
            connection.execute(
                text("SELECT id FROM candidature WHERE id NOT IN (SELECT candidature_id FROM certificat) ORDER BY id")
            )
            .scalars()
            .all()[:2]
        )
        for n, file_id in enumerate(files):
            connection.execute(
                text(
                    "INSERT INTO certificat (candidature_id, numero, session_jury_id, created_at) "
                    "VALUES (:c, :n, :s, CURRENT_TIMESTAMP)"
                ),
                {"c": file_id, "n": f"CLEA-2025-{n}", "s": session_id},
            )
    engine.dispose()
    mails = scalar(database_url, "SELECT COUNT(*) FROM mail_sortant")
    run_ok(database_url, "upgrade")
    engine = create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        codes = connection.execute(text("SELECT code_verification FROM certificat")).scalars().all()
    engine.dispose()
    assert len(codes) == before + 2 and len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}", c) for c in codes), codes
    assert scalar(database_url, "SELECT COUNT(*) FROM mail_sortant") == mails
