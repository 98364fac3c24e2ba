"""Background work (issue 12): the platform's tasks run on Celery, or in the web process when no broker is set.

- `celery_app` holds the task definitions (app/tasks/jobs.py) and, once `init_app` ran, the settings of the
  Flask application: broker from CELERY_BROKER_URL, late acknowledgement (a task whose worker dies is given to
  another one), one task at a time per worker process, the periodic schedule `celery beat` runs.
- `enqueue(name, *args)` is how services ask for background work, after their commit. TASKS_RUNNER decides:
  « celery » (a broker is configured: the task goes to the queue), « embedded » (no broker, `python run.py`: the
  same task runs in a background thread of this process, never in the request), « manual » (tests: the task
  waits until `run_pending()`).
Every task is safe to run twice or on two workers at once: the database guarantees (row locks, claims) stay.
"""

from __future__ import annotations

import logging

from celery import Celery, Task
from celery.schedules import crontab
from flask import current_app

from app.tasks import embedded

log = logging.getLogger(__name__)

CELERY, EMBEDDED, MANUAL = "celery", "embedded", "manual"


class AppContextTask(Task):
    """A task runs inside the Flask application's context, with its own database session."""

    abstract = True

    def __call__(self, *args, **kwargs):
        flask_app = self.app.conf.get("flask_app")
        if flask_app is None:
            raise RuntimeError("Celery n'est pas relié à l'application Flask (app.tasks.init_app).")
        from app.extensions import db

        with flask_app.app_context():
            try:
                return self.run(*args, **kwargs)
            finally:
                db.session.remove()


celery_app = Celery("clea", task_cls=AppContextTask)

SCHEDULE: dict = {}


def schedule(config) -> dict:
    """The periodic work `celery beat` runs (the embedded runner follows the same table)."""
    return {
        "envoyer-mails": {"task": "clea.envoyer_mails", "schedule": float(config["MAIL_BALAYAGE_SECONDES"])},
        "reprendre-exports": {"task": "clea.reprendre_exports", "schedule": float(config["EXPORT_BALAYAGE_SECONDES"])},
        "reprendre-imports": {"task": "clea.reprendre_imports", "schedule": 60.0},
        "travaux-quotidiens": {"task": "clea.quotidien", "schedule": crontab(hour=2, minute=15)},
    }


def init_app(app) -> Celery:
    runner = app.config["TASKS_RUNNER"]
    if runner not in (CELERY, EMBEDDED, MANUAL):
        raise ValueError(f"TASKS_RUNNER inconnu : {runner!r} (celery, embedded ou manual).")
    celery_app.conf.update(
        flask_app=app,
        broker_url=app.config.get("CELERY_BROKER_URL") or "memory://",
        broker_connection_retry_on_startup=True,
        # A request must not wait for a broker that is down: one quick try, then the periodic sweep recovers.
        broker_connection_timeout=2,
        broker_transport_options={"visibility_timeout": 3600, "max_retries": 1},
        task_publish_retry=False,
        task_ignore_result=True,
        task_default_queue=app.config.get("CELERY_QUEUE", "clea"),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone=app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"),
        beat_schedule=schedule(app.config),
    )

    SCHEDULE.clear()
    SCHEDULE.update(schedule(app.config))

    app.extensions["celery"] = celery_app
    if runner == EMBEDDED:
        # The threads start with the first request of each web process (threads do not survive gunicorn's fork).
        app.before_request(lambda: start_embedded(app))
    return celery_app


def start_embedded(app) -> None:
    """The embedded runner's threads for this process (`python run.py`, or a web server without a broker)."""
    embedded.start(app, run, SCHEDULE if app.config.get("TASKS_EMBEDDED_SCHEDULE", True) else None)


_manual: list[tuple[str, tuple]] = []


def enqueue(name: str, *args) -> None:
    """Ask for `name(*args)` in the background. Never fails the caller: what could not be queued is picked up by
    the periodic sweeps (the outbox and the exports waiting in the database are the source of truth)."""
    runner = current_app.config["TASKS_RUNNER"]
    if runner == MANUAL:
        _manual.append((name, args))
        return
    if runner == EMBEDDED:
        start_embedded(current_app._get_current_object())  # type: ignore[attr-defined]  # the proxied app
        embedded.submit(name, args)
        return
    try:
        celery_app.send_task(name, args=args, queue=current_app.config["CELERY_QUEUE"])
    except Exception:  # noqa: BLE001 - broker down: the sweep of the next minute does it
        log.warning("File d'attente indisponible : %s%r sera repris par le balayage périodique", name, args)


def run(name: str, *args):
    """Run a task now, in this thread (the embedded runner, the tests, the CLI)."""
    return celery_app.tasks[name].apply(args=args).get()


def run_pending() -> int:
    """Tests (TASKS_RUNNER « manual »): run what was enqueued, in order, including what those tasks enqueue."""
    done = 0
    while _manual:
        name, args = _manual.pop(0)
        run(name, *args)
        done += 1
    return done


def forget_pending() -> None:
    _manual.clear()
