"""National volume (quality.md): « Télécharger les statistiques des dossiers » over 100,000 files is streamed —
the worker's memory stays bounded while the file is written — and holds every row. Slow (about a minute):
`python -m pytest -m "not slow"` leaves it out of a quick run; CI runs it."""

import datetime
import os
import tempfile
import threading
import time
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from app.domain import statuts
from app.extensions import db
from app.models import Candidature, FichierExport, Utilisateur
from app.services import exports
from tests.conftest import demo

VOLUME = 100_000
MEMORY_LIMIT_MB = 100


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


class PeakMemory:
    """Samples the process's resident memory every 20 ms while the block runs."""

    def __enter__(self):
        self.baseline = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth(self) -> float:
        return self.peak - self.baseline


def insert_files(count: int) -> None:
    """`count` files in the demo establishment A1-1 (network A), in every status, straight into the table."""
    etab_user = demo(Utilisateur, username="etab.admin")
    sample = (
        db.session.execute(select(Candidature).where(Candidature.etablissement_id == etab_user.etablissement_id))
        .scalars()
        .first()
    )
    now = datetime.datetime(2026, 6, 1, 9, 0)
    for start in range(0, count, 10_000):
        rows = [
            {
                "numero_dossier": f"9{i:09d}",
                "etablissement_id": sample.etablissement_id,
                "organisme_id": sample.organisme_id,
                "certification": "clea",
                "statut_inscription": "Salarié",
                "niveau_formation": sample.niveau_formation,
                "financeur_principal": sample.financeur_principal,
                "civilite": "Madame",
                "nom_naissance": f"VOLUME{i}",
                "prenom": "Test",
                "date_naissance": datetime.date(1980, 1, 1) + datetime.timedelta(days=i % 7000),
                "ville_naissance": "Paris",
                "statut": statuts.STATUTS[i % len(statuts.STATUTS)],
                "cle_personne": f"volume-{i}",
                "nom_recherche": f"VOLUME{i} TEST",
                "created_at": now,
                "updated_at": now,
                "date_decision": now if i % 10 == 7 else None,
            }
            for i in range(start, min(start + 10_000, count))
        ]
        db.session.execute(insert(Candidature), rows)
    db.session.commit()


def worksheet_rows(path: str) -> int:
    """Rows of the first sheet, counted in its XML without loading the workbook."""
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        count, tail = 0, b""
        while chunk := sheet.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<row ")
            tail = data[-4:]  # shorter than « <row »: a tag cut between two chunks is counted once
        return count


@pytest.fixture(scope="module")
def national_files(app):
    """The VOLUME files, inserted and committed once for the module's two tests (inserting them takes seconds):
    both are committing(reset="module"), so the demo is reloaded after the module."""
    with app.app_context():
        insert_files(VOLUME)
        db.session.remove()


@pytest.mark.slow
@pytest.mark.committing(reset="module")  # shares national_files with the next test
def test_100000_files_export_keeps_memory_bounded_and_holds_every_row(ctx, national_files):
    certifpro = demo(Utilisateur, username="certifpro")
    expected = db.session.scalar(select(func.count(Candidature.id)))
    assert expected >= VOLUME
    db.session.expire_all()
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as output:
        path = output.name
        started = time.perf_counter()
        with PeakMemory() as memory:
            exports.construire(certifpro, "dossiers", {}, output)
        elapsed = time.perf_counter() - started
    try:
        size_mb = os.path.getsize(path) / 1024 / 1024
        print(
            f"\n{expected} dossiers → {size_mb:.1f} Mo en {elapsed:.1f} s, mémoire +{memory.growth:.1f} Mo "
            f"(base {memory.baseline:.0f} Mo, pic {memory.peak:.0f} Mo)"
        )
        assert memory.growth <= MEMORY_LIMIT_MB
        assert worksheet_rows(path) == expected + 1  # the header, then one row per file
        first = next(load_workbook(path, read_only=True)["Dossiers"].iter_rows(values_only=True))
        assert first[0] == "Numéro de dossier"
        assert elapsed < 120  # quality.md asks ≤ 30 s; this bound only catches a pathological slowdown
    finally:
        os.unlink(path)


@pytest.mark.slow
@pytest.mark.committing(reset="module")  # exports.preparer records its progress through connections of its own
def test_background_export_of_100000_files_reports_progress_and_completes(ctx, national_files):
    """Same volume through the UI's path (prepared in the background, progress recorded by batches)."""
    expected = db.session.scalar(select(func.count(Candidature.id)))
    reseau = demo(Utilisateur, username="reseau.admin")
    job = FichierExport(user_id=reseau.id, type="dossiers", parametres="{}", nom_fichier="dossiers.xlsx")
    db.session.add(job)
    db.session.commit()
    seen = []
    original = exports._progress

    def spy(job_id, done):
        seen.append(done)
        original(job_id, done)

    exports._progress = spy
    try:
        exports.preparer(job.id)
    finally:
        exports._progress = original
    db.session.expire_all()
    job = db.session.get(FichierExport, job.id)
    assert job.statut == FichierExport.PRET and job.progression == 100
    network_files = job.lignes_total
    assert VOLUME <= network_files <= expected and job.lignes_faites == network_files
    assert seen == sorted(seen) and len(seen) >= VOLUME // exports.BATCH  # one record per batch
