"""API `candidature`: create through the same rules, read only inside the perimeter."""

from app.models import Etablissement
from tests.conftest import demo


def body(etab_id, **overrides):
    data = {
        "etablissement": etab_id,
        "certification": "clea",
        "statut_inscription": "Demandeur d'emploi",
        "niveau_formation": "Niveau 1 – maîtrise des savoirs de base",
        "financeur_principal": "OPCO",
        "civilite": "Madame",
        "nom_naissance": "Api",
        "prenom": "Ada",
        "date_naissance": "1970-01-31",
        "ne_etranger": True,
        "pays_naissance": "Sénégal",
        "ville_naissance": "Dakar",
    }
    data.update(overrides)
    return data


def test_create_read_and_perimeter(app, api_as):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    api = api_as("etab.user")
    created = api.post("/api/v1/candidature/", json=body(etab_id))
    assert created.status_code == 201, created.get_json()
    result, pk = created.get_json()["result"], created.get_json()["id"]
    assert result["statut"] == "attente_evaluation_prealable" and result["etablissement"] == etab_id
    assert result["date_naissance"] == "1970-01-31" and result["civilite"] == "Madame"
    assert api.get(f"/api/v1/candidature/{pk}").status_code == 200
    assert api_as("etab2.user").get(f"/api/v1/candidature/{pk}").status_code == 404
    listing = api_as("reseau2.admin").get("/api/v1/candidature/").get_json()
    assert pk not in listing["ids"]
    again = api.post("/api/v1/candidature/", json=body(etab_id, nom_naissance="API", prenom="ada"))
    assert again.status_code == 409 and "demande de rattachement" in again.get_json()["message"]


def test_bad_input_answers_422_in_french(app, api_as):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    api = api_as("etab.user")
    response = api.post(
        "/api/v1/candidature/",
        json=body(
            etab_id, nom_naissance="Autre", ne_etranger=True, pays_naissance="", date_naissance="2999-01-01", inconnu=1
        ),
    )
    assert response.status_code == 422
    assert response.get_json()["message"] == {"inconnu": ["Champ inconnu."]}
    response = api.post(
        "/api/v1/candidature/",
        json=body(etab_id, nom_naissance="Autre", pays_naissance="", date_naissance="2999-01-01"),
    )
    errors = response.get_json()["message"]
    assert errors["pays_naissance"] == ["Ce champ est obligatoire."]
    assert errors["date_naissance"] == ["La date de naissance ne peut pas être dans le futur."]
    assert api.post("/api/v1/candidature/", json=[1]).status_code == 422
    assert api_as("reseau.superviseur").post("/api/v1/candidature/", json=body(etab_id)).status_code == 403


def test_certification_defaults_to_clea_and_takes_its_code_or_label(app, api):
    """issue 11 / api.md: optional, CléA by default, code or label accepted, the code returned."""
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    client = api("etab.user")
    without = body(etab_id, nom_naissance="Defaut", prenom="Clea")
    del without["certification"]
    created = client.post("/api/v1/candidature/", json=without)
    assert created.status_code == 201 and created.get_json()["result"]["certification"] == "clea"
    by_label = client.post(
        "/api/v1/candidature/",
        json=body(etab_id, nom_naissance="Libelle", prenom="Num", certification="CléA numérique"),
    )
    assert by_label.status_code == 201 and by_label.get_json()["result"]["certification"] == "clea_numerique"
    unknown = client.post("/api/v1/candidature/", json=body(etab_id, nom_naissance="Autre", certification="Toeic"))
    assert unknown.status_code == 422
    assert unknown.get_json() == {"message": {"certification": ["Certification inconnue."]}}
