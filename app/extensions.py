"""The shared extension objects, created once and bound to the app by create_app()."""
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla import Model
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

# Flask-SQLAlchemy shares FAB's declarative base so that FAB's security tables and ours
# live in one metadata (one set of migrations).
db = SQLAlchemy(model_class=Model)
migrate = Migrate()
mail = Mail()
appbuilder = AppBuilder(update_perms=True)
