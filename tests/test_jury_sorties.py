"""What goes out of a jury session (issue 18, item 3): the minutes (procès-verbal) as a PDF naming its members, the
list of its files as .xlsx, the batch of its certificates for the printing provider as one PDF — inside the
perimeter and behind the right « sorties_session_jury »."""

import io

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Candidature, Certificateur, Utilisateur
from app.models.juries import Certificat, DecisionJury, SessionJury
from tests.conftest import demo, page_text

PASSEE = "Jury - session passée - Certifications CLEA"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def session_passee(app) -> dict:
    """The demo's past session of Transitions Pro Île-de-France: its files and their decisions, from the database."""
    with app.app_context():
        idf = demo(Certificateur, nom="Transitions Pro Île-de-France")
        session = demo(SessionJury, certificateur_id=idf.id, libelle=PASSEE)
        decided = select(DecisionJury.candidature_id).where(DecisionJury.session_jury_id == session.id)
        files = (
            db.session.execute(
                select(Candidature)
                .where(or_(Candidature.session_jury_id == session.id, Candidature.id.in_(decided)))
                .order_by(Candidature.numero_dossier)
            )
            .scalars()
            .all()
        )
        decisions = dict(
            db.session.execute(
                select(DecisionJury.candidature_id, DecisionJury.decision).where(
                    DecisionJury.session_jury_id == session.id
                )
            ).all()
        )
        certificats = dict(
            db.session.execute(
                select(Certificat.candidature_id, Certificat.numero).where(Certificat.session_jury_id == session.id)
            ).all()
        )
        jury = db.session.execute(select(Utilisateur).where(Utilisateur.username == "jury.idf")).scalar_one()
        return {
            "id": session.id,
            "date": session.date.strftime("%d/%m/%Y"),
            "files": [(c.id, c.numero_dossier, c.candidat, c.certification_label) for c in files],
            "decisions": {pk: DecisionJury.LABELS[d] for pk, d in decisions.items()},
            "certificats": certificats,
            "jury_id": jury.id,
        }


def test_the_minutes_name_the_members_every_file_its_decision_and_the_totals(app, api_as, as_user):
    s = session_passee(app)
    assert len(s["files"]) >= 3 and s["certificats"], "la démonstration a des dossiers décidés et certifiés"
    certif = api_as("certif.idf")
    # Who sits on the session: the certifier's jury members only.
    with app.app_context():
        agent = db.session.execute(select(Utilisateur).where(Utilisateur.username == "certif.idf")).scalar_one().id
    refused = certif.post(f"/api/v1/sessionjury/{s['id']}/membres", json={"membres": [agent]})
    assert refused.status_code == 422
    assert refused.get_json()["message"]["membres"] == [
        "Chaque membre doit être un membre de jury actif du certificateur de la session."
    ]
    assert api_as("jury.idf").post(f"/api/v1/sessionjury/{s['id']}/membres", json={"membres": []}).status_code == 403
    named = certif.post(f"/api/v1/sessionjury/{s['id']}/membres", json={"membres": [s["jury_id"]]})
    assert named.status_code == 200, named.get_json()
    assert named.get_json()["result"]["membres"] == [s["jury_id"]]

    answer = certif.get(f"/api/v1/sessionjury/{s['id']}/proces_verbal")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = pdf_text(answer.data)
    for expected in (
        f"Procès-verbal du jury du {s['date']}",
        "Transitions Pro Île-de-France",
        PASSEE,
        "Membres du jury Membre du jury Adresse email Inès Garnier",
        "Totaux par décision",
        "Inès Garnier Membre du jury",
        "Signature",
        "Pour Transitions Pro Île-de-France",
    ):
        assert expected in text, expected
    for pk, numero, candidat, _certification in s["files"]:
        assert numero in text and candidat in text, numero
        assert s["decisions"].get(pk, "Sans décision") in text
    for numero in s["certificats"].values():
        assert numero in text
    certifiees = sum(1 for d in s["decisions"].values() if d == "Certifiée")
    assert f"Certifiée {certifiees}" in text
    assert f"Total {len(s['files'])}" in text
    # The jury member takes it too; the page offers the three buttons to the certifier, none to an OF.
    assert api_as("jury.idf").get(f"/api/v1/sessionjury/{s['id']}/proces_verbal").status_code == 200
    page = page_text(as_user("certif.idf").get(f"/certificateurs/jurys/{s['id']}"))
    for button in (
        "Télécharger le procès-verbal",
        "Télécharger la liste des dossiers (.xlsx)",
        "Télécharger les certificats pour le prestataire (PDF)",
        "Membres du jury Inès Garnier",
    ):
        assert button in page, button
    # The page's form sets the members too (none checked: none recorded).
    certif_web = as_user("certif.idf")
    emptied = certif_web.post(f"/certificateurs/jurys/{s['id']}/membres", data={})
    assert emptied.status_code == 302
    page = page_text(certif_web.get(f"/certificateurs/jurys/{s['id']}"))
    assert "La composition du jury est enregistrée." in page
    assert "Aucun membre n'est enregistré pour cette session." in page and "Composer le jury Inès Garnier" in page
    web = as_user("certif.idf").get(f"/certificateurs/jurys/{s['id']}/proces-verbal.pdf")
    assert web.status_code == 200
    assert "Aucun membre n'est enregistré pour cette session : les membres présents signent" in pdf_text(web.data)
    assert "Télécharger le procès-verbal" not in page_text(as_user("org.admin").get(f"/certificateurs/jurys/{s['id']}"))


