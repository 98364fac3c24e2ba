"""The yardstick: a stock Flask-AppBuilder application listing the same files with a plain `ModelView`.

It reads the benchmark's database (BENCH_DATABASE_URL, the platform's `DATABASE_URL`) through a bind, and keeps FAB's
own security tables in a throwaway SQLite file, so that it never writes to the platform's database. Everybody is
let in with the Admin role (AUTH_ROLE_PUBLIC): the benchmark times FAB's list, not its login.

    BENCH_DATABASE_URL=postgresql://… gunicorn -w 2 -b 127.0.0.1:8001 'bench.stock_fab:create_app()'
"""

import datetime
import os
import tempfile

from flask import Flask
from flask_appbuilder import AppBuilder, Model, ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Date, DateTime, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from config import normalise_database_url


class BenchModel(DeclarativeBase):
    """The benchmark's tables, on their own metadata routed to the "bench" bind (Flask-SQLAlchemy reads the
    metadata's bind_key)."""

    metadata = MetaData(info={"bind_key": "bench"})


class Etablissement(BenchModel):
    __tablename__ = "etablissement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(200))

    def __str__(self):
        return self.nom


class Candidature(BenchModel):
    __tablename__ = "candidature"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    numero_dossier: Mapped[str] = mapped_column(String(10))
    nom_naissance: Mapped[str] = mapped_column(String(100))
    prenom: Mapped[str] = mapped_column(String(100))
    date_naissance: Mapped[datetime.date] = mapped_column(Date)
    statut: Mapped[str] = mapped_column(String(40))
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"))
    organisme_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime)
    etablissement = relationship(Etablissement)


class CandidatureView(ModelView):
    route_base = "/candidatures"
    datamodel = SQLAInterface(Candidature)
    list_columns = ["numero_dossier", "nom_naissance", "prenom", "etablissement", "statut"]
    search_columns = ["numero_dossier", "nom_naissance", "statut", "etablissement"]
    base_order = ("updated_at", "desc")
    page_size = 20


def create_app():
    app = Flask(__name__)
    security_db = os.path.join(tempfile.gettempdir(), f"bench-stock-fab-{os.getpid()}.db")
    app.config.update(
        SECRET_KEY="bench",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{security_db}",
        SQLALCHEMY_BINDS={
            "bench": normalise_database_url(os.environ.get("BENCH_DATABASE_URL") or os.environ["DATABASE_URL"])
        },
        AUTH_ROLE_PUBLIC="Admin",
        FAB_ADD_SECURITY_VIEWS=False,
        WTF_CSRF_ENABLED=False,
    )
    db = SQLAlchemy(app, model_class=Model)
    with app.app_context():
        Model.metadata.create_all(db.engines[None])
        appbuilder = AppBuilder(app, db.session)
        appbuilder.add_view(CandidatureView, "Candidatures")
    return app
