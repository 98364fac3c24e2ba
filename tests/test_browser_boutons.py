"""In a real browser (issue 17, « Safe buttons »): the jury decision says its consequence before it is recorded
(a numbered certificate is issued), « Annuler » changes nothing; the abandon is confirmed once, in its dialog."""

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


def _file(app, nom, prenom):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Candidature

    with app.app_context():
        return db.session.execute(
            select(Candidature).where(Candidature.nom_naissance == nom, Candidature.prenom == prenom)
        ).scalar_one()


def test_the_jury_decision_states_its_consequence_and_can_be_cancelled(app, page):  # noqa: F811
    c = _file(app, "Robin", "Manon")
    visit = Visit(page, "scenario-decision-du-jury")
    log_in(page, "certif.idf")
    page.goto(f"/candidatures/show/{c.id}#decision")
    page.get_by_role("tab", name="Décision du jury").click()
    page.check("input[name='decision'][value='certifiee']")
    questions = []

    def refuse(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", refuse)
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_timeout(300)
    visit.expect(questions and "Un certificat numéroté sera délivré au candidat" in questions[0], f"{questions}")
    visit.expect(questions and c.numero_dossier in questions[0], "la question ne nomme pas le dossier")
    visit.expect(_file(app, "Robin", "Manon").statut == c.statut, "la décision est enregistrée malgré « Annuler »")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la décision").click()
    visit.expect(_file(app, "Robin", "Manon").statut == "certifiee", "la décision n'est pas enregistrée")
    visit.shot("dossier-certifie")
    assert not visit.problems, visit.problems


def test_the_abandon_is_confirmed_once_in_its_dialog(app, page):  # noqa: F811
    c = _file(app, "Moreau", "Camille")
    visit = Visit(page, "scenario-abandon")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    log_in(page, "etab.user")
    page.goto(f"/candidatures/show/{c.id}")
    page.get_by_role("button", name="Abandonner").click()
    page.locator("#modal-abandon").wait_for(state="visible")
    page.select_option("#motif", "Abandon du candidat")
    visit.shot("dialogue-abandon")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer l'abandon").click()
    visit.expect(questions == [], f"confirmé deux fois : {questions}")
    visit.expect(_file(app, "Moreau", "Camille").statut == "abandonnee", "non abandonnée")
    assert not visit.problems, visit.problems
