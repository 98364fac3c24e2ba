"""Demandes d'habilitation (domain.md §2, guide §12–13)."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import TimestampMixin
from app.models.referentiels import CERTIFICATIONS

demande_etablissement = Table(
    "demande_habilitation_etablissement",
    Model.metadata,
    Column("demande_id", ForeignKey("demande_habilitation.id", ondelete="CASCADE"), primary_key=True),
    Column("etablissement_id", ForeignKey("etablissement.id", ondelete="CASCADE"), primary_key=True, index=True),
)
demande_certificateur = Table(
    "demande_habilitation_certificateur",
    Model.metadata,
    Column("demande_id", ForeignKey("demande_habilitation.id", ondelete="CASCADE"), primary_key=True),
    Column("certificateur_id", ForeignKey("certificateur.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class DemandeHabilitation(TimestampMixin, Model):
    __tablename__ = "demande_habilitation"
    EN_ATTENTE, VALIDEE, REJETEE = "en_attente", "validee", "rejetee"
    ETATS = {EN_ATTENTE: "En attente", VALIDEE: "Validée", REJETEE: "Rejetée"}
    INITIALE, RENOUVELLEMENT = "initiale", "renouvellement"
    TYPES = {INITIALE: "Initiale", RENOUVELLEMENT: "Renouvellement"}
    CERTIFICATIONS = CERTIFICATIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id"), nullable=False, index=True)
    certification: Mapped[str] = mapped_column(String(20), nullable=False, default="clea")
    type: Mapped[str] = mapped_column(String(20), nullable=False, default=INITIALE)
    # The renewed habilitation, for a renewal (a renewal is allowed once: 3 + 3 years).
    renouvelle_id: Mapped[int | None] = mapped_column(ForeignKey("demande_habilitation.id"))
    date_demande: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    etat: Mapped[str] = mapped_column(String(20), nullable=False, default=EN_ATTENTE, index=True)
    motif_rejet: Mapped[str | None] = mapped_column(Text)
    date_debut: Mapped[datetime.date | None] = mapped_column(Date)
    date_fin: Mapped[datetime.date | None] = mapped_column(Date, index=True)
    decide_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decide_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    demandeur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    organisme = relationship("Organisme")
    etablissements = relationship("Etablissement", secondary=demande_etablissement, order_by="Etablissement.nom")
    certificateurs = relationship("Certificateur", secondary=demande_certificateur, order_by="Certificateur.nom")
    renouvelle = relationship("DemandeHabilitation", remote_side=[id])
    decide_par = relationship("Utilisateur", foreign_keys=[decide_par_id])
    demandeur = relationship("Utilisateur", foreign_keys=[demandeur_id])

    @property
    def etat_label(self) -> str:
        if self.etat == self.VALIDEE and self.date_fin is not None and self.date_fin < datetime.date.today():
            return "Validée (expirée)"
        return self.ETATS.get(self.etat, self.etat)

    @property
    def certification_label(self) -> str:
        return self.CERTIFICATIONS.get(self.certification, self.certification)

    @property
    def type_label(self) -> str:
        return self.TYPES.get(self.type, self.type)

    @property
    def instance_label(self) -> str:
        return ", ".join(c.nom for c in self.certificateurs)

    @property
    def etablissements_label(self) -> str:
        return ", ".join(e.nom for e in self.etablissements)

    def __str__(self):
        return f"Demande n°{self.id} ({self.etat_label})"


class RappelHabilitation(Model):
    """An expiry reminder sent for a validated habilitation (« Renouvellement d'habilitation », 90 and 30 days
    before its end). The unique key makes each reminder go out once, even from several servers at a time."""

    __tablename__ = "rappel_habilitation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demande_habilitation.id", ondelete="CASCADE"), nullable=False)
    delai_jours: Mapped[int] = mapped_column(Integer, nullable=False)
    envoye_le: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (UniqueConstraint("demande_id", "delai_jours", name="uq_rappel_habilitation"),)
