"""« Envoyer en certification » and « Annuler l'envoi » (domain.md §4.1)."""

import threading

import pytest
from sqlalchemy import select

from app.domain import statuts
from app.extensions import db
from app.models import Candidature, Notification, Utilisateur
from tests.conftest import demo, page_text


def a_envoyer(app, numero):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def test_send_routes_to_the_regional_transitions_pro_then_cancel(app, as_user, api_as):
    pk = a_envoyer(app, "2026000003")  # A1-1, Île-de-France, « À envoyer en certification »
    client = as_user("etab.user")
    assert "Envoyer en certification" in page_text(client.get(f"/candidatures/show/{pk}"))
    done = client.post(f"/candidatures/{pk}/envoyer", follow_redirects=True)
    text = page_text(done)
    assert "envoyée en certification" in text and "En attente de jury" in text
    assert "Candidature envoyée en certification le" in text
    with app.app_context():
        c = db.session.get(Candidature, pk)
        assert c.certificateur.nom == "Transitions Pro Île-de-France" and c.statut == statuts.ATTENTE_JURY
        certifier = demo(Utilisateur, username="certif.idf")
        assert db.session.execute(
            select(Notification.rubrique).where(Notification.user_id == certifier.id)
        ).scalars().all() == ["Envoi en certification"]
    # The certifier now sees the file; the OF cannot send it twice, nor cancel.
    assert as_user("certif.idf").get(f"/candidatures/show/{pk}").status_code == 200
    again = api_as("etab.user").post(f"/api/v1/candidature/{pk}/envoyer_certification")
    assert again.status_code == 409 and "En attente de jury" in again.get_json()["message"]
    assert api_as("org.admin").post(f"/api/v1/candidature/{pk}/annuler_envoi").status_code == 403
    cancel = api_as("reseau.admin").post(f"/api/v1/candidature/{pk}/annuler_envoi")
    assert cancel.status_code == 200 and cancel.get_json()["result"]["statut"] == "a_envoyer_certification"
    assert as_user("certif.idf").get(f"/candidatures/show/{pk}").status_code == 404


def test_contextualised_socle_goes_to_the_branch_and_thin_objectives_are_flagged(app, api_as):
    pk = a_envoyer(app, "2026000013")  # B1-1
    with app.app_context():
        c = db.session.get(Candidature, pk)
        c.statut_inscription, c.branche, c.socle_contextualise = "Salarié", "Industrie de l'habillement", True
        c.siren_employeur, c.objectifs_professionnels = "732829320", "Court."
        db.session.commit()
    response = api_as("org2.admin").post(f"/api/v1/candidature/{pk}/envoyer_certification")
    assert response.status_code == 200
    assert "peu renseignés" in response.get_json()["avertissements"][0]
    with app.app_context():
        assert db.session.get(Candidature, pk).certificateur.nom == "Industrie de l'habillement"


def sends(app, pk) -> int:
    from app.models import AuditLog

    with app.app_context():
        return len(
            db.session.execute(
                select(AuditLog.id).where(
                    AuditLog.entity_type == "Candidature",
                    AuditLog.entity_id == pk,
                    AuditLog.libelle == "Envoi en certification",
                )
            ).all()
        )


@pytest.mark.committing  # two threads, two connections: a real row lock / version check between them
def test_two_simultaneous_sends_make_exactly_one(app, api_as):
    """A row lock on PostgreSQL, the version check on SQLite: one send, the other gets a French 409."""
    pk = a_envoyer(app, "2026000003")
    before = sends(app, pk)
    clients = [api_as("etab.user"), api_as("org.admin")]
    results = []

    def send(client):
        results.append(client.post(f"/api/v1/candidature/{pk}/envoyer_certification").status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409], results
    assert sends(app, pk) == before + 1  # exactly one send recorded
