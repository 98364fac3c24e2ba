"""Test fixtures: one application per session (FAB's AppBuilder is a singleton), on SQLite by default or on
TEST_DATABASE_URL (PostgreSQL in CI). The schema comes from the migrations and the demo data is loaded once.

Every test then runs inside one transaction that is rolled back at its end: the test's connection is opened
and a transaction begun, Flask-SQLAlchemy's sessions are bound to that connection with
`join_transaction_mode="create_savepoint"`, so the application's `db.session.commit()` only releases a
SAVEPOINT (SQLAlchemy, "Joining a Session into an External Transaction"). The next test finds the demo again.

A test that cannot work inside that transaction — a live server or another thread using the database,
another connection (row locks, "another server"), an export prepared by `exports.preparer` (its progress goes
through its own connections) — is marked `@pytest.mark.committing`: it commits for real and the demo is
reloaded after it (`@pytest.mark.committing(reset="module")`: once, after the module's last test).
Two guards keep this honest: a transactional test that checks out another connection fails, naming the
marker; a real COMMIT outside a committing test (e.g. by a module-scoped fixture) is refused.

"Reloaded" is a restore: the demo is loaded once (sync_roles, load_demo) and its tables kept as a snapshot
(_Snapshot), which refills them after a committing test in a fraction of the loading's time
(tests/test_demo_snapshot.py checks it gives every row and the next identities back)."""

import contextlib
import io
import os
import re
import threading
import traceback

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from config import normalise_database_url

DEMO_PASSWORD = "Clea-demo-2026!"
# The tests log in some 700 times: scrypt as in production (config.py), with a cheaper work factor
# (N=2^10 instead of werkzeug's 2^15: ~1 ms a check instead of ~130 ms). test_security_basics checks both.
TEST_PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "clea-test.db")


class _State:
    """What the fixtures and the engine guards below share."""

    commits_allowed = True  # real COMMITs: while creating the schema and the demo, and in committing tests
    connection = None  # the running test's connection (its outer transaction is rolled back)
    thread = None  # the thread running that test: the only one that may use the connection
    strays: list = []  # other connections checked out while a test runs in its transaction
    dirty_module = False  # a committing(reset="module") test ran: reload the demo after the module
    snapshot = None  # the demo as first loaded (_Snapshot)


def _install_guards(engine):
    @event.listens_for(engine, "checkout")
    def _other_connection(dbapi_connection, connection_record, connection_proxy):
        if _State.connection is not None:
            where = "".join(traceback.format_stack(limit=12)[:-1])
            _State.strays.append(f"thread {threading.current_thread().name}:\n{where}")

    @event.listens_for(engine, "commit")
    def _real_commit(connection):
        if not _State.commits_allowed:
            raise RuntimeError(
                "COMMIT réel hors d'un test marqué @pytest.mark.committing : les données de "
                "démonstration ne seraient plus les mêmes pour les tests suivants."
            )


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from app import create_app
    from app.extensions import db

    flask_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "AUTH_RATE_LIMITED": False,
            "MAIL_SERVER": None,
            # Background tasks wait until the test runs them (app.tasks.run_pending), in its own thread.
            "TASKS_RUNNER": "manual",
            "SECRET_KEY": "tests-only-secret-key-long-enough-for-jwt-hmac",
            "PUBLIC_URL": "http://clea.test",
            "LOAD_DEMO_ON_EMPTY_DB": False,
            "FAB_PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
            # Figures computed afresh on every request (tests/test_performance.py turns the cache on).
            "STATS_CACHE_SECONDES": 0,
            # The consultation journal written at the end of each request, in its transaction (test_donnees.py
            # tries the batched writer).
            "CONSULTATIONS_ECRITURE_SECONDES": 0,
        }
    )
    with flask_app.app_context():
        _drop_everything(db)
        from flask_migrate import upgrade

        upgrade()
        _install_guards(db.engine)
        _honour_session_bind(db)
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


def _honour_session_bind(db):
    """Flask-SQLAlchemy's Session.get_bind always answers with its engine; while a test runs in its
    transaction the sessions are created with bind=<the test's connection>, which must win. Only the
    session class private to db.session's sessionmaker is changed (not Flask-SQLAlchemy's Session)."""
    session_class = db.session.session_factory.class_
    flask_sqlalchemy_get_bind = session_class.get_bind

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            if threading.current_thread() is not _State.thread:  # one connection is not for two threads
                _State.strays.append(
                    f"thread {threading.current_thread().name}:\n" + "".join(traceback.format_stack(limit=12)[:-1])
                )
            return self.bind
        return flask_sqlalchemy_get_bind(self, mapper, clause=clause, bind=bind, **kwargs)

    session_class.get_bind = get_bind
    # FAB asks `session.get_bind().name` (an Engine's dialect name) before paging a list: the test's Connection
    # answers the same.
    if not hasattr(Connection, "name"):
        Connection.name = property(lambda self: self.dialect.name)  # type: ignore[attr-defined]


