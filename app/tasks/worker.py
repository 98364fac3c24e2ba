"""Entry point of the Celery processes: `celery -A app.tasks.worker worker` and `celery -A app.tasks.worker beat`.
The Flask application is built once per process, from the same environment as the web servers."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
