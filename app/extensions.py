"""The shared extension objects, created once and bound to the app by create_app()."""

import sqlite3

from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla import Model
from flask_caching import Cache
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.domain import tri

# Flask-SQLAlchemy shares FAB's declarative base so that FAB's security tables and ours
# live in one metadata (one set of migrations).
db = SQLAlchemy(model_class=Model)
migrate = Migrate()
mail = Mail()
cache = Cache()  # STATS figures (config: CACHE_TYPE, STATS_CACHE_SECONDES)
appbuilder = AppBuilder(update_perms=True)


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record):
    """SQLite ignores foreign keys unless asked, per connection: the embedded default must refuse what
    PostgreSQL refuses (e.g. deleting an establishment that users still point to)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # The names' columns sort the French way (app/domain/tri.py): PostgreSQL has the collation from ICU.
        dbapi_connection.create_collation(tri.COLLATION, tri.compare_fr)
