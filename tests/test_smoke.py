"""The platform starts on the migrated schema with its demo data, and each demo account logs in."""

import pytest

from tests.conftest import page_text

DEMO_LOGINS = [
    "certifpro",
    "certif.idf",
    "reseau.admin",
    "reseau.superviseur",
    "org.admin",
    "org.user",
    "etab.admin",
    "etab.user",
    "reseau2.admin",
    "org2.admin",
    "etab2.user",
]


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_each_demo_account_reaches_its_dashboard(as_user, username):
    response = as_user(username).get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Tableau de bord - Plateforme de gestion des certificats CléA" in text
    assert "Déconnexion" in text and "Mon profil" in text


def test_wrong_password_is_refused_in_french(client):
    response = client.post("/login/", data={"username": "org.admin", "password": "mauvais"}, follow_redirects=True)
    assert "Identifiant ou mot de passe incorrect" in page_text(response)
