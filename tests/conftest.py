"""Test fixtures: one application per session (FAB's AppBuilder is a singleton), on SQLite by default or on
TEST_DATABASE_URL (PostgreSQL in CI). The schema comes from the migrations; the demo data is reloaded for
each test module so that modules never see each other's changes."""
import os
import re

import pytest
from sqlalchemy import text

from config import normalise_database_url

DEMO_PASSWORD = "Clea-demo-2026!"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "clea-test.db")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from app import create_app
    from app.extensions import db
    flask_app = create_app({
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False,
        "MAIL_SERVER": None, "SECRET_KEY": "tests-only-secret-key-long-enough-for-jwt-hmac", "PUBLIC_URL": "http://clea.test",
        "LOAD_DEMO_ON_EMPTY_DB": False,
    })
    with flask_app.app_context():
        _drop_everything(db)
        from flask_migrate import upgrade
        upgrade()
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_everything(db):
    """A TEST_DATABASE_URL may hold a previous run's tables: start from nothing."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


# Seeded by the migrations themselves: kept between modules.
MIGRATION_DATA = {"referentiel", "domaine", "sous_domaine", "valeur_liste", "bareme_redevance"}


def reset_data(db):
    """Empty every table (but Alembic's and the migrations' own data) and load the demo data again."""
    from app.demo import load_demo
    from app.security.roles import sync_roles
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in MIGRATION_DATA]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join('"%s"' % t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    sync_roles()
    load_demo()
    db.session.remove()


@pytest.fixture(scope="module", autouse=True)
def demo_data(app):
    """Fresh demo data for every test module."""
    from app.extensions import db
    with app.app_context():
        reset_data(db)
    yield


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username, password=DEMO_PASSWORD):
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, f"login {username} failed"
    return client


@pytest.fixture
def as_user(app):
    """as_user("org.admin") → a test client logged in with that demo account."""
    def make(username):
        return login(app.test_client(), username)
    return make


def api_token(client, username, password=DEMO_PASSWORD):
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db", "refresh": True})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


class ApiClient:
    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        def call(url, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(url, headers=headers, **kwargs)
        return call


@pytest.fixture
def api_as(app):
    """api_as("certifpro").get("/api/v1/organisme/") with a bearer token."""
    def make(username):
        client = app.test_client()
        return ApiClient(client, api_token(client, username))
    return make


@pytest.fixture(scope="module")
def api(app):
    """Like api_as, one logged-in bearer client per login for the whole module (saves a login per test)."""
    clients = {}

    def make(username):
        if username not in clients:
            client = app.test_client()
            clients[username] = ApiClient(client, api_token(client, username))
        return clients[username]
    return make


def page_text(response) -> str:
    """What a person reads on the page (tags, scripts and extra spaces removed)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").strip()


def demo(model, **lookup):
    """A demo record by natural key (inside an app context)."""
    from app.extensions import db
    from sqlalchemy import select
    return db.session.execute(select(model).filter_by(**lookup)).scalars().one()
