""".xlsx exports of candidate files at national volume (quality.md: 100,000 files streamed, memory bounded).

Each kind of export says which right it needs, how many rows it will write and which sheets it builds. Rows are
read in batches by increasing id (keyset), so no query holds the whole list, every batch is a short read and
the progress can be recorded between two batches. The UI asks for an export with `demander()`: it is prepared
by a background task (`preparer()`, app/tasks: a Celery worker, or the embedded runner) and offered for download
when ready. The worker writes a heartbeat with each batch; a job whose heartbeat stops (its worker died) is given
back to the queue within a minute by `reprendre()`. The API builds the same file in the request and streams it.
"""

import datetime
import json
import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import aliased

from app.domain import access, statuts
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.exports import xlsx
from app.extensions import db
from app.models import (
    Candidature,
    Certificateur,
    Etablissement,
    FichierExport,
    MorceauExport,
    Organisme,
    PartieExport,
    Utilisateur,
)
from app.models.base import utcnow
from app.models.juries import EnvoiCertificat, SessionJury
from app.models.referentiels import CERTIFICATIONS
from app.security import perimeter
from app.services import stats
from app.services.validation import fab_message_fr

log = logging.getLogger(__name__)
BATCH = 2000
KEEP_DAYS = 7
# A job « en préparation » whose worker wrote no heartbeat for EXPORT_REPRISE_SECONDES (40 s) lost its worker; the
# sweep (every 20 s) gives it back to the queue. A batch takes well under a second: a live worker beats in time.
# A job still waiting after this long may have lost its queue message (broker down): it is queued again.
REMISE_EN_FILE_APRES = datetime.timedelta(minutes=2)


# --- Rows of candidate files, by batches ----------------------------------------------------------------------


def _keyset(query, after: int = 0, size: int | None = None):
    """Batches of `query` (whose first column is Candidature.id, left out of the rows), by increasing id after
    `after`: (rows, last id of the batch) — the last id is the checkpoint a resumed export starts from. The
    batches are BATCH rows unless told otherwise (read when called, so that a test may make them small)."""
    size = size or BATCH
    last = after
    while True:
        rows = db.session.execute(query.where(Candidature.id > last).order_by(Candidature.id).limit(size)).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [tuple(row)[1:] for row in rows], last
        if len(rows) < size:
            return


def _batches(query, on_batch: Callable[[int], None] = lambda n: None, size: int | None = None):
    """Yield the rows of `query` by keyset batches, telling `on_batch` each batch's size."""
    for rows, _last in _keyset(query, size=size):
        yield from rows
        on_batch(len(rows))


def _labels(mapping):
    return lambda value: mapping.get(value, value)


DOSSIER_COLUMNS = [  # « Télécharger les statistiques des dossiers »: the path of each file, no identity
    ("Numéro de dossier", Candidature.numero_dossier, None),
    ("Certification", Candidature.certification, _labels(CERTIFICATIONS)),
    ("Organisme", Organisme.nom, None),
    ("Etablissement d'évaluation", Etablissement.nom, None),
    ("Région", Etablissement.region, None),
    ("Statut de la candidature", Candidature.statut, statuts.label),
    ("Actif", Candidature.actif, None),
    ("Date de création", Candidature.created_at, None),
    ("Date de l'évaluation préalable", Candidature.date_evaluation_prealable, None),
    ("Date d'envoi en certification", Candidature.date_envoi_certification, None),
    ("Certificateur", Certificateur.nom, None),
    ("Date du jury", SessionJury.date, None),
    ("Date de décision", Candidature.date_decision, None),
    ("Statut à l'inscription", Candidature.statut_inscription, None),
    ("Type de public", Candidature.type_public, None),
    ("Niveau de formation", Candidature.niveau_formation, None),
    ("Financeur principal", Candidature.financeur_principal, None),
    ("Origine de la démarche", Candidature.origine_demarche, None),
    ("Motif d'abandon", Candidature.motif_abandon, None),
    ("Date d'abandon", Candidature.date_abandon, None),
]


