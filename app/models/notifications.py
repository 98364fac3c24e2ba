"""Notifications (domain.md §9) and the outgoing mail outbox (quality.md: mail is committed with the event
and sent afterwards with retries)."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow


class Notification(Model):
    __tablename__ = "notification"
    RUBRIQUES = (
        "Changement de certificateur",
        "Demande d'habilitation",
        "Demande de rattachement",
        "Dossier d'habilitation",
        "Dossier de candidature",
        "Décision du jury",
        "Envoi en certification",
        "Plis non distribués",
        "Renouvellement d'habilitation",
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    rubrique: Mapped[str] = mapped_column(String(60), nullable=False)
    titre: Mapped[str] = mapped_column(String(250), nullable=False)
    contenu: Mapped[str] = mapped_column(Text, nullable=False)
    lien: Mapped[str | None] = mapped_column(String(250))
    lue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_notification_user_lue", "user_id", "lue", "created_at"),)


class MailSortant(Model):
    __tablename__ = "mail_sortant"
    A_ENVOYER, ENVOYE, ECHEC = "a_envoyer", "envoye", "echec"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    destinataire: Mapped[str] = mapped_column(String(254), nullable=False)
    sujet: Mapped[str] = mapped_column(String(250), nullable=False)
    corps: Mapped[str] = mapped_column(Text, nullable=False)
    # What `corps` becomes once the mail is sent (or given up): the body without its single-use link.
    corps_apres_envoi: Mapped[str | None] = mapped_column(Text)
    statut: Mapped[str] = mapped_column(String(20), nullable=False, default=A_ENVOYER, index=True)
    tentatives: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    derniere_erreur: Mapped[str | None] = mapped_column(Text)
    prochain_essai: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    relance_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)  # « Renvoyer »: the tries start again
    # A mail to a candidate (the address of their file, not a user's): the file shows it in « Mails au candidat ».
    candidature_id: Mapped[int | None] = mapped_column(ForeignKey("candidature.id", ondelete="SET NULL"), index=True)
    STATUTS = {A_ENVOYER: "À envoyer", ENVOYE: "Envoyé", ECHEC: "En échec"}

    @property
    def statut_label(self) -> str:
        return self.STATUTS.get(self.statut, self.statut)
