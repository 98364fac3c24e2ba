"""API login and error answers in French; security headers; password hashing."""

from config import Config
from tests.conftest import TEST_PASSWORD_HASH_METHOD, demo


def test_passwords_are_stored_with_scrypt(ctx):
    """Production hashes with werkzeug's scrypt and its default cost; the tests use scrypt with a lower cost
    (conftest.TEST_PASSWORD_HASH_METHOD), which the demo accounts are stored with."""
    from app.models import Utilisateur

    assert Config.FAB_PASSWORD_HASH_METHOD == "scrypt"
    assert ctx.config["FAB_PASSWORD_HASH_METHOD"] == TEST_PASSWORD_HASH_METHOD
    assert demo(Utilisateur, username="org.admin").password.startswith("scrypt:1024:8:1$")


def test_api_login_errors_are_french(client):
    bad = client.post("/api/v1/security/login", json={"username": "x", "password": "y", "provider": "db"})
    assert bad.status_code == 401
    assert bad.get_json()["message"] == "Identifiant ou mot de passe incorrect, ou compte désactivé."
    missing = client.post("/api/v1/security/login", json={"username": "x"})
    assert missing.status_code == 400
    assert "Ce champ est obligatoire." in str(missing.get_json()["message"])
    not_json = client.post("/api/v1/security/login", data="x")
    assert not_json.status_code == 400
    assert not_json.get_json()["message"] == "Le corps de la requête doit être un objet JSON."


def test_api_without_token_is_401_in_french(client):
    response = client.get("/api/v1/organisme/")
    assert response.status_code == 401
    assert response.get_json()["message"] == "Authentification requise."


def test_security_headers_and_cookie_flags(as_user):
    response = as_user("org.admin").get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_unknown_page_is_a_french_404(as_user):
    response = as_user("org.admin").get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_pages_answers_and_files_with_personal_data_are_never_stored(app, as_user, api):
    """issue 11: no browser or proxy keeps a page, an API answer or a file; static assets stay cacheable."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Candidature

    with app.app_context():
        pk = db.session.execute(
            select(Candidature.id).where(Candidature.statut == "attente_evaluation_finale")
        ).scalar()
    ui = as_user("certifpro")
    for response in (
        ui.get(f"/candidatures/show/{pk}"),
        ui.get(f"/candidatures/{pk}/fiche.pdf"),
        api("certifpro").get(f"/api/v1/candidature/{pk}"),
        ui.get("/login/"),
    ):
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    static = ui.get("/static/appbuilder/css/ab.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"