def _courrier_column():
    """« Courrier envoyé »: the letter status of the file's last mailing (certified files only)."""
    last = aliased(EnvoiCertificat)
    return (
        select(last.statut_lettre)
        .where(last.candidature_id == Candidature.id)
        .order_by(last.date_traitement.desc(), last.id.desc())
        .limit(1)
        .correlate(Candidature)
        .scalar_subquery()
    )


def _candidature_columns():
    return [  # the CANDIDATURE list's columns, and the identity a user of the perimeter works with
        ("Numéro de dossier", Candidature.numero_dossier, None),
        ("Nom de naissance", Candidature.nom_naissance, None),
        ("Nom d'usage", Candidature.nom_usage, None),
        ("Prénom", Candidature.prenom, None),
        ("Date de naissance", Candidature.date_naissance, None),
        ("Certification", Candidature.certification, _labels(CERTIFICATIONS)),
        ("Etablissement d'évaluation", Etablissement.nom, None),
        ("Statut de la candidature", Candidature.statut, statuts.label),
        ("Jury", SessionJury.date, None),
        ("Courrier envoyé", _courrier_column(), None),
        ("Actif", Candidature.actif, None),
        ("Date de création", Candidature.created_at, None),
        ("Dernière modification", Candidature.updated_at, None),
    ]


def _file_query(user, columns, where):
    """The perimeter's files matching `where`: their id, then `columns` (label, SQL column, formatter)."""
    return (
        perimeter.restrict(select(Candidature.id, *[c for _, c, _ in columns]), Candidature, user)
        .join(Etablissement, Etablissement.id == Candidature.etablissement_id)
        .join(Organisme, Organisme.id == Etablissement.organisme_id)
        .outerjoin(Certificateur, Certificateur.id == Candidature.certificateur_id)
        .outerjoin(SessionJury, SessionJury.id == Candidature.session_jury_id)
        .where(*where)
    )


def _formatter(columns) -> Callable:
    formatters = [(i, f) for i, (_, _, f) in enumerate(columns) if f is not None]

    def format_row(row):
        if not formatters:
            return row
        row = list(row)
        for i, formatter in formatters:
            row[i] = formatter(row[i])
        return row

    return format_row


def _file_rows(user, columns, where, on_batch):
    """The perimeter's files matching `where`, as rows of `columns` (label, SQL column, formatter)."""
    format_row = _formatter(columns)
    for row in _batches(_file_query(user, columns, where), on_batch):
        yield format_row(row)


def _count(user, where) -> int:
    return db.session.scalar(perimeter.restrict(select(func.count(Candidature.id)), Candidature, user).where(*where))


# --- The kinds of export ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    label: str
    filename: str
    tab: str
    count: Callable  # (user, params) → rows to write
    sheets: Callable  # (user, params, on_batch) → [xlsx.Sheet]
    # Exports of one sheet of files: (user, params) → Lignes. The background prepares them by checkpointed batches.
    lignes: Callable | None = None
    # A file that is not a workbook (the access ZIP of a person): (user, params, output, on_batch) writes it.
    ecrire: Callable | None = None
    # The named right it needs instead of reading the tab (access.may).
    droit: str | None = None


@dataclass(frozen=True)
class Lignes:
    titre: str
    colonnes: list  # (label, SQL column, formatter)
    where: list


def _periode(params) -> stats.Periode:
    return stats.periode(params.get("du"), params.get("au"))


SYNTHESE_LIGNES = 2 + len(stats.COMPTEURS)  # the progress of this export: its first sheet's rows


def _statistiques_sheets(user, params, on_batch):
    """« Télécharger l'ensemble des statistiques »: the counters, then each breakdown on its own sheet."""
    periode = _periode(params)
    figures = stats.compteurs(user, periode)
    synthese = [("Date de génération des statistiques", datetime.datetime.now()), ("Période", periode.label)]
    synthese += [(label, figures[key]) for key, label in stats.COMPTEURS]
    on_batch(len(synthese))
    return [
        xlsx.Sheet("Synthèse", ["Indicateur", "Valeur"], synthese, widths={"A": 40, "B": 20}),
        xlsx.Sheet(
            "Par mois",
            ["Mois", "Dossiers créés", "Certifications"],
            ((m["libelle"], m["inscriptions"], m["certifications"]) for m in stats.par_mois(user, periode)),
        ),
        xlsx.Sheet(
            "Par statut",
            ["Statut de la candidature", "Dossiers"],
            ((label, n) for _, label, n in stats.par_statut(user, periode)),
            widths={"A": 40},
        ),
        xlsx.Sheet(
            "Par établissement",
            ["Etablissement", "Organisme", "Région"] + [label for _, label in stats.COMPTEURS],
            (
                (r["etablissement"], r["organisme"], r["region"]) + tuple(r[k] for k, _ in stats.COMPTEURS)
                for r in stats.par_etablissement(user, periode, limite=None)
            ),
            widths={"A": 40, "B": 40},
        ),
    ]


