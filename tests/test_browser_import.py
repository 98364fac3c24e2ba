"""In a real browser (issue 17): an establishment user downloads the import template, fills it, runs a simulation,
reads the report by line and column, then imports the valid rows — screenshots in
test-artifacts/screenshots/scenario-import-candidats/."""

import pytest
from openpyxl import load_workbook

from tests.test_browser import (  # noqa: F401  (the module's fixtures)
    TOP_TABS,
    Visit,
    browser_context,
    chromium_path,
    live_server,
    log_in,
    page,
)
from tests.test_import_candidats import filled, person

pytestmark = pytest.mark.committing(reset="module")


def test_import_from_the_template_with_a_simulation_then_the_valid_rows(app, page, tmp_path):  # noqa: F811
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Candidature

    visit = Visit(page, "scenario-import-candidats")
    log_in(page, "etab.user")
    page.goto("/candidatures/list/")
    visit.click(page.get_by_role("link", name="Importer des candidats"))
    visit.check_page(200, "import", "EVALUATIONS")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le modèle (.xlsx)").click()
    model = tmp_path / "modele.xlsx"
    download.value.save_as(model)
    visit.expect(download.value.suggested_filename == "modele-import-candidats.xlsx", "nom du modèle")
    workbook = load_workbook(model)
    header = [c.value for c in workbook["Candidats"][1]]
    rows = [person("Navigateur", "Ana"), person("Navigateur", "Bob", **{"Civilité *": "Docteur"})]
    path = tmp_path / "candidats.xlsx"
    path.write_bytes(filled(workbook, header, rows))

    page.set_input_files("#file", str(path))
    visit.click(page.get_by_role("button", name="Simulation"))
    report = page.locator("#erreurs").inner_text()
    visit.expect("Simulation : 1 ligne(s) valide(s) sur 2, 1 erreur(s)." in page.inner_text("body"), "rapport absent")
    visit.expect("3" in report and "Civilité" in report and "Valeur inconnue dans la liste." in report, report)
    visit.shot("rapport-de-simulation")

    page.set_input_files("#file", str(path))
    visit.click(page.get_by_role("button", name="Importer les lignes valides"))
    body = page.inner_text("body")
    visit.expect("1 candidat(s) créé(s) ; 1 erreur(s) sur les autres lignes." in body, "import partiel non confirmé")
    visit.shot("import-partiel")
    visit.click(page.locator("#crees a").first)
    visit.expect("Navigateur Ana".upper() in page.inner_text("h1").upper(), "le dossier créé ne s'ouvre pas")
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count(Candidature.id)).where(Candidature.nom_naissance == "Navigateur")
            ).scalar()
            == 1
        )
    assert not visit.problems, visit.problems


def test_a_bulk_abandon_from_the_list_with_its_report(app, page):  # noqa: F811
    visit = Visit(page, "scenario-actions-groupees")
    log_in(page, "etab.user")
    page.goto("/candidatures/list/")
    # nothing selected: FAB's alert, in French
    page.get_by_role("button", name="Pour la sélection").click()
    page.locator("a.abandonner_selection_menu_item").click()
    page.locator("#modal-alert").wait_for(state="visible")
    alert = page.locator("#modal-alert .modal-text").inner_text()
    visit.expect(alert == "Aucune ligne sélectionnée : cochez au moins un dossier dans la liste.", alert)
    page.locator("#modal-alert button").first.click()
    page.locator("#modal-alert").wait_for(state="hidden")
    rows = page.locator("table tbody tr")
    chosen = []
    for name in ("Moreau", "Lambert"):
        row = rows.filter(has_text=name).first
        row.locator("input.action_check").check()
        chosen.append(name)
    page.get_by_role("button", name="Pour la sélection").click()
    visit.shot("selection")
    visit.click(page.locator("a.abandonner_selection_menu_item"))
    visit.expect("2 dossier(s) sélectionné(s)" in page.inner_text("body"), "la sélection n'est pas reprise")
    page.select_option("#motif", "Abandon du candidat")
    visit.click(page.get_by_role("button", name="Confirmer l'abandon de 2 dossier(s)"))
    report = page.locator("#rapport-lot").inner_text()
    visit.expect("Abandon : 2 dossier(s) traité(s), 0 refusé(s)." in page.inner_text("body"), "pas de bilan")
    visit.expect(all(name in report for name in chosen), report)
    visit.shot("rapport")
    assert not visit.problems, visit.problems
