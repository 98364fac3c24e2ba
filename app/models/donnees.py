"""Personal data (donnees-personnelles.md): the settings Certif Pro edits, the consultation journal of candidate
files, and the register of processing activities (« registre des traitements »)."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.donnees import PARAMETRES
from app.models.base import TimestampMixin, utcnow


class Parametre(Model):
    """One national setting (the notice shown at collection, the retention periods), edited by Certif Pro."""

    __tablename__ = "parametre"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cle: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    valeur: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)

    def __str__(self):
        return PARAMETRES[self.cle].libelle if self.cle in PARAMETRES else self.cle


class Consultation(Model):
    """Who opened what of a candidate's file, and when (GDPR: a journal of the accesses to personal data).
    No foreign key: the journal outlives deleted users and files for its retention period."""

    __tablename__ = "consultation"
    QUOI = {
        "page": "Page du candidat",
        "onglet": "Onglet",
        "document": "Téléchargement d'un document",
        "pdf": "Téléchargement d'un PDF",
        "tableur": "Téléchargement d'un classeur",
        "api": "Lecture par l'API",
        "evaluation": "Page d'une évaluation",
        "donnees": "Export de toutes les données de la personne",
        "dossier": "Téléchargement du dossier complet",
    }
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    candidature_id: Mapped[int] = mapped_column(Integer, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str | None] = mapped_column(String(200))
    quoi: Mapped[str] = mapped_column(String(20), nullable=False)
    detail: Mapped[str | None] = mapped_column(String(250))

    __table_args__ = (
        Index("ix_consultation_candidature", "candidature_id", "created_at"),
        Index("ix_consultation_created", "created_at"),
    )

    @property
    def quoi_label(self) -> str:
        return self.QUOI.get(self.quoi, self.quoi)


class Traitement(TimestampMixin, Model):
    """One processing activity of the register (GDPR art. 30)."""

    __tablename__ = "traitement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ordre: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    nom: Mapped[str] = mapped_column(String(200), nullable=False)
    finalite: Mapped[str] = mapped_column(Text, nullable=False)
    base_legale: Mapped[str] = mapped_column(String(250), nullable=False)
    categories_donnees: Mapped[str] = mapped_column(Text, nullable=False)
    categories_personnes: Mapped[str] = mapped_column(Text, nullable=False)
    destinataires: Mapped[str] = mapped_column(Text, nullable=False)
    duree_conservation: Mapped[str] = mapped_column(Text, nullable=False)
    mesures_securite: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return self.nom
