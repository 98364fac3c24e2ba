"""Demandes d'habilitation (domain.md §2, guide §12–13)."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.domain import dossiers
from app.formatting import taille_fr
from app.models.base import JSON_ROWS, TimestampMixin, utcnow
from app.models.referentiels import CERTIFICATIONS

demande_etablissement = Table(
    "demande_habilitation_etablissement",
    Model.metadata,
    Column("demande_id", ForeignKey("demande_habilitation.id", ondelete="CASCADE"), primary_key=True),
    Column("etablissement_id", ForeignKey("etablissement.id", ondelete="CASCADE"), primary_key=True, index=True),
)
demande_certificateur = Table(
    "demande_habilitation_certificateur",
    Model.metadata,
    Column("demande_id", ForeignKey("demande_habilitation.id", ondelete="CASCADE"), primary_key=True),
    Column("certificateur_id", ForeignKey("certificateur.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class DemandeHabilitation(TimestampMixin, Model):
    """The dossier d'habilitation (habilitation.md §1): the application file of an organisation for one
    certification and one instance, from its draft to the decision and the recourse. Its states are the
    machine of app/domain/dossiers.py; once accorded, its period is the habilitation of its establishments."""

    __tablename__ = "demande_habilitation"
    BROUILLON, DEPOSEE, EN_INSTRUCTION = dossiers.BROUILLON, dossiers.DEPOSEE, dossiers.EN_INSTRUCTION
    # An accorded dossier is a validated habilitation; a refused one, a rejected request.
    VALIDEE, REJETEE = dossiers.ACCORDEE, dossiers.REFUSEE
    ETATS = dossiers.LABELS
    INITIALE, RENOUVELLEMENT = "initiale", "renouvellement"
    TYPES = {INITIALE: "Initiale", RENOUVELLEMENT: "Renouvellement"}
    CERTIFICATIONS = CERTIFICATIONS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id"), nullable=False, index=True)
    certification: Mapped[str] = mapped_column(String(20), nullable=False, default="clea")
    type: Mapped[str] = mapped_column(String(20), nullable=False, default=INITIALE)
    # The renewed habilitation, for a renewal (a renewal is allowed once: 3 + 3 years).
    renouvelle_id: Mapped[int | None] = mapped_column(ForeignKey("demande_habilitation.id"))
    # The day the dossier was created (a draft) and, once deposited, its deposit.
    date_demande: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    date_depot: Mapped[datetime.date | None] = mapped_column(Date)
    etat: Mapped[str] = mapped_column(String(20), nullable=False, default=dossiers.BROUILLON, index=True)
    motif_rejet: Mapped[str | None] = mapped_column(Text)
    date_debut: Mapped[datetime.date | None] = mapped_column(Date)
    date_fin: Mapped[datetime.date | None] = mapped_column(Date, index=True)
    decide_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decide_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    demandeur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    # --- The cadre de réponse (seed 002) ----------------------------------------------------------------
    type_candidature: Mapped[str] = mapped_column(String(20), nullable=False, default="individuelle")
    membres: Mapped[list | None] = mapped_column(JSON_ROWS)  # groupement: [{nom, siret, adresse, services, signataire}]
    # Identity (§1.1), prefilled from the organisation; accepted changes flow back to it.
    activite_principale: Mapped[str | None] = mapped_column(String(250))
    siren: Mapped[str | None] = mapped_column(String(9))
    code_naf: Mapped[str | None] = mapped_column(String(6))
    numero_declaration_activite: Mapped[str | None] = mapped_column(String(11))
    adresse: Mapped[str | None] = mapped_column(String(250))
    code_postal: Mapped[str | None] = mapped_column(String(5))
    ville: Mapped[str | None] = mapped_column(String(100))
    site_web: Mapped[str | None] = mapped_column(String(250))
    date_creation: Mapped[datetime.date | None] = mapped_column(Date)
    effectif: Mapped[int | None] = mapped_column(Integer)
    chiffres_affaires: Mapped[list | None] = mapped_column(JSON_ROWS)  # [{annee, montant}] — the last 3 years
    contact_nom: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_telephone: Mapped[str | None] = mapped_column(String(20))
    facturation_nom: Mapped[str | None] = mapped_column(String(200))
    facturation_email: Mapped[str | None] = mapped_column(String(254))
    label_qualite: Mapped[str | None] = mapped_column(String(20))  # qualiopi | autre | aucun
    label_autre: Mapped[str | None] = mapped_column(String(200))
    # History (§1.3)
    premiere_demande: Mapped[bool | None] = mapped_column(Boolean)
    historique: Mapped[list | None] = mapped_column(JSON_ROWS)  # [{certification, debut, fin}], prefilled
    autres_habilitations: Mapped[str | None] = mapped_column(Text)
    # Coverage (§1.4)
    couverture: Mapped[str | None] = mapped_column(String(20))  # nationale | regionale
    regions: Mapped[list | None] = mapped_column(JSON_ROWS)
    sites: Mapped[list | None] = mapped_column(JSON_ROWS)  # [{raison_sociale, adresse, code_postal, ville, region}]
    # Motivation (§1.5)
    motivation: Mapped[str | None] = mapped_column(Text)
    promotion: Mapped[str | None] = mapped_column(Text)
    # Technical proposal (§2)
    processus_evaluation: Mapped[str | None] = mapped_column(Text)
    accompagnement: Mapped[str | None] = mapped_column(Text)
    modalites_distance: Mapped[str | None] = mapped_column(Text)
    modalites: Mapped[list | None] = mapped_column(JSON_ROWS)  # [{sous_domaine, modalite}] one per sub-domain
    sequences: Mapped[list | None] = mapped_column(JSON_ROWS)  # [{sous_domaine, mode, outils, consignes, duree, ...}]
    intervenants: Mapped[list | None] = mapped_column(JSON_ROWS)  # [{nom, prenom, role, qualification}]
    references: Mapped[str | None] = mapped_column(Text)
    # Attestation d'engagement
    engagement_lu: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    engagement_signataire: Mapped[str | None] = mapped_column(String(200))
    engagement_qualite: Mapped[str | None] = mapped_column(String(200))
    engagement_lieu: Mapped[str | None] = mapped_column(String(100))
    engagement_date: Mapped[datetime.date | None] = mapped_column(Date)

    # --- Procedure -------------------------------------------------------------------------------------------
    campagne_id: Mapped[int | None] = mapped_column(ForeignKey("campagne_habilitation.id"), index=True)
    reunion_id: Mapped[int | None] = mapped_column(ForeignKey("reunion_instance.id"), index=True)
    instructeur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    instruction_le: Mapped[datetime.date | None] = mapped_column(Date)
    complement_le: Mapped[datetime.date | None] = mapped_column(Date)
    audition_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    audition_lieu: Mapped[str | None] = mapped_column(String(250))
    avis_favorable: Mapped[bool | None] = mapped_column(Boolean)
    avis_motivation: Mapped[str | None] = mapped_column(Text)
    avis_le: Mapped[datetime.date | None] = mapped_column(Date)
    # The day the decision's notice counts as received (its acknowledgment, or the sending + 2 jours ouvrés).
    notifie_le: Mapped[datetime.date | None] = mapped_column(Date)
    recours_note: Mapped[str | None] = mapped_column(Text)
    recours_le: Mapped[datetime.date | None] = mapped_column(Date)
    recours_accuse_le: Mapped[datetime.date | None] = mapped_column(Date)
    motif_classement: Mapped[str | None] = mapped_column(Text)

    # --- Once accorded: the life of the habilitation (habilitation.md §4) -------------------------------------
    # active, suspendue, retiree, renoncee, expiree — read only once the dossier is accorded
    statut_habilitation: Mapped[str | None] = mapped_column(String(20), default="active")
    statut_motif: Mapped[str | None] = mapped_column(Text)
    statut_le: Mapped[datetime.date | None] = mapped_column(Date)
    renonciation_recue_le: Mapped[datetime.date | None] = mapped_column(Date)
    renonciation_effet: Mapped[datetime.date | None] = mapped_column(Date)

    __mapper_args__ = {"version_id_col": version}

    organisme = relationship("Organisme")
    etablissements = relationship("Etablissement", secondary=demande_etablissement, order_by="Etablissement.nom")
    certificateurs = relationship("Certificateur", secondary=demande_certificateur, order_by="Certificateur.nom")
    renouvelle = relationship("DemandeHabilitation", remote_side=[id])
    decide_par = relationship("Utilisateur", foreign_keys=[decide_par_id])
    demandeur = relationship("Utilisateur", foreign_keys=[demandeur_id])
    instructeur = relationship("Utilisateur", foreign_keys=[instructeur_id])
    campagne = relationship("CampagneHabilitation")
    reunion = relationship("ReunionInstance")
    pieces = relationship("PieceDossier", order_by="PieceDossier.id", viewonly=True)
    messages = relationship("MessageDossier", order_by="MessageDossier.id", viewonly=True)
    avis_envoyes = relationship("AvisDossier", order_by="AvisDossier.id", viewonly=True)

    @property
    def etat_label(self) -> str:
        if self.etat == self.VALIDEE and self.date_fin is not None and self.date_fin < datetime.date.today():
            return "Habilitation accordée (expirée)"
        return self.ETATS.get(self.etat, self.etat)

    @property
    def certification_label(self) -> str:
        return self.CERTIFICATIONS.get(self.certification, self.certification)

    @property
    def situation_label(self) -> str:
        """The dossier's state and, once accorded, the habilitation's status when it is not active."""
        if self.etat == self.VALIDEE and self.statut_habilitation not in (None, "active"):
            return f"{self.etat_label} — {self.statut_habilitation_label}"
        if self.etat == self.VALIDEE and self.renonciation_effet:
            return f"{self.etat_label} — renonciation le {self.renonciation_effet:%d/%m/%Y}"
        return self.etat_label

    @property
    def statut_habilitation_label(self) -> str:
        return dossiers.STATUTS_HABILITATION.get(self.statut_habilitation or "", "")

    @property
    def type_label(self) -> str:
        return self.TYPES.get(self.type, self.type)

    @property
    def instance_label(self) -> str:
        return ", ".join(c.nom for c in self.certificateurs)

    @property
    def etablissements_label(self) -> str:
        return ", ".join(e.nom for e in self.etablissements)

    @property
    def type_candidature_label(self) -> str:
        return dossiers.TYPES_CANDIDATURE.get(self.type_candidature, self.type_candidature)

    @property
    def numero(self) -> str:
        return f"{self.id:06d}"

    def __str__(self):
        return f"Dossier n°{self.numero} ({self.etat_label})"


class RappelHabilitation(Model):
    """An expiry reminder sent for a validated habilitation (« Renouvellement d'habilitation », 90 and 30 days
    before its end). The unique key makes each reminder go out once, even from several servers at a time."""

    __tablename__ = "rappel_habilitation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demande_id: Mapped[int] = mapped_column(ForeignKey("demande_habilitation.id", ondelete="CASCADE"), nullable=False)
    delai_jours: Mapped[int] = mapped_column(Integer, nullable=False)
    envoye_le: Mapped[datetime.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (UniqueConstraint("demande_id", "delai_jours", name="uq_rappel_habilitation"),)


class CampagneHabilitation(Model):
    """A deposit window of an instance for one certification (« Campagne 2025 du 07/05/2025 au 22/07/2025»)."""

    __tablename__ = "campagne_habilitation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificateur_id: Mapped[int] = mapped_column(ForeignKey("certificateur.id"), nullable=False, index=True)
    certification: Mapped[str] = mapped_column(String(20), nullable=False)
    libelle: Mapped[str] = mapped_column(String(200), nullable=False)
    debut: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    fin: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    certificateur = relationship("Certificateur")

    @property
    def certification_label(self) -> str:
        return CERTIFICATIONS.get(self.certification, self.certification)

    def __str__(self):
        from app.formatting import date_fr

        return f"{self.libelle} du {date_fr(self.debut)} au {date_fr(self.fin)}"


class ReunionInstance(Model):
    """A meeting of the instance (Certif Pro or a branch) deciding the dossiers scheduled on it."""

    __tablename__ = "reunion_instance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificateur_id: Mapped[int] = mapped_column(ForeignKey("certificateur.id"), nullable=False, index=True)
    date: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    lieu: Mapped[str | None] = mapped_column(String(250))
    certificateur = relationship("Certificateur")

    def __str__(self):
        from app.formatting import date_fr

        return f"Réunion du {date_fr(self.date)} ({self.certificateur.nom})"


class PieceDossier(Model):
    """A document of a dossier (CV, mandate, reference, annex, the answer to a request…); the same rules as the
    candidate files' documents (≤ 4 Mo, type checked on the content), stored in the database."""

    __tablename__ = "piece_dossier"
    __table_args__ = (UniqueConstraint("dossier_id", "sha256", name="uq_piece_dossier_sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("demande_habilitation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    nature: Mapped[str] = mapped_column(String(20), nullable=False)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message_dossier.id", ondelete="SET NULL"))
    nom: Mapped[str] = mapped_column(String(200), nullable=False)
    type_mime: Mapped[str] = mapped_column(String(100), nullable=False)
    taille: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    contenu: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    depose_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    dossier = relationship("DemandeHabilitation")
    depose_par = relationship("Utilisateur")

    @property
    def nature_label(self) -> str:
        return dossiers.NATURES_PIECE.get(self.nature, self.nature)

    @property
    def taille_label(self) -> str:
        return taille_fr(self.taille)


class MessageDossier(Model):
    """The messaging thread between the applicant and the instance."""

    __tablename__ = "message_dossier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("demande_habilitation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    cote: Mapped[str] = mapped_column(String(20), nullable=False)  # organisme | instance
    auteur_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    texte: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    auteur = relationship("Utilisateur")
    pieces = relationship("PieceDossier", viewonly=True)

    @property
    def cote_label(self) -> str:
        return "Organisme" if self.cote == "organisme" else "Instance"


class AvisDossier(Model):
    """A notice of the procedure (récépissé, convocation, request for corrections, opinion, decision…): a French
    PDF kept in the dossier, mailed with a single-use acknowledgment link. Its acknowledgment date is recorded;
    the deadlines that run from notification start there."""

    __tablename__ = "avis_dossier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("demande_habilitation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    nature: Mapped[str] = mapped_column(String(30), nullable=False)
    titre: Mapped[str] = mapped_column(String(200), nullable=False)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    envoye_le: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    destinataire: Mapped[str | None] = mapped_column(String(254))
    jeton_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    accuse_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    dossier = relationship("DemandeHabilitation")


class RappelDossier(Model):
    """A reminder of a dossier's deadline sent by the daily job to whoever must act: once when it comes close
    (`proche`), once when it is passed (`depassee`). The unique key makes each go out once."""

    __tablename__ = "rappel_dossier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("demande_habilitation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    echeance: Mapped[str] = mapped_column(String(120), nullable=False)
    date: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    palier: Mapped[str] = mapped_column(String(10), nullable=False)
    envoye_le: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("dossier_id", "echeance", "date", "palier", name="uq_rappel_dossier"),)


class ChangementSituation(TimestampMixin, Model):
    """A change of situation the organisation declares (seed 001 §III.6, within 30 days), which Certif Pro takes
    into account — a new establishment with the same SIREN joins the habilitations in force — or answers with a
    « maintien temporaire » (a new dossier within 6 months, kept until its decision)."""

    __tablename__ = "changement_situation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisme_id: Mapped[int] = mapped_column(ForeignKey("organisme.id"), nullable=False, index=True)
    nature: Mapped[str] = mapped_column(String(30), nullable=False)
    date_changement: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    etablissement_id: Mapped[int | None] = mapped_column(ForeignKey("etablissement.id"))
    declare_le: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    declare_par_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    hors_delai: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    etat: Mapped[str] = mapped_column(String(30), nullable=False, default="declare", index=True)
    maintien_jusqu_au: Mapped[datetime.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    organisme = relationship("Organisme")
    etablissement = relationship("Etablissement")
    declare_par = relationship("Utilisateur")

    __mapper_args__ = {"version_id_col": version}

    @property
    def nature_label(self) -> str:
        from app.domain.habilitations import NATURES_CHANGEMENT

        return NATURES_CHANGEMENT.get(self.nature, self.nature)

    @property
    def etat_label(self) -> str:
        from app.domain.habilitations import CHANGEMENT

        return CHANGEMENT.label(self.etat)

    def __str__(self):
        return f"Changement de situation n°{self.id} ({self.nature_label})"


class AuditHabilitation(TimestampMixin, Model):
    """An audit of an accorded habilitation (sur pièces or sur place), its report with one of three opinions, the
    audited body's observations and the instance's decision."""

    __tablename__ = "audit_habilitation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    habilitation_id: Mapped[int] = mapped_column(ForeignKey("demande_habilitation.id"), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    date_prevue: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    auditeur: Mapped[str | None] = mapped_column(String(200))
    etat: Mapped[str] = mapped_column(String(30), nullable=False, default="planifie", index=True)
    avis: Mapped[str | None] = mapped_column(String(30))
    anomalies: Mapped[str | None] = mapped_column(Text)
    rapport_le: Mapped[datetime.date | None] = mapped_column(Date)
    observations: Mapped[str | None] = mapped_column(Text)
    observations_le: Mapped[datetime.date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(30))
    suspension: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    decision_le: Mapped[datetime.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    habilitation = relationship("DemandeHabilitation")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return f"Audit n°{self.id}"


class MiseEnConformite(TimestampMixin, Model):
    """A compliance procedure: the mise en demeure (failings, 30 jours ouvrés, the withdrawal date, the suspension
    for serious failings), the written justification and the decision — or the daily job's automatic outcome."""

    __tablename__ = "mise_en_conformite"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    habilitation_id: Mapped[int] = mapped_column(ForeignKey("demande_habilitation.id"), nullable=False, index=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_habilitation.id"))
    precedente_id: Mapped[int | None] = mapped_column(ForeignKey("mise_en_conformite.id"))
    manquements: Mapped[str] = mapped_column(Text, nullable=False)
    notifiee_le: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    limite: Mapped[datetime.date] = mapped_column(Date, nullable=False)
    suspension: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    etat: Mapped[str] = mapped_column(String(30), nullable=False, default="mise_en_demeure", index=True)
    justification: Mapped[str | None] = mapped_column(Text)
    justifiee_le: Mapped[datetime.date | None] = mapped_column(Date)
    decision_le: Mapped[datetime.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    habilitation = relationship("DemandeHabilitation")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self):
        return f"Mise en conformité n°{self.id}"
