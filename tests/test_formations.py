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


def form(domaines, **overrides) -> dict:
    """« Ajouter une formation » / « Corriger » as a person fills them."""
    return {
        "domaines": domaines,
        "date_debut": "26/02/2024",
        "date_fin": "22/07/2024",
        "duree_heures": "35",
        "formateur_nom": "Fabre",
        "formateur_prenom": "Lina",
        "formateur_email": "lina.fabre@of.example",
        **overrides,
    }


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


# --- Corrections and deletions (issue 17) -------------------------------------------------------------------------


def _training(api, pk, domaine, debut, fin, email="lina.fabre@of.example"):
    body = {
        "candidature": pk,
        "domaines": [domaine],
        "date_debut": debut,
        "date_fin": fin,
        "duree_heures": 35,
        "formateur_nom": "Fabre",
        "formateur_prenom": "Lina",
        "formateur_email": email,
    }
    answer = api.post("/api/v1/formation/", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _attest(api, formation_id, name="attestation.pdf"):
    answer = api.post(
        f"/api/v1/formation/{formation_id}/documents",
        data={"file": (io.BytesIO(PDF + name.encode()), name)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_a_training_is_corrected_and_deleted_from_the_candidate_page(app, as_user):
    pk, domaines = ids(app)
    client = as_user("etab.user")
    client.post(f"/candidatures/{pk}/formations", data=form([domaines[0]]))
    html = client.get(f"/candidatures/show/{pk}").get_data(as_text=True)
    assert "Corriger cette formation" in html and "Supprimer la formation" in html
    formation_id = int(html.split("/candidatures/formations/")[1].split("/")[0])
    assert 'value="22/07/2024"' in html and 'value="35"' in html  # the correction form shows the values
    corrected = client.post(
        f"/candidatures/formations/{formation_id}/corriger",
        data=form(domaines[:2], date_fin="30/07/2024", duree_heures="42,5", formateur_nom="Fabre-Martin"),
        follow_redirects=True,
    )
    text = page_text(corrected)
    assert "La formation est corrigée." in text and "Date de fin : 30/07/2024" in text and "42,5 h" in text
    assert "Fabre-Martin" in text and "Correction de la formation du 26/02/2024" in text
    refused = client.post(
        f"/candidatures/formations/{formation_id}/corriger",
        data={"date_debut": "26/02/2024", "date_fin": "01/01/2024", "duree_heures": "3", "domaines": [domaines[0]]},
        follow_redirects=True,
    )
    assert "La date de fin doit être postérieure ou égale à la date de début." in page_text(refused)
    gone = client.post(f"/candidatures/formations/{formation_id}/supprimer", follow_redirects=True)
    text = page_text(gone)
    assert "La formation et ses attestations sont supprimées." in text and "Aucune formation enregistrée." in text
    assert "Suppression de la formation du 26/02/2024 au 30/07/2024" in text
    # another network's training: 404
    assert as_user("etab2.user").post(f"/candidatures/formations/{formation_id}/supprimer").status_code == 404


def test_the_training_that_proves_the_next_evaluation_stays(app, api_as, as_user):
    from tests.test_evaluations import EVALUATEUR

    pk, domaines = ids(app)  # « En attente d'évaluation finale »: its préalable is finalised
    api = api_as("etab.user")
    (previous,) = api.get(f"/api/v1/evaluation/?q=(filters:!((col:candidature,opr:rel_o_m,value:{pk})))").get_json()[
        "result"
    ]
    day = previous["date_evaluation"]
    proof = _training(api, pk, domaines[0], day, day)
    attestation = _attest(api, proof)
    added = api.post("/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR})
    assert added.status_code == 201, added.get_json()
    shown = f"{day[8:10]}/{day[5:7]}/{day[:4]}"

    refused = api.delete(f"/api/v1/formation/{proof}")
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        f"Cette formation justifie l'évaluation qui a suivi celle du {shown} : elle ne peut pas être supprimée "
        "(corrigez-la si besoin)."
    )
    earlier = api.put(f"/api/v1/formation/{proof}", json={"date_debut": "2020-01-01", "date_fin": "2020-01-02"})
    assert earlier.status_code == 422
    assert f"elle doit se terminer le {shown} ou après." in earlier.get_json()["message"]["date_fin"][0]
    renamed = api.put(f"/api/v1/formation/{proof}", json={"formateur_nom": "Fabre-Martin"})
    assert renamed.status_code == 200 and renamed.get_json()["result"]["formateur_nom"] == "Fabre-Martin"
    page = as_user("etab.user").post(f"/candidatures/documents/{attestation}/supprimer", follow_redirects=True)
    assert f"Cette attestation prouve la formation suivie après l'évaluation du {shown}" in page_text(page)
    assert "attestation.pdf" in page_text(page)  # still there
    # a second attested training proves it as well: the first one may go
    second = _training(api, pk, domaines[1], day, day, email="paul.roy@of.example")
    _attest(api, second, "autre.pdf")
    assert api.delete(f"/api/v1/formation/{proof}").status_code == 200
    assert api.get(f"/api/v1/formation/{proof}").status_code == 404
