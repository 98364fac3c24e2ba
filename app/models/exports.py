"""Exports prepared in the background (quality.md: long exports run in the background and are offered for
download when ready). The file is kept in the database so that any server can hand it out."""

import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.formatting import nombre_fr
from app.models.base import utcnow


class FichierExport(Model):
    __tablename__ = "fichier_export"
    EN_ATTENTE, EN_COURS, PRET, ECHEC = "en_attente", "en_cours", "pret", "echec"
    STATUTS = {EN_ATTENTE: "En attente", EN_COURS: "En préparation", PRET: "Prêt", ECHEC: "En échec"}
    # An export of files is prepared in two phases: its rows are read by batches (kept as MorceauExport), then the
    # workbook is written from those batches — the long part at volume (177 s of 218 s for 1,000,000 files). The
    # other kinds (the statistics, the ZIP archives) write their file as they read it: one phase.
    LECTURE, ECRITURE, PREPARATION = "lecture", "ecriture", "preparation"
    PHASES = {LECTURE: "Lecture des dossiers", ECRITURE: "Écriture du classeur", PREPARATION: "Préparation du fichier"}
    PART_LECTURE = 20  # the share of the progress bar the reading phase fills; the writing fills the rest

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    # The request's filters (JSON), replayed by the worker with the requester's perimeter.
    parametres: Mapped[str | None] = mapped_column(Text)
    statut: Mapped[str] = mapped_column(String(20), nullable=False, default=EN_ATTENTE)
    lignes_total: Mapped[int | None] = mapped_column(Integer)
    lignes_faites: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # rows read
    phase: Mapped[str] = mapped_column(String(20), nullable=False, default=LECTURE, server_default=LECTURE)
    # Rows written into the workbook (writing phase), recorded with the worker's heartbeat, never per row.
    lignes_ecrites: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    nom_fichier: Mapped[str | None] = mapped_column(String(200))
    taille: Mapped[int | None] = mapped_column(Integer)
    contenu: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    erreur: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    termine_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    # The worker preparing the file writes it every few seconds: a job whose heartbeat stopped lost its worker.
    battement_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_fichier_export_user", "user_id", "created_at"),)

    @property
    def statut_label(self) -> str:
        return self.STATUTS.get(self.statut, self.statut)

    @property
    def phase_label(self) -> str:
        return self.PHASES.get(self.phase, self.phase)

    @property
    def lignes_a_ecrire(self) -> int:
        """The rows the writing phase writes: those read (the count asked for may have changed meanwhile)."""
        return self.lignes_faites or self.lignes_total or 0

    @property
    def progression(self) -> int:
        """Percentage done, for the progress bar: reading fills its first PART_LECTURE %, writing the rest.
        Never 100 before the file is ready; it never goes back when the writing starts (reading ends at most at
        PART_LECTURE, writing starts there)."""
        if self.statut == self.PRET:
            return 100
        if not self.lignes_total:
            return 0
        if self.phase == self.PREPARATION:
            return min(99, int(100 * self.lignes_faites / self.lignes_total))
        if self.phase == self.ECRITURE:
            written = (100 - self.PART_LECTURE) * (self.lignes_ecrites or 0) / max(self.lignes_a_ecrire, 1)
            return min(99, self.PART_LECTURE + int(written))
        return min(self.PART_LECTURE, int(self.PART_LECTURE * self.lignes_faites / self.lignes_total))

    @property
    def avancement_label(self) -> str:
        """Where the preparation stands, for a person: « Lecture des dossiers : 12 000 / 1 000 000 », then
        « Écriture du classeur : 400 000 / 1 000 000 »."""
        if self.phase == self.ECRITURE:
            done, total = self.lignes_ecrites or 0, self.lignes_a_ecrire
        else:
            done, total = self.lignes_faites or 0, self.lignes_total
        if total is None:
            return f"{self.phase_label} : {nombre_fr(done)}"
        return f"{self.phase_label} : {nombre_fr(done)} / {nombre_fr(total)}"


class MorceauExport(Model):
    """A checkpoint of an export being prepared: one batch of its rows, already formatted, and the last file id it
    holds (the keyset). A worker that dies leaves its batches; the next one goes on after the last of them, then
    the file is written from the batches in order (issue 12: resumable exports)."""

    __tablename__ = "export_morceau"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("fichier_export.id", ondelete="CASCADE"), nullable=False)
    numero: Mapped[int] = mapped_column(Integer, nullable=False)
    dernier_id: Mapped[int] = mapped_column(Integer, nullable=False)
    nombre: Mapped[int] = mapped_column(Integer, nullable=False)
    lignes: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # zlib-compressed JSON (see exports.py)

    __table_args__ = (UniqueConstraint("job_id", "numero", name="uq_export_morceau_numero"),)


class PartieExport(Model):
    """A prepared file, 1 MiB at a time: written and read back one part at a time, so that neither the worker
    nor the web server ever holds a whole export of a million files in memory (issue 13)."""

    __tablename__ = "export_partie"
    TAILLE = 1024 * 1024

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("fichier_export.id", ondelete="CASCADE"), nullable=False)
    numero: Mapped[int] = mapped_column(Integer, nullable=False)
    donnees: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (UniqueConstraint("job_id", "numero", name="uq_export_partie_numero"),)


class ImportCandidats(Model):
    """A bulk import run in the background (issue 17): the uploaded template waits here for a worker, which checks
    and creates its rows, writing its progress; the report stays for its author. The file itself, personal data,
    is erased as soon as it has been read through."""

    __tablename__ = "import_candidats"
    EN_ATTENTE, EN_COURS, TERMINE, ECHEC = "en_attente", "en_cours", "termine", "echec"
    STATUTS = {EN_ATTENTE: "En attente", EN_COURS: "En cours", TERMINE: "Terminé", ECHEC: "En échec"}
    VERIFICATION, CREATION = "verification", "creation"
    PHASES = {VERIFICATION: "Vérification des lignes", CREATION: "Création des candidats"}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    etablissement_id: Mapped[int] = mapped_column(ForeignKey("etablissement.id", ondelete="CASCADE"), nullable=False)
    nom_fichier: Mapped[str] = mapped_column(String(200), nullable=False)
    simulation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    partiel: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    contenu: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    statut: Mapped[str] = mapped_column(String(20), nullable=False, default=EN_ATTENTE)
    phase: Mapped[str] = mapped_column(String(20), nullable=False, default=VERIFICATION)
    lignes_total: Mapped[int | None] = mapped_column(Integer)
    lignes_faites: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rapport: Mapped[str | None] = mapped_column(Text)  # the report's JSON (import_candidats.Rapport.as_json)
    erreur: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    termine_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    battement_le: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    etablissement = relationship("Etablissement")

    __table_args__ = (Index("ix_import_candidats_user", "user_id", "created_at"),)

    @property
    def statut_label(self) -> str:
        return self.STATUTS.get(self.statut, self.statut)

    @property
    def phase_label(self) -> str:
        return self.PHASES.get(self.phase, self.phase)

    @property
    def progression(self) -> int:
        """Percentage done, for the progress bar: the check of the rows, then their creation."""
        if self.statut == self.TERMINE:
            return 100
        if not self.lignes_total:
            return 0
        share = self.lignes_faites / self.lignes_total
        if self.simulation:
            return min(99, int(100 * share))
        return min(99, int(50 * share) + (50 if self.phase == self.CREATION else 0))
