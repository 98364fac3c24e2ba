"""Actualités (domain.md §7): news written by Certif Pro, shown on every dashboard."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import TimestampMixin


class Actualite(TimestampMixin, Model):
    __tablename__ = "actualite"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    titre: Mapped[str] = mapped_column(String(200), nullable=False)
    contenu: Mapped[str] = mapped_column(Text, nullable=False)
    # Shown from this day on, until `date_fin` (included) when there is one.
    date_publication: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    date_fin: Mapped[datetime.date | None] = mapped_column(Date)
    publiee: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    auteur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    auteur = relationship("Utilisateur")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_actualite_publication", "publiee", "date_publication"),)

    def __str__(self):
        return self.titre
