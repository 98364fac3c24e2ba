"""Platform users: FAB's user extended with its perimeter (domain.md §8, roles.md)."""

import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Utilisateur(User):
    """One profile (FAB role) per user; the perimeter columns say where it applies."""

    __tablename__ = "ab_user"

    reseau_id: Mapped[int | None] = mapped_column(ForeignKey("reseau.id"), index=True)
    organisme_id: Mapped[int | None] = mapped_column(ForeignKey("organisme.id"), index=True)
    etablissement_id: Mapped[int | None] = mapped_column(ForeignKey("etablissement.id"), index=True)
    certificateur_id: Mapped[int | None] = mapped_column(ForeignKey("certificateur.id"), index=True)
    password_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    # Raised by every password change or reset: web sessions and API tokens carry the value they were opened
    # with, and one that differs is refused (app/security/connexions.py).
    session_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # A new address asked for, not yet confirmed by its owner: mails still go to `email` until then.
    email_pending: Mapped[str | None] = mapped_column(String(254))
    # The record's version for optimistic locking (API `version` / ETag), raised by each edit of the users
    # service. Not SQLAlchemy's version_id_col: logins write this row too (last login, counters) and two logins
    # at once must never conflict.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    reseau = relationship("Reseau", foreign_keys=[reseau_id])
    organisme = relationship("Organisme", foreign_keys=[organisme_id])
    etablissement = relationship("Etablissement", foreign_keys=[etablissement_id])
    certificateur = relationship("Certificateur", foreign_keys=[certificateur_id])

    @property
    def profil(self) -> str | None:
        return self.roles[0].name if self.roles else None

    @property
    def nom_complet(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def rattachement(self) -> str:
        """Where the user's perimeter applies, for lists."""
        for target in (self.etablissement, self.organisme, self.reseau, self.certificateur):
            if target is not None:
                return str(target)
        return "National"


class JetonUtilisateur(Model):
    """Single-use, expiring link to set a password (invitation or forgotten password).

    Only a hash of the token is stored: a database leak gives no usable link.
    """

    __tablename__ = "jeton_utilisateur"
    INVITATION, REINITIALISATION, EMAIL = "invitation", "reinitialisation", "email"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    objet: Mapped[str] = mapped_column(String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    # The address a confirmation link (objet "email") was sent to: only that address is confirmed by it.
    email: Mapped[str | None] = mapped_column(String(254))

    user = relationship("Utilisateur", foreign_keys=[user_id])


class ConnexionRevoquee(Model):
    """A login (web session or API tokens, one identifier for the access and refresh tokens of one login)
    that was ended: refused until its longest-lived credential would have expired anyway."""

    __tablename__ = "connexion_revoquee"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False, index=True)


class EchecConnexion(Model):
    """One failed login, under each of its keys (the account, the address): the limits count them over a
    sliding window; successful logins are never written."""

    __tablename__ = "echec_connexion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cle: Mapped[str] = mapped_column(String(300), nullable=False)
    moment: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False, index=True)

    __table_args__ = (Index("ix_echec_connexion_cle_moment", "cle", "moment"),)