def _dossiers_lignes(user, params) -> Lignes:
    return Lignes("Dossiers", DOSSIER_COLUMNS, _periode(params).clauses())


def _sheet_of(lignes: Lignes, user, on_batch) -> xlsx.Sheet:
    rows = _file_rows(user, lignes.colonnes, lignes.where, on_batch)
    return xlsx.Sheet(lignes.titre, [label for label, _, _ in lignes.colonnes], rows)


def _dossiers_sheets(user, params, on_batch):
    return [_sheet_of(_dossiers_lignes(user, params), user, on_batch)]


# The CANDIDATURE list's search columns: the list's filters and the API's `q` filters are FAB's, on these columns.
RECHERCHE_CANDIDATURES = [
    "numero_dossier",
    "nom_naissance",
    "prenom",
    "date_naissance",
    "statut",
    "etablissement",
    "certification",
    "actif",
]
LIST_FILTER_ARG = re.compile(r"^_flt_(\d+)_(\w+)$")
BAD_FILTER = "Filtre invalide : vérifiez les critères de recherche."


def _candidatures_where(params):
    """The list's filters as a condition on Candidature: `filtres`, the list page's query string
    ([[« _flt_0_statut », [values]], …]), or `filtres_api`, the API's rison filters ([{col, opr, value}, …])."""
    from flask_appbuilder.exceptions import FABException, InvalidOperationFilterFABException

    from app.services.listes import CandidatureInterface  # the list's own filters (equality, accent-free names)

    datamodel = CandidatureInterface(Candidature, db.session)
    filters = datamodel.get_filters(RECHERCHE_CANDIDATURES)
    try:
        for arg, values in params.get("filtres") or []:
            match = LIST_FILTER_ARG.match(str(arg))
            if match and match.group(2) in RECHERCHE_CANDIDATURES:
                filters.add_filter_index(match.group(2), int(match.group(1)), list(values))
        rest = params.get("filtres_api") or []
        for item in rest:  # FAB silently drops an operation it does not know: say so instead
            operations = {f.arg_name for f in filters.get_search_filters().get(item.get("col"), [])}
            if operations and item.get("opr") not in operations:
                raise InvalidOperationFilterFABException(
                    f"Filter operation: {item.get('opr')} not allowed on column: {item.get('col')}"
                )
        filters.rest_add_filters(rest)
        ids = datamodel.apply_filters(db.session.query(Candidature.id), filters)
    except (FABException, IndexError, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed({"filtres": _french_filter_error(exc)}) from None
    return [Candidature.id.in_(ids.subquery().select())] if filters.filters else []


def _french_filter_error(exc) -> str:
    return fab_message_fr(str(exc)) or BAD_FILTER


def _candidatures_lignes(user, params) -> Lignes:
    return Lignes("Candidatures", _candidature_columns(), _candidatures_where(params))


def _candidatures_sheets(user, params, on_batch):
    return [_sheet_of(_candidatures_lignes(user, params), user, on_batch)]


KINDS = {
    "statistiques": Kind(
        "Ensemble des statistiques",
        "statistiques-{date}.xlsx",
        access.STATS,
        lambda user, params: SYNTHESE_LIGNES,
        _statistiques_sheets,
    ),
    "dossiers": Kind(
        "Statistiques des dossiers",
        "statistiques-dossiers-{date}.xlsx",
        access.STATS,
        lambda user, params: _count(user, _periode(params).clauses()),
        _dossiers_sheets,
        _dossiers_lignes,
    ),
    "candidatures": Kind(
        "Liste des candidatures",
        "candidatures-{date}.xlsx",
        access.EVALUATIONS,
        lambda user, params: _count(user, _candidatures_where(params)),
        _candidatures_sheets,
        _candidatures_lignes,
    ),
}


def _kind(type_: str, user) -> Kind:
    kind = KINDS.get(type_)
    if kind is None:
        raise ValidationFailed({"type": "Type d'export inconnu."})
    if user is None or not access.profile_allows(user.profil, access.READ, kind.tab):
        raise Forbidden("Votre profil ne permet pas cet export.")
    if kind.droit is not None and not access.may(user, kind.droit):
        raise Forbidden("Votre profil ne permet pas cet export.")
    return kind


def type_mime(name: str) -> str:
    return "application/zip" if name.endswith(".zip") else xlsx.XLSX


def filename(type_: str) -> str:
    return KINDS[type_].filename.format(date=f"{datetime.date.today():%Y-%m-%d}")


def construire(user, type_: str, params: dict, output, on_batch: Callable[[int], None] = lambda n: None) -> None:
    """Write the export into `output` (a binary file) for `user`'s perimeter."""
    kind = _kind(type_, user)
    xlsx.write(output, kind.sheets(user, params, on_batch))


def telecharger(user, type_: str, params: dict):
    """The API's export: built in the request into a temporary file, then streamed, when it holds at most
    EXPORT_API_DIRECT_MAX rows; a bigger one is prepared in the background like the pages' (no request holds a
    worker for minutes): the answer is then its job, followed at /api/v1/export/<id>."""
    import tempfile

    from flask import current_app

    total = _check_params(type_, user, params)
    if total > current_app.config["EXPORT_API_DIRECT_MAX"]:
        return demander(user, type_, params, total=total)
    output = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, streamed then closed by the response
    construire(user, type_, params, output)
    output.seek(0)
    return xlsx.send_file(output, filename(type_))


def _check_params(type_, user, params) -> int:
    """Bad filters are refused when the export is asked for, not later in the background: counting the rows
    runs every filter once (a value the database cannot take fails here). Returns that count."""
    from sqlalchemy.exc import SQLAlchemyError

    kind = _kind(type_, user)
    try:
        return kind.count(user, params)
    except SQLAlchemyError:
        db.session.rollback()
        raise ValidationFailed({"filtres": BAD_FILTER}) from None


# --- Background preparation -------------------------------------------------------------------------------------


def demander(user, type_: str, params: dict, total: int | None = None) -> FichierExport:
    """Record the request and queue its preparation; the user follows it on its page."""
    total = _check_params(type_, user, params) if total is None else total
    job = FichierExport(
        user_id=user.id, type=type_, parametres=json.dumps(params), nom_fichier=filename(type_), lignes_total=total
    )
    db.session.add(job)
    db.session.commit()
    _mettre_en_file(job.id)
    return job


def _mettre_en_file(job_id: int) -> None:
    from app import tasks

    tasks.enqueue("clea.preparer_export", job_id)


def relancer(user, job_id) -> FichierExport:
    """« Relancer » on an export that failed: prepared again, from the start, with the same filters."""
    job = visible(user, job_id)
    if job.statut != FichierExport.ECHEC:
        raise DomainError("Cet export n'est pas en échec : il n'y a rien à relancer.")
    job.statut, job.erreur, job.lignes_faites, job.termine_le = FichierExport.EN_ATTENTE, None, 0, None
    job.phase, job.lignes_ecrites = FichierExport.LECTURE, 0
    job.battement_le = utcnow()
    db.session.execute(delete(MorceauExport).where(MorceauExport.job_id == job.id))  # from the start
    db.session.commit()
    _mettre_en_file(job.id)
    return job


def _claim(job_id) -> bool:
    """Move the job from « En attente » to « En préparation »; False when somebody else already did."""
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(FichierExport)
            .where(FichierExport.id == job_id, FichierExport.statut == FichierExport.EN_ATTENTE)
            .values(statut=FichierExport.EN_COURS, battement_le=utcnow())
        ).rowcount
    return claimed == 1


