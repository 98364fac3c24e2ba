"""In a real browser (issue 14): an organisation administrator files a habilitation dossier from the establishment
page — the draft's sections, what is missing, a CV, the deposit and its receipt — then Certif Pro takes it in
instruction and asks for a complement, the organisation answers, and Certif Pro gives its opinion. Screenshots
in test-artifacts/screenshots/scenario-dossier/."""

import pytest

from tests.test_browser import (  # noqa: F401  (the module's fixtures)
    Visit,
    browser_context,
    chromium_path,
    live_server,
    log_in,
    page,
)

pytestmark = pytest.mark.committing(reset="module")


def by_id(tab, element_id):
    return tab.locator(f"[id='{element_id}']")


def test_a_dossier_from_its_draft_to_the_opinion(app, page, tmp_path):  # noqa: F811
    from sqlalchemy import select

    from app.demo import PDF_MINIMAL
    from app.extensions import db
    from app.models import Etablissement
    from app.services import dossiers

    with app.app_context():
        by_name = select(Etablissement).where(Etablissement.nom == "Avenir Paris Lille")
        lille_id = db.session.execute(by_name).scalar_one().id
        domaines = [[sd.code for sd in sds] for _, sds in dossiers.sous_domaines("clea")]
    cv = tmp_path / "cv-alice-bernard.pdf"
    cv.write_bytes(PDF_MINIMAL + b" navigateur")
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    visit = Visit(page, "scenario-dossier")
    log_in(page, "org.admin")
    page.goto(f"/etablissements/show/{lille_id}")
    page.get_by_role("tab", name="Habilitation(s) en cours").click()
    visit.check_page(
        visit.click(page.get_by_role("link", name="Déposer un dossier d'habilitation")), "nouveau", "HABILITATIONS"
    )
    visit.shot("deposer-un-dossier")
    visit.check_page(visit.click(page.get_by_role("button", name="Créer le dossier")), "brouillon", "HABILITATIONS")
    visit.expect(
        "Indiquez la motivation de la demande." in page.locator("#manquants").inner_text(),
        "« Ce qui manque » ne liste pas la motivation",
    )
    visit.shot("brouillon-vide")

    # The sections, as a person fills them (identity is prefilled from the organisation).
    page.fill("#activite_principale", "Formation continue pour adultes")
    page.fill("#date_creation", "01/03/2005")
    page.fill("#effectif", "12")
    for index, year in enumerate((2023, 2024, 2025)):
        page.fill(f"input[name='chiffres_affaires-{index}-annee']", str(year))
        page.fill(f"input[name='chiffres_affaires-{index}-montant']", "100000")
    page.fill("#contact_telephone", "01 02 03 04 05")
    page.select_option("#label_qualite", "qualiopi")
    page.locator("input[name='premiere_demande'][value='non']").check()
    page.locator("input[name='couverture'][value='regionale']").check()
    page.select_option("#regions", "Hauts-de-France")
    page.fill("#motivation", "Accompagner nos stagiaires vers CléA.")
    page.fill("#promotion", "Réunions d'information mensuelles.")
    page.fill("#processus_evaluation", "Positionnement, évaluation préalable, formation, évaluation finale.")
    page.fill("#accompagnement", "Un référent par candidat.")
    for codes in domaines:
        for code in codes:
            by_id(page, f"modalite-{code}").fill("QCM")
    for index, codes in enumerate(domaines):  # one detailed sequence per domain
        page.fill(f"input[name='sequences-{index}-sous_domaine']", codes[0])
        page.fill(f"input[name='sequences-{index}-mode']", "presentiel")
        page.fill(f"input[name='sequences-{index}-consignes']", "Consignes lues au candidat")
    page.fill("input[name='intervenants-0-nom']", "Bernard")
    page.fill("input[name='intervenants-0-prenom']", "Alice")
    page.fill("input[name='intervenants-0-role']", "Evaluatrice")
    page.fill("input[name='intervenants-0-qualification']", "Formatrice d'adultes")
    page.fill("#references", "Cent parcours CléA par an.")
    page.locator("input[name='engagement_lu']").check()
    page.fill("#engagement_signataire", "Sophie Durand")
    page.fill("#engagement_qualite", "Directrice")
    page.fill("#engagement_lieu", "Lille")
    page.fill("#engagement_date", "02/12/2026")
    visit.shot("formulaire-rempli")
    visit.click(page.get_by_role("button", name="Enregistrer le brouillon"))
    body = page.inner_text("body")
    visit.expect("Le dossier est enregistré." in body, "brouillon non enregistré")
    left = page.locator("#manquants").inner_text()
    visit.expect("Joignez le CV de chaque intervenant" in left, "le CV manquant n'est pas signalé")
    visit.expect("Indiquez la motivation de la demande." not in left, "la motivation reste manquante")
    visit.shot("brouillon-enregistre")

    # The CV, then the deposit.
    page.select_option("#nature", "cv")
    page.set_input_files("#file", str(cv))
    visit.click(page.get_by_role("button", name="Joindre"))
    visit.expect("La pièce est jointe au dossier." in page.inner_text("body"), "CV non joint")
    visit.check_page(visit.click(page.get_by_role("link", name="Retour au dossier")), "dossier", "HABILITATIONS")
    visit.shot("pret-a-deposer")
    visit.click(page.get_by_role("button", name="Déposer le dossier"))
    body = page.inner_text("body")
    visit.expect("Votre dossier est déposé" in body, f"dépôt refusé : {body[:300]}")
    visit.expect("Récépissé de dépôt du dossier d'habilitation" in body, "pas de récépissé dans les courriers")
    visit.click(page.get_by_role("button", name="Accuser réception"))
    visit.expect("Réception accusée." in page.inner_text("body"), "accusé de réception non enregistré")
    visit.shot("depose")
    dossier_url = page.url.split("#")[0]

    # Certif Pro: instruction and a request for corrections.
    page.context.clear_cookies()
    log_in(page, "certifpro")
    page.goto(dossier_url)
    visit.check_page(200, "instruction", "HABILITATIONS")
    visit.click(page.get_by_role("button", name="Prendre en instruction"))
    page.fill("#demander_complement-message", "Précisez les conditions de l'évaluation à distance.")
    visit.click(page.locator("#form-demander_complement button"))
    visit.expect("La demande de complément est envoyée" in page.inner_text("body"), "complément non demandé")
    visit.shot("complement-demande")

    # The organisation answers.
    page.context.clear_cookies()
    log_in(page, "org.admin")
    page.goto(dossier_url)
    page.fill("#repondre-message", "Evaluation à distance par visioconférence, identité contrôlée.")
    visit.click(page.locator("#form-repondre button"))
    visit.expect("Votre réponse est envoyée à l'instance." in page.inner_text("body"), "réponse non envoyée")
    visit.shot("reponse")

    # Certif Pro gives its motivated opinion: the dossier goes to the instance's meeting.
    page.context.clear_cookies()
    log_in(page, "certifpro")
    page.goto(dossier_url)
    page.locator("#form-avis input[name='favorable'][value='true']").check()
    page.fill("#avis-motivation", "Conforme aux critères du règlement.")
    visit.click(page.locator("#form-avis button"))
    body = page.inner_text("body")
    visit.expect("L'avis est rendu" in body, "avis non rendu")
    visit.expect("Avis rendu" in body and "Décision de l'instance (réunion)" in body, "état ou échéance absents")
    visit.check_page(200, "avis rendu", "HABILITATIONS")
    visit.shot("avis-rendu")
    visit.finish()