# Seeded by the migrations themselves: kept when the demo data is reloaded.
MIGRATION_DATA = {"referentiel", "domaine", "sous_domaine", "valeur_liste", "bareme_redevance", "traitement"}


COUNTERS = "compteur_candidature"  # filled by a trigger on candidature


def _empty(db, conn):
    """Every table but Alembic's and the migrations' own data emptied (identities restarted)."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in MIGRATION_DATA]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            conn.execute(table.delete())
        # Deleting the files made the counters' trigger append their -1 rows: start the counters afresh.
        conn.execute(text(f"DELETE FROM {COUNTERS}"))


def reset_data(db):
    """Empty every table (but Alembic's and the migrations' own data) and load the demo data again."""
    from app.demo import load_demo
    from app.security.roles import sync_roles

    db.session.remove()
    with db.engine.begin() as conn:
        _empty(db, conn)
    sync_roles()
    load_demo()
    db.session.remove()


@contextlib.contextmanager
def _copy_allowed(dialect):
    """psycopg2 refuses COPY under a wait callback (app/database.py's statement limit): none while copying."""
    if dialect != "postgresql":
        yield
        return
    from psycopg2 import extensions

    callback = extensions.get_wait_callback()
    extensions.set_wait_callback(None)
    try:
        yield
    finally:
        extensions.set_wait_callback(callback)


class _Snapshot:
    """The tables reset_data empties, as they are once the demo is loaded: after a committing test they are
    emptied and filled again from it (SQLite ~0.02 s, PostgreSQL ~1 s: its TRUNCATE) instead of running
    sync_roles and load_demo again (several seconds). Raw rows, through the driver: COPY on PostgreSQL, the
    stored values on SQLite."""

    def __init__(self, db):
        self.dialect = db.engine.dialect.name
        self.tables = [t.name for t in db.metadata.sorted_tables if t.name not in MIGRATION_DATA]
        assert COUNTERS in self.tables
        self.rows: dict = {}
        self.sequences: list = []
        with db.engine.begin() as conn, _copy_allowed(self.dialect):
            cursor = conn.connection.driver_connection.cursor()
            for name in self.tables:
                if self.dialect == "postgresql":
                    data = io.BytesIO()
                    cursor.copy_expert(f'COPY "{name}" TO STDOUT', data)
                    self.rows[name] = data.getvalue()
                else:
                    cursor.execute(f'SELECT * FROM "{name}"')
                    self.rows[name] = (len(cursor.description), cursor.fetchall())
            if self.dialect == "postgresql":
                # The tables' own sequences (TRUNCATE … RESTART IDENTITY reset them, load_demo moved them on).
                cursor.execute(
                    "SELECT s.relname, t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                    "AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
                    "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'"
                )
                for sequence, table in cursor.fetchall():
                    if table in self.rows:
                        cursor.execute(f'SELECT last_value, is_called FROM "{sequence}"')
                        self.sequences.append((sequence, *cursor.fetchone()))
            else:
                cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
                assert cursor.fetchone() is None, "AUTOINCREMENT : sqlite_sequence à restaurer aussi"
            cursor.close()

    def restore(self, db):
        db.session.remove()
        with db.engine.begin() as conn, _copy_allowed(self.dialect):
            cursor = conn.connection.driver_connection.cursor()
            # Emptied as reset_data empties them: on PostgreSQL a TRUNCATE gives each table new files, so that the
            # rows come back in the order they were first written (DELETE, faster, left the freed space to be
            # reused: two tests reading rows without ORDER BY saw them in another order).
            _empty(db, conn)
            for name in self.tables:
                if name == COUNTERS:
                    continue
                if self.dialect == "postgresql":
                    cursor.copy_expert(f'COPY "{name}" FROM STDIN', io.BytesIO(self.rows[name]))
                else:
                    width, rows = self.rows[name]
                    cursor.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * width)})', rows)
            # Inserting the files made the counters' trigger add their +1 rows: the counters as they were (after
            # the files, the trigger's rows would otherwise take their identities).
            cursor.execute(f"{'TRUNCATE' if self.dialect == 'postgresql' else 'DELETE FROM'} {COUNTERS}")
            if self.dialect == "postgresql":
                cursor.copy_expert(f"COPY {COUNTERS} FROM STDIN", io.BytesIO(self.rows[COUNTERS]))
                for sequence, last_value, is_called in self.sequences:
                    cursor.execute("SELECT setval(%s, %s, %s)", (f'"{sequence}"', last_value, is_called))
            else:
                width, rows = self.rows[COUNTERS]
                cursor.executemany(f"INSERT INTO {COUNTERS} VALUES ({', '.join('?' * width)})", rows)
            cursor.close()
        db.session.remove()


