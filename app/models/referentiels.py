"""Référentiels (domains and sub-domains of each certification) and lists of values, as data editable by
Certif Pro (domain.md §3, referentiels.md). Seeded by a migration."""

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The two certifications of the platform (code → name shown to people); each has its référentiel below.
CERTIFICATIONS = {"clea": "CléA", "clea_numerique": "CléA numérique"}


class Referentiel(Model):
    __tablename__ = "referentiel"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certification: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)  # clea, clea_numerique
    nom: Mapped[str] = mapped_column(String(100), nullable=False)
    code_rs: Mapped[str] = mapped_column(String(10), nullable=False)  # RS2203, RS3936
    domaines = relationship("Domaine", back_populates="referentiel", order_by="Domaine.ordre")

    def __str__(self):
        return self.nom


class Domaine(Model):
    __tablename__ = "domaine"
    __table_args__ = (UniqueConstraint("referentiel_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referentiel_id: Mapped[int] = mapped_column(ForeignKey("referentiel.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(5), nullable=False)
    libelle: Mapped[str] = mapped_column(String(250), nullable=False)
    libelle_court: Mapped[str | None] = mapped_column(String(60))
    ordre: Mapped[int] = mapped_column(Integer, nullable=False)
    referentiel = relationship("Referentiel", back_populates="domaines")
    sous_domaines = relationship("SousDomaine", back_populates="domaine", order_by="SousDomaine.ordre")

    def __str__(self):
        return f"Domaine {self.code} : {self.libelle}"


class SousDomaine(Model):
    __tablename__ = "sous_domaine"
    __table_args__ = (UniqueConstraint("domaine_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domaine_id: Mapped[int] = mapped_column(ForeignKey("domaine.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(5), nullable=False)
    libelle: Mapped[str] = mapped_column(String(250), nullable=False)
    ordre: Mapped[int] = mapped_column(Integer, nullable=False)
    # How it is assessed, for the evaluation matrix: the « modalités d'évaluation » and the « critères associés »
    # (one per line), as Certif Pro keeps them.
    modalites_evaluation: Mapped[str | None] = mapped_column(Text)
    criteres: Mapped[str | None] = mapped_column(Text)
    domaine = relationship("Domaine", back_populates="sous_domaines")

    @property
    def liste_criteres(self) -> list[str]:
        return [line.strip(" -–•\t") for line in (self.criteres or "").splitlines() if line.strip(" -–•\t")]

    def __str__(self):
        return f"{self.code} {self.libelle}"


class ValeurListe(Model):
    """One value of a list (statut à l'inscription, type de public, niveau, financeur, origine, branches,
    motifs, conclusion…). Values are referred to by their label (api.md); deactivating hides a value from
    new forms without touching the files that hold it."""

    __tablename__ = "valeur_liste"
    __table_args__ = (UniqueConstraint("liste", "libelle"),)
    LISTES = {
        "statut_inscription": "Statut à l'inscription",
        "type_public": "Type de public",
        "niveau_formation": "Niveau de formation",
        "financeur": "Financeur principal",
        "origine_demarche": "Origine de la démarche",
        "branche": "Branche délégataire",
        "motif_abandon": "Motif d'abandon",
        "motif_rattachement": "Motif de rattachement",
        "conclusion_evaluation": "Conclusion d'évaluation",
        "statut_lettre": "Statut de la lettre",
        "civilite": "Civilité",
    }
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    liste: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    libelle: Mapped[str] = mapped_column(String(200), nullable=False)
    ordre: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    actif: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())

    @property
    def liste_label(self):
        return self.LISTES.get(self.liste, self.liste)

    def __str__(self):
        return self.libelle