def _progress(job_id, done):
    # Its own short transaction: the page polling the job sees it at once; it is also the worker's heartbeat.
    with db.engine.begin() as conn:
        conn.execute(
            update(FichierExport)
            .where(FichierExport.id == job_id, FichierExport.statut == FichierExport.EN_COURS)
            .values(lignes_faites=done, battement_le=utcnow())
        )


def _ecriture(job_id, written):
    """The writing phase's progress (rows written into the workbook), in its own short transaction like
    `_progress`, and the heartbeat of that phase: once per batch written, never per row."""
    with db.engine.begin() as conn:
        conn.execute(
            update(FichierExport)
            .where(FichierExport.id == job_id, FichierExport.statut == FichierExport.EN_COURS)
            .values(phase=FichierExport.ECRITURE, lignes_ecrites=written, battement_le=utcnow())
        )


def preparer(job_id) -> None:
    """Build a requested export (once, even if two workers try)."""
    if not _claim(job_id):
        return
    import tempfile

    job = db.session.get(FichierExport, job_id)
    if job is None:  # purged meanwhile
        return
    try:
        user = db.session.get(Utilisateur, job.user_id)
        params = json.loads(job.parametres or "{}")
        kind = _kind(job.type, user)  # the right is checked again: it may have been withdrawn meanwhile
        # Files read by batches then written (two phases), or a file written as it is read (one phase, from the
        # start). Nothing is written yet, whatever a worker that died did: its workbook died with it.
        start = {"phase": FichierExport.LECTURE, "lignes_ecrites": 0}
        if kind.ecrire is not None or kind.lignes is None:
            start = {"phase": FichierExport.PREPARATION, "lignes_ecrites": 0, "lignes_faites": 0}
        if job.lignes_total is None:  # asked for without its count (a job written by hand, an older server)
            start["lignes_total"] = kind.count(user, params)
        with db.engine.begin() as conn:
            conn.execute(update(FichierExport).where(FichierExport.id == job_id).values(**start))
        done = [0]

        def on_batch(n):
            done[0] += n
            _progress(job_id, done[0])

        with tempfile.TemporaryFile() as output:
            if kind.ecrire is not None:
                kind.ecrire(user, params, output, on_batch)
            elif kind.lignes is not None:
                xlsx.write(output, [_par_morceaux(job_id, user, kind.lignes(user, params), done)])
            else:
                xlsx.write(output, kind.sheets(user, params, on_batch))
            size = output.tell()
            output.seek(0)
            # Kept 1 MiB at a time (bounded memory whatever the export's size), in the transaction that makes it ready.
            db.session.execute(delete(PartieExport).where(PartieExport.job_id == job_id))
            for numero, chunk in enumerate(iter(lambda: output.read(PartieExport.TAILLE), b""), start=1):
                db.session.execute(insert(PartieExport).values(job_id=job_id, numero=numero, donnees=chunk))
        job.taille, job.lignes_faites, job.lignes_ecrites = size, done[0], done[0]
        db.session.execute(delete(MorceauExport).where(MorceauExport.job_id == job_id))
        job.statut, job.termine_le = FichierExport.PRET, utcnow()
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        message = getattr(exc, "message", None) or "L'export n'a pas pu être préparé. Veuillez le relancer."
        with db.engine.begin() as conn:
            conn.execute(
                update(FichierExport)
                .where(FichierExport.id == job_id)
                .values(statut=FichierExport.ECHEC, erreur=message[:1000], termine_le=utcnow())
            )
        raise


