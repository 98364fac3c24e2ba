"""Documents attached to a candidate file (domain.md §4.4). Stored in the database: every application server
serves them, and they follow the database's backups and access rules."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.formatting import taille_fr
from app.models.base import utcnow


class Document(Model):
    __tablename__ = "document"
    __table_args__ = (
        # "Attention à bien téléverser une seule fois chaque document": one content once per file.
        UniqueConstraint("candidature_id", "sha256", name="uq_document_candidature_sha256"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # What the document belongs to inside the file: the file itself, an evaluation, a training, an exchange.
    objet: Mapped[str] = mapped_column(String(20), nullable=False, default="candidature")
    objet_id: Mapped[int | None] = mapped_column(Integer)
    nom: Mapped[str] = mapped_column(String(200), nullable=False)
    type_mime: Mapped[str] = mapped_column(String(100), nullable=False)
    taille: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    contenu: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    candidature = relationship("Candidature")
    depose_par = relationship("Utilisateur")

    @property
    def taille_label(self) -> str:
        """« 7,2 Ko », « 4,0 Mo »."""
        return taille_fr(self.taille)
