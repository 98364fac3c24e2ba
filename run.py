"""Entry point. `python run.py` migrates the database, loads the demo data on an empty one and serves
http://127.0.0.1:5000 (PORT overrides). `app` is what gunicorn and `flask --app run` use."""

import os

from app import create_app

app = create_app()


def prepare_database(flask_app) -> None:
    from flask_migrate import upgrade

    from app.cli import database_is_empty
    from app.demo import load_demo
    from app.security.roles import sync_roles

    with flask_app.app_context():
        empty = database_is_empty()
        upgrade()
        sync_roles()
        if empty and flask_app.config["LOAD_DEMO_ON_EMPTY_DB"]:
            load_demo()
            print("Base vide : données de démonstration chargées (mot de passe des comptes : Clea-demo-2026!).")


if __name__ == "__main__":
    prepare_database(app)
    if app.config["TASKS_RUNNER"] == "embedded" and (
        os.environ.get("FLASK_DEBUG") != "1" or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    ):
        from app.tasks import start_embedded

        start_embedded(app)  # mails, exports and the daily work, in the background of this process
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        debug=os.environ.get("FLASK_DEBUG") == "1",
    )
