"""Evaluations of a candidate file (guide §17–18, domain.md §4.2): one result per sub-domain of the file's
référentiel. The first finalised evaluation is the évaluation préalable, later ones are finales."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.formatting import date_fr
from app.models.base import TimestampMixin

EN_COURS, FINALISEE = "en_cours", "finalisee"
ETATS = {EN_COURS: "En cours de création", FINALISEE: "Finalisée"}
VALIDE, NON_VALIDE = "valide", "non_valide"
RESULTATS = {VALIDE: "Validé", NON_VALIDE: "Non validé"}


class Evaluation(TimestampMixin, Model):
    __tablename__ = "evaluation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidature_id: Mapped[int] = mapped_column(
        ForeignKey("candidature.id", ondelete="CASCADE"), nullable=False, index=True
    )
    evaluateur_nom: Mapped[str] = mapped_column(String(100), nullable=False)
    evaluateur_prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    evaluateur_email: Mapped[str] = mapped_column(String(254), nullable=False)
    date_evaluation: Mapped[datetime.date | None] = mapped_column(Date)  # a draft may wait for it
    conclusion: Mapped[str | None] = mapped_column(String(200))
    commentaire: Mapped[str | None] = mapped_column(Text)
    etat: Mapped[str] = mapped_column(String(20), nullable=False, default=EN_COURS)
    resultat: Mapped[str | None] = mapped_column(String(20))
    # « 20 acquis, 3 non acquis, 5 à renseigner »: kept up to date by the service, shown in lists and the trail.
    synthese: Mapped[str | None] = mapped_column(String(100))
    finale: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    date_finalisation: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    cree_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    candidature = relationship("Candidature")
    resultats = relationship(
        "ResultatEvaluation",
        back_populates="evaluation",
        cascade="all, delete-orphan",
        order_by="ResultatEvaluation.sous_domaine_id",
    )
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One draft per file (« Ajouter une évaluation » under any concurrency): the database itself refuses a
        # second one, whatever the requests that race.
        Index(
            "uq_evaluation_un_brouillon",
            "candidature_id",
            unique=True,
            sqlite_where=text("etat = 'en_cours'"),
            postgresql_where=text("etat = 'en_cours'"),
        ),
    )

    @property
    def etat_label(self) -> str:
        if self.etat == FINALISEE:
            return RESULTATS.get(self.resultat, "")
        return ETATS[EN_COURS]

    @property
    def type_label(self) -> str:
        return "Evaluation finale" if self.finale else "Evaluation préalable"

    @property
    def evaluateur(self) -> str:
        return f"{self.evaluateur_prenom} {self.evaluateur_nom}"

    @property
    def date_label(self) -> str:
        """« du jj/mm/aaaa », or « sans date » for a draft saved before its date was known."""
        return f"du {date_fr(self.date_evaluation)}" if self.date_evaluation else "sans date"

    def __str__(self):
        return f"Evaluation {self.date_label}"


class ResultatEvaluation(Model):
    __tablename__ = "resultat_evaluation"
    __table_args__ = (UniqueConstraint("evaluation_id", "sous_domaine_id", name="uq_resultat_sous_domaine"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), nullable=False)
    sous_domaine_id: Mapped[int] = mapped_column(ForeignKey("sous_domaine.id"), nullable=False)
    acquis: Mapped[bool | None] = mapped_column(Boolean)
    commentaire: Mapped[str | None] = mapped_column(Text)
    # Acquired in an earlier finalised evaluation: shown as acquired, not evaluated again.
    acquis_anterieurement: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    evaluation = relationship("Evaluation", back_populates="resultats")
    sous_domaine = relationship("SousDomaine")
