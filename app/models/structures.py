"""Réseau, Organisme, Etablissement, Certificateur (domain.md §1)."""

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.tri import COLLATION
from app.formatting import date_fr
from app.models.base import TimestampMixin


class Reseau(TimestampMixin, Model):
    __tablename__ = "reseau"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(200, collation=COLLATION), unique=True, nullable=False)
    responsable_nom: Mapped[str] = mapped_column(String(100), nullable=False)
    responsable_prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    responsable_email: Mapped[str] = mapped_column(String(254), nullable=False)
    notifier_creation_candidature: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    organismes = relationship("Organisme", back_populates="reseau", order_by="Organisme.nom")
    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return self.nom

    __repr__ = __str__


class Organisme(TimestampMixin, Model):
    __tablename__ = "organisme"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reseau_id: Mapped[int | None] = mapped_column(ForeignKey("reseau.id"), index=True)
    siren: Mapped[str] = mapped_column(String(9), unique=True, nullable=False)
    nom: Mapped[str] = mapped_column(String(200, collation=COLLATION), nullable=False, index=True)
    adresse: Mapped[str] = mapped_column(String(250), nullable=False)
    complement_adresse: Mapped[str | None] = mapped_column(String(250))
    ville: Mapped[str] = mapped_column(String(100, collation=COLLATION), nullable=False)
    code_postal: Mapped[str] = mapped_column(String(5), nullable=False)
    contact_nom: Mapped[str] = mapped_column(String(100), nullable=False)
    contact_prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    contact_email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_facturation: Mapped[str] = mapped_column(String(254), nullable=False)
    facturation_differente: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    facturation_adresse: Mapped[str | None] = mapped_column(String(250))
    facturation_complement_adresse: Mapped[str | None] = mapped_column(String(250))
    facturation_ville: Mapped[str | None] = mapped_column(String(100))
    facturation_code_postal: Mapped[str | None] = mapped_column(String(5))
    code_naf: Mapped[str | None] = mapped_column(String(6))
    numero_declaration_activite: Mapped[str | None] = mapped_column(String(11))
    qualiopi: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    actif: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    reseau = relationship("Reseau", back_populates="organismes")
    etablissements = relationship("Etablissement", back_populates="organisme", order_by="Etablissement.nom")
    __mapper_args__ = {"version_id_col": version}

    @property
    def actif_label(self) -> str:
        return "Oui" if self.actif else "Non"

    def __str__(self):
        return self.nom

    __repr__ = __str__


class Etablissement(TimestampMixin, Model):
    __tablename__ = "etablissement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id"), nullable=False, index=True)
    nom: Mapped[str] = mapped_column(String(200, collation=COLLATION), nullable=False, index=True)
    siret: Mapped[str] = mapped_column(String(14), unique=True, nullable=False)
    referent_nom: Mapped[str] = mapped_column(String(100), nullable=False)
    referent_prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    referent_email: Mapped[str] = mapped_column(String(254), nullable=False)
    public_nom: Mapped[str] = mapped_column(String(100), nullable=False)
    public_prenom: Mapped[str] = mapped_column(String(100), nullable=False)
    public_email: Mapped[str] = mapped_column(String(254), nullable=False)
    public_telephone: Mapped[str] = mapped_column(String(20), nullable=False)
    adresse: Mapped[str] = mapped_column(String(250), nullable=False)
    complement_adresse: Mapped[str | None] = mapped_column(String(250))
    ville: Mapped[str] = mapped_column(String(100, collation=COLLATION), nullable=False)
    code_postal: Mapped[str] = mapped_column(String(5), nullable=False)
    region: Mapped[str] = mapped_column(String(60, collation=COLLATION), nullable=False, index=True)
    site_web: Mapped[str | None] = mapped_column(String(250))
    actif: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    organisme = relationship("Organisme", back_populates="etablissements")
    __mapper_args__ = {"version_id_col": version}

    @property
    def actif_label(self) -> str:
        return "Oui" if self.actif else "Non"

    def __str__(self):
        return self.nom

    __repr__ = __str__


class Certificateur(TimestampMixin, Model):
    """Who holds juries: a regional Transitions Pro, a branch (CPNE/CPNAA), or Certif Pro itself."""

    __tablename__ = "certificateur"
    TRANSITIONS_PRO, BRANCHE, CERTIF_PRO = "transitions_pro", "branche", "certif_pro"
    TYPES = {TRANSITIONS_PRO: "Transitions Pro", BRANCHE: "Branche professionnelle", CERTIF_PRO: "Certif Pro"}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(200, collation=COLLATION), unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    region: Mapped[str | None] = mapped_column(String(60, collation=COLLATION))
    modalite_envoi: Mapped[str] = mapped_column(String(40), nullable=False, default="N/C", server_default="N/C")
    actif: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One Transitions Pro per region.
        Index(
            "uq_certificateur_region_tp",
            "region",
            unique=True,
            sqlite_where=text("type = 'transitions_pro'"),
            postgresql_where=text("type = 'transitions_pro'"),
        ),
    )

    @property
    def type_label(self):
        return self.TYPES.get(self.type, self.type)

    def _sessions(self, future: bool):
        from sqlalchemy import select
        from sqlalchemy.orm import object_session

        from app.models.juries import SessionJury

        today = SessionJury.debut_du_jour()
        query = select(SessionJury.date).where(SessionJury.certificateur_id == self.id)
        query = (
            query.where(SessionJury.date >= today).order_by(SessionJury.date).limit(3)
            if future
            else query.where(SessionJury.date < today).order_by(SessionJury.date.desc()).limit(1)
        )
        return object_session(self).execute(query).scalars().all()

    @property
    def dernier_jury(self) -> str:
        """« Dernier jury » of the CERTIFICATION tab."""
        last = self._sessions(future=False)
        return date_fr(last[0]) if last else "Aucun jury"

    @property
    def prochains_jurys(self) -> str:
        upcoming = self._sessions(future=True)
        return ", ".join(date_fr(d) for d in upcoming) if upcoming else "Aucun jury"

    def __str__(self):
        return self.nom

    __repr__ = __str__
