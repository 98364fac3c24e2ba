"""Trainings (guide §7 « Onglet FORMATIONS »): per file, with attestations; UI, API, perimeter."""

import io

from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, Domaine, Referentiel
from tests.conftest import demo, page_text
from tests.test_documents import PDF


def ids(app, numero="2026000002"):
    with app.app_context():
        pk = demo(Candidature, numero_dossier=numero).id
        domaines = (
            db.session.execute(
                select(Domaine.id).join(Referentiel).where(Referentiel.certification == "clea").order_by(Domaine.ordre)
            )
            .scalars()
            .all()
        )
    return pk, domaines


def test_add_a_training_then_its_attestation_from_the_candidate_page(app, as_user):
    pk, domaines = ids(app)
    client = as_user("etab.user")
    page = page_text(client.get(f"/candidatures/show/{pk}"))
    assert "Formations CléA" in page and "FRANÇAIS" in page and "Créer la formation" in page
    done = client.post(
        f"/candidatures/{pk}/formations",
        data={
            "domaines": [domaines[0], domaines[2]],
            "date_debut": "26/02/2024",
            "date_fin": "22/07/2024",
            "duree_heures": "35",
            "formateur_nom": "Fabre",
            "formateur_prenom": "Lina",
            "formateur_email": "Lina.Fabre@of.example",
        },
        follow_redirects=True,
    )
    text = page_text(done)
    assert "La formation est créée." in text
    assert "Date de début : 26/02/2024 - Date de fin : 22/07/2024" in text and "35" in text
    assert "FRANÇAIS" in text and "INFORMATIQUE" in text
    html = done.get_data(as_text=True)
    formation_id = int(html.split('name="formation" value="')[1].split('"')[0])
    attached = client.post(
        f"/candidatures/{pk}/documents",
        data={"file": (io.BytesIO(PDF), "attestation.pdf"), "formation": formation_id},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Le document est ajouté au dossier." in page_text(attached)
    assert "attestation.pdf" in page_text(attached)
    assert "Ajout d'une formation" in page_text(client.get(f"/candidatures/show/{pk}"))


def test_bad_training_input_answers_in_french(app, as_user):
    pk, domaines = ids(app)
    response = as_user("etab.user").post(
        f"/candidatures/{pk}/formations",
        data={
            "domaines": [domaines[0]],
            "date_debut": "22/07/2024",
            "date_fin": "26/02/2024",
            "duree_heures": "-3",
            "formateur_nom": "Fabre",
            "formateur_prenom": "Lina",
            "formateur_email": "pas-un-email",
        },
        follow_redirects=True,
    )
    text = page_text(response)
    assert "La date de fin doit être postérieure ou égale à la date de début." in text
    assert "La durée doit être un nombre d'heures entre 0 et 2000." in text
    assert "Adresse email invalide." in text


def test_formations_tab_lists_the_perimeter_and_opens_the_file(app, as_user):
    pk, _ = ids(app)
    client = as_user("org.admin")
    listing = page_text(client.get("/formations/list/"))
    assert "Lambert Yanis" in listing and "Moreau Camille-Marie" not in listing
    assert client.get(f"/formations/show/{pk}").headers["Location"].endswith(f"/candidatures/show/{pk}#formations")
    assert "FORMATIONS" in page_text(client.get("/"))
    assert "FORMATIONS" not in page_text(as_user("reseau.superviseur").get("/"))


def test_api_formation(app, api_as):
    pk, domaines = ids(app)
    body = {
        "candidature": pk,
        "date_debut": "2024-03-01",
        "date_fin": "2024-03-15",
        "duree_heures": 12.5,
        "formateur_nom": "Api",
        "formateur_prenom": "Léo",
        "formateur_email": "leo@of.example",
        "domaines": [domaines[1]],
    }
    created = api_as("org.admin").post("/api/v1/formation/", json=body)
    assert created.status_code == 201, created.get_json()
    result = created.get_json()["result"]
    assert result["candidature"] == pk and result["domaines"] == [domaines[1]] and result["date_debut"] == "2024-03-01"
    fid = created.get_json()["id"]
    assert api_as("org2.admin").get(f"/api/v1/formation/{fid}").status_code == 404
    assert api_as("org2.admin").post("/api/v1/formation/", json=body).status_code == 404
    bad = api_as("org.admin").post("/api/v1/formation/", json={**body, "domaines": [999999]})
    assert bad.status_code == 422 and "Domaine inconnu" in str(bad.get_json()["message"])
    attestation = api_as("org.admin").post(
        f"/api/v1/formation/{fid}/documents",
        data={"file": (io.BytesIO(PDF + b"api"), "att.pdf")},
        content_type="multipart/form-data",
    )
    assert attestation.status_code == 201
