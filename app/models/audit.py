"""Audit trail: who did what, when, with old → new values (quality.md, issue "Audit trail")."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow


class AuditLog(Model):
    __tablename__ = "audit_log"
    ACTIONS = {
        "create": "Création",
        "update": "Modification",
        "delete": "Suppression",
        "decision": "Décision",
        "login": "Connexion",
    }

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the trail outlives deleted users
    user_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    libelle: Mapped[str | None] = mapped_column(String(250))
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    entity_label: Mapped[str | None] = mapped_column(String(250))
    changes: Mapped[dict | None] = mapped_column(JSON)
    # Where the line is shown: establishment, organisation and user pages.
    etablissement_id: Mapped[int | None] = mapped_column(Integer)
    organisme_id: Mapped[int | None] = mapped_column(Integer)
    utilisateur_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_audit_entity", "entity_type", "entity_id"),
        Index("ix_audit_etablissement", "etablissement_id", "created_at"),
        Index("ix_audit_organisme", "organisme_id", "created_at"),
        Index("ix_audit_utilisateur", "utilisateur_id", "created_at"),
    )

    @property
    def action_label(self) -> str:
        return self.libelle or self.ACTIONS.get(self.action, self.action)


class RechercheNationale(Model):
    """One national search (the magnifier), journaled: who looked for whom, and how many files outside their
    perimeter it showed (issue « Trust »: the search is the one exception to the perimeter). The rows of the
    last minute are also the per-user limit's counter, shared by every web process."""

    __tablename__ = "recherche_nationale"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)  # no FK: the journal outlives deleted users
    user_name: Mapped[str | None] = mapped_column(String(200))
    criteres: Mapped[dict] = mapped_column(JSON, nullable=False)
    resultats: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    hors_perimetre: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_recherche_user", "user_id", "created_at"),
        Index("ix_recherche_created", "created_at"),
    )