def test_the_list_of_the_session_files_as_xlsx(app, api_as):
    s = session_passee(app)
    answer = api_as("certif.idf").get(f"/api/v1/sessionjury/{s['id']}/liste")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == f"Jury du {s['date'].replace('/', '-')}"
    assert rows[0][:4] == ("Numéro de dossier", "Nom de naissance", "Nom d'usage", "Prénom")
    assert rows[0][9:] == ("Décision du jury", "Commentaire du jury", "Date de la décision", "N° de certificat")
    assert [r[0] for r in rows[1:]] == [numero for _pk, numero, _c, _cert in s["files"]]
    by_numero = {r[0]: r for r in rows[1:]}
    for pk, numero, _candidat, certification in s["files"]:
        assert by_numero[numero][5] == certification
        assert by_numero[numero][9] == s["decisions"].get(pk, "Sans décision")
        assert (by_numero[numero][12] or None) == s["certificats"].get(pk)


def test_the_batch_of_certificates_has_one_page_per_certificate_for_a_provider_certifier_only(app, api_as):
    s = session_passee(app)
    certif = api_as("certif.idf")
    answer = certif.get(f"/api/v1/sessionjury/{s['id']}/certificats")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    assert len(reader.pages) == len(s["certificats"]) >= 1
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert sorted(n for n in s["certificats"].values()) == sorted(
        n for n in s["certificats"].values() if any(n in p for p in pages)
    )
    assert all("CERTIFICAT CLÉA" in p and f"jury du {s['date']}" in p for p in pages)
    # A certifier that does not send through the printing provider: a French refusal, no batch.
    with app.app_context():
        demo(Certificateur, nom="Transitions Pro Île-de-France").modalite_envoi = "N/C"
        db.session.commit()
    refused = certif.get(f"/api/v1/sessionjury/{s['id']}/certificats")
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        "Les certificats de Transitions Pro Île-de-France ne sont pas imprimés par le prestataire "
        "(modalité d'envoi : « N/C ») : il n'y a pas de lot à imprimer."
    )


def test_session_outputs_are_out_of_reach_outside_the_perimeter_and_without_the_right(app, api_as, as_user):
    s = session_passee(app)
    other = api_as("branche.commerce")  # another certifier: the session does not exist for it
    for what in ("proces_verbal", "liste", "certificats"):
        assert other.get(f"/api/v1/sessionjury/{s['id']}/{what}").status_code == 404, what
    assert other.post(f"/api/v1/sessionjury/{s['id']}/membres", json={"membres": []}).status_code == 404
    of = api_as("org.admin")  # reads the juries' calendar, not their minutes
    for what in ("proces_verbal", "liste", "certificats"):
        answer = of.get(f"/api/v1/sessionjury/{s['id']}/{what}")
        assert answer.status_code == 403, what
        assert answer.get_json()["message"] == (
            "Votre profil ne permet pas de télécharger les documents d'une session de jury."
        )
    assert as_user("branche.commerce").get(f"/certificateurs/jurys/{s['id']}/proces-verbal.pdf").status_code == 404


def test_a_session_is_planned_with_its_members(app, api_as):
    s = session_passee(app)
    certif = api_as("certif.idf")
    body = {"date": "2030-03-14T09:00", "libelle": "Jury - mars 2030"}
    planned = certif.post("/api/v1/sessionjury/", json={**body, "membres": [s["jury_id"]]})
    assert planned.status_code == 201, planned.get_json()
    assert planned.get_json()["result"]["membres"] == [s["jury_id"]]
    wrong = certif.post("/api/v1/sessionjury/", json={**body, "membres": "tous"})
    assert wrong.status_code == 422
    assert wrong.get_json()["message"]["membres"] == ["Liste d'identifiants de membres du jury attendue."]
