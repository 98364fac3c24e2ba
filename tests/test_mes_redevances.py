"""« Mes redevances » (issue 18 §5): an organisation's and a network's administrator read the quarterly fee statement
of their perimeter — the very lines and amounts of Certif Pro's national statement for those organisations —,
download it, and nothing else: another organisation's statement is 404, a profile without the right 403.

The crafted organisations of tests/test_redevances.py: X is put in network A and given to `org.admin` (rolled back
with each test), Y stays outside every demo perimeter."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Organisme, Reseau, Utilisateur
from app.services import redevances as service
from tests.conftest import page_text
from tests.test_french import english_in
from tests.test_redevances import NOM_X, NOM_Y, SIREN_X, X_Q2_2026, data, figures  # noqa: F401

Q2 = "annee=2026&trimestre=2"
OF_ADMINS = ("org.admin", "reseau.admin")
WITHOUT_RIGHT = ("org.user", "etab.admin", "etab.user", "reseau.superviseur", "certif.idf", "jury.idf")


@pytest.fixture
def of_data(app, data):  # noqa: F811
    with app.app_context():
        reseau = db.session.execute(select(Reseau).filter_by(nom="Réseau A — Formation Avenir")).scalar_one()
        db.session.get(Organisme, data["x"]).reseau_id = reseau.id
        user = db.session.execute(select(Utilisateur).filter_by(username="org.admin")).scalar_one()
        user.organisme_id = data["x"]
        db.session.commit()
        data["reseau"] = reseau.id
        data["reseau_organismes"] = set(
            db.session.execute(select(Organisme.id).where(Organisme.reseau_id == reseau.id)).scalars()
        )
    return data


def national_lines(organisme_id):
    return [
        (x.organisme, x.type_label, x.date, x.reference, x.certification_label, x.montant)
        for x in service.lignes(2026, 2, organisme_id=organisme_id)
    ]


def _workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()))
    return {name: [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames}


@pytest.mark.parametrize("login", OF_ADMINS)
def test_the_of_statement_is_the_national_one_for_its_organisations(app, as_user, api, of_data, login):
    client = as_user(login)
    response = client.get(f"/mes-redevances/?{Q2}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Mes redevances — relevé trimestriel" in text and "2e trimestre (avril – juin) 2026" in text
    assert f"{NOM_X} {SIREN_X} 3 1 000,00 € 4 140,00 € 3 35,00 € 1 175,00 €" in text
    assert NOM_Y not in text and "barème des redevances" not in text
    assert english_in(response) == []

    body = api(login).get(f"/api/v1/mes_redevances/?{Q2}").get_json()
    national = api("certifpro").get(f"/api/v1/redevances/?{Q2}").get_json()
    mine = {o["organisme"]: o for o in body["organismes"]}
    expected = of_data["reseau_organismes"] if login == "reseau.admin" else {of_data["x"]}
    assert set(mine) == expected  # every organisation of the perimeter, those owing nothing too
    for o in national["organismes"]:
        if o["organisme"] in expected:
            assert mine[o["organisme"]] == o
    for org_id, o in mine.items():
        if org_id not in {n["organisme"] for n in national["organismes"]}:
            assert o["total"] == "0.00"
    assert mine[of_data["x"]]["total"] == "1175.00"

    with app.app_context():
        x_national = figures(service.releve(2026, 2, organisme_id=of_data["x"]).organismes[0])
        lines = national_lines(of_data["x"])
    assert x_national == X_Q2_2026

    # The organisation's detail: the national lines, on the page, in the API and in the file.
    detail = client.get(f"/mes-redevances/organisme/{of_data['x']}?{Q2}")
    assert detail.status_code == 200
    detail_text = page_text(detail)
    assert f"Redevances — {NOM_X}" in detail_text and "Nombre total d'élément : 10" in detail_text
    assert "Total HT 1 175,00 €" in detail_text and "Retour au relevé de mes organismes" in detail_text
    for _, label, jour, reference, certification, _ in lines:
        assert f"{label} {jour:%d/%m/%Y} {reference} {certification}" in detail_text
    api_detail = api(login).get(f"/api/v1/mes_redevances/{of_data['x']}?{Q2}").get_json()
    assert (api_detail["nom"], api_detail["total"], len(api_detail["lignes"])) == (NOM_X, "1175.00", 10)
    assert [(x["libelle"], x["reference"], x["montant"]) for x in api_detail["lignes"]] == [
        (label, reference, service.montant_json(montant)) for _, label, _, reference, _, montant in lines
    ]

    own = _workbook(client.get(f"/mes-redevances/organisme/{of_data['x']}/export?{Q2}"))
    reference = _workbook(as_user("certifpro").get(f"/redevances/organisme/{of_data['x']}/export?{Q2}"))
    assert own == reference
    assert [tuple(r[:2]) + (r[2],) for r in own["Détail"][1:]] == [(x[0], SIREN_X, x[1]) for x in lines]

    whole = _workbook(client.get(f"/mes-redevances/export?{Q2}"))
    assert [r for r in whole["Détail"] if r[0] == NOM_X] == [r for r in reference["Détail"] if r[0] == NOM_X]
    assert not [r for r in whole["Détail"] if r[0] == NOM_Y]
    assert _workbook(api(login).get(f"/api/v1/mes_redevances/export?{Q2}")) == whole


def test_the_menu_and_the_organisation_page_lead_to_it(as_user, of_data):
    for login in OF_ADMINS:
        html = as_user(login).get("/").get_data(as_text=True)
        assert 'href="/mes-redevances/"' in html and "Mes redevances" in html, login
    page = page_text(as_user("org.admin").get(f"/organismes/show/{of_data['x']}"))
    assert "Redevances de l'organisme" in page
    for login in ("org.user", "certif.idf"):
        assert "Mes redevances" not in page_text(as_user(login).get("/")), login


@pytest.mark.parametrize("login", OF_ADMINS + ("reseau2.admin", "org2.admin"))
def test_another_organisation_is_404(as_user, api, of_data, login):
    other = of_data["y"]
    client = as_user(login)
    for path in (f"/mes-redevances/organisme/{other}?{Q2}", f"/mes-redevances/organisme/{other}/export?{Q2}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/api/v1/mes_redevances/{other}?{Q2}", f"/api/v1/mes_redevances/{other}/export?{Q2}"):
        response = api(login).get(path)
        assert response.status_code == 404, path
        assert response.get_json()["message"] == "Élément introuvable."
    if login in ("reseau2.admin", "org2.admin"):  # X belongs to network A
        assert client.get(f"/mes-redevances/organisme/{of_data['x']}").status_code == 404
        body = api(login).get(f"/api/v1/mes_redevances/?{Q2}").get_json()
        assert of_data["x"] not in {o["organisme"] for o in body["organismes"]}


@pytest.mark.parametrize("login", WITHOUT_RIGHT)
def test_a_profile_without_the_right_is_403(as_user, api, of_data, login):
    client = as_user(login)
    for path in (f"/mes-redevances/?{Q2}", f"/mes-redevances/export?{Q2}"):
        assert client.get(path).status_code == 403, path
    for path in (f"/api/v1/mes_redevances/?{Q2}", f"/api/v1/mes_redevances/export?{Q2}"):
        response = api(login).get(path)
        assert response.status_code == 403, path
        assert response.get_json()["message"] == "Vous n'avez pas les droits nécessaires pour cette action."


def test_certif_pro_keeps_the_national_view(as_user, of_data):
    client = as_user("certifpro")
    text = page_text(client.get(f"/redevances/?{Q2}"))
    assert NOM_X in text and NOM_Y in text
    assert client.get(f"/mes-redevances/?{Q2}").status_code == 403


def test_bad_period_is_refused_in_french(as_user, api, of_data):
    text = page_text(as_user("org.admin").get("/mes-redevances/?annee=1999&trimestre=2"))
    assert "L'année doit être un nombre entier entre 2020 et" in text and "Corrigez la période demandée" in text
    response = api("org.admin").get("/api/v1/mes_redevances/?annee=2026&trimestre=9")
    assert response.status_code == 400
    assert response.get_json()["message"] == {"trimestre": ["Le trimestre doit être un nombre entier entre 1 et 4."]}