def _reload_demo(app):
    from app.extensions import db

    allowed, _State.commits_allowed = _State.commits_allowed, True
    try:
        with app.app_context():
            if _State.snapshot is None:
                reset_data(db)
                _State.snapshot = _Snapshot(db)
            else:
                _State.snapshot.restore(db)
    finally:
        _State.commits_allowed = allowed


@pytest.fixture(scope="session")
def demo_data(app):
    """The demo data, loaded once for the whole session (each test's changes are rolled back; a committing
    test's, undone from the snapshot taken then)."""
    _reload_demo(app)
    yield


def _committing(item):
    marker = item.get_closest_marker("committing")
    if marker is None:
        return None
    reset = marker.kwargs.get("reset", "test")
    assert reset in ("test", "module"), f"committing(reset={reset!r}): 'test' ou 'module'"
    return reset


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before any fixture of the test (a module-scoped live server logs in, hence commits, in its setup).
    _State.commits_allowed = _committing(item) is not None


@pytest.fixture(scope="module", autouse=True)
def _reload_after_module(app):
    yield
    if _State.dirty_module:
        _reload_demo(app)
        _State.dirty_module = False


@pytest.fixture(autouse=True)
def _database(request, app, demo_data):
    """Each test in a transaction rolled back at its end; or, for a committing test, real commits then the
    demo reloaded."""
    from app import tasks

    tasks.forget_pending()  # what a previous test queued and did not run is not this test's
    reset = _committing(request.node)
    if _State.dirty_module and reset != "module":  # the module mixes both kinds: start from the demo
        _reload_demo(app)
        _State.dirty_module = False
    if reset is None:
        yield from _in_rolled_back_transaction(app)
        return
    yield
    if reset == "test":
        _reload_demo(app)
    else:
        _State.dirty_module = True


def _in_rolled_back_transaction(app):
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        engine = db.engine
    connection = engine.connect()
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # pysqlite would begin (and end) transactions on its own, which breaks SAVEPOINTs: autocommit mode for
        # the driver, and the BEGIN said here (SQLAlchemy's documented recipe, "Serializable isolation").
        connection.connection.driver_connection.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    factory = db.session.session_factory
    saved = dict(factory.kw)
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    _State.connection, _State.thread, _State.strays = connection, threading.current_thread(), []
    try:
        yield
    finally:
        _State.connection = _State.thread = None
        with app.app_context():
            db.session.remove()
        factory.kw.clear()
        factory.kw.update(saved)
        outer.rollback()
        if sqlite:
            connection.connection.driver_connection.isolation_level = ""
        connection.close()
    strays = _State.strays
    assert not strays, (
        f"{len(strays)} autre(s) connexion(s) à la base pendant un test exécuté dans une "
        "transaction annulée (serveur, fil d'exécution, db.engine.begin()…) : marquer le test "
        "@pytest.mark.committing.\n" + "\n".join(strays[:3])
    )


@pytest.fixture(scope="session")
def demo_database_template(tmp_path_factory):
    """A database of its own (not the session's), brought to the head revision by `flask db upgrade` then given the
    demo by `flask clea demo`, once: tests/test_migrations.py's demo_database_url hands each test a copy of it (a
    file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL) instead of two subprocesses per test."""
    from tests.test_migrations import new_database, run_ok

    with new_database(tmp_path_factory) as url:
        run_ok(url, "upgrade")
        run_ok(url, "demo", group="clea")
        yield url


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
    response = client.post(
        "/api/v1/security/login", json={"username": username, "password": password, "provider": "db", "refresh": True}
    )
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


SAVEPOINT_RE = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


def is_savepoint(statement: str) -> bool:
    """A SAVEPOINT statement: only the tests' rolled-back transaction sends them (the application's commits
    become SAVEPOINT releases there), so a test counting the application's queries leaves them out."""
    return bool(SAVEPOINT_RE.match(statement))


def demo(model, **lookup):
    """A demo record by natural key (inside an app context)."""
    from sqlalchemy import select

    from app.extensions import db

    return db.session.execute(select(model).filter_by(**lookup)).scalars().one()
