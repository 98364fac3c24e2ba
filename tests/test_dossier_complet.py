"""« Télécharger le dossier complet » (issue 18, item 4): the whole file in one ZIP with French names and no path
traversal, journaled as a read of personal data, for the OF and the certifier side inside their perimeter."""

import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, Consultation
from app.models.juries import Certificat
from tests.conftest import page_text
from tests.test_jury_sorties import pdf_text


def _certified_file(app):
    """A certified demo file of A1-1 (Île-de-France), with a document whose name tries to leave the archive."""
    from app.services import documents

    with app.app_context():
        certificat = (
            db.session.execute(
                select(Certificat)
                .join(Candidature, Candidature.id == Certificat.candidature_id)
                .where(Candidature.numero_dossier.like("2026%"))
                .order_by(Certificat.id)
            )
            .scalars()
            .first()
        )
        c = certificat.candidature
        document = documents.joindre(c.id, "../../etc/passwd", "application/pdf", b"%PDF-1.4 contenu", "candidature")
        db.session.commit()
        return c.id, c.numero_dossier, c.nom_naissance, certificat.numero, document.id


def test_the_whole_file_in_one_zip_with_french_names_and_no_path_traversal(app, api_as, as_user):
    pk, numero, nom, certificat, document_id = _certified_file(app)
    answer = api_as("etab.user").get(f"/api/v1/candidature/{pk}/dossier_complet")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert f"dossier-complet-{numero}.zip" in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    names = archive.namelist()
    for expected in (
        "LISEZMOI.txt",
        "fiche-candidat.pdf",
        "evaluations/evaluations.pdf",
        "evaluations/matrice-evaluation.xlsx",
        "formations/formations.pdf",
        "certification/echanges-et-decision.pdf",
        f"documents/{document_id}-.._.._etc_passwd",
    ):
        assert expected in names, expected
    assert any(n.startswith("certification/certificat/") and certificat in n for n in names)
    for name in names:  # nothing that could be written outside the folder it is extracted into
        assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name, name
    assert archive.read(f"documents/{document_id}-.._.._etc_passwd") == b"%PDF-1.4 contenu"
    assert nom.upper() in pdf_text(archive.read("fiche-candidat.pdf")).upper()
    evaluations = pdf_text(archive.read("evaluations/evaluations.pdf"))
    assert "Résultats par sous-domaine" in evaluations and "Evaluation préalable du" in evaluations
    assert "1.1 Écouter et comprendre Acquis" in evaluations
    matrice = load_workbook(io.BytesIO(archive.read("evaluations/matrice-evaluation.xlsx"))).active
    assert matrice["A1"].value.startswith("Matrice d'évaluation")
    decision = pdf_text(archive.read("certification/echanges-et-decision.pdf"))
    assert "Décisions du jury" in decision and "Certifiée" in decision and certificat in decision
    assert f"dossier n°{numero}" in archive.read("LISEZMOI.txt").decode()
    # Journaled like every read of the file's personal data.
    with app.app_context():
        lines = db.session.execute(
            select(Consultation.quoi, Consultation.detail).where(Consultation.candidature_id == pk)
        ).all()
    assert ("dossier", "Dossier complet (ZIP, API)") in lines
    # The page's button, for the OF and the certifier side.
    for login in ("etab.user", "certif.idf"):
        page = as_user(login).get(f"/candidatures/show/{pk}")
        assert "Télécharger le dossier complet" in page_text(page), login
    web = as_user("certif.idf").get(f"/candidatures/{pk}/dossier-complet")
    assert web.status_code == 200 and web.mimetype == "application/zip"
    assert "fiche-candidat.pdf" in zipfile.ZipFile(io.BytesIO(web.data)).namelist()
    with app.app_context():
        assert db.session.execute(
            select(Consultation.id).where(Consultation.candidature_id == pk, Consultation.quoi == "dossier")
        ).all()[1:], "la page aussi est journalisée"


def test_the_whole_file_outside_the_perimeter_is_404_and_without_the_right_403(app, api_as, as_user):
    pk, *_ = _certified_file(app)
    assert api_as("etab2.user").get(f"/api/v1/candidature/{pk}/dossier_complet").status_code == 404
    assert as_user("reseau2.admin").get(f"/candidatures/{pk}/dossier-complet").status_code == 404
    assert api_as("branche.commerce").get(f"/api/v1/candidature/{pk}/dossier_complet").status_code == 404
    assert api_as("reseau.superviseur").get(f"/api/v1/candidature/{pk}/dossier_complet").status_code == 403
