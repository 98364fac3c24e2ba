"""In a real browser (issue 15): Certif Pro audits an habilitation, the audited organisation answers, the
decision of mise en conformité suspends the habilitation at once, and the suspension is lifted — screenshots in
test-artifacts/screenshots/scenario-audit/."""

import datetime

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


def _accept_confirmations(tab):
    tab.on("dialog", lambda dialog: dialog.accept())


def test_an_audit_leads_to_a_suspension_then_its_lifting(app, page, browser_context):  # noqa: F811
    from sqlalchemy import select

    from app.extensions import db
    from app.models import DemandeHabilitation, Etablissement

    with app.app_context():
        etab = db.session.execute(
            select(Etablissement).where(Etablissement.nom == "Avenir Paris République")
        ).scalar_one()
        pk = db.session.execute(
            select(DemandeHabilitation.id).where(
                DemandeHabilitation.etablissements.any(id=etab.id),
                DemandeHabilitation.etat == "accordee",
                DemandeHabilitation.certification == "clea",
            )
        ).scalar_one()
    today = datetime.date.today().strftime("%d/%m/%Y")
    visit = Visit(page, "scenario-audit")
    _accept_confirmations(page)
    log_in(page, "certifpro")
    page.goto(f"/habilitations/show/{pk}")
    visit.check_page(200, "habilitation", "HABILITATIONS")
    assert page.locator("#statut-habilitation").inner_text().strip() == "Active"
    page.select_option("#audit-type", "sur_place")
    page.fill("#audit-date", today)
    page.fill("#audit-auditeur", "Cabinet Audit Formation")
    visit.shot("ouvrir-un-audit")
    visit.click(page.get_by_role("button", name="Ouvrir l'audit"))
    body = page.inner_text("body")
    visit.expect("L'audit est ouvert" in body, "pas de confirmation d'ouverture de l'audit")
    page.select_option("select[name='avis']", "defavorable")
    page.locator("textarea[name='anomalies']").fill("Evaluations à distance sans contrôle d'identité.")
    visit.shot("rapport")
    visit.click(page.get_by_role("button", name="Rendre le rapport d'audit"))
    visit.expect("Le rapport est rendu" in page.inner_text("body"), "rapport non rendu")
    visit.shot("rapport-rendu")

    # The audited organisation answers within its 15 jours ouvrés.
    page.context.clear_cookies()
    log_in(page, "org.admin")
    page.goto(f"/habilitations/show/{pk}")
    visit.check_page(200, "habilitation (organisme)", "HABILITATIONS")
    page.locator("textarea[name='message']").first.fill("Un contrôle d'identité par visioconférence est en place.")
    visit.click(page.get_by_role("button", name="Envoyer nos observations"))
    visit.expect("Vos observations sont envoyées" in page.inner_text("body"), "observations non envoyées")
    visit.shot("observations")

    # The instance decides a mise en conformité with suspension: the habilitation is suspended at once.
    page.context.clear_cookies()
    log_in(page, "certifpro")
    page.goto(f"/habilitations/show/{pk}")
    page.select_option("select[name='decision']", "mise_en_conformite")
    page.locator("input[name='suspension']").check()
    visit.click(page.get_by_role("button", name="Décider à la suite de l'audit"))
    visit.check_page(200, "décision", "HABILITATIONS")
    statut = page.locator("#statut-habilitation").inner_text().strip()
    visit.expect(statut == "Suspendue", f"statut après la décision : {statut}")
    body = page.inner_text("body")
    visit.expect("Mise en demeure" in body, "pas de mise en demeure dans les courriers")
    visit.expect("Justification attendue avant le" in body, "pas de mise en conformité listée")
    visit.shot("suspendue")

    # Then the instance lifts the suspension.
    visit.click(page.get_by_role("button", name="Lever la suspension"))
    visit.check_page(200, "levée", "HABILITATIONS")
    visit.expect(page.locator("#statut-habilitation").inner_text().strip() == "Active", "suspension non levée")
    visit.expect("Levée de la suspension de l'habilitation" in page.inner_text("body"), "pas de courrier de levée")
    visit.shot("suspension-levee")
    visit.finish()
