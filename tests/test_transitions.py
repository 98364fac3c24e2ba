"""Abandon, réintégration and deletion of a candidate file (guide §7), UI and API."""

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Candidature, Etablissement
from tests.conftest import demo, page_text
from tests.test_api_candidatures import body


def create(app, api_as, nom):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    response = api_as("etab.user").post("/api/v1/candidature/", json=body(etab_id, nom_naissance=nom))
    assert response.status_code == 201
    return response.get_json()["id"]


def test_abandon_needs_a_motif_then_reintegration_restores_the_status(app, as_user, api_as):
    pk = create(app, api_as, "Abandon")
    client = as_user("etab.user")
    page = page_text(client.get(f"/candidatures/show/{pk}"))
    assert "Abandonner" in page and "Confirmer l'abandon" in page and "Réintégrer" not in page
    missing = client.post(f"/candidatures/{pk}/abandonner", data={"motif": ""}, follow_redirects=True)
    assert "Le motif d'abandon est obligatoire." in page_text(missing)
    other = client.post(f"/candidatures/{pk}/abandonner", data={"motif": "Autre"}, follow_redirects=True)
    assert "Précisez le motif d'abandon." in page_text(other)
    done = client.post(f"/candidatures/{pk}/abandonner", data={"motif": "Raisons de santé"}, follow_redirects=True)
    text = page_text(done)
    assert "La candidature est abandonnée." in text and "motif : Raisons de santé" in text
    assert "Candidature abandonnée" in text and "Réintégrer" in text
    # A second abandon (double click, another user) is refused, UI and API.
    twice = client.post(f"/candidatures/{pk}/abandonner", data={"motif": "Raisons de santé"}, follow_redirects=True)
    assert "n'est pas possible pour une candidature au statut « Candidature abandonnée »" in page_text(twice)
    api = api_as("etab.user").post(f"/api/v1/candidature/{pk}/abandonner", json={"motif": "Raisons de santé"})
    assert api.status_code == 409
    back = api_as("org.admin").post(f"/api/v1/candidature/{pk}/reintegrer")
    assert back.status_code == 200 and back.get_json()["result"]["statut"] == "attente_evaluation_prealable"
    with app.app_context():
        labels = (
            db.session.execute(
                select(AuditLog.libelle)
                .where(AuditLog.entity_type == "Candidature", AuditLog.entity_id == pk)
                .order_by(AuditLog.id)
            )
            .scalars()
            .all()
        )
        assert labels == ["Création de la candidature", "Abandon de la candidature", "Réintégration de la candidature"]


def test_outside_the_perimeter_is_404_and_a_profile_without_rights_is_refused(app, as_user, api_as):
    pk = create(app, api_as, "Perimetre")
    assert (
        as_user("etab2.user").post(f"/candidatures/{pk}/abandonner", data={"motif": "Déménagement"}).status_code == 404
    )
    assert (
        api_as("org2.admin").post(f"/api/v1/candidature/{pk}/abandonner", json={"motif": "Déménagement"}).status_code
        == 404
    )
    # Perimeter first (issue 11): a file the certifier does not see is 404 even for an action it has no right to …
    assert api_as("certif.idf").post(f"/api/v1/candidature/{pk}/reintegrer").status_code == 404
    # … and inside the perimeter, a profile without the event's right gets 403 whatever the body.
    refused = api_as("etab.user").post(f"/api/v1/candidature/{pk}/decision", json={"decision": ["x"]})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Vous n'avez pas les droits nécessaires pour cette action."


def test_delete_only_before_any_evaluation(app, as_user, api_as):
    pk = create(app, api_as, "Supprime")
    client = as_user("etab.user")
    assert "Supprimer" in page_text(client.get(f"/candidatures/show/{pk}"))
    with app.app_context():
        c = db.session.get(Candidature, pk)
        c.date_evaluation_prealable = c.created_at.date()
        db.session.commit()
    refused = client.post(f"/candidatures/{pk}/supprimer", follow_redirects=True)
    assert "elle ne peut plus être supprimée" in page_text(refused)
    with app.app_context():
        c = db.session.get(Candidature, pk)
        c.date_evaluation_prealable = None
        db.session.commit()
    done = client.post(f"/candidatures/{pk}/supprimer", follow_redirects=True)
    assert "La candidature est supprimée." in page_text(done)
    with app.app_context():
        assert db.session.get(Candidature, pk) is None


def test_abandoned_list_and_its_30_day_export(app, as_user, api_as):
    import io

    from openpyxl import load_workbook

    pk = create(app, api_as, "Exporte")
    api_as("etab.user").post(f"/api/v1/candidature/{pk}/abandonner", json={"motif": "Déménagement"})
    client = as_user("org.admin")
    listing = page_text(client.get("/candidatures-abandonnees/list/"))
    assert "Exporte Ada" in listing and "Déménagement" in listing
    assert "Export des dossiers abandonnés sur 30 jours" in listing
    assert "Moreau Camille" not in listing  # not abandoned
    response = client.get("/candidatures-abandonnees/export")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="dossiers-abandonnes-')
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("Numéro de dossier", "Nom de naissance", "Nom d'usage", "Prénom")
    names = [r[1] for r in rows[1:]]
    assert "Exporte" in names and "Blanchard" in names  # the demo file abandoned 5 days ago
    # Network B's abandoned files are not in network A's export.
    assert all(r[5] != "Compétences Méditerranée Marseille" for r in rows[1:])
    other = load_workbook(io.BytesIO(as_user("org2.admin").get("/candidatures-abandonnees/export").data)).active
    assert "Exporte" not in [r[1] for r in list(other.values)[1:]]