def _ids(*conditions, limit: int) -> list[int]:
    query = select(FichierExport.id).where(*conditions).order_by(FichierExport.id).limit(limit)
    return list(db.session.execute(query).scalars())


def _rendre_les_perdus(limit: int) -> list[int]:
    """Jobs « en préparation » whose worker stopped beating wait again (to be prepared from the start)."""
    now = utcnow()
    last_sign = func.coalesce(FichierExport.battement_le, FichierExport.created_at)
    silence = datetime.timedelta(seconds=current_app.config["EXPORT_REPRISE_SECONDES"])
    lost = _ids(FichierExport.statut == FichierExport.EN_COURS, last_sign < now - silence, limit=limit)
    if lost:
        log.warning("Export(s) %s repris après la perte de leur worker", lost)
        db.session.execute(
            update(FichierExport)
            .where(FichierExport.id.in_(lost), FichierExport.statut == FichierExport.EN_COURS)
            # Its batches stay: it resumes after them. What it had written is lost with it: back to the reading
            # phase, all its rows read (the next worker writes the workbook again, from its first row).
            .values(
                statut=FichierExport.EN_ATTENTE,
                battement_le=now,
                lignes_ecrites=0,
                phase=case(
                    (FichierExport.phase == FichierExport.ECRITURE, FichierExport.LECTURE), else_=FichierExport.phase
                ),
            )
        )
    return lost


