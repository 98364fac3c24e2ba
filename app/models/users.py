"""Platform users: FAB's user extended with its perimeter (domain.md §8, roles.md)."""

import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Utilisateur(User):
    """One profile (FAB role) per user; the perimeter columns say where it applies."""

    __tablename__ = "ab_user"

    reseau_id: Mapped[int | None] = mapped_column(ForeignKey("reseau.id"), index=True)
    organisme_id: Mapped[int | None] = mapped_column(ForeignKey("organisme.id"), index=True)
    etablissement_id: Mapped[int | None] = mapped_column(ForeignKey("etablissement.id"), index=True)
    certificateur_id: Mapped[int | None] = mapped_column(ForeignKey("certificateur.id"), index=True)
    password_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)

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
    INVITATION, REINITIALISATION = "invitation", "reinitialisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    objet: Mapped[str] = mapped_column(String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)

    user = relationship("Utilisateur", foreign_keys=[user_id])
