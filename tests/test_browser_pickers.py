"""A quick picker in a real browser (issue 17): in « Proposer une candidature », Certif Pro types a part of an
establishment's name, picks it from the dropdown the `choix` route fills, saves, and the file is created with that
establishment. Screenshots in test-artifacts/screenshots/pickers/. Fixtures of tests/test_browser.py (headless
Chromium from Debian, never `playwright install`)."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Candidature
from tests.test_browser import (  # noqa: F401  (pytest fixtures)
    Visit,
    browser_context,
    chromium_path,
    live_server,
    log_in,
    page,
)

pytestmark = pytest.mark.committing(reset="module")

MARSEILLE = "Compétences Méditerranée Marseille"


def test_type_pick_and_save_an_establishment_in_the_candidature_form(app, page):  # noqa: F811
    visit = Visit(page, "pickers")
    log_in(page, "certifpro")
    response = page.goto("/candidatures/proposer")
    visit.check_page(response.status, "Proposer une candidature", active_tab="EVALUATIONS")
    # The page carries no establishment: only the empty choice.
    assert page.locator("select#etablissement option").count() == 1
    visit.shot("formulaire vide")

    page.locator("#etablissement + .select2-container").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill("méditerranée mars")
    # The answer to what was typed (select2 waits 250 ms, then asks): only the habilitated establishment of that
    # name — not Montpellier (not habilitated), nothing of network A.
    expect(page.locator(".select2-results__option")).to_have_text([f"{MARSEILLE} (Marseille)"])
    choice = page.locator(".select2-results__option", has_text=f"{MARSEILLE} (Marseille)")
    visit.shot("etablissement tape")
    choice.click()
    assert MARSEILLE in page.locator("#select2-etablissement-container").inner_text()
    visit.shot("etablissement choisi")

    page.select_option("#statut_inscription", "Demandeur d'emploi")
    page.select_option("#niveau_formation", index=2)
    page.select_option("#financeur_principal", index=1)
    page.check("input[name=civilite][value=Madame]")
    page.fill("#nom_naissance", "Sélecteur")
    page.fill("#prenom", "Rapide")
    page.fill("#date_naissance", "04/05/1990")
    page.fill("#ville_naissance", "Toulon")
    page.fill("#code_postal_naissance", "83000")
    with page.expect_navigation():
        page.get_by_role("button", name="Créer la candidature").click()
    body = page.inner_text("body")
    visit.shot("dossier cree")
    assert "est créée" in body, body[:2000]
    assert MARSEILLE in body
    visit.check_page(200, "dossier créé", active_tab="EVALUATIONS")
    with app.app_context():
        created = db.session.execute(select(Candidature).where(Candidature.nom_naissance == "Sélecteur")).scalar_one()
        assert created.etablissement.nom == MARSEILLE
    visit.finish()
