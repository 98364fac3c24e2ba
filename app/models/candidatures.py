"""Candidature (dossier de candidature), guide §14, domain.md §4."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain import statuts
from app.formatting import date_fr
from app.models.base import TimestampMixin
from app.models.referentiels import CERTIFICATIONS


class Candidature(TimestampMixin, Model):
    __tablename__ = "candidature"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    numero_dossier: Mapped[str] = mapped_column(String(10), unique=True, nullable=False)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id"), nullable=False)
    # The establishment's organisation, kept on the file so that perimeter filters need no join.
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id"), nullable=False)
    certification: Mapped[str] = mapped_column(String(20), nullable=False, default="clea")

    statut_inscription: Mapped[str] = mapped_column(String(200), nullable=False)
    branche: Mapped[str | None] = mapped_column(String(200))
    socle_contextualise: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    siren_employeur: Mapped[str | None] = mapped_column(String(9))
    type_public: Mapped[str | None] = mapped_column(String(200))
    niveau_formation: Mapped[str] = mapped_column(String(200), nullable=False)
    financeur_principal: Mapped[str] = mapped_column(String(200), nullable=False)

    civilite: Mapped[str] = mapped_column(String(20), nullable=False)
    nom_naissance: Mapped[str] = mapped_column(String(100), nullable=False)
    nom_usage: Mapped[str | None] = mapped_column(String(100))
    prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    date_naissance: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    ne_etranger: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    pays_naissance: Mapped[str | None] = mapped_column(String(100))
    ne_outre_mer: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    ville_naissance: Mapped[str] = mapped_column(String(100), nullable=False)
    code_postal_naissance: Mapped[str | None] = mapped_column(String(5))

    origine_demarche: Mapped[str | None] = mapped_column(String(200))
    objectifs_professionnels: Mapped[str | None] = mapped_column(Text)
    objectifs_extra_professionnels: Mapped[str | None] = mapped_column(Text)

    email: Mapped[str | None] = mapped_column(String(254))
    telephone: Mapped[str | None] = mapped_column(String(20))
    adresse: Mapped[str | None] = mapped_column(String(250))
    code_postal: Mapped[str | None] = mapped_column(String(5))
    ville: Mapped[str | None] = mapped_column(String(100))
    certificat_papier: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    statut: Mapped[str] = mapped_column(String(40), nullable=False, default=statuts.ATTENTE_EVALUATION_PREALABLE)
    actif: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    date_envoi_certification: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    date_evaluation_prealable: Mapped[datetime.date | None] = mapped_column(Date)
    certificateur_id: Mapped[int | None] = mapped_column(ForeignKey("certificateur.id"))
    # The jury session the file is assigned to (the last one once decided): the « Jury » column of the lists.
    session_jury_id: Mapped[int | None] = mapped_column(ForeignKey("session_jury.id"))
    date_decision: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    motif_abandon: Mapped[str | None] = mapped_column(String(250))
    statut_avant_abandon: Mapped[str | None] = mapped_column(String(40))
    date_abandon: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    # Same person = same birth name (no accents, no case) + first name + birth date (guide §14).
    cle_personne: Mapped[str] = mapped_column(String(250), nullable=False)
    # Accent- and case-free "NOM PRENOM NOM_USAGE" for the name search.
    nom_recherche: Mapped[str] = mapped_column(String(320), nullable=False)
    # Personal data (donnees-personnelles.md): when the identity was erased, when the documents were purged.
    anonymise_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    documents_purges_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    etablissement = relationship("Etablissement")
    organisme = relationship("Organisme")
    certificateur = relationship("Certificateur")
    session_jury = relationship("SessionJury")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One file per person and certification, nationally (a person is never certified twice).
        Index("uq_candidature_personne", "cle_personne", "certification", unique=True),
        Index("ix_candidature_etab_statut", "etablissement_id", "statut", "updated_at", "id"),
        Index("ix_candidature_org_statut", "organisme_id", "statut", "updated_at", "id"),
        Index("ix_candidature_certif_statut", "certificateur_id", "statut"),
        Index("ix_candidature_statut_maj", "statut", "updated_at", "id"),
        # LIKE 'PREFIX%' on the normalised name (the list's name search): a pattern index on PostgreSQL.
        Index("ix_candidature_nom_recherche", "nom_recherche", postgresql_ops={"nom_recherche": "varchar_pattern_ops"}),
        # The name search inside an organisation's or a network's perimeter.
        Index(
            "ix_candidature_org_nom",
            "organisme_id",
            "nom_recherche",
            postgresql_ops={"nom_recherche": "varchar_pattern_ops"},
        ),
        # The lists' default order (latest change first, id as tie-break), nationally and for each perimeter level.
        Index("ix_candidature_maj", "updated_at", "id"),
        Index("ix_candidature_etab_maj", "etablissement_id", "updated_at", "id"),
        Index("ix_candidature_org_maj", "organisme_id", "updated_at", "id"),
        # A certifier's perimeter is its files in a certification status: the status beside the key lets a deep
        # page skip its rows in the index alone (PostgreSQL's INCLUDE; a plain index elsewhere).
        Index("ix_candidature_certif_maj", "certificateur_id", "updated_at", "id", postgresql_include=["statut"]),
    )

    @property
    def certification_label(self) -> str:
        return CERTIFICATIONS.get(self.certification, self.certification)

    @property
    def statut_label(self) -> str:
        return statuts.label(self.statut)

    @property
    def jury_label(self) -> str:
        """« Jury » column: « Jury du jj/mm/aaaa » once assigned."""
        return f"Jury du {date_fr(self.session_jury.date)}" if self.session_jury_id else ""

    @property
    def courrier_label(self) -> str:
        """« Courrier envoyé » column: the last mailing's letter status."""
        if self.statut != statuts.CERTIFIEE:
            return ""
        if "_courrier_label" in self.__dict__:  # loaded with the list's page (app/services/listes.py)
            return self.__dict__["_courrier_label"]
        from sqlalchemy import select
        from sqlalchemy.orm import object_session

        from app.models.juries import EnvoiCertificat

        last = (
            object_session(self)
            .execute(
                select(EnvoiCertificat.statut_lettre)
                .where(EnvoiCertificat.candidature_id == self.id)
                .order_by(EnvoiCertificat.date_traitement.desc(), EnvoiCertificat.id.desc())
                .limit(1)
            )
            .scalar()
        )
        return last or ""

    @property
    def candidat(self) -> str:
        return f"{self.nom_usage or self.nom_naissance} {self.prenom}".strip()

    def __str__(self):
        return f"{self.numero_dossier} — {self.candidat}"


class CompteurCandidature(Model):
    """How many files per establishment, certifier, status and « actif », kept by the database itself: a trigger
    on `candidature` appends +1 / -1 in the same transaction as every insert, delete or change of those columns
    (migration a7_performance), so the lists' and dashboard's counts read a few rows instead of counting a million.
    Append-only, so concurrent changes never wait for each other; `compteurs.compacter()` (daily job) folds the
    rows of a key into one."""

    __tablename__ = "compteur_candidature"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    etablissement_id: Mapped[int] = mapped_column(Integer, nullable=False)
    organisme_id: Mapped[int] = mapped_column(Integer, nullable=False)
    certificateur_id: Mapped[int] = mapped_column(Integer, nullable=False)  # 0: not sent to a certifier
    statut: Mapped[str] = mapped_column(String(40), nullable=False)
    actif: Mapped[bool] = mapped_column(Boolean, nullable=False)
    nombre: Mapped[int] = mapped_column(Integer, nullable=False)
    __table_args__ = (
        Index("ix_compteur_organisme", "organisme_id", "statut"),
        Index("ix_compteur_etablissement", "etablissement_id", "statut"),
        Index("ix_compteur_certificateur", "certificateur_id", "statut"),
    )
