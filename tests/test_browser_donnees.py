"""In a real browser (issue 16): an establishment user opens a file and its tabs (each journaled), Certif Pro reads
the journal on the candidate page, downloads the person's data and anonymises the file through its dialog —
screenshots in test-artifacts/screenshots/scenario-donnees-personnelles/."""

import io
import json
import zipfile

import pytest

from tests.test_browser import (  # noqa: F401  (the module's fixtures)
    TOP_TABS,
    Visit,
    browser_context,
    chromium_path,
    live_server,
    log_in,
    page,
)

pytestmark = pytest.mark.committing(reset="module")


def test_tabs_are_journaled_then_certif_pro_exports_and_anonymises_the_file(app, page, browser_context):  # noqa: F811
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Candidature, Consultation

    with app.app_context():
        pk = db.session.execute(
            select(Candidature.id).where(Candidature.nom_naissance == "Lambert", Candidature.prenom == "Yanis")
        ).scalar_one()
    visit = Visit(page, "scenario-donnees-personnelles")
    log_in(page, "etab.user")
    page.goto(f"/candidatures/show/{pk}")
    visit.check_page(200, "candidat", "EVALUATIONS")
    page.get_by_role("tab", name="Documents").click()
    page.get_by_role("tab", name="Parcours").click()
    visit.expect(page.get_by_role("tab", name="Consultations").count() == 0, "le journal montré à l'établissement")
    page.wait_for_timeout(300)  # the tabs' posts leave in the background
    page.goto("/logout/")

    other = browser_context.new_page()
    other.on("dialog", lambda dialog: dialog.accept())
    visit = Visit(other, "scenario-donnees-personnelles")
    log_in(other, "certifpro")
    other.goto(f"/candidatures/show/{pk}")
    other.get_by_role("tab", name="Consultations").click()
    journal = other.locator("#consultations").inner_text()
    visit.expect("Page du candidat" in journal, "l'ouverture de la page absente du journal")
    visit.expect("Onglet\tDocuments" in journal or "Documents" in journal, "l'onglet Documents absent du journal")
    visit.shot("journal-des-consultations")
    with other.expect_download() as download:
        other.get_by_role("link", name="Télécharger toutes les données de la personne").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    data = json.loads(archive.read("donnees.json"))
    visit.expect(data["candidature"]["nom_naissance"] == "Lambert", "l'archive n'est pas celle de la personne")

    other.get_by_role("button", name="Anonymiser").click()
    dialog = other.locator("#modal-anonymiser")
    dialog.wait_for(state="visible")
    other.fill("#motif-anonymisation", "Demande de la personne du 02/12/2026")
    visit.shot("dialogue-anonymisation")
    dialog.get_by_role("button", name="Anonymiser définitivement").click()
    # the confirmation box is required: the browser keeps the dialog open until it is ticked
    visit.expect(dialog.is_visible(), "envoyé sans la case de confirmation")
    dialog.get_by_label("Je confirme l'anonymisation définitive de ce dossier").check()
    with other.expect_navigation():
        dialog.get_by_role("button", name="Anonymiser définitivement").click()
    body = other.inner_text("body")
    visit.expect("Le dossier est anonymisé." in body, "pas de confirmation de l'anonymisation")
    visit.expect("candidat - anonyme anonyme" in body.lower(), "l'identité est toujours affichée")
    visit.expect(other.get_by_role("button", name="Abandonner").count() == 0, "un dossier anonymisé s'abandonne")
    visit.expect(other.get_by_role("button", name="Anonymiser").count() == 0, "le bouton reste après l'anonymisation")
    visit.shot("dossier-anonymise")
    with app.app_context():
        tabs = db.session.execute(
            select(Consultation.detail).where(Consultation.candidature_id == pk, Consultation.quoi == "onglet")
        ).scalars()
        visit.expect({"Documents", "Parcours"} <= set(tabs), "les onglets ouverts ne sont pas journalisés")
    assert not visit.problems, visit.problems
