"""Plateforme CléA back-office: the application factory."""

import logging
import os

from flask import Flask

from app.extensions import appbuilder, cache, db, mail, migrate
from config import https_cookies

log = logging.getLogger(__name__)
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    from config import CONFIGS

    app.config.from_object(CONFIGS.get(os.environ.get("CLEA_CONFIG", "default"), "config.Config"))
    if overrides:
        app.config.update(overrides)
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind N reverse proxies: the client's address (per-address login limits) is read from X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # The access matrix is the only source of roles; FAB never creates tables (migrations do).
    app.config["FAB_CREATE_DB"] = False
    app.config["FAB_UPDATE_PERMS"] = False
    https_cookies(app.config)  # Secure cookies when PUBLIC_URL is https://
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(os.path.dirname(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]) or ".", exist_ok=True)

    from app import request_ids

    request_ids.install(app)  # first: every later hook and log line of a request carries its id
    from app.database import install_timeouts

    install_timeouts(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    mail.init_app(app)
    cache.init_app(app)
    from app import tasks
    from app.tasks import jobs  # noqa: F401  (registers the tasks; the services, which enqueue them, never import it)

    tasks.init_app(app)

    with app.app_context():
        from app import models  # noqa: F401  (registers every table in the metadata)
        from app.services import audit

        audit.install(db.session)
        appbuilder.init_app(app, db.session)
        from app.views import register_views

        register_views(appbuilder)
        from app.api import register_apis

        register_apis(appbuilder)
        from app import checks

        checks.run(appbuilder)

    from app import web

    web.install(app)
    from app.cli import clea

    app.cli.add_command(clea)
    return app
