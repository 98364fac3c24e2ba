"""Migrations up and down (quality.md "Reliability"): on the test database's engine (SQLite by default,
PostgreSQL when TEST_DATABASE_URL is set) but in a database of their own, so that the session's schema is
never touched: a temporary SQLite file, or a temporary PostgreSQL database on the same server.

The Alembic commands run in a subprocess (`python -m flask --app run db …` with DATABASE_URL pointing at the
temporary database) because the application, and FAB's AppBuilder with it, can be created only once per
process.
"""

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text

from config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


@contextmanager
def new_database(tmp_path_factory, template=None):
    """A fresh database on the test database's engine — empty, or a copy of `template` (a URL this gives) —
    dropped afterwards."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path_factory.mktemp("migrations") / "clea-migrations.db"
        if template:
            shutil.copyfile(make_url(template).database, path)
        yield "sqlite:///" + str(path)
        return
    import psycopg2

    server = make_url(normalise_database_url(server_url))
    assert server.get_backend_name() == "postgresql", f"TEST_DATABASE_URL non géré : {server_url}"
    name = f"clea_mig_{uuid.uuid4().hex[:12]}"
    admin = {
        "host": server.host,
        "port": server.port,
        "user": server.username,
        "password": server.password,
        "dbname": server.database or "postgres",
    }
    admin = {key: value for key, value in admin.items() if value is not None}

    def execute(sql):
        connection = psycopg2.connect(**admin)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(tmp_path_factory):
    """A fresh, empty database on the test database's engine, for each test; dropped afterwards."""
    with new_database(tmp_path_factory) as url:
        yield url


@pytest.fixture
def demo_database_url(tmp_path_factory, demo_database_template):
    """A fresh database at the head revision with the demo loaded (`flask db upgrade` then `flask clea demo` on an
    empty one, done once for the session: tests/conftest.py's demo_database_template), for each test; dropped
    afterwards."""
    with new_database(tmp_path_factory, template=demo_database_template) as url:
        yield url


def flask_db(database_url, *args, group="db"):
    """`python -m flask --app run db <args>` on the temporary database; returns the completed process."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "migrations-test-secret",
        "LOAD_DEMO_ON_EMPTY_DB": "0",
        "RATELIMIT_STORAGE_URI": "memory://",
        "FLASK_DEBUG": "0",
    }
    env.pop("FLASK_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", group, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_ok(database_url, *args, group="db"):
    result = flask_db(database_url, *args, group=group)
    assert result.returncode == 0, (
        f"flask db {' '.join(args)} a échoué ({result.returncode}) :\n{result.stdout}\n{result.stderr}"
    )
    return result


def tables(database_url):
    engine = create_engine(normalise_database_url(database_url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def scalar(database_url, sql):
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def script_heads():
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture(scope="module")
def model_tables(app):
    """Every table the models declare (FAB's security tables and ours)."""
    from app.extensions import db

    names = set(db.metadata.tables)
    assert {"ab_user", "ab_role", "organisme", "etablissement", "candidature"} <= names
    return names


def test_one_head_only():
    heads = script_heads()
    assert len(heads) == 1, f"plusieurs têtes de migration, à fusionner : {heads}"


def test_upgrade_downgrade_upgrade(database_url, model_tables):
    assert tables(database_url) == set()
    (head,) = script_heads()

    run_ok(database_url, "upgrade")
    created = tables(database_url)
    assert model_tables <= created, f"tables des modèles absentes après upgrade : {model_tables - created}"
    assert created - model_tables == {"alembic_version"}, f"tables en trop : {created - model_tables}"
    assert scalar(database_url, "SELECT version_num FROM alembic_version") == head
    # The migrations seed the référentiels CléA and the lists of values (referentiels.md).
    assert scalar(database_url, "SELECT COUNT(*) FROM referentiel") >= 2
    seeded = scalar(database_url, "SELECT COUNT(*) FROM sous_domaine")
    assert seeded > 0

    run_ok(database_url, "downgrade", "base")
    assert tables(database_url) <= {"alembic_version"}, (
        f"tables restantes après downgrade base : {tables(database_url) - {'alembic_version'}}"
    )
    if "alembic_version" in tables(database_url):
        assert scalar(database_url, "SELECT COUNT(*) FROM alembic_version") == 0

    run_ok(database_url, "upgrade")
    assert model_tables <= tables(database_url)
    assert scalar(database_url, "SELECT version_num FROM alembic_version") == head
    assert scalar(database_url, "SELECT COUNT(*) FROM sous_domaine") == seeded, "données des migrations en double"


def test_models_and_migrations_agree(demo_database_url):
    """`flask db check` (Alembic autogenerate) finds nothing to migrate once the database is at head (`flask db
    upgrade` from an empty database, then the demo)."""
    result = flask_db(demo_database_url, "check")
    assert result.returncode == 0, (
        f"les modèles diffèrent des migrations (il manque une migration) :\n{result.stdout}\n{result.stderr}"
    )
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_a_migration_that_rebuilds_a_table_keeps_the_rows_pointing_at_it(demo_database_url):
    """SQLite's batch mode copies `evaluation`, drops it and renames the copy: with foreign keys enforced, the drop
    cascaded to every evaluation's results (504 of the demo's results were lost). migrations/env.py turns them off
    for the migration and checks the references afterwards. (The database: upgraded to head, then the demo.)"""
    database_url = demo_database_url
    results = scalar(database_url, "SELECT COUNT(*) FROM resultat_evaluation")
    assert results > 0
    run_ok(database_url, "downgrade", "b6_import_arriere_plan")  # b7's downgrade rebuilds `evaluation` on SQLite
    assert scalar(database_url, "SELECT COUNT(*) FROM resultat_evaluation") == results
    run_ok(database_url, "upgrade")  # and its upgrade too
    assert scalar(database_url, "SELECT COUNT(*) FROM resultat_evaluation") == results
