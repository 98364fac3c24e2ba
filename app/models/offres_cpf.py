"""The CPF catalogue offer of an establishment and its sessions (issue 18 §6, app/domain/offres_cpf.py)."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain import offres_cpf as domaine
from app.formatting import date_fr
from app.models.base import TimestampMixin
from app.models.referentiels import CERTIFICATIONS


class OffreCpf(TimestampMixin, Model):
    __tablename__ = "offre_cpf"
    __table_args__ = (UniqueConstraint("etablissement_id", "numero_interne", name="uq_offre_cpf_numero_interne"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(
        ForeignKey("etablissement.id", ondelete="CASCADE"), nullable=False, index=True
    )
    certification: Mapped[str] = mapped_column(String(20), nullable=False)
    numero_interne: Mapped[str] = mapped_column(String(50), nullable=False)
    intitule_formation: Mapped[str] = mapped_column(String(255), nullable=False)
    points_forts: Mapped[str] = mapped_column(String(255), nullable=False)
    objectif_formation: Mapped[str] = mapped_column(Text, nullable=False)
    resultats_attendus: Mapped[str] = mapped_column(Text, nullable=False)
    contenu_formation: Mapped[str] = mapped_column(Text, nullable=False)
    type_parcours: Mapped[str] = mapped_column(String(5), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    etablissement = relationship("Etablissement")
    sessions = relationship(
        "SessionOffreCpf",
        back_populates="offre",
        cascade="all, delete-orphan",
        order_by="(SessionOffreCpf.debut, SessionOffreCpf.id)",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def certification_label(self) -> str:
        return CERTIFICATIONS.get(self.certification, self.certification)

    @property
    def code_rs(self) -> str:
        return domaine.CODES_RS.get(self.certification, "")

    @property
    def parcours_label(self) -> str:
        return domaine.libelle_parcours(self.type_parcours)

    def __str__(self):
        return f"{self.intitule_formation} ({self.numero_interne})"


class SessionOffreCpf(Model):
    __tablename__ = "session_offre_cpf"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offre_id: Mapped[int] = mapped_column(ForeignKey("offre_cpf.id", ondelete="CASCADE"), nullable=False, index=True)
    debut: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    fin: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    adresse: Mapped[str] = mapped_column(String(50), nullable=False)
    code_postal: Mapped[str] = mapped_column(String(5), nullable=False)
    ville: Mapped[str] = mapped_column(String(50), nullable=False)

    offre = relationship("OffreCpf", back_populates="sessions")

    def __str__(self):
        return f"Session du {date_fr(self.debut)} au {date_fr(self.fin)} — {self.code_postal} {self.ville}"