# --- Checkpoints: an export of files is prepared batch by batch, each batch kept until the file is written ------


def _encode(value):
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$n": str(value)}
    return value


def _decode(value):
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return datetime.date.fromisoformat(value["$d"])
        if "$n" in value:
            return Decimal(value["$n"])
    return value


def _pack(rows) -> bytes:
    return zlib.compress(json.dumps([[_encode(v) for v in row] for row in rows]).encode())


def _unpack(data: bytes) -> list:
    return [[_decode(v) for v in row] for row in json.loads(zlib.decompress(data))]


def _checkpoint(job_id: int, numero: int, last: int, rows: list, done: int) -> None:
    """One batch kept, in its own short transaction (it survives the worker), then the progress and heartbeat."""
    with db.engine.begin() as conn:
        conn.execute(
            insert(MorceauExport).values(
                job_id=job_id, numero=numero, dernier_id=last, nombre=len(rows), lignes=_pack(rows)
            )
        )
    _progress(job_id, done)


def _par_morceaux(job_id: int, user, lignes: Lignes, done: list) -> xlsx.Sheet:
    """Go on after the last batch a previous worker kept (the keyset: the last file id), then the sheet's rows
    read back from the batches in order, one batch in memory at a time."""
    numero, checkpoint, already = db.session.execute(
        select(
            func.coalesce(func.max(MorceauExport.numero), 0),
            func.coalesce(func.max(MorceauExport.dernier_id), 0),
            func.coalesce(func.sum(MorceauExport.nombre), 0),
        ).where(MorceauExport.job_id == job_id)
    ).one()
    if numero:
        log.warning("Export %s repris après %s ligne(s) (identifiant %s)", job_id, already, checkpoint)
        _progress(job_id, already)  # the rows read before, shown at once
    done[0] = already
    format_row = _formatter(lignes.colonnes)
    for rows, last in _keyset(_file_query(user, lignes.colonnes, lignes.where), after=checkpoint):
        numero += 1
        done[0] += len(rows)
        _checkpoint(job_id, numero, last, [format_row(row) for row in rows], done[0])

    def rows_back():
        # Every row is read: the writing phase starts (from the first row, even for a resumed job).
        _ecriture(job_id, 0)
        written = 0
        ids = (
            db.session.execute(
                select(MorceauExport.id).where(MorceauExport.job_id == job_id).order_by(MorceauExport.numero)
            )
            .scalars()
            .all()
        )
        for pk in ids:
            rows = _unpack(db.session.execute(select(MorceauExport.lignes).where(MorceauExport.id == pk)).scalar_one())
            yield from rows
            # Still alive while the workbook is written (3 minutes for 1,000,000 files): without a heartbeat the
            # sweep would take the job for lost after EXPORT_REPRISE_SECONDES and give it to a second worker. The
            # heartbeat carries the rows written so far (the writer asked for the next row: the batch is in).
            written += len(rows)
            _ecriture(job_id, written)

    return xlsx.Sheet(lignes.titre, [label for label, _, _ in lignes.colonnes], rows_back())


def reprendre(limit: int = 50) -> int:
    """The sweep (every 20 s): a job whose worker stopped beating waits again and is queued; a job waiting for
    long is queued again (its message may have been lost while the broker was down). Returns how many were
    queued. Two sweeps at once queue a job twice at worst, and `_claim` lets only one worker prepare it."""
    lost = _rendre_les_perdus(limit)
    last_sign = func.coalesce(FichierExport.battement_le, FichierExport.created_at)
    forgotten = _ids(
        FichierExport.statut == FichierExport.EN_ATTENTE, last_sign < utcnow() - REMISE_EN_FILE_APRES, limit=limit
    )
    if forgotten:
        db.session.execute(update(FichierExport).where(FichierExport.id.in_(forgotten)).values(battement_le=utcnow()))
    db.session.commit()
    for job_id in lost + forgotten:
        _mettre_en_file(job_id)
    return len(lost) + len(forgotten)


