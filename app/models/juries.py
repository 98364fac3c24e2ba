"""Juries and certificates (guide §7 « Onglet CERTIFICATION », §20; domain.md §6): sessions of a certifier,
the decisions taken on files, the exchanges between certifier and OF, certificates and their mailing."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain import certificats
from app.formatting import date_fr, datetime_fr
from app.models.base import utcnow

# The members who sit on a session (users of its certifier holding « sieger_au_jury »): named on its minutes.
session_jury_membre = Table(
    "session_jury_membre",
    Model.metadata,
    Column("session_jury_id", ForeignKey("session_jury.id", ondelete="CASCADE"), primary_key=True),
    Column("utilisateur_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SessionJury(Model):
    __tablename__ = "session_jury"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificateur_id: Mapped[int] = mapped_column(ForeignKey("certificateur.id"), nullable=False)
    date: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)
    libelle: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    certificateur = relationship("Certificateur")
    membres = relationship("Utilisateur", secondary=session_jury_membre, order_by="Utilisateur.last_name")
    __table_args__ = (Index("ix_session_jury_certificateur_date", "certificateur_id", "date"),)

    @property
    def label(self) -> str:
        return f"{self.libelle} - du {datetime_fr(self.date)}"

    @staticmethod
    def debut_du_jour() -> datetime.datetime:
        """Sessions from this moment on are « à venir » (today's included): files may be assigned to them."""
        return datetime.datetime.combine(datetime.date.today(), datetime.time())

    @property
    def a_venir(self) -> bool:
        return self.date >= self.debut_du_jour()

    @property
    def tenue(self) -> bool:
        """The jury has been held: its decisions may be recorded."""
        return self.date <= datetime.datetime.now()

    def __str__(self):
        return self.label


class DecisionJury(Model):
    """One decision of a session on a file: certifiée, non certifiée, or complément demandé (with its message)."""

    __tablename__ = "decision_jury"
    CERTIFIEE, NON_CERTIFIEE, COMPLEMENT = "certifiee", "non_certifiee", "complement"
    LABELS = {CERTIFIEE: "Certifiée", NON_CERTIFIEE: "Non certifiée", COMPLEMENT: "Complément demandé"}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    session_jury_id: Mapped[int] = mapped_column(ForeignKey("session_jury.id"), nullable=False, index=True)
    decision: Mapped[str] = mapped_column(String(20), nullable=False)
    commentaire: Mapped[str | None] = mapped_column(Text)
    decide_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    candidature = relationship("Candidature")
    session_jury = relationship("SessionJury")
    decide_par = relationship("Utilisateur")

    @property
    def decision_label(self) -> str:
        return self.LABELS.get(self.decision, self.decision)

    def __str__(self):
        return f"{self.decision_label} — {self.session_jury}"


class Echange(Model):
    """A message on a file between the certifier and the OF (complement request, answer), with documents."""

    __tablename__ = "echange"
    CERTIFICATEUR, ORGANISME = "certificateur", "organisme"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    cote: Mapped[str] = mapped_column(String(20), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    auteur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    candidature = relationship("Candidature")
    auteur = relationship("Utilisateur")

    @property
    def cote_label(self) -> str:
        return "Certificateur" if self.cote == self.CERTIFICATEUR else "Organisme évaluateur"

    def __str__(self):
        return f"Message du {date_fr(self.created_at)}"


class Certificat(Model):
    """The certificate of a certified file: a unique number, its PDF (a document of the file) and its verification
    code (app/domain/certificats.py: printed on the PDF with a QR code to the public page `/verifier/<code>`; None
    once Certif Pro erased the certificate's proof at an anonymisation — the page then knows it no more)."""

    __tablename__ = "certificat"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    numero: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    session_jury_id: Mapped[int] = mapped_column(ForeignKey("session_jury.id"), nullable=False)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    code_verification: Mapped[str | None] = mapped_column(String(32), default=certificats.nouveau_code)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    candidature = relationship("Candidature")
    session_jury = relationship("SessionJury")
    document = relationship("Document")
    # The fees' quarterly count of certificates reads them by date; the public page finds one by its code.
    __table_args__ = (
        Index("ix_certificat_created_at", "created_at"),
        Index("uq_certificat_code_verification", "code_verification", unique=True),
    )

    def __str__(self):
        return f"Certificat n°{self.numero}"


class EnvoiCertificat(Model):
    """« Historique des envois »: the mailing of a paper certificate (statut de la lettre, date, canal, suivi)."""

    __tablename__ = "envoi_certificat"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    statut_lettre: Mapped[str] = mapped_column(String(40), nullable=False)
    date_traitement: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    canal: Mapped[str | None] = mapped_column(String(100))
    commentaire: Mapped[str | None] = mapped_column(String(250))
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    candidature = relationship("Candidature")

    def __str__(self):
        return f"{self.statut_lettre} le {date_fr(self.date_traitement)}"


class DemandeRattachement(Model):
    """« Demande de rattachement » (guide §16): move a file to another establishment; Certif Pro decides."""

    __tablename__ = "demande_rattachement"
    EN_ATTENTE, ACCEPTEE, REFUSEE = "en_attente", "acceptee", "refusee"
    ETATS = {EN_ATTENTE: "En attente", ACCEPTEE: "Acceptée", REFUSEE: "Refusée"}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    etablissement_origine_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), nullable=False)
    etablissement_destination_id: Mapped[int] = mapped_column(
        ForeignKey("etablissement.id"), nullable=False, index=True
    )
    motif: Mapped[str] = mapped_column(String(100), nullable=False)
    precision: Mapped[str | None] = mapped_column(String(500))
    etat: Mapped[str] = mapped_column(String(20), nullable=False, default=EN_ATTENTE)
    demandeur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    decide_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    decide_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    commentaire_decision: Mapped[str | None] = mapped_column(String(500))

    candidature = relationship("Candidature")
    etablissement_origine = relationship("Etablissement", foreign_keys=[etablissement_origine_id])
    etablissement_destination = relationship("Etablissement", foreign_keys=[etablissement_destination_id])
    demandeur = relationship("Utilisateur", foreign_keys=[demandeur_id])
    __table_args__ = (Index("ix_rattachement_etat_date", "etat", "created_at"),)

    @property
    def etat_label(self) -> str:
        return self.ETATS.get(self.etat, self.etat)

    def __str__(self):
        return f"Demande de rattachement du {date_fr(self.created_at)}"
