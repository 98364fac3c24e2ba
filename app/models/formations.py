"""Trainings of a candidate file (guide §7 "Onglet FORMATIONS", domain.md §4.3)."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, Numeric, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.formatting import date_fr
from app.models.base import utcnow

formation_domaine = Table(
    "formation_domaine",
    Model.metadata,
    Column("formation_id", ForeignKey("formation.id", ondelete="CASCADE"), primary_key=True),
    Column("domaine_id", ForeignKey("domaine.id"), primary_key=True),
)


class Formation(Model):
    __tablename__ = "formation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    date_debut: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    date_fin: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    duree_heures: Mapped[float] = mapped_column(Numeric(6, 1), nullable=False)
    formateur_nom: Mapped[str] = mapped_column(String(100), nullable=False)
    formateur_prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    formateur_email: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    candidature = relationship("Candidature")
    domaines = relationship("Domaine", secondary=formation_domaine, order_by="Domaine.ordre")

    def __str__(self):
        return f"Formation du {date_fr(self.date_debut)} au {date_fr(self.date_fin)}"