def preparer_en_attente(limit: int = 20) -> int:
    """`flask clea exports` (by hand, e.g. without any worker): prepare here and now what waits, the jobs of
    dead workers included."""
    _rendre_les_perdus(limit)
    db.session.commit()
    ids = _ids(FichierExport.statut == FichierExport.EN_ATTENTE, limit=limit)
    for job_id in ids:
        try:
            preparer(job_id)
        except Exception:
            log.exception("Export %s en échec", job_id)
    return len(ids)


def purger(jours: int = KEEP_DAYS) -> int:
    """Prepared files are kept a week."""
    result = db.session.execute(
        delete(FichierExport).where(FichierExport.created_at < utcnow() - datetime.timedelta(days=jours))
    )
    db.session.commit()
    return result.rowcount  # type: ignore[attr-defined]  # a CursorResult for an UPDATE/DELETE


def visible(user, job_id) -> FichierExport:
    """One's own exports only: any other id answers 404."""
    pk = perimeter.parse_pk(job_id)
    job = db.session.get(FichierExport, pk) if pk is not None and user is not None else None
    if job is None or job.user_id != user.id:
        raise NotFound()
    return job


def mes_exports(user, limite: int = 10) -> list[FichierExport]:
    return list(
        db.session.execute(
            select(FichierExport)
            .where(FichierExport.user_id == user.id)
            .order_by(FichierExport.created_at.desc(), FichierExport.id.desc())
            .limit(limite)
        ).scalars()
    )


def contenu(user, job_id):
    """(the file's bytes, part after part, its name, its size) of one's own ready export."""
    job = visible(user, job_id)
    if job.statut != FichierExport.PRET:
        raise NotFound("Ce fichier n'est pas encore prêt.")
    numeros = list(
        db.session.execute(
            select(PartieExport.numero).where(PartieExport.job_id == job.id).order_by(PartieExport.numero)
        ).scalars()
    )
    name = job.nom_fichier or "export.xlsx"
    if not numeros:  # prepared before the file was kept in parts
        whole = job.contenu
        if whole is None:
            raise NotFound("Ce fichier n'est pas encore prêt.")
        return iter([whole]), name, len(whole)

    def parts():
        for numero in numeros:  # one part in memory at a time
            yield db.session.execute(
                select(PartieExport.donnees).where(PartieExport.job_id == job.id, PartieExport.numero == numero)
            ).scalar_one()

    return parts(), name, job.taille


def etat(job: FichierExport) -> dict:
    """An export as the API shows it."""
    from app.formatting import nombre_fr

    ready = job.statut == FichierExport.PRET
    if ready:
        message = "Le fichier est prêt."
    elif job.statut == FichierExport.ECHEC:
        message = "La préparation a échoué ; relancez l'export depuis la plateforme."
    else:
        message = (
            f"L'export de {nombre_fr(job.lignes_total or 0)} ligne(s) est préparé en arrière-plan "
            f"({job.progression} %) : redemandez cette adresse, le fichier sera à /api/v1/export/{job.id}/fichier."
        )
    return {
        "id": job.id,
        "type": job.type,
        "statut": job.statut,
        "statut_label": job.statut_label,
        "lignes_total": job.lignes_total,
        "lignes_faites": job.lignes_faites,
        "progression": job.progression,
        # The phase of the preparation: « lecture » (rows read by batches, lignes_faites), « ecriture » (the
        # workbook written from them, lignes_ecrites out of lignes_faites), or « preparation » (a file written as
        # it is read); `avancement` says it for a person.
        "phase": job.phase,
        "phase_label": job.phase_label,
        "lignes_ecrites": job.lignes_ecrites,
        "avancement": job.avancement_label,
        "fichier": f"/api/v1/export/{job.id}/fichier" if ready else None,
        "message": message,
    }


def kind_label(type_: str) -> str:
    kind = KINDS.get(type_)
    return kind.label if kind else type_
